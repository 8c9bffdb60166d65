// Latency-measurement accuracy through the mock: the bare write→notify floor, and measured latency
// minus a reply delay injected in the mock lock. The mock also reports how long it really took
// from receiving each write to sending the notification, which splits the error into the mock's
// own timer lateness and what the driver and the bus add. Prints the figures; asserts only loose
// bounds so a loaded CI machine does not turn a measurement into a flaky failure.
// LOCKRIG_BLE_BENCH_UNLOCKS=N raises the count per delay (500 for the full benchmark, which then
// also covers a 500 ms delay, LOCKRIG_BLE_BENCH_SLOW_UNLOCKS times).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "tests/ble/bluez_mock.hpp"

namespace lockrig::testing {
namespace {

using namespace std::chrono_literals;

struct Figures {
  double median = 0, p99 = 0, max = 0, min = 0;
};

Figures figures(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    const std::size_t i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
  };
  return {at(0.5), at(0.99), v.back(), v.front()};
}

void measure(bool strict_double);

TEST(BluezLatency, MeasuresWriteToNotifyLatencyWithinAFewMillisecondsOfTheInjectedDelay) {
  measure(false);
}

// The same through the strict double of issue 12 (reply before signal, cached GATT, per-client
// discovery): the figures the closing note quotes as "latency accuracy through the new double".
TEST(BluezLatency, MeasuresTheSameThroughTheStrictDouble) {
  measure(true);
}

void measure(bool strict_double) {
  const char* env = std::getenv("LOCKRIG_BLE_BENCH_UNLOCKS");
  const int full = env ? std::max(1, std::atoi(env)) : 0;
  // The 500 ms level costs half a second per unlock; LOCKRIG_BLE_BENCH_SLOW_UNLOCKS sets its count
  // separately (default a fifth of the others).
  const char* slow_env = std::getenv("LOCKRIG_BLE_BENCH_SLOW_UNLOCKS");
  const int slow = slow_env ? std::max(1, std::atoi(slow_env)) : full / 5 + 1;
  struct Level {
    double delay_ms;
    int unlocks;
  };
  std::vector<Level> levels =
      full ? std::vector<Level>{{0, full}, {20, full}, {100, full}, {500, slow}}
           : std::vector<Level>{{0, 200}, {20, 40}, {100, 15}};

  BluezMock mock;
  mock.add_adapter("hci0");
  Knobs knobs;
  if (strict_double) knobs["strict"] = sdbus::Variant(true);
  mock.add_lock("C4:7C:8D:6A:12:0F", "LR-100 wood-1", knobs);
  auto link = make_bluez_link(std::string("address: \"C4:7C:8D:6A:12:0F\"\nprofile:") +
                              kMockLockProfileYaml);
  ASSERT_EQ(link->connect(3s).outcome, drivers::LockOutcome::success);

  int total = 0;
  for (const Level& level : levels) {
    mock.set_knobs("C4:7C:8D:6A:12:0F", {{"reply_delay_ms", sdbus::Variant(level.delay_ms)}});
    std::vector<double> error_ms, mock_late_ms, overhead_ms;
    for (int i = 0; i < level.unlocks; ++i) {
      auto r = link->unlock(2s);
      ASSERT_EQ(r.outcome, drivers::LockOutcome::success) << r.detail;
      const double mock_delay_ms =
          static_cast<double>(mock.stats("C4:7C:8D:6A:12:0F")["last_reply_delay_us"]) / 1000.0;
      error_ms.push_back(to_ms(r.latency) - level.delay_ms);
      mock_late_ms.push_back(mock_delay_ms - level.delay_ms);
      overhead_ms.push_back(to_ms(r.latency) - mock_delay_ms);
    }
    total += level.unlocks;
    const Figures f = figures(error_ms);
    const Figures late = figures(mock_late_ms);
    const Figures over = figures(overhead_ms);
    std::printf(
        "[ latency%s ] injected %3.0f ms, %3d unlocks | measured - injected: median %.3f, p99 %.3f, "
        "max %.3f ms | of which mock timer late: median %.3f, p99 %.3f | driver+bus: median "
        "%.3f, p99 %.3f ms\n",
        strict_double ? " strict" : "", level.delay_ms, level.unlocks, f.median, f.p99, f.max, late.median, late.p99, over.median,
        over.p99);
    EXPECT_GE(f.min, -0.5)
        << "a notification cannot beat the delay the mock waits before sending it";
    // Loose on purpose, and on the driver's own share: on a loaded 2-core machine the mock's
    // GLib timer alone runs 5-10 ms late at the median (measured: load average 24), which is
    // the mock's lateness, not a measurement error of the driver.
    EXPECT_LT(over.median, 10.0);
    EXPECT_LT(over.p99, 200.0);
  }
  std::printf("[ latency%s ] %d unlocks in total through python-dbusmock\n",
              strict_double ? " strict" : "", total);
}

}  // namespace
}  // namespace lockrig::testing
