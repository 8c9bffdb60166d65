// Where the runner notes the plan item each lock group is working on, so that a resume after a
// crash knows which items were in flight, and what the interrupted part of the run left there.
// The app keeps it in the run lock file (rig/app/run_lock.hpp); the engine only sees this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace lockrig {

// A plan item a lock group was working on: indices into the run's plan (scenario list, fixture
// lock list), which a resume rebuilds identically (the fixture and scenario files are verified).
struct ItemSlot {
  enum State : std::uint32_t { idle = 0, running = 1, finished = 2 };
  std::uint32_t state = idle;
  std::uint32_t scenario = 0;
  std::int32_t repetition = 0;
  std::uint32_t lock = 0;
};

// How the previous part of the run died, if it crashed: the fatal signal and the lock group
// whose worker thread raised it (-1: another thread).
struct ItemCrash {
  int signal = 0;
  int group = -1;
};

class ItemTracker {
 public:
  virtual ~ItemTracker() = default;
  // The calling worker thread works on lock group `group` from now on (-1: none), so a crash
  // is blamed on the right group.
  virtual void enter_group(int group) = 0;
  // Records what group `group` is doing; called as each item starts and when the group is done.
  // Cheap, and thread-safe for distinct groups.
  virtual void set_slot(std::size_t group, const ItemSlot& slot) = 0;
  // The slots and crash as the interrupted part of the run left them (for a resume).
  virtual const std::vector<ItemSlot>& previous_slots() const = 0;
  virtual std::optional<ItemCrash> previous_crash() const = 0;
};

}  // namespace lockrig
