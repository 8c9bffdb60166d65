#include "rig/base/clock.hpp"

#include <algorithm>
#include <thread>

namespace lockrig {

RealClock::RealClock(const std::atomic<bool>* stop, TimePoint start)
    : epoch_(std::chrono::steady_clock::now() -
             std::chrono::duration_cast<std::chrono::steady_clock::duration>(start)),
      stop_(stop) {}

TimePoint RealClock::now() const {
  return std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - epoch_);
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
