// The SCPI supply driver end to end against tests/emulators/scpi_emulator.py.
#include <gtest/gtest.h>

#include "drivers/scpi/scpi_supply.hpp"
#include "tests/support/serial_harness_gtest.hpp"
#include "tests/support/serial_specs.hpp"

namespace lockrig::drivers {
namespace {

using namespace lockrig::testing;
using namespace std::chrono_literals;

const char* kSpd = "{port: /dev/ttyS0, model: spd3303x, timeout: 1s}";

TEST(ScpiSupplyEndToEnd, SetsVerifiesAndMeasuresChannelOne) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "scpi --load-ohms 100"}});
  auto supply = open_supply(supply_spec("scpi", kSpd));
  EXPECT_EQ(dynamic_cast<scpi::ScpiSupply&>(*supply).identity().model, "SPD3303X");
  supply->set_voltage(2.8);
  supply->set_current_limit(0.5);
  supply->set_output(true);
  const SupplyReading r = supply->measure();
  EXPECT_DOUBLE_EQ(r.volts, 2.8);
  EXPECT_DOUBLE_EQ(r.amps, 0.028);
  EXPECT_TRUE(r.output_on);
  const std::string log = emulator_log("ttyS0");
  for (const char* line : {"'CH1:VOLT 2.800'", "'CH1:CURR 0.500'", "'OUTP CH1,ON'",
                           "'MEAS:VOLT? CH1'", "'MEAS:CURR? CH1'", "'SYST:STAT?'"})
    EXPECT_TRUE(mentions(log, line)) << line << "\n" << log;
  EXPECT_EQ(emulator_state("ttyS0")["unknown"].as<int>(), 0);
}

TEST(ScpiSupplyEndToEnd, DrivesTheOutputTheFixtureNames) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "scpi"}});
  auto supply = open_supply(supply_spec("scpi", kSpd, 2));
  supply->set_voltage(3.1);
  supply->set_output(true);
  const YAML::Node state = emulator_state("ttyS0");
  EXPECT_EQ(state["vset"].as<std::vector<double>>(), (std::vector<double>{0.0, 3.1}));
  EXPECT_EQ(state["output"].as<std::vector<bool>>(), (std::vector<bool>{false, true}));
  EXPECT_TRUE(supply->measure().output_on);
}

TEST(ScpiSupplyEndToEnd, ForeignIdentityIsARigFault) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "scpi --model spd3303x-e"}});
  const Fault fault = rig_fault_from([] { open_supply(supply_spec("scpi", kSpd)); });
  EXPECT_TRUE(mentions(fault.message, "which is not a Siglent SPD3303X;")) << fault.message;
}

TEST(ScpiSupplyEndToEnd, SilentSupplyIsARigFaultWithinTheTimeout) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "scpi --stop-after 1"}});
  auto supply = open_supply(supply_spec("scpi", kSpd));
  const Fault fault = rig_fault_from([&] { supply->set_voltage(2.8); });
  EXPECT_TRUE(mentions(fault.message,
                       "no answer within 1s (waiting for the answer to "
                       "\"CH1:VOLT?\")"))
      << fault.message;
  EXPECT_GE(fault.elapsed, 1s);
  EXPECT_LT(fault.elapsed, 1s + 1s);
}

TEST(ScpiSupplyEndToEnd, GarbageIsARigFault) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "scpi --garbage-after 1"}});
  auto supply = open_supply(supply_spec("scpi", kSpd));
  const Fault fault = rig_fault_from([&] { supply->measure(); });
  EXPECT_FALSE(fault.message.empty());
  EXPECT_LT(fault.elapsed, 1s + 1s);
}

TEST(ScpiSupplyEndToEnd, RefusesACurrentBeyondTheModelBeforeSendingAnything) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "scpi"}});
  auto supply = open_supply(supply_spec("scpi", kSpd));
  EXPECT_THROW(supply->set_current_limit(3.5), ConfigError);
  EXPECT_EQ(emulator_state("ttyS0")["commands"].as<int>(), 1);
}

TEST(ScpiSupplyEndToEnd, RunsAtTheBaudRateTheFixtureGives) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "scpi"}});
  auto supply =
      open_supply(supply_spec("scpi", "{port: /dev/ttyS0, model: spd3303x, baud: 115200}"));
  supply->set_output(false);
  EXPECT_FALSE(supply->measure().output_on);
}

TEST(ScpiSupplyEndToEnd, OutputThatDoesNotSwitchIsARigFaultNamingTheSupply) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "scpi --stuck-output"}});
  auto supply = open_supply(supply_spec("scpi", kSpd));
  const Fault fault = rig_fault_from([&] { supply->set_output(true); });
  EXPECT_EQ(fault.component, "vbat");
  EXPECT_TRUE(mentions(fault.message,
                       "Siglent SPD3303X on \"/dev/ttyS0\": CH1 output reads back "
                       "off after switching it on"))
      << fault.message;
  EXPECT_FALSE(emulator_state("ttyS0")["output"][0].as<bool>());
}

TEST(ScpiSupplyEndToEnd, VoltageThatReadsBackWrongIsARigFaultNamingTheSupply) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "scpi --volts-readback-offset 0.5"}});
  auto supply = open_supply(supply_spec("scpi", kSpd));
  const Fault fault = rig_fault_from([&] { supply->set_voltage(2.8); });
  EXPECT_EQ(fault.component, "vbat");
  EXPECT_TRUE(mentions(fault.message, "CH1 voltage setting reads back 3.3 V after setting 2.8 V"))
      << fault.message;
  // The current limit has no offset: the same supply still passes its read-back.
  supply->set_current_limit(0.5);
}

// Slow answers: one slower than the fixture's timeout is a rig fault at the timeout; one that
// comes well within it is waited for. No upper bounds on time: a loaded CI machine stretches
// them; the message says the timeout, not the late answer, ended the wait.
TEST(ScpiSupplyEndToEnd, AnswerSlowerThanTheTimeoutIsARigFault) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "scpi --delay-ms 1000"}});
  const Fault fault = rig_fault_from([] {
    open_supply(supply_spec("scpi", "{port: /dev/ttyS0, model: spd3303x, timeout: 500ms}"));
  });
  EXPECT_EQ(fault.component, "vbat");
  EXPECT_TRUE(
      mentions(fault.message, "no answer within 500ms (waiting for the answer to \"*IDN?\")"))
      << fault.message;
  EXPECT_GE(fault.elapsed, 500ms);
}

TEST(ScpiSupplyEndToEnd, AnswerSlowerThanUsualButWithinTheTimeoutWorks) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "scpi --delay-ms 300"}});
  auto supply =
      open_supply(supply_spec("scpi", "{port: /dev/ttyS0, model: spd3303x, timeout: 2s}"));
  supply->set_voltage(2.8);
  EXPECT_DOUBLE_EQ(emulator_state("ttyS0")["vset"][0].as<double>(), 2.8);
}

TEST(ScpiSupplyEndToEnd, VanishedSupplyIsARigFault) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "scpi --vanish-after 1"}});
  // A long timeout: the hang-up must be seen at once, not when the timeout runs out.
  auto supply =
      open_supply(supply_spec("scpi", "{port: /dev/ttyS0, model: spd3303x, timeout: 10s}"));
  wait_for_emulator("ttyS0", [](const YAML::Node& s) { return s["vanished"].as<bool>(); });
  const Fault fault = rig_fault_from([&] { supply->set_output(false); });
  EXPECT_EQ(fault.component, "vbat");
  EXPECT_TRUE(mentions(fault.message, "Siglent SPD3303X \"/dev/ttyS0\": Input/output error"))
      << fault.message;
  EXPECT_LT(fault.elapsed, 5s) << "a hang-up is seen at once, not after the 10 s timeout";
}

// A Siglent ignores a command sent too soon after the previous one (libsigrok PR #75/#77;
// python-spd3303x spd3303x/__init__.py:114-122,139-141 waits 100 ms; see scpi_emulator.py).
TEST(ScpiSupplyEndToEnd, LeavesTheSiglentTimeBetweenCommands) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "scpi --min-gap-ms 50"}});
  auto supply = open_supply(supply_spec("scpi", kSpd));
  supply->set_voltage(2.8);
  supply->set_current_limit(0.5);
  supply->set_output(true);
  EXPECT_TRUE(supply->measure().output_on);
  const YAML::Node state = emulator_state("ttyS0");
  EXPECT_EQ(state["too_soon"].as<int>(), 0);
  EXPECT_GE(state["min_gap_ms"].as<double>(), 50.0);
}

// USBTMC (`port: usbtmc:/dev/usbtmc0`): each write() is one message and each read() returns the
// answer. The stand-in is a pty over /dev/usbtmc0 (tests/support/pty_modem_shim.cpp lets the
// usbtmc timeout ioctl succeed on it); a silent USBTMC instrument cannot be emulated this way.
TEST(ScpiSupplyEndToEnd, DrivesASiglentOverUsbtmc) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"usbtmc0", "scpi --load-ohms 100"}});
  auto supply = open_supply(
      supply_spec("scpi", "{port: \"usbtmc:/dev/usbtmc0\", model: spd3303x, timeout: 1s}"));
  EXPECT_EQ(dynamic_cast<scpi::ScpiSupply&>(*supply).identity().model, "SPD3303X");
  supply->set_voltage(2.8);
  supply->set_current_limit(0.5);
  supply->set_output(true);
  const SupplyReading r = supply->measure();
  EXPECT_DOUBLE_EQ(r.volts, 2.8);
  EXPECT_TRUE(r.output_on);
  const YAML::Node state = emulator_state("usbtmc0");
  EXPECT_EQ(state["too_soon"].as<int>(), 0);
  EXPECT_EQ(state["unknown"].as<int>(), 0);
}

}  // namespace
}  // namespace lockrig::drivers
