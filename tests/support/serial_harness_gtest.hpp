// Lets a GoogleTest test run its body against emulated serial devices: outside the harness the
// test re-runs itself (this binary, filtered to this one test) under
// tests/support/serial_harness.py with the devices it declares; inside, the body runs with
// /dev/<name> speaking the emulator.
//
//   TEST(NumatoBoard, Switches) {
//     LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "numato --model numato-8"}});
//     ... open /dev/ttyS0 ...
//   }
#pragma once

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace lockrig::testing {

struct EmulatedDevice {
  std::string name;      // the test opens /dev/<name>
  std::string emulator;  // emulator and its options: "korad --identity old --stop-after 3"
  std::string usb = {};  // optional USB identity "VID:PID[:SERIAL]" (also makes a by-id link)
};

enum class HarnessRun { inside, finished, skipped };

HarnessRun run_under_serial_harness(const std::vector<EmulatedDevice>& devices);

// Inside the harness: the state file the emulator of /dev/<name> rewrites after every command.
YAML::Node emulator_state(const std::string& name);
// Polls emulator_state(name) until `done` holds or `timeout` passes; returns the last state.
YAML::Node wait_for_emulator(const std::string& name,
                             const std::function<bool(const YAML::Node&)>& done,
                             std::chrono::milliseconds timeout = std::chrono::seconds(2));
// Inside the harness: one line per command the emulator received.
std::string emulator_log(const std::string& name);
// Inside the harness: the /dev/serial/by-id/ link made for a device given a USB identity.
std::string by_id_link(const std::string& name);

}  // namespace lockrig::testing

#define LOCKRIG_UNDER_SERIAL_HARNESS(...)                                              \
  switch (::lockrig::testing::run_under_serial_harness(__VA_ARGS__)) {                 \
    case ::lockrig::testing::HarnessRun::inside:                                       \
      break;                                                                           \
    case ::lockrig::testing::HarnessRun::skipped:                                      \
      GTEST_SKIP() << "needs root: the serial harness uses a private mount namespace"; \
    case ::lockrig::testing::HarnessRun::finished:                                     \
      return;                                                                          \
  }
