// The Devantech USB-RLY driver end to end against tests/emulators/devantech_emulator.py.
#include <gtest/gtest.h>

#include "drivers/devantech/devantech_board.hpp"
#include "tests/support/serial_harness_gtest.hpp"
#include "tests/support/serial_specs.hpp"

namespace lockrig::drivers {
namespace {

using namespace lockrig::testing;
using namespace std::chrono_literals;

const char* kRly08 = "{port: /dev/ttyS0, model: usb-rly08, timeout: 1s}";

TEST(DevantechBoardEndToEnd, ChecksTheModuleAndReadsBackEverySwitch) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "devantech --model usb-rly08"}});
  auto board = open_board(board_spec("devantech", kRly08));
  EXPECT_EQ(dynamic_cast<devantech::DevantechBoard&>(*board).version().module_id, 8);
  board->set(1, true);
  board->set(8, true);
  board->set(1, false);
  EXPECT_EQ(board->get(8), true);
  EXPECT_EQ(board->get(1), false);
  EXPECT_EQ(emulator_state("ttyS0")["energized"].as<std::vector<int>>(), std::vector<int>{8});
  const std::string log = emulator_log("ttyS0");
  EXPECT_TRUE(mentions(log, " 65\n")) << log;
  EXPECT_TRUE(mentions(log, " 6C\n")) << log;
  EXPECT_TRUE(mentions(log, " 6F\n")) << log;
  EXPECT_TRUE(mentions(log, " 5B\n")) << log;
}

TEST(DevantechBoardEndToEnd, AnotherModuleOnThePortIsARigFault) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "devantech --model usb-rly08"}});
  const Fault fault = rig_fault_from(
      [] { open_board(board_spec("devantech", "{port: /dev/ttyS0, model: usb-rly02}")); });
  EXPECT_TRUE(mentions(fault.message,
                       "reports module id 8 (a Devantech USB-RLY08), not 10; check `model:`"))
      << fault.message;
}

TEST(DevantechBoardEndToEnd, ReadBackMismatchIsARigFault) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "devantech --model usb-rly08 --stuck 3"}});
  auto board = open_board(board_spec("devantech", kRly08));
  const Fault fault = rig_fault_from([&] { board->set(3, true); });
  EXPECT_TRUE(mentions(fault.message, "relay 3 reads back released after being energized"))
      << fault.message;
}

TEST(DevantechBoardEndToEnd, SilentBoardIsARigFaultWithinTheTimeout) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "devantech --model usb-rly08 --stop-after 1"}});
  auto board = open_board(board_spec("devantech", kRly08));
  const Fault fault = rig_fault_from([&] { board->set(1, true); });
  EXPECT_TRUE(mentions(fault.message, "no answer within 1s (waiting for the relay states)"))
      << fault.message;
  EXPECT_GE(fault.elapsed, 1s);
  EXPECT_LT(fault.elapsed, 1s + 1s);
}

TEST(DevantechBoardEndToEnd, GarbageIsARigFault) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "devantech --model usb-rly08 --garbage-after 1"}});
  auto board = open_board(board_spec("devantech", kRly08));
  const Fault fault = rig_fault_from([&] { board->set(1, true); });
  EXPECT_TRUE(mentions(fault.message, "garbled")) << fault.message;
}

TEST(DevantechBoardEndToEnd, VanishedBoardIsARigFault) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "devantech --model usb-rly08 --vanish-after 1"}});
  auto board = open_board(board_spec("devantech", kRly08));
  wait_for_emulator("ttyS0", [](const YAML::Node& s) { return s["vanished"].as<bool>(); });
  const Fault fault = rig_fault_from([&] { board->set(1, true); });
  EXPECT_TRUE(mentions(fault.message, "Input/output error")) << fault.message;
}

// Slow answers: one slower than the fixture's timeout is a rig fault at the timeout; one that
// comes well within it is waited for.
TEST(DevantechBoardEndToEnd, AnswerSlowerThanTheTimeoutIsARigFault) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "devantech --model usb-rly08 --delay-ms 1000"}});
  const Fault fault = rig_fault_from([] {
    open_board(board_spec("devantech", "{port: /dev/ttyS0, model: usb-rly08, timeout: 500ms}"));
  });
  EXPECT_EQ(fault.component, "relays");
  EXPECT_TRUE(mentions(fault.message,
                       "no answer within 500ms (waiting for the module id and firmware version)"))
      << fault.message;
  EXPECT_GE(fault.elapsed, 500ms);
}

TEST(DevantechBoardEndToEnd, AnswerSlowerThanUsualButWithinTheTimeoutWorks) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "devantech --model usb-rly08 --delay-ms 300"}});
  auto board =
      open_board(board_spec("devantech", "{port: /dev/ttyS0, model: usb-rly08, timeout: 2s}"));
  board->set(2, true);
  EXPECT_EQ(emulator_state("ttyS0")["energized"].as<std::vector<int>>(), std::vector<int>{2});
}

// q-depot/Cinder-USBRelay src/USBRelay.h:12,17: the USB-RLY16L reports module id 9. The first
// driver required 15, which no source backs, and refused the board.
TEST(DevantechBoardEndToEnd, OpensAUsbRly16lReportingModuleIdNine) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "devantech --model usb-rly16l"}});
  ::testing::internal::CaptureStderr();
  auto board =
      open_board(board_spec("devantech", "{port: /dev/ttyS0, model: usb-rly16l, timeout: 1s}"));
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  board->set(5, true);
  EXPECT_EQ(board->get(5), true);
}

// Module ids are documented for few firmwares: one that no model reports is a warning naming it,
// and the board is used.
TEST(DevantechBoardEndToEnd, AnUnknownModuleIdIsAWarningThatNamesIt) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "devantech --model usb-rly08 --module-id 42"}});
  ::testing::internal::CaptureStderr();
  auto board = open_board(board_spec("devantech", kRly08));
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(mentions(err,
                       "lockrig: warning: relays: Devantech USB-RLY08 on \"/dev/ttyS0\" "
                       "reports module id 42 (unknown), not 8; carrying on"))
      << err;
  board->set(2, true);
  EXPECT_EQ(emulator_state("ttyS0")["energized"].as<std::vector<int>>(), std::vector<int>{2});
}

// An id of a model with as many relays (9: USB-RLY16 and -16L) is a warning, not a refusal.
TEST(DevantechBoardEndToEnd, TheIdOfAModelWithAsManyRelaysIsAWarning) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "devantech --model usb-rly08 --module-id 9"}});
  ::testing::internal::CaptureStderr();
  auto board = open_board(board_spec("devantech", kRly08));
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(mentions(err, "reports module id 9 (a Devantech USB-RLY16), not 8")) << err;
}

}  // namespace
}  // namespace lockrig::drivers
