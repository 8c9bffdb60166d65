// The LCUS driver end to end against tests/emulators/lcus_emulator.py.
#include <gtest/gtest.h>

#include "tests/support/serial_harness_gtest.hpp"
#include "tests/support/serial_specs.hpp"

namespace lockrig::drivers {
namespace {

using namespace lockrig::testing;

const char* kLcus4 = "{port: /dev/ttyS0, model: lcus-4, timeout: 1s}";

TEST(LcusBoardEndToEnd, SwitchesRelaysWithExactFrames) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "lcus --model lcus-4"}});
  auto board = open_board(board_spec("lcus", kLcus4));
  EXPECT_EQ(board->channel_count(), 4);
  board->set(1, true);
  board->set(3, true);
  board->set(1, false);
  const YAML::Node state =
      wait_for_emulator("ttyS0", [](const YAML::Node& s) { return s["commands"].as<int>() >= 3; });
  EXPECT_EQ(state["energized"].as<std::vector<int>>(), std::vector<int>{3});
  EXPECT_EQ(state["garbled"].as<int>(), 0);
  const std::string log = emulator_log("ttyS0");
  EXPECT_TRUE(mentions(log, "A0 01 01 A2")) << log;
  EXPECT_TRUE(mentions(log, "A0 03 01 A4")) << log;
  EXPECT_TRUE(mentions(log, "A0 01 00 A1")) << log;
}

// This test once expected no read-back from an LCUS-4 too; LCUS-2/4 do answer the status request
// (Brasme/usb_ch340_4x_relay_control ch340_relay.py:18,83-88). Only the LCUS-1 has no source.
TEST(LcusBoardEndToEnd, CannotReadBack) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "lcus --model lcus-1"}});
  auto board = open_board(board_spec("lcus", "{port: /dev/ttyS0, model: lcus-1, timeout: 1s}"));
  board->set(1, true);
  EXPECT_EQ(board->get(1), std::nullopt);
  EXPECT_EQ(emulator_state("ttyS0")["status_requests"].as<int>(), 0);
}

TEST(LcusBoardEndToEnd, OpensByUsbIdentity) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyUSB0", "lcus --model lcus-1", "1a86:7523:LC0001"}});
  auto board = open_board(board_spec("lcus", "{usb: \"1a86:7523\", model: lcus-1}"));
  board->set(1, true);
  const YAML::Node state = wait_for_emulator(
      "ttyUSB0", [](const YAML::Node& s) { return s["commands"].as<int>() == 1; });
  EXPECT_EQ(state["energized"].as<std::vector<int>>(), std::vector<int>{1});
}

TEST(LcusBoardEndToEnd, VanishedBoardIsARigFault) {
  // Gone after the switch and the two status requests that read it back.
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "lcus --model lcus-4 --vanish-after 3"}});
  auto board = open_board(board_spec("lcus", kLcus4));
  board->set(1, true);
  wait_for_emulator("ttyS0", [](const YAML::Node& s) { return s["vanished"].as<bool>(); });
  const Fault fault = rig_fault_from([&] { board->set(1, false); });
  EXPECT_EQ(fault.component, "relays");
  EXPECT_TRUE(mentions(fault.message, "\"/dev/ttyS0\"")) << fault.message;
  EXPECT_TRUE(mentions(fault.message, "Input/output error")) << fault.message;
}

TEST(LcusBoardEndToEnd, MissingPortIsARigFaultAtOpen) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "lcus --model lcus-4"}});
  const Fault fault =
      rig_fault_from([] { open_board(board_spec("lcus", "{port: /dev/ttyUSB9, model: lcus-4}")); });
  EXPECT_TRUE(mentions(fault.message, "cannot open LCUS-4 relay board \"/dev/ttyUSB9\""))
      << fault.message;
}

// Behaviours of real modules that the first driver did not expect; each emulator knob names its
// source in tests/emulators/lcus_emulator.py.

// Brasme ch340_relay.py:18,83-88: FF answers "CHn: ON|OFF" per relay; Rzycki's class reads
// twice because the first answer is often stale (the emulator's default).
TEST(LcusBoardEndToEnd, ReadsBackOnModulesThatAnswerTheStatusRequest) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "lcus --model lcus-4"}});
  auto board = open_board(board_spec("lcus", kLcus4));
  board->set(2, true);
  EXPECT_EQ(board->get(2), true);
  EXPECT_EQ(board->get(1), false);
  board->set(2, false);
  EXPECT_EQ(board->get(2), false);
  EXPECT_TRUE(mentions(emulator_log("ttyS0"), " FF\n"));
}

// Brasme ch340_relay.py:62-63,70-71: one command at a time, 100 ms after every switch. The
// bench's safe-state loop switches channels back to back.
TEST(LcusBoardEndToEnd, SwitchesEveryRelayOfABackToBackSequence) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "lcus --model lcus-8"}});
  auto board = open_board(board_spec("lcus", "{port: /dev/ttyS0, model: lcus-8, timeout: 1s}"));
  for (int ch : {1, 2, 3, 4}) board->set(ch, true);
  board->set(2, false);
  const YAML::Node state = emulator_state("ttyS0");
  EXPECT_EQ(state["energized"].as<std::vector<int>>(), (std::vector<int>{1, 3, 4}));
  EXPECT_EQ(state["dropped"].as<int>(), 0);
}

TEST(LcusBoardEndToEnd, WriteOnlyWhenTheFixtureSaysSo) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "lcus --model lcus-2"}});
  auto board = open_board(
      board_spec("lcus", "{port: /dev/ttyS0, model: lcus-2, timeout: 1s, readback: false}"));
  board->set(1, true);
  board->set(2, true);
  EXPECT_EQ(board->get(1), std::nullopt);
  const YAML::Node state =
      wait_for_emulator("ttyS0", [](const YAML::Node& s) { return s["commands"].as<int>() >= 2; });
  EXPECT_EQ(state["energized"].as<std::vector<int>>(), (std::vector<int>{1, 2}));
  EXPECT_EQ(state["status_requests"].as<int>(), 0);
}

// A board still busy with a switch loses what comes next (ch340_relay.py:62-63): with read-back,
// that is a rig fault at once instead of a relay silently left as it was.
TEST(LcusBoardEndToEnd, ABoardThatLosesCommandsIsARigFaultNotASilentLoss) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "lcus --model lcus-4 --busy-ms 400"}});
  auto board = open_board(board_spec("lcus", kLcus4));
  const Fault fault = rig_fault_from([&] {
    board->set(1, true);
    board->set(2, true);
  });
  EXPECT_EQ(fault.component, "relays");
  EXPECT_TRUE(mentions(fault.message, "LCUS-4 relay board on \"/dev/ttyS0\"")) << fault.message;
  EXPECT_GT(emulator_state("ttyS0")["dropped"].as<int>(), 0);
}

TEST(LcusBoardEndToEnd, ARelayThatDoesNotSwitchIsARigFault) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "lcus --model lcus-2 --stuck 2"}});
  auto board = open_board(board_spec("lcus", "{port: /dev/ttyS0, model: lcus-2, timeout: 1s}"));
  board->set(1, true);
  const Fault fault = rig_fault_from([&] { board->set(2, true); });
  EXPECT_TRUE(mentions(fault.message, "relay 2 reads back released after being energized"))
      << fault.message;
}

}  // namespace
}  // namespace lockrig::drivers
