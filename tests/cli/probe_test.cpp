// `lockrig probe`: the HID relay family and, with --fixture, the parts of a fixture contacted and
// identified (a network SCPI instrument on 127.0.0.1, one that refuses the connection), through
// the real binary.
#include <algorithm>

#include "tests/cli/cli_support.hpp"
#include "tests/support/tcp_emulator.hpp"

namespace lockrig::cli_test {
namespace {

std::string fixture_with(const std::string& vbat_port, const std::string& aux_port) {
  return R"(rig: network-bench
locks:
  - {id: steel-1, material: steel, driver: sim, settings: {firmware: 2.4.1}}
supplies:
  - id: psu
    name: vbat
    driver: scpi
    settings: {port: ")" +
         vbat_port + R"(", model: dp832, timeout: 1s}
    nominal: {volts: 3.0, amps: 0.5}
    limits: {volts: 3.6, amps: 1.0}
    locks: [steel-1]
  - id: psu-aux
    name: vaux
    driver: scpi
    settings: {port: ")" +
         aux_port + R"(", model: spd3303x, timeout: 1s}
    nominal: {volts: 3.0, amps: 0.5}
    limits: {volts: 3.6, amps: 1.0}
    locks: [steel-1]
)";
}

TEST(Probe, HelpNamesTheFamiliesTheirSwitchesAndWhatTheFixtureAdds) {
  const Result r = lockrig({"probe", "--help"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  std::string flat = r.out;  // the help is wrapped; look for phrases across line breaks
  std::replace(flat.begin(), flat.end(), '\n', ' ');
  for (const char* text :
       {"--fixture", "--no-hid", "--no-net", "--no-serial", "--no-ble", "USB HID relay boards",
        "With --fixture F, then contacts its `bluez` locks (adapter present and powered",
        "its `usbhid` relay boards",
        "SCPI supplies reached by address (tcp://, usbtmc:), asked *IDN?", "lockrig check"})
    EXPECT_NE(flat.find(text), std::string::npos) << text << "\n" << r.describe();
}

// Without a board this lists none, or says hidapi is unavailable (exit 3), as the other families.
TEST(Probe, ListsHidRelaysOrSaysWhyItCannot) {
  const Result r = lockrig({"probe", "--no-ble", "--no-serial"});
  ASSERT_TRUE(r.exited) << r.describe();
  if (r.exit_code == 0)
    EXPECT_NE(r.out.find("HID relays ("), std::string::npos) << r.describe();
  else
    EXPECT_NE(r.err.find("HID relays: unavailable: "), std::string::npos) << r.describe();
  EXPECT_EQ(r.out.find("in the fixture"), std::string::npos) << r.describe();
}

TEST(Probe, WithAFixtureIdentifiesEachNetworkInstrumentAndNamesTheOneThatRefuses) {
  TempDir dir;
  lockrig::testing::TcpEmulator emu("scpi --model dp832");
  const std::string refused =
      "tcp://127.0.0.1:" + std::to_string(lockrig::testing::unused_loopback_port());
  const std::string fixture = dir.write("bench.yaml", fixture_with(emu.address(), refused));
  const Result r =
      lockrig({"probe", "--fixture", fixture, "--no-ble", "--no-serial", "--no-hid"}, {"", "", 30s});
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_NE(r.out.find("network instruments in the fixture (2):\n"
                       "  psu        Rigol DP832 at " + emu.address() + ": *IDN? \"" +
                       emu.state()["identity"].as<std::string>() + "\"\n"
                       "  psu-aux    rig fault: psu-aux: cannot connect to Siglent SPD3303X at " +
                       refused + ": Connection refused"),
            std::string::npos)
      << r.describe();
  EXPECT_EQ(r.out.find("HID relays"), std::string::npos) << r.describe();
  // Identified, nothing set: the probe never changes an instrument.
  EXPECT_EQ(emu.state()["commands"].as<int>(), 1) << emu.log();
}

TEST(Probe, AllPartsAnsweringIsExitZero) {
  TempDir dir;
  lockrig::testing::TcpEmulator dp832("scpi --model dp832");
  lockrig::testing::TcpEmulator siglent("scpi --model spd3303x");
  const std::string fixture =
      dir.write("bench.yaml", fixture_with(dp832.address(), siglent.address()));
  const Result r =
      lockrig({"probe", "-f", fixture, "--no-ble", "--no-serial", "--no-hid"}, {"", "", 30s});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("  psu-aux    Siglent SPD3303X at " + siglent.address() + ": *IDN? \"Siglent"),
            std::string::npos)
      << r.describe();
}

TEST(Probe, AFixtureWithAMistakeIsAUsageErrorBeforeAnythingIsContacted) {
  TempDir dir;
  lockrig::testing::TcpEmulator emu("scpi --model dp832");
  const std::string text =
      replace_once(fixture_with(emu.address(), emu.address()), "model: dp832", "model: dp833");
  const std::string fixture = dir.write("bench.yaml", text);
  const Result r = lockrig({"probe", "--fixture", fixture, "--no-ble", "--no-serial", "--no-hid"});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find("dp833"), std::string::npos) << r.describe();
  EXPECT_EQ(emu.state()["commands"].as<int>(), 0) << emu.log();
}

TEST(Probe, NoNetLeavesTheInstrumentsAlone) {
  TempDir dir;
  lockrig::testing::TcpEmulator emu("scpi --model dp832");
  const std::string fixture = dir.write("bench.yaml", fixture_with(emu.address(), emu.address()));
  const Result r = lockrig(
      {"probe", "--fixture", fixture, "--no-ble", "--no-serial", "--no-hid", "--no-net"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out.find("network instruments"), std::string::npos) << r.describe();
  EXPECT_EQ(emu.state()["connections"].as<int>(), 0);
}

}  // namespace
}  // namespace lockrig::cli_test
