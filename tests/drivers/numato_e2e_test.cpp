// The Numato driver end to end against tests/emulators/numato_emulator.py.
#include <gtest/gtest.h>

#include "drivers/numato/numato_board.hpp"
#include "tests/support/serial_harness_gtest.hpp"
#include "tests/support/serial_specs.hpp"

namespace lockrig::drivers {
namespace {

using namespace lockrig::testing;
using namespace std::chrono_literals;

const char* kNumato8 = "{port: /dev/ttyS0, model: numato-8, timeout: 1s}";

TEST(NumatoBoardEndToEnd, SwitchesAndReadsBackEveryRelay) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "numato --model numato-8"}});
  auto board = open_board(board_spec("numato", kNumato8));
  EXPECT_EQ(dynamic_cast<numato::NumatoBoard&>(*board).firmware_version(), "00000008");
  for (int ch = 1; ch <= 8; ++ch) board->set(ch, ch % 2 == 1);
  for (int ch = 1; ch <= 8; ++ch) EXPECT_EQ(board->get(ch), ch % 2 == 1) << ch;
  const YAML::Node state = emulator_state("ttyS0");
  EXPECT_EQ(state["energized"].as<std::vector<int>>(), (std::vector<int>{1, 3, 5, 7}));
  EXPECT_EQ(state["unknown"].as<int>(), 0);
  const std::string log = emulator_log("ttyS0");
  EXPECT_TRUE(mentions(log, "'relay on 0'")) << log;
  EXPECT_TRUE(mentions(log, "'relay read 7'")) << log;
}

TEST(NumatoBoardEndToEnd, NamesRelaysBeyondTenWithLetters) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "numato --model numato-16"}});
  auto board = open_board(board_spec("numato", "{port: /dev/ttyS0, model: numato-16}"));
  board->set(12, true);
  EXPECT_EQ(emulator_state("ttyS0")["energized"].as<std::vector<int>>(), std::vector<int>{12});
  EXPECT_TRUE(mentions(emulator_log("ttyS0"), "'relay on B'"));
}

TEST(NumatoBoardEndToEnd, ReadBackMismatchIsARigFault) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "numato --model numato-8 --stuck 2"}});
  auto board = open_board(board_spec("numato", kNumato8));
  board->set(1, true);
  const Fault fault = rig_fault_from([&] { board->set(2, true); });
  EXPECT_EQ(fault.component, "relays");
  EXPECT_TRUE(mentions(fault.message,
                       "relays: Numato 8-channel USB relay board on \"/dev/ttyS0\": relay 2 reads "
                       "back released after being energized"))
      << fault.message;
}

TEST(NumatoBoardEndToEnd, SilentBoardIsARigFaultWithinTheTimeout) {
  // Opening takes two commands (an empty line, then `ver`).
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "numato --model numato-8 --stop-after 2"}});
  auto board = open_board(board_spec("numato", kNumato8));
  const Fault fault = rig_fault_from([&] { board->set(1, true); });
  EXPECT_TRUE(mentions(fault.message, "no answer within 1s")) << fault.message;
  EXPECT_GE(fault.elapsed, 1s);
  EXPECT_LT(fault.elapsed, 1s + 1s);
}

TEST(NumatoBoardEndToEnd, SilentBoardFailsAtOpen) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "numato --model numato-8 --stop-after 0"}});
  const Fault fault = rig_fault_from([] { open_board(board_spec("numato", kNumato8)); });
  EXPECT_TRUE(mentions(fault.message, "no answer within 1s (waiting for the prompt"))
      << fault.message;
}

TEST(NumatoBoardEndToEnd, GarbageIsARigFault) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "numato --model numato-8 --garbage-after 2"}});
  auto board = open_board(board_spec("numato", kNumato8));
  const Fault fault = rig_fault_from([&] { board->set(1, true); });
  EXPECT_TRUE(mentions(fault.message, "7F FE 13 37")) << fault.message;
  EXPECT_LT(fault.elapsed, 1s + 1s);
}

TEST(NumatoBoardEndToEnd, SlowAnswersWithinTheTimeoutAreAccepted) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "numato --model numato-8 --delay-ms 100"}});
  auto board = open_board(board_spec("numato", kNumato8));
  board->set(4, true);
  EXPECT_EQ(board->get(4), true);
}

TEST(NumatoBoardEndToEnd, VanishingMidSwitchIsARigFault) {
  // Two commands to open, then the switch; it hangs up while the driver waits for the
  // read-back, and the fault must come from the hang-up, long before the 3 s timeout.
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "numato --model numato-8 --vanish-after 3"}});
  auto board = open_board(board_spec("numato", "{port: /dev/ttyS0, model: numato-8, timeout: 3s}"));
  const Fault fault = rig_fault_from([&] { board->set(1, true); });
  EXPECT_TRUE(mentions(fault.message, "\"/dev/ttyS0\": the port hung up")) << fault.message;
  EXPECT_LT(fault.elapsed, 1500ms);
}

}  // namespace
}  // namespace lockrig::drivers
