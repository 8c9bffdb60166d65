// Expands fixture × scenarios × repeats into work for parallel workers. Locks that share a
// switched resource (a relay channel or a supply) land in the same group and run one after
// another; separate groups run in parallel.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "rig/engine/fixture.hpp"
#include "rig/engine/scenario.hpp"

namespace lockrig {

struct PlanItem {
  std::size_t scenario = 0;  // index into the scenario list
  int repetition = 0;        // 1-based
  std::size_t lock = 0;      // index into fixture.locks
};

struct LockGroup {
  std::vector<std::size_t> locks;
  long long sessions = 0;
};

struct PlanOptions {
  std::vector<std::string> lock_filter;  // empty = every lock
  std::optional<int> repeat_override;
};

struct Plan {
  std::vector<std::size_t> locks;  // selected locks, fixture order
  std::vector<LockGroup> groups;
  std::vector<int> repeats;  // per scenario, after any override
  std::vector<std::vector<bool>> eligible;  // [scenario][lock]: the lock has what it needs

  // The group's work in order: scenario by scenario, repetition by repetition, lock by lock.
  // Generated on the fly, so a campaign of millions of sessions costs no memory to plan.
  template <class Fn>
  void for_each_item(const LockGroup& g, Fn&& fn) const {
    for (std::size_t si = 0; si < repeats.size(); ++si)
      for (int rep = 1; rep <= repeats[si]; ++rep)
        for (std::size_t li : g.locks)
          if (eligible[si][li] && !fn(PlanItem{si, rep, li})) return;
  }
  long long total_sessions = 0;
  std::vector<std::string> notes;  // scenario/lock pairs skipped, and why
};

// Throws ConfigError/UsageError for unknown lock names or a scenario no selected lock can run.
Plan make_plan(const Fixture& fixture, const std::vector<Scenario>& scenarios,
               const PlanOptions& options);

}  // namespace lockrig
