#include "rig/base/clock.hpp"

#include <time.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace lockrig {

TimePoint saturating_add(TimePoint t, Duration d) {
  std::int64_t out = 0;
  if (__builtin_add_overflow(t.count(), d.count(), &out))
    return d.count() > 0 ? TimePoint::max() : TimePoint::min();
  return TimePoint(out);
}

namespace {

Duration read_clock(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// Notices when the controller did not run (issue 17 item 1). Deadlines are steady_clock
// (CLOCK_MONOTONIC) times, and a stopped process sees no time pass until it runs again: a
// SIGSTOP, a paused VM or a frozen cgroup lets a session's deadline expire with the lock never
// asked. A thread that wakes every kStallBeat sees such a stop as a gap between its beats.
// CLOCK_MONOTONIC does not count a system suspend while CLOCK_BOOTTIME does
// (clock_gettime(2)), so a beat also compares the two: a suspend is a gap on BOOTTIME.
class StallWatch {
 public:
  static StallWatch& instance() {
    static StallWatch watch;
    return watch;
  }

  // The longest stall overlapping [from, to] (steady_clock), including one in progress now.
  std::optional<Duration> worst_between(std::chrono::steady_clock::time_point from,
                                        std::chrono::steady_clock::time_point to) {
    const Duration a = from.time_since_epoch(), b = to.time_since_epoch();
    std::optional<Duration> worst;
    // The span overlaps a stall by more than the threshold: a session that began just after the
    // controller woke, before the watch did, shares only the watch's wake-up delay with it.
    auto note = [&](Duration s_from, Duration s_to, Duration gap) {
      const Duration overlap = std::min(s_to, b) - std::max(s_from, a);
      if (gap <= kStallThreshold || overlap <= kStallThreshold) return;
      if (!worst || gap > *worst) worst = gap;
    };
    std::lock_guard lk(mu_);
    for (const auto& s : stalls_) note(s.from, s.to, s.gap);
    // This thread may have run before the watch after the stop: the gap is still open.
    const Duration mono = read_clock(CLOCK_MONOTONIC), boot = read_clock(CLOCK_BOOTTIME);
    note(last_mono_, mono, std::max(mono - last_mono_, boot - last_boot_) - kStallBeat);
    return worst;
  }

  ~StallWatch() {
    {
      std::lock_guard lk(mu_);
      quit_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  struct Stall {
    Duration from, to, gap;  // CLOCK_MONOTONIC; gap also counts a suspend
  };

  StallWatch() : last_mono_(read_clock(CLOCK_MONOTONIC)), last_boot_(read_clock(CLOCK_BOOTTIME)) {
    thread_ = std::thread([this] { beat(); });
  }

  void beat() {
    std::unique_lock lk(mu_);
    while (!quit_) {
      wake_.wait_for(lk, kStallBeat);
      const Duration mono = read_clock(CLOCK_MONOTONIC), boot = read_clock(CLOCK_BOOTTIME);
      const Duration gap = std::max(mono - last_mono_, boot - last_boot_) - kStallBeat;
      if (gap > kStallThreshold) {
        stalls_.push_back(Stall{last_mono_, mono, gap});
        if (stalls_.size() > 4096) stalls_.pop_front();  // bounded: a run asks about recent ones
      }
      last_mono_ = mono;
      last_boot_ = boot;
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  bool quit_ = false;
  Duration last_mono_, last_boot_;
  std::deque<Stall> stalls_;
  std::thread thread_;
};

}  // namespace

RealClock::RealClock(const std::atomic<bool>* stop, TimePoint start)
    : epoch_(std::chrono::steady_clock::now() -
             std::chrono::duration_cast<std::chrono::steady_clock::duration>(start)),
      stop_(stop) {
  StallWatch::instance();  // watching from the first real clock on
}

TimePoint RealClock::now() const {
  return std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - epoch_);
}

std::optional<Duration> RealClock::stall_between(TimePoint from, TimePoint to) const {
  using D = std::chrono::steady_clock::duration;
  return StallWatch::instance().worst_between(epoch_ + std::chrono::duration_cast<D>(from),
                                              epoch_ + std::chrono::duration_cast<D>(to));
}

bool RealClock::sleep_for(Duration d) {
  // Sleep in slices so a SIGINT/SIGTERM during a long wait stops the run promptly.
  const auto until = std::chrono::steady_clock::now() + d;
  for (;;) {
    if (stop_ && stop_->load()) return false;
    auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        left, std::chrono::milliseconds(50)));
  }
}

}  // namespace lockrig
