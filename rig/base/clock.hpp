// Time as the runner and the drivers see it. A campaign on the simulated rig runs on a
// VirtualClock (a night in seconds); anything touching real hardware runs on the RealClock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

namespace lockrig {

using Duration = std::chrono::nanoseconds;
// Monotonic time since the clock's epoch (the start of the run for the runner's clocks).
using TimePoint = std::chrono::nanoseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  // Sleeps for d (advances virtual time). Returns false if the wait was cut short by a stop request.
  virtual bool sleep_for(Duration d) = 0;
  virtual bool is_virtual() const = 0;
  // The longest time within [from, to] (this clock's time points) that the controller did not
  // run (SIGSTOP, a paused VM, a frozen cgroup, CPU starvation, suspend), if one longer than
  // kStallThreshold overlaps it; a stall still in progress when asked counts. Virtual time only
  // moves when the controller runs, so it never stalls.
  virtual std::optional<Duration> stall_between(TimePoint /*from*/, TimePoint /*to*/) const {
    return std::nullopt;
  }
};

// A gap longer than this between two heartbeats of the stall watch (which wakes every
// kStallBeat) means the controller did not run. Far above any scheduling delay of a thread that
// sleeps 10 ms, far below the budget of an unlock session (docs/operations.md).
inline constexpr Duration kStallBeat = std::chrono::milliseconds(10);
inline constexpr Duration kStallThreshold = std::chrono::milliseconds(200);

// The largest time point a clock holds: VirtualClock saturates here instead of overflowing
// (about 292 years of nanoseconds).
inline constexpr TimePoint kClockMax = TimePoint::max();

// Adds without overflowing: saturates at kClockMax (and at TimePoint::min() for negative d).
TimePoint saturating_add(TimePoint t, Duration d);

// Advances only when told to: the simulated world charges every operation's latency to it.
class VirtualClock final : public Clock {
 public:
  // `start`: a resumed run continues its time line where the interrupted part stopped.
  explicit VirtualClock(TimePoint start = TimePoint{0}) : now_(start) {}
  TimePoint now() const override { return now_; }
  // Saturates at kClockMax: a wait past the end of time leaves the clock there, never wraps it
  // into negative timestamps (scenarios are refused long before that: yaml::kMaxDuration).
  bool sleep_for(Duration d) override {
    if (d.count() > 0) now_ = saturating_add(now_, d);
    return true;
  }
  bool is_virtual() const override { return true; }

 private:
  TimePoint now_{0};
};

// steady_clock relative to construction; sleeps wake early when *stop becomes true.
class RealClock final : public Clock {
 public:
  // now() starts at `start` (a resumed run continues its time line).
  explicit RealClock(const std::atomic<bool>* stop = nullptr, TimePoint start = TimePoint{0});
  TimePoint now() const override;
  bool sleep_for(Duration d) override;
  bool is_virtual() const override { return false; }
  std::optional<Duration> stall_between(TimePoint from, TimePoint to) const override;

 private:
  std::chrono::steady_clock::time_point epoch_;
  const std::atomic<bool>* stop_;
};

inline double to_ms(Duration d) { return static_cast<double>(d.count()) / 1e6; }
inline Duration from_ms(double ms) { return Duration(static_cast<std::int64_t>(ms * 1e6)); }

}  // namespace lockrig
