// The Korad driver end to end against tests/emulators/korad_emulator.py, which frames commands
// by silence like the real firmware and measures the pause before each one.
#include <gtest/gtest.h>

#include "drivers/korad/korad_supply.hpp"
#include "tests/support/serial_harness_gtest.hpp"
#include "tests/support/serial_specs.hpp"

namespace lockrig::drivers {
namespace {

using namespace lockrig::testing;
using namespace std::chrono_literals;

const char* kKa3005p = "{port: /dev/ttyS0, model: ka3005p, timeout: 1s}";

const std::string& identity_of(PowerSupply& supply) {
  return dynamic_cast<korad::KoradSupply&>(supply).identity();
}

TEST(KoradSupplyEndToEnd, AcceptsTheOldIdentity) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "korad --identity old"}});
  auto supply = open_supply(supply_spec("korad", kKa3005p));
  EXPECT_EQ(identity_of(*supply), "KORADKA3005PV2.0");
}

TEST(KoradSupplyEndToEnd, AcceptsTheModernIdentity) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "korad --identity new"}});
  auto supply = open_supply(supply_spec("korad", kKa3005p));
  EXPECT_EQ(identity_of(*supply), "KORAD KA3005P V5.8 SN:03379314");
}

TEST(KoradSupplyEndToEnd, AnotherModelsIdentityIsARigFault) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "korad --model ka6003p --identity new"}});
  const Fault fault = rig_fault_from([] { open_supply(supply_spec("korad", kKa3005p)); });
  EXPECT_TRUE(mentions(fault.message,
                       "answers *IDN? with \"KORAD KA6003P V5.8 SN:03379314\", which is not a "
                       "Korad KA3005P"))
      << fault.message;
}

TEST(KoradSupplyEndToEnd, SetsVerifiesAndMeasures) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "korad --load-ohms 100"}});
  auto supply = open_supply(supply_spec("korad", kKa3005p));
  supply->set_voltage(2.8);
  supply->set_current_limit(0.5);
  supply->set_output(true);
  const SupplyReading r = supply->measure();
  EXPECT_DOUBLE_EQ(r.volts, 2.8);
  EXPECT_DOUBLE_EQ(r.amps, 0.028);
  EXPECT_TRUE(r.output_on);
  supply->set_output(false);
  EXPECT_FALSE(supply->measure().output_on);
  const YAML::Node state = emulator_state("ttyS0");
  EXPECT_DOUBLE_EQ(state["vset"].as<double>(), 2.8);
  EXPECT_DOUBLE_EQ(state["iset"].as<double>(), 0.5);
  EXPECT_EQ(state["garbled"].as<int>(), 0);
  const std::string log = emulator_log("ttyS0");
  EXPECT_TRUE(mentions(log, "b'VSET1:2.80'")) << log;
  EXPECT_TRUE(mentions(log, "b'ISET1:0.500'")) << log;
  EXPECT_TRUE(mentions(log, "b'OUT1'")) << log;
}

TEST(KoradSupplyEndToEnd, KeepsEightyMillisecondsBetweenCommands) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "korad --identity old"}});
  auto supply = open_supply(supply_spec("korad", kKa3005p));
  for (double v : {3.0, 2.9, 2.8, 2.7}) supply->set_voltage(v);
  supply->measure();
  const YAML::Node state = emulator_state("ttyS0");
  // *IDN?, 4 x (VSET1:, VSET1?), VOUT1?, IOUT1?, STATUS?
  EXPECT_EQ(state["commands"].as<int>(), 12);
  EXPECT_EQ(state["gap_violations"].as<int>(), 0);
  // The emulator's clock reads late by its wake-up delay, which shortens the odd measured pause
  // (see --gap-tolerance-ms); the median of the eleven pauses is not moved by one late wake-up.
  EXPECT_GE(state["median_gap_ms"].as<double>(), 78.0);
  EXPECT_GE(state["min_gap_ms"].as<double>(), 50.0);
}

TEST(KoradSupplyEndToEnd, TheEmulatorDropsCommandsSentWithoutTheGap) {
  // The supply measures the gap the same way whoever talks to it; a 200 ms minimum makes the
  // driver's 80 ms pauses too short, and the dropped setting shows up as a read-back fault.
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "korad --min-gap-ms 200"}});
  const Fault fault = rig_fault_from([] {
    auto supply = open_supply(supply_spec("korad", kKa3005p));
    supply->set_voltage(2.8);
  });
  EXPECT_FALSE(fault.message.empty());
  EXPECT_GT(emulator_state("ttyS0")["gap_violations"].as<int>(), 0);
}

TEST(KoradSupplyEndToEnd, RefusesAVoltageBeyondTheModelBeforeSendingAnything) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "korad"}});
  auto supply = open_supply(supply_spec("korad", kKa3005p));
  try {
    supply->set_voltage(31);
    FAIL() << "accepted 31 V";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "31 V is beyond the Korad KA3005P's range 0..30 V");
  }
  EXPECT_THROW(supply->set_current_limit(5.5), ConfigError);
  EXPECT_EQ(emulator_state("ttyS0")["commands"].as<int>(), 1);
}

TEST(KoradSupplyEndToEnd, OutputThatDoesNotSwitchIsARigFault) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "korad --stuck-output"}});
  auto supply = open_supply(supply_spec("korad", kKa3005p));
  const Fault fault = rig_fault_from([&] { supply->set_output(true); });
  EXPECT_TRUE(mentions(fault.message, "output reads back off after switching it on"))
      << fault.message;
}

TEST(KoradSupplyEndToEnd, SilentSupplyIsARigFaultWithinTheTimeout) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "korad --stop-after 1"}});
  auto supply = open_supply(supply_spec("korad", kKa3005p));
  const Fault fault = rig_fault_from([&] { supply->measure(); });
  EXPECT_TRUE(mentions(fault.message, "no answer within 1s (waiting for the measured voltage"))
      << fault.message;
  EXPECT_GE(fault.elapsed, 1s);
  EXPECT_LT(fault.elapsed, 1s + 80ms + 1s);
}

TEST(KoradSupplyEndToEnd, GarbageIsARigFault) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "korad --garbage-after 1"}});
  auto supply = open_supply(supply_spec("korad", kKa3005p));
  const Fault fault = rig_fault_from([&] { supply->measure(); });
  EXPECT_TRUE(mentions(fault.message, "garbled answer to VOUT1?: not a number: 7F FE 13 37"))
      << fault.message;
}

TEST(KoradSupplyEndToEnd, VanishedSupplyIsARigFault) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "korad --vanish-after 1"}});
  auto supply = open_supply(supply_spec("korad", kKa3005p));
  const Fault fault = rig_fault_from([&] { supply->set_output(false); });
  EXPECT_EQ(fault.component, "vbat");
  EXPECT_TRUE(mentions(fault.message, "\"/dev/ttyS0\"")) << fault.message;
}

// Slow answers: one slower than the fixture's timeout is a rig fault at the timeout; one that
// comes well within it is waited for.
TEST(KoradSupplyEndToEnd, AnswerSlowerThanTheTimeoutIsARigFault) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "korad --delay-ms 1000"}});
  const Fault fault = rig_fault_from([] {
    open_supply(supply_spec("korad", "{port: /dev/ttyS0, model: ka3005p, timeout: 500ms}"));
  });
  EXPECT_EQ(fault.component, "vbat");
  EXPECT_TRUE(mentions(fault.message, "no answer within 500ms (waiting for the identity (*IDN?))"))
      << fault.message;
  // The 80 ms pause before the command, then the timeout.
  EXPECT_GE(fault.elapsed, 500ms);
}

TEST(KoradSupplyEndToEnd, AnswerSlowerThanUsualButWithinTheTimeoutWorks) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "korad --delay-ms 300"}});
  auto supply =
      open_supply(supply_spec("korad", "{port: /dev/ttyS0, model: ka3005p, timeout: 2s}"));
  supply->set_voltage(2.8);
  const YAML::Node state = emulator_state("ttyS0");
  EXPECT_DOUBLE_EQ(state["vset"].as<double>(), 2.8);
  EXPECT_EQ(state["gap_violations"].as<int>(), 0);
}

// Behaviours of real units that the first driver did not expect. Each emulator knob names its
// source in tests/emulators/korad_emulator.py; the sources are libsigrok's korad-kaxxxxp driver
// (sigrokproject/libsigrok 883c2ac) and starforgelabs/py-korad-serial (52b007b).

// libsigrok api.c:60-61,178-194 (KORAD_QUIRK_ID_TRAILING on the KA3005P).
TEST(KoradSupplyEndToEnd, OpensAKa3005pWhoseIdentityEndsInAStrayByte) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "korad --id-trailer bc"}});
  auto supply = open_supply(supply_spec("korad", kKa3005p));
  EXPECT_EQ(identity_of(*supply), "KORAD KA3005P V5.8 SN:03379314");
  supply->set_voltage(2.8);
}

TEST(KoradSupplyEndToEnd, OpensAKa3005pWhoseOldStyleIdentityEndsInByte01) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "korad --identity old --id-trailer 01"}});
  auto supply = open_supply(supply_spec("korad", kKa3005p));
  EXPECT_EQ(identity_of(*supply), "KORADKA3005PV2.0");
}

// The trailer is a KA3005P quirk in libsigrok's table; a KA6003P row has none.
TEST(KoradSupplyEndToEnd, AStrayByteAfterAnIdentityWithoutThatQuirkIsARigFault) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "korad --model ka6003p --id-trailer bc"}});
  const Fault fault = rig_fault_from(
      [] { open_supply(supply_spec("korad", "{port: /dev/ttyS0, model: ka6003p}")); });
  EXPECT_TRUE(mentions(fault.message, "followed by byte BC")) << fault.message;
}

// libsigrok protocol.c:387-389 and commit 8abdf006; koradserial.py:155-162. The sixth byte
// follows *IDN?, which the driver always sends at open; with the old identity it is a letter.
TEST(KoradSupplyEndToEnd, SetsTheCurrentLimitRightAfterTheIdentityDespiteTheSixthByte) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "korad --identity old"}});
  auto supply = open_supply(supply_spec("korad", kKa3005p));
  supply->set_current_limit(0.5);
  supply->set_voltage(2.8);
  supply->set_current_limit(0.25);
  const YAML::Node state = emulator_state("ttyS0");
  EXPECT_DOUBLE_EQ(state["iset"].as<double>(), 0.25);
  EXPECT_EQ(state["garbled"].as<int>(), 0);
}

// koradserial.py:256-272 (NUL-terminated answers); libsigrok protocol.c:313-314,337 and
// koradserial.py:358-364 read one status byte and ignore the rest.
TEST(KoradSupplyEndToEnd, WorksWithNulTerminatedAnswers) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "korad --nul-terminate --load-ohms 100"}});
  auto supply = open_supply(supply_spec("korad", kKa3005p));
  EXPECT_EQ(identity_of(*supply), "KORAD KA3005P V5.8 SN:03379314");
  supply->set_voltage(2.8);
  supply->set_current_limit(0.5);
  supply->set_output(true);
  const SupplyReading r = supply->measure();
  EXPECT_DOUBLE_EQ(r.volts, 2.8);
  EXPECT_TRUE(r.output_on);
  supply->set_output(false);
}

// libsigrok api.c:62 (Korad KD3005P), :66-67 (RND 320-KD3005P).
TEST(KoradSupplyEndToEnd, DrivesAKd3005p) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "korad --model kd3005p"}});
  auto supply =
      open_supply(supply_spec("korad", "{port: /dev/ttyS0, model: kd3005p, timeout: 1s}"));
  EXPECT_EQ(identity_of(*supply), "KORAD KD3005P V5.8 SN:03379314");
  supply->set_voltage(2.8);
  supply->set_output(true);
  EXPECT_TRUE(supply->measure().output_on);
}

TEST(KoradSupplyEndToEnd, AcceptsTheRndRebadgeOfTheKd3005p) {
  LOCKRIG_UNDER_SERIAL_HARNESS(
      {{"ttyS0", "korad --model kd3005p --identity 'RND 320-KD3005P V4.2'"}});
  auto supply = open_supply(supply_spec("korad", "{port: /dev/ttyS0, model: kd3005p}"));
  EXPECT_EQ(identity_of(*supply), "RND 320-KD3005P V4.2");
}

// libsigrok api.c:75-76 (Velleman LABPS3005D, a KA3005P rebadge).
TEST(KoradSupplyEndToEnd, AcceptsTheVellemanRebadgeOfTheKa3005p) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "korad --identity VELLEMANLABPS3005DV2.0"}});
  auto supply = open_supply(supply_spec("korad", kKa3005p));
  EXPECT_EQ(identity_of(*supply), "VELLEMANLABPS3005DV2.0");
}

// libsigrok api.c:77-78 (PS3005D V1.3: trailer and slow processing), protocol.c:24-25,169-185
// (450 ms more after a setting or STATUS?); PR #210: a command sent sooner is not executed.
TEST(KoradSupplyEndToEnd, GivesASlowVellemanPs3005dTimeToProcess) {
  LOCKRIG_UNDER_SERIAL_HARNESS(
      {{"ttyS0", "korad --identity VELLEMANPS3005DV1.3 --id-trailer 01 --slow"}});
  auto supply = open_supply(supply_spec("korad", kKa3005p));
  supply->set_voltage(2.8);
  supply->set_output(true);
  EXPECT_TRUE(supply->measure().output_on);
  const YAML::Node state = emulator_state("ttyS0");
  EXPECT_EQ(state["gap_violations"].as<int>(), 0);
  EXPECT_DOUBLE_EQ(state["vset"].as<double>(), 2.8);
}

}  // namespace
}  // namespace lockrig::drivers
