// `lockrig run` with a `minicircuits` attenuator reached over HTTP: the emulated device
// (tests/emulators/minicircuits_emulator.py on 127.0.0.1) is set to the scenario's level before
// each unlock, journaled with its read-back, and left at the fixture's safe level at the end.
#include <gtest/gtest.h>

#include "tests/cli/cli_support.hpp"
#include "tests/support/tcp_emulator.hpp"

namespace lockrig::cli_test {
namespace {

using lockrig::testing::TcpEmulator;

std::string fixture(const std::string& port, const std::string& range = "0dB..60dB") {
  return "rig: rf-bench\n"
         "locks:\n"
         "  - {id: wood-1, material: wood, driver: sim}\n"
         "attenuators:\n"
         "  - id: rcdat\n"
         "    name: rf_path\n"
         "    driver: minicircuits\n"
         "    range: " +
         range +
         "\n"
         "    step: 0.5dB\n"
         "    safe: 10dB\n"
         "    locks: [wood-1]\n"
         "    settings: {port: \"" +
         port + "\", timeout: 2s}\n";
}

const std::string kScenario =
    "name: range-point\n"
    "steps:\n"
    "  - attenuate: {part: rf_path, db: 22.5}\n"
    "  - unlock: {within: 20s}\n"
    "  - attenuate: rf_path 30dB\n";

std::string http_of(const TcpEmulator& emu) {
  return "http://127.0.0.1:" + std::to_string(emu.port());
}

TEST(MiniCircuitsRun, SetsEachLevelJournalsItAndLeavesTheAttenuatorAtItsSafeLevel) {
  TempDir dir;
  TcpEmulator emu("minicircuits --initial 55");  // left at 55 dB by an earlier user
  const std::string fx = dir.write("rig.yaml", fixture(http_of(emu)));
  const std::string sc = dir.write("range.yaml", kScenario);
  const std::string db = dir.path() + "/j.db";
  const Result r = lockrig({"run", "--fixture", fx, "--scenario", sc, "--repeat", "2", "--seed",
                            "3", "--db", db, "--progress", "off"},
                           {"", "", 120s});
  ASSERT_EQ(r.exit_code, 0) << r.describe();

  // Safe level first, then per repetition 22.5 and 30, then the safe level again at the end.
  const auto history = emu.state()["history"];
  std::vector<std::string> levels;
  for (const auto& h : history) levels.push_back(h.as<std::string>());
  ASSERT_GE(levels.size(), 6u) << emu.log();
  EXPECT_EQ(levels.front(), "1:10") << emu.log();
  EXPECT_EQ(levels.back(), "1:10") << emu.log();
  EXPECT_EQ(std::count(levels.begin(), levels.end(), "1:22.5"), 2) << emu.log();
  EXPECT_EQ(std::count(levels.begin(), levels.end(), "1:30"), 2) << emu.log();
  EXPECT_EQ(emu.state()["attenuation"].as<double>(), 10);
  EXPECT_EQ(emu.state()["unknown"].as<int>(), 0);

  const Db j(db);
  const auto sets =
      j.table("SELECT target, value, detail FROM events WHERE kind = 'attenuate' ORDER BY id");
  ASSERT_EQ(sets.size(), 4u);
  EXPECT_EQ(sets[0], (std::vector<std::string>{"rcdat rf_path", "22.5dB", "read back 22.5dB"}));
  EXPECT_EQ(sets[1], (std::vector<std::string>{"rcdat rf_path", "30dB", "read back 30dB"}));
  EXPECT_EQ(j.value("SELECT COUNT(*) FROM sessions"), "2");
  EXPECT_EQ(j.value("SELECT COUNT(*) FROM events WHERE kind = 'safe_state' AND target = "
                    "'rcdat rf_path' AND value = '10dB'"),
            j.value("SELECT COUNT(*) FROM events WHERE kind = 'safe_state' AND target = "
                    "'rcdat rf_path'"));
}

TEST(MiniCircuitsRun, AReadBackMismatchIsARigFaultNamingTheAttenuatorAndTheRunEndsSafe) {
  TempDir dir;
  TcpEmulator emu("minicircuits --readback-offset 0.5");
  const std::string fx = dir.write("rig.yaml", fixture(http_of(emu)));
  const std::string sc = dir.write("range.yaml", kScenario);
  const std::string db = dir.path() + "/j.db";
  const Result r = lockrig(
      {"run", "--fixture", fx, "--scenario", sc, "--repeat", "1", "--db", db, "--progress", "off"},
      {"", "", 120s});
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.exit_code, 2) << r.describe();
  EXPECT_NE((r.out + r.err).find("attenuator rcdat (rf_path)"), std::string::npos) << r.describe();
  EXPECT_NE((r.out + r.err).find("read back 10.5dB after setting 10dB"), std::string::npos)
      << r.describe();
  EXPECT_EQ(emu.state()["attenuation"].as<double>(), 10);
}

TEST(MiniCircuitsRun, ABadPortIsAnErrorAtTheValueAndNothingRuns) {
  TempDir dir;
  const std::string text = fixture("http://10.0.0.7:99999");
  const std::string fx = dir.write("rig.yaml", text);
  const std::string sc = dir.write("range.yaml", kScenario);
  const std::string db = dir.path() + "/j.db";
  const Result r = lockrig({"run", "--fixture", fx, "--scenario", sc, "--db", db});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find(where(fx, text, "\"http://10.0.0.7:99999\"")), std::string::npos)
      << r.describe();
  EXPECT_NE(r.err.find("port must be usb, http://HOST[:PORT] or telnet://HOST[:PORT]"),
            std::string::npos)
      << r.describe();
}

// SIGTERM mid-run: the bench puts the attenuator back to its safe level before lockrig exits,
// as it does relays (docs/range.md).
TEST(MiniCircuitsRun, SigtermMidRunLeavesTheAttenuatorAtItsSafeLevel) {
  TempDir dir;
  TcpEmulator emu("minicircuits");
  const std::string fx = dir.write("rig.yaml", fixture(http_of(emu)));
  const std::string sc = dir.write("range.yaml",
                                   "name: slow-range\n"
                                   "steps:\n"
                                   "  - attenuate: {part: rf_path, db: 35}\n"
                                   "  - unlock: {within: 20s}\n"
                                   "  - wait: 300ms\n");
  const std::string db = dir.path() + "/j.db";
  Process p({"run", "--clock", "real", "--fixture", fx, "--scenario", sc, "--repeat", "200", "--db",
             db, "--progress", "off"},
            Spawn{"", "", 60s});
  const bool started = eventually([&] { return sessions_so_far(db) > 0 || !p.running(); }, 30s);
  ASSERT_TRUE(started) << "no session journaled within 30 s";
  ASSERT_TRUE(p.running()) << "the run ended before it could be interrupted";
  EXPECT_EQ(emu.state()["attenuation"].as<double>(), 35);
  p.signal(SIGTERM);
  const Result r = p.wait();
  EXPECT_TRUE(r.exited && r.exit_code == 128 + SIGTERM) << r.describe();
  EXPECT_EQ(emu.state()["attenuation"].as<double>(), 10) << emu.log();
  const auto history = emu.state()["history"];
  EXPECT_EQ(history[history.size() - 1].as<std::string>(), "1:10") << emu.log();
}

// docs/range.md sends readers to `lockrig drivers` for the attenuator drivers.
TEST(MiniCircuitsRun, LockrigDriversListsTheAttenuatorDrivers) {
  const Result r = lockrig({"drivers"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("attenuator drivers: sim, minicircuits\n"), std::string::npos)
      << r.describe();
}

}  // namespace
}  // namespace lockrig::cli_test
