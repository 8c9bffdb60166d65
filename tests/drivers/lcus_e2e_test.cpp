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
      wait_for_emulator("ttyS0", [](const YAML::Node& s) { return s["commands"].as<int>() == 3; });
  EXPECT_EQ(state["energized"].as<std::vector<int>>(), std::vector<int>{3});
  EXPECT_EQ(state["garbled"].as<int>(), 0);
  const std::string log = emulator_log("ttyS0");
  EXPECT_TRUE(mentions(log, "A0 01 01 A2")) << log;
  EXPECT_TRUE(mentions(log, "A0 03 01 A4")) << log;
  EXPECT_TRUE(mentions(log, "A0 01 00 A1")) << log;
}

TEST(LcusBoardEndToEnd, CannotReadBack) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "lcus --model lcus-4"}});
  auto board = open_board(board_spec("lcus", kLcus4));
  board->set(2, true);
  EXPECT_EQ(board->get(2), std::nullopt);
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
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "lcus --model lcus-4 --vanish-after 1"}});
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

}  // namespace
}  // namespace lockrig::drivers
