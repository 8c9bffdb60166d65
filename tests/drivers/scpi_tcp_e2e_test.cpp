// The SCPI supply driver over a raw TCP socket (`port: tcp://HOST:PORT`) and its vendor
// dialects, end to end against tests/emulators/scpi_emulator.py listening on 127.0.0.1. A
// refused, reset or silent connection is a rig fault naming the part and its address.
#include <gtest/gtest.h>

#include "drivers/scpi/scpi_supply.hpp"
#include "tests/support/serial_specs.hpp"
#include "tests/support/tcp_emulator.hpp"

namespace lockrig::drivers {
namespace {

using namespace lockrig::testing;
using namespace std::chrono_literals;

std::string settings_for(const TcpEmulator& emu, const std::string& model,
                         const std::string& more = "") {
  return "{port: \"" + emu.address() + "\", model: " + model + ", timeout: 1s" + more + "}";
}

// Raw SCPI on port 5025 is how Siglent's LAN interface is reached (Kurokesu/siglent_psu_api
// 94f6454 siglent_psu_api.py:37-43; libsigrok PR #77 "tested via LAN (tcp-raw)"), with the same
// pause between commands as over USB (python-spd3303x spd3303x/__init__.py:139-144).
TEST(ScpiOverTcp, SiglentSetsVerifiesAndMeasuresWithItsPause) {
  TcpEmulator emu("scpi --model spd3303x --min-gap-ms 50");
  auto supply = open_supply(supply_spec("scpi", settings_for(emu, "spd3303x")));
  EXPECT_EQ(dynamic_cast<scpi::ScpiSupply&>(*supply).identity().model, "SPD3303X");
  supply->set_voltage(2.8);
  supply->set_current_limit(0.5);
  supply->set_output(true);
  const SupplyReading r = supply->measure();
  EXPECT_DOUBLE_EQ(r.volts, 2.8);
  EXPECT_DOUBLE_EQ(r.amps, 0.028);
  EXPECT_TRUE(r.output_on);
  const YAML::Node state = emu.state();
  EXPECT_EQ(state["too_soon"].as<int>(), 0);
  EXPECT_EQ(state["unknown"].as<int>(), 0);
  EXPECT_GE(state["min_gap_ms"].as<double>(), 50.0);
  EXPECT_TRUE(mentions(emu.log(), "'OUTP CH1,ON'")) << emu.log();
}

TEST(ScpiOverTcp, ARefusedConnectionIsARigFaultNamingThePartAndAddress) {
  const int port = unused_loopback_port();
  const std::string address = "tcp://127.0.0.1:" + std::to_string(port);
  const Fault fault = rig_fault_from([&] {
    open_supply(supply_spec("scpi", "{port: \"" + address + "\", model: spd3303x, timeout: 1s}"));
  });
  EXPECT_EQ(fault.component, "vbat");
  EXPECT_TRUE(mentions(fault.message,
                       "cannot connect to Siglent SPD3303X at " + address + ": Connection refused"))
      << fault.message;
  EXPECT_LT(fault.elapsed, 1s);
}

TEST(ScpiOverTcp, AConnectionResetMidCommandIsARigFault) {
  // Command 3 is the query after the first setting: the instrument resets while it is asked.
  TcpEmulator emu("scpi --reset-on 3");
  auto supply = open_supply(supply_spec("scpi", settings_for(emu, "spd3303x")));
  const Fault fault = rig_fault_from([&] { supply->set_voltage(2.8); });
  EXPECT_EQ(fault.component, "vbat");
  EXPECT_TRUE(mentions(fault.message, "Siglent SPD3303X at " + emu.address() +
                                          ": the connection failed (waiting for the answer to "
                                          "\"CH1:VOLT?\"): Connection reset by peer"))
      << fault.message;
  EXPECT_LT(fault.elapsed, 1s);
}

TEST(ScpiOverTcp, ASilentInstrumentIsARigFaultWithinTheTimeout) {
  TcpEmulator emu("scpi --stop-after 1");
  auto supply = open_supply(supply_spec("scpi", settings_for(emu, "spd3303x")));
  const Fault fault = rig_fault_from([&] { supply->measure(); });
  EXPECT_EQ(fault.component, "vbat");
  EXPECT_TRUE(mentions(fault.message, "Siglent SPD3303X at " + emu.address() +
                                          ": no answer within 1s (waiting for the answer to "
                                          "\"MEAS:VOLT? CH1\")"))
      << fault.message;
  EXPECT_GE(fault.elapsed, 1s);
  EXPECT_LT(fault.elapsed, 1s + 1s);
}

TEST(ScpiOverTcp, AnInstrumentThatGoesAwayIsARigFault) {
  TcpEmulator emu("scpi");
  auto supply = open_supply(supply_spec("scpi", settings_for(emu, "spd3303x")));
  emu.stop();
  const Fault fault = rig_fault_from([&] { supply->set_output(false); });
  EXPECT_EQ(fault.component, "vbat");
  EXPECT_TRUE(mentions(fault.message, "Siglent SPD3303X at " + emu.address())) << fault.message;
}

TEST(ScpiOverTcp, ForeignIdentityIsARigFault) {
  TcpEmulator emu("scpi --model e36312a");
  const Fault fault =
      rig_fault_from([&] { open_supply(supply_spec("scpi", settings_for(emu, "dp832"))); });
  EXPECT_TRUE(mentions(fault.message,
                       "answers *IDN? with \"Keysight Technologies,E36312A\", "
                       "which is not a Rigol DP832"))
      << fault.message;
}

// libsigrok profiles.c:760-791 (rigol_dp800_cmd): the output is selected, then set; OVP and OCP
// take levels, which the driver sets from the fixture's limits (3.3 V, 1 A in supply_spec).
TEST(ScpiOverTcp, RigolDp832SpeaksItsDialectAndTakesTheFixturesLimitsAsProtection) {
  TcpEmulator emu("scpi --model dp832");
  auto supply = open_supply(supply_spec("scpi", settings_for(emu, "dp832"), 2));
  supply->set_voltage(2.8);
  supply->set_current_limit(0.5);
  supply->set_output(true);
  const SupplyReading r = supply->measure();
  EXPECT_DOUBLE_EQ(r.volts, 2.8);
  EXPECT_TRUE(r.output_on);
  supply->set_output(false);
  EXPECT_FALSE(supply->measure().output_on);
  const YAML::Node state = emu.state();
  EXPECT_EQ(state["unknown"].as<int>(), 0) << emu.log();
  EXPECT_EQ(state["vset"].as<std::vector<double>>(), (std::vector<double>{0.0, 2.8, 0.0}));
  EXPECT_DOUBLE_EQ(state["ovp_level"][1].as<double>(), 3.3);
  EXPECT_TRUE(state["ovp_on"][1].as<bool>());
  EXPECT_DOUBLE_EQ(state["ocp_level"][1].as<double>(), 1.0);
  EXPECT_TRUE(state["ocp_on"][1].as<bool>());
  const std::string log = emu.log();
  for (const char* line : {"':INST:NSEL 2'", "':SOUR:VOLT 2.800'", "':OUTP:OVP:VAL 3.300'",
                           "':OUTP:OCP:STAT ON'", "':OUTP ON'", "':MEAS:VOLT?'"})
    EXPECT_TRUE(mentions(log, line)) << line << "\n" << log;
}

// libsigrok profiles.c:1543-1566 (rs_hmc8043_cmd): OVP by level; OCP is a fuse at the current
// setting, so none is set.
TEST(ScpiOverTcp, RsHmc8043SpeaksItsDialect) {
  TcpEmulator emu("scpi --model hmc8043");
  auto supply = open_supply(supply_spec("scpi", settings_for(emu, "hmc8043"), 3));
  supply->set_voltage(3.1);
  supply->set_current_limit(0.25);
  supply->set_output(true);
  EXPECT_TRUE(supply->measure().output_on);
  const YAML::Node state = emu.state();
  EXPECT_EQ(state["unknown"].as<int>(), 0) << emu.log();
  EXPECT_DOUBLE_EQ(state["vset"][2].as<double>(), 3.1);
  EXPECT_DOUBLE_EQ(state["iset"][2].as<double>(), 0.25);
  EXPECT_DOUBLE_EQ(state["ovp_level"][2].as<double>(), 3.3);
  EXPECT_TRUE(state["ovp_on"][2].as<bool>());
  EXPECT_FALSE(state["ocp_on"][2].as<bool>());
}

// libsigrok profiles.c:1255-1281 (keysight_e36300a_cmd); numbers come back in exponent form.
TEST(ScpiOverTcp, KeysightE36312aSpeaksItsDialect) {
  TcpEmulator emu("scpi --model e36312a");
  auto supply = open_supply(supply_spec("scpi", settings_for(emu, "e36312a")));
  supply->set_voltage(2.8);
  supply->set_current_limit(0.5);
  supply->set_output(true);
  const SupplyReading r = supply->measure();
  EXPECT_DOUBLE_EQ(r.volts, 2.8);
  EXPECT_TRUE(r.output_on);
  const YAML::Node state = emu.state();
  EXPECT_EQ(state["unknown"].as<int>(), 0) << emu.log();
  EXPECT_DOUBLE_EQ(state["ovp_level"][0].as<double>(), 3.3);
  EXPECT_TRUE(mentions(emu.log(), "'OUTP:STAT ON'")) << emu.log();
}

TEST(ScpiOverTcp, ProtectionLevelsCanBeLeftAlone) {
  TcpEmulator emu("scpi --model dp832");
  auto supply = open_supply(supply_spec("scpi", settings_for(emu, "dp832", ", protection: false")));
  supply->set_voltage(2.8);
  const YAML::Node state = emu.state();
  EXPECT_DOUBLE_EQ(state["ovp_level"][0].as<double>(), 0.0);
  EXPECT_FALSE(mentions(emu.log(), "OVP"));
}

TEST(ScpiOverTcp, RefusesAVoltageBeyondTheOutputsRangeBeforeSendingAnything) {
  TcpEmulator emu("scpi --model dp832");
  SupplySpec spec = supply_spec("scpi", settings_for(emu, "dp832"), 3);
  auto supply = open_supply(spec);
  const int before = emu.state()["commands"].as<int>();
  try {
    supply->set_voltage(5.5);
    FAIL() << "accepted 5.5 V on a 5 V output";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "5.5 V is beyond the Rigol DP832's range 0..5 V");
  }
  EXPECT_EQ(emu.state()["commands"].as<int>(), before);
}

TEST(ScpiOverTcp, AReadBackMismatchIsARigFaultNamingTheAddress) {
  TcpEmulator emu("scpi --model dp832 --volts-readback-offset 0.5");
  auto supply = open_supply(supply_spec("scpi", settings_for(emu, "dp832", ", protection: false")));
  const Fault fault = rig_fault_from([&] { supply->set_voltage(2.8); });
  EXPECT_TRUE(mentions(fault.message, "Rigol DP832 at " + emu.address() +
                                          ": CH1 voltage setting reads back 3.3 V after "
                                          "setting 2.8 V"))
      << fault.message;
}

}  // namespace
}  // namespace lockrig::drivers
