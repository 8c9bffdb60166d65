// `lockrig run` on a bench whose relay board and supply are byte-exact emulators on ptys, reached
// through the real libserialport path (tests/support/serial_harness.py), with simulated locks
// that see what the emulated relays and supply were commanded to do.
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include "../cli/cli_support.hpp"

using namespace lockrig::cli_test;

namespace {

const char* kFixture = R"(rig: emulated-bench
on_rig_fault: abort
locks:
  - {id: wood-1, material: wood, driver: sim, settings: {firmware: 2.4.0}}
  - {id: steel-1, material: steel, driver: sim, settings: {firmware: 2.4.1}}
switches:
  - id: relays
    driver: numato
    settings: {port: /dev/ttyS0, model: numato-8, timeout: 1s}
    channels:
      - {name: battery, channel: 1, locks: [wood-1], safe: on}
      - {name: battery, channel: 2, locks: [steel-1], safe: on}
      - {name: rf_shield, channel: 8, locks: [wood-1, steel-1], safe: off}
supplies:
  - id: psu
    name: vbat
    driver: korad
    settings: {port: /dev/serial/by-id/usb-lockrig_emulated_korad_EMU1-if00-port0}
    nominal: {volts: 3.0, amps: 0.5}
    limits: {volts: 3.6, amps: 1.0}
    locks: [steel-1]
)";

struct Bench {
  TempDir dir;
  std::string fixture = dir.file("bench.yaml");
  std::string db = dir.file("journal.db");
  std::string state = dir.file("state");

  explicit Bench(const std::string& fixture_text = kFixture) {
    write_file(fixture, fixture_text);
    ::mkdir(state.c_str(), 0755);
  }

  // The harness command line around `lockrig run ...`; relay options go to the Numato emulator.
  std::vector<std::string> harness(const std::string& relay_options,
                                   const std::vector<std::string>& run_args) const {
    return harness_with({"--device", "ttyS0=numato --model numato-8 " + relay_options, "--device",
                         "ttyUSB0=korad", "--usb", "ttyUSB0=0416:5011:EMU1"},
                        run_args);
  }

  // The same around other emulated devices (--device and --usb options of the harness).
  std::vector<std::string> harness_with(const std::vector<std::string>& devices,
                                        const std::vector<std::string>& run_args) const {
    std::vector<std::string> argv = {LOCKRIG_SERIAL_HARNESS,
                                     "--shim",
                                     LOCKRIG_PTY_SHIM,
                                     "--state-dir",
                                     state,
                                     "--timeout",
                                     "240"};
    argv.insert(argv.end(), devices.begin(), devices.end());
    const std::vector<std::string> run = {"--", binary(),     "run", "--fixture", fixture, "--db",
                                          db,   "--progress", "off", "--seed",    "5"};
    argv.insert(argv.end(), run.begin(), run.end());
    argv.insert(argv.end(), run_args.begin(), run_args.end());
    return argv;
  }

  Spawn spawn() const {
    Spawn s;
    s.program = "/usr/bin/python3";
    s.timeout = std::chrono::seconds(280);
    return s;
  }

  YAML::Node relay_state() const { return YAML::LoadFile(state + "/ttyS0.json"); }
  YAML::Node supply_state() const { return YAML::LoadFile(state + "/ttyUSB0.json"); }
};

bool root() { return geteuid() == 0; }

void expect_relays_safe(const YAML::Node& relays) {
  // Safe state: both battery relays energized (battery connected), the shield relay released.
  EXPECT_TRUE(relays["relays"][0].as<bool>());
  EXPECT_TRUE(relays["relays"][1].as<bool>());
  EXPECT_FALSE(relays["relays"][7].as<bool>());
}

}  // namespace

TEST(LockrigOnEmulatedBench, BatteryRemovedAndOutOfRangePassThroughRealRelayBytes) {
  if (!root()) GTEST_SKIP() << "the serial harness needs root (private mount namespace)";
  Bench b;
  Process p(b.harness("", {"--scenario", source_path("scenarios/battery-removed.yaml"), "--scenario",
                           source_path("scenarios/out-of-range.yaml"), "--repeat", "3"}), b.spawn());
  Result r = p.wait();
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  Db db(b.db);
  // 2 locks x 2 scenarios x 3 repeats x 2 unlock steps, every assertion held.
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions"), 24);
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE result = 'pass'"), 24);
  // The expected not_found only happens if the simulated lock lost power / radio through the
  // emulated relays.
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE expect = 'not_found' AND outcome = 'not_found'"), 12);
  EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE kind = 'switch' AND target = 'relays/ch1 battery' AND value = 'off'"), 3);
  YAML::Node relays = b.relay_state();
  expect_relays_safe(relays);
  // Every flip in the journal reached the board: 2 safe-state passes of 3 channels plus
  // 4 flips per repetition, each a write and a read-back.
  EXPECT_GE(relays["commands"].as<int>(), 2 * (6 + 24));
  EXPECT_EQ(relays["garbled"].as<int>(), 0);
  YAML::Node supply = b.supply_state();
  EXPECT_TRUE(supply["output"].as<bool>());
  EXPECT_DOUBLE_EQ(supply["vset"].as<double>(), 3.0);
  EXPECT_EQ(supply["gap_violations"].as<int>(), 0);
}

TEST(LockrigOnEmulatedBench, BrownOutRampReachesTheSupplyAndIsJournaledWithMeasuredVolts) {
  if (!root()) GTEST_SKIP() << "the serial harness needs root (private mount namespace)";
  Bench b;
  const std::string sc = b.dir.file("brown.yaml");
  write_file(sc, "name: brown\nrepeat: 1\nsteps:\n"
                 "  - supply: {name: vbat, ramp_to: 2.0, over: 2s, steps: 4}\n"
                 "  - unlock: {expect: not_found, within: 6s}\n"
                 "  - supply: {name: vbat, volts: 3.0}\n"
                 "  - wait_until: {condition: advertising, timeout: 10s}\n"
                 "  - unlock: {expect: success, within: 20s, retry: {attempts: 3}, sli: false}\n");
  Result r = Process(b.harness("", {"--scenario", sc}), b.spawn()).wait();
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  Db db(b.db);
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE lock_id = 'steel-1' AND result = 'pass'"), 2);
  EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE kind = 'supply' AND detail LIKE 'measured 2.000V%(ramp 4/4)'"), 1);
  YAML::Node supply = b.supply_state();
  EXPECT_DOUBLE_EQ(supply["vset"].as<double>(), 3.0);
  EXPECT_EQ(supply["gap_violations"].as<int>(), 0) << "the driver must keep the Korad's pacing";
}

TEST(LockrigOnEmulatedBench, ABoardThatStopsAnsweringMidRunIsARigFaultNotALockFailure) {
  if (!root()) GTEST_SKIP() << "the serial harness needs root (private mount namespace)";
  Bench b;
  Result r = Process(b.harness("--stop-after 20", {"--scenario", source_path("scenarios/battery-removed.yaml"),
                                                   "--repeat", "5"}),
                     b.spawn())
                 .wait();
  Db db(b.db);
  const std::string events = db.text(
      "SELECT group_concat(kind || ' ' || target || ' ' || value || ' ' || detail, char(10)) FROM events");
  EXPECT_EQ(r.exit_code, 3) << r.err << r.out;
  // The board answered its first 20 commands: the run got past its start and into sessions.
  EXPECT_GE(db.integer("SELECT count(*) FROM sessions"), 1) << events;
  EXPECT_NE(r.err.find("relays"), std::string::npos) << r.err;
  EXPECT_EQ(db.integer("SELECT count(*) FROM runs WHERE status = 'rig_fault' AND exit_code = 3"), 1);
  EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE kind = 'rig_fault'"), 1) << events;
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE result = 'fail'"), 0)
      << "no lock may be blamed for the board's silence";
  // The restore was attempted and its failure recorded, not silently skipped.
  EXPECT_GE(db.integer("SELECT count(*) FROM events WHERE kind = 'safe_state' AND detail LIKE 'FAILED%'"), 1);
}

TEST(LockrigOnEmulatedBench, SigtermMidRunPutsTheRealRelaysBackInTheirSafeState) {
  if (!root()) GTEST_SKIP() << "the serial harness needs root (private mount namespace)";
  Bench b;
  const std::string sc = b.dir.file("long.yaml");
  write_file(sc, "name: long\nrepeat: 1000\nsteps:\n  - switch: battery off\n  - switch: rf_shield on\n"
                 "  - wait: 200ms\n  - unlock: {expect: not_found, within: 2s}\n"
                 "  - switch: battery on\n  - switch: rf_shield off\n  - unlock:\n");
  Process p(b.harness("", {"--scenario", sc, "--clock", "real", "--locks", "wood-1"}), b.spawn());
  // Wait until the run is flipping relays (opening the board and the start safe state take 8
  // commands), then interrupt it while the shield is likely closed. Generous deadline: a loaded
  // 2-core machine can be slow to get there, and the test only needs to get there once.
  ASSERT_TRUE(eventually([&] {
    return exists(b.state + "/ttyS0.json") && b.relay_state()["commands"].as<int>() > 14;
  }, std::chrono::seconds(150)));
  p.signal(SIGTERM);
  Result r = p.wait();
  Db db(b.db);
  // On a failure, the last events say what the bench did (and which safe-state command failed).
  const std::string events = db.text(
      "SELECT group_concat(kind || ' ' || target || ' ' || value || ' ' || detail, char(10)) FROM "
      "(SELECT * FROM events ORDER BY id DESC LIMIT 12)");
  EXPECT_EQ(r.exit_code, 143) << r.err << "\nlast events, newest first:\n" << events;
  expect_relays_safe(b.relay_state());
  EXPECT_EQ(db.integer("SELECT count(*) FROM runs WHERE status = 'aborted' AND exit_code = 143"), 1);
  EXPECT_EQ(db.integer("SELECT count(*) FROM (SELECT kind FROM events ORDER BY id DESC LIMIT 4) WHERE kind = 'safe_state'"), 4);
}

// The same two scenarios with each of the other relay boards and the SCPI supply: the board's
// bytes must switch what the locks see, and the run must leave the board in its safe state.
struct OtherBench {
  const char* driver;
  const char* model;
};

void PrintTo(const OtherBench& bench, std::ostream* os) {
  *os << bench.driver << " " << bench.model;
}

class LockrigOnOtherEmulatedBoards : public ::testing::TestWithParam<OtherBench> {};

std::string other_fixture(const OtherBench& bench) {
  std::string text = R"(rig: emulated-bench
on_rig_fault: abort
locks:
  - {id: wood-1, material: wood, driver: sim, settings: {firmware: 2.4.0}}
  - {id: steel-1, material: steel, driver: sim, settings: {firmware: 2.4.1}}
switches:
  - id: relays
    driver: DRIVER
    settings: {port: /dev/ttyS0, model: MODEL, timeout: 1s}
    channels:
      - {name: battery, channel: 1, locks: [wood-1], safe: on}
      - {name: battery, channel: 2, locks: [steel-1], safe: on}
      - {name: rf_shield, channel: 4, locks: [wood-1, steel-1], safe: off}
supplies:
  - id: psu
    name: vbat
    driver: scpi
    settings: {usb: "0483:5740:EMU2", model: spd3303x}
    nominal: {volts: 3.0, amps: 0.5}
    limits: {volts: 3.6, amps: 1.0}
    locks: [steel-1]
)";
  text.replace(text.find("DRIVER"), 6, bench.driver);
  text.replace(text.find("MODEL"), 5, bench.model);
  return text;
}

TEST_P(LockrigOnOtherEmulatedBoards, BatteryRemovedAndOutOfRangeEndWithTheRelaysSafe) {
  if (!root()) GTEST_SKIP() << "the serial harness needs root (private mount namespace)";
  const OtherBench& bench = GetParam();
  Bench b(other_fixture(bench));
  // The shield relay starts energized, as a killed run would leave it: the run must release it.
  const std::string board =
      std::string("ttyS0=") + bench.driver + " --model " + bench.model + " --energized 4";
  const auto argv = b.harness_with(
      {"--device", board, "--device", "ttyUSB0=scpi", "--usb", "ttyUSB0=0483:5740:EMU2"},
      {"--scenario", source_path("scenarios/battery-removed.yaml"), "--scenario",
       source_path("scenarios/out-of-range.yaml"), "--repeat", "2"});
  Result r = Process(argv, b.spawn()).wait();
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  Db db(b.db);
  // 2 locks x 2 scenarios x 2 repeats x 2 unlock steps, every assertion held.
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions"), 16);
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE result = 'pass'"), 16);
  // The expected not_found only happens if the simulated lock lost power / radio through the
  // emulated relays.
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE expect = 'not_found' AND "
                       "outcome = 'not_found'"),
            8);
  const YAML::Node relays = b.relay_state();
  EXPECT_EQ(relays["energized"].as<std::vector<int>>(), (std::vector<int>{1, 2}))
      << "safe state: both batteries connected, the shield open";
  EXPECT_EQ(relays["garbled"].as<int>(), 0);
  // Every switch the journal records reached the board as at least one command.
  const long long switches = db.integer("SELECT count(*) FROM events WHERE kind = 'switch'");
  EXPECT_GE(switches, 16);
  EXPECT_GE(relays["commands"].as<long long>(), switches);
  const YAML::Node supply = b.supply_state();
  EXPECT_TRUE(supply["output"][0].as<bool>());
  EXPECT_DOUBLE_EQ(supply["vset"][0].as<double>(), 3.0);
  EXPECT_DOUBLE_EQ(supply["iset"][0].as<double>(), 0.5);
  EXPECT_EQ(supply["unknown"].as<int>(), 0);
}

INSTANTIATE_TEST_SUITE_P(Boards, LockrigOnOtherEmulatedBoards,
                         ::testing::Values(OtherBench{"lcus", "lcus-4"},
                                           OtherBench{"kmtronic", "kmtronic-4"},
                                           OtherBench{"devantech", "usb-rly08"}),
                         [](const ::testing::TestParamInfo<OtherBench>& info) {
                           return std::string(info.param.driver);
                         });

// A bench that cannot be opened completely: the boards and supplies that did open must not stay
// as an earlier run left them (here: both batteries cut, the shield closed, the supply off at
// 0 V, what a `kill -9` mid-scenario leaves), whichever part is missing.
const char* kAbsentSupply = R"(  - id: psu-2
    name: vbat2
    driver: scpi
    settings: {usb: "0483:5740:ABSENT"}
    nominal: {volts: 3.0, amps: 0.5}
    limits: {volts: 3.6, amps: 1.0}
    locks: [wood-1]
)";

const char* kAbsentBoard = R"(  - id: shield-box
    driver: lcus
    settings: {usb: "1a86:7523:ABSENT", model: lcus-4}
    channels:
      - {name: door, channel: 1, locks: [wood-1], safe: off}
)";

void expect_nothing_journaled(const Bench& b) {
  if (!exists(b.db)) return;
  Db db(b.db);
  EXPECT_EQ(db.integer("SELECT count(*) FROM runs"), 0);
}

TEST(LockrigOnEmulatedBench, ASupplyThatCannotBeOpenedLeavesThePartsAlreadyOpenedSafe) {
  if (!root()) GTEST_SKIP() << "the serial harness needs root (private mount namespace)";
  Bench b(std::string(kFixture) + kAbsentSupply);
  const std::vector<std::string> args = {"--scenario",
                                         source_path("scenarios/battery-removed.yaml")};
  Result r = Process(b.harness("--energized 8", args), b.spawn()).wait();
  EXPECT_EQ(r.exit_code, 3) << r.err << r.out;
  // The message names what is missing and what was made safe before giving up.
  EXPECT_NE(r.err.find("0483:5740:ABSENT"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("put into their safe state: board \"relays\", supply \"psu\""),
            std::string::npos)
      << r.err;
  YAML::Node relays = b.relay_state();
  expect_relays_safe(relays);
  YAML::Node supply = b.supply_state();
  EXPECT_TRUE(supply["output"].as<bool>());
  EXPECT_DOUBLE_EQ(supply["vset"].as<double>(), 3.0);
  EXPECT_DOUBLE_EQ(supply["iset"].as<double>(), 0.5);
  expect_nothing_journaled(b);
}

TEST(LockrigOnEmulatedBench, ARelayBoardThatCannotBeOpenedLeavesTheBoardsAlreadyOpenedSafe) {
  if (!root()) GTEST_SKIP() << "the serial harness needs root (private mount namespace)";
  std::string text = kFixture;
  text.insert(text.find("supplies:"), kAbsentBoard);
  Bench b(text);
  const std::vector<std::string> args = {"--scenario",
                                         source_path("scenarios/battery-removed.yaml")};
  Result r = Process(b.harness("--energized 8", args), b.spawn()).wait();
  EXPECT_EQ(r.exit_code, 3) << r.err << r.out;
  EXPECT_NE(r.err.find("1a86:7523:ABSENT"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("put into their safe state: board \"relays\""), std::string::npos)
      << r.err;
  expect_relays_safe(b.relay_state());
  expect_nothing_journaled(b);
}

// Serial ports that cannot be listed (here: no /sys/class/tty, hidden under an empty tmpfs in a
// private mount namespace) are a diagnosis on stderr with exit 3, not a line of the listing on
// stdout; the same as `lockrig probe` does for BLE.
TEST(LockrigProbeSerial, ReportsPortsThatCannotBeListedOnStderr) {
  if (!root()) GTEST_SKIP() << "hiding /sys/class/tty needs root (private mount namespace)";
  Spawn s;
  s.program = "/usr/bin/unshare";
  s.timeout = std::chrono::seconds(60);
  const Result r =
      Process({"--mount", "--propagation", "private", "/bin/sh", "-c",
               "mount -t tmpfs lockrig-test /sys/class && exec \"$0\" probe --no-ble", binary()},
              s)
          .wait();
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_NE(r.err.find("serial: unavailable: "), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("cannot list serial ports in \"/sys/class/tty\""), std::string::npos)
      << r.describe();
  EXPECT_EQ(r.out.find("unavailable"), std::string::npos) << r.describe();
}

// `lockrig run` with its supply on the network: the SCPI emulator listens on 127.0.0.1 (a
// Siglent on its raw socket), no root or harness needed. SIGTERM mid-run must leave the supply
// at its nominal setting over TCP, as over a serial line.
TEST(LockrigOnNetworkSupply, SigtermMidRunPutsTheTcpSupplyBackToNominal) {
  TempDir dir;
  const std::string port_file = dir.file("port");
  const std::string state = dir.file("supply.json");
  Spawn python;
  python.program = "/usr/bin/python3";
  python.timeout = std::chrono::seconds(200);
  Process emulator({source_path("tests/emulators/scpi_emulator.py"), "--tcp", "0", "--port-file",
                    port_file, "--state", state},
                   python);
  ASSERT_TRUE(
      eventually([&] { return exists(port_file) && exists(state); }, std::chrono::seconds(10)));
  const std::string port = read_file(port_file).substr(0, read_file(port_file).find('\n'));
  const std::string fixture = dir.file("bench.yaml");
  write_file(fixture, R"(rig: network-bench
on_rig_fault: abort
locks:
  - {id: steel-1, material: steel, driver: sim, settings: {firmware: 2.4.1}}
supplies:
  - id: psu
    name: vbat
    driver: scpi
    settings: {port: "tcp://127.0.0.1:)" +
                          port + R"(", model: spd3303x, timeout: 1s}
    nominal: {volts: 3.0, amps: 0.5}
    limits: {volts: 3.6, amps: 1.0}
    locks: [steel-1]
)");
  const std::string sc = dir.file("dip.yaml");
  write_file(sc,
             "name: dip\nrepeat: 1000\nsteps:\n  - supply: {name: vbat, volts: 2.2}\n"
             "  - wait: 300ms\n  - supply: {name: vbat, volts: 3.0}\n  - unlock:\n");
  Process run({"run", "--fixture", fixture, "--db", dir.file("journal.db"), "--progress", "off",
               "--seed", "5", "--scenario", sc, "--clock", "real"},
              Spawn{"", "", std::chrono::seconds(120)});
  // Interrupt it while the supply is dipped.
  ASSERT_TRUE(eventually(
      [&] {
        if (!run.running()) return true;
        const YAML::Node s = YAML::LoadFile(state);
        return s["commands"].as<int>() > 12 && s["vset"][0].as<double>() < 2.5;
      },
      std::chrono::seconds(100)));
  run.signal(SIGTERM);
  const Result r = run.wait();
  EXPECT_EQ(r.exit_code, 143) << r.err << r.out;
  const YAML::Node supply = YAML::LoadFile(state);
  EXPECT_DOUBLE_EQ(supply["vset"][0].as<double>(), 3.0);
  EXPECT_DOUBLE_EQ(supply["iset"][0].as<double>(), 0.5);
  EXPECT_TRUE(supply["output"][0].as<bool>());
  EXPECT_EQ(supply["too_soon"].as<int>(), 0);
  emulator.signal(SIGTERM);
  emulator.wait();
}
