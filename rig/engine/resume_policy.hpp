// Crash-safe resume, the policy: from what the earlier parts of a run journaled
// (JournaledProgress, rig/journal/resume.hpp) and what the run lock says was in flight when the
// last part died, decides what a resumed run skips, runs again, keeps, discards and
// quarantines. The runner (rig/engine/runner.cpp) carries it out. See docs/operations.md.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rig/engine/fixture.hpp"
#include "rig/engine/item_tracker.hpp"
#include "rig/engine/plan.hpp"
#include "rig/engine/scenario.hpp"
#include "rig/journal/journal.hpp"
#include "rig/journal/resume.hpp"

namespace lockrig {

class ResumePolicy {
 public:
  ResumePolicy(const Fixture& fixture, const std::vector<Scenario>& scenarios, const Plan& plan,
               JournaledProgress progress);

  const JournaledProgress& progress() const { return progress_; }

  // Where the group continues: the position, in its items (Plan::for_each_item order), of the
  // first item this part runs. Items run one after another within a group, so everything
  // before the last item with a journaled session is finished (or was cut short by a rig fault
  // and left behind, as it would have been without the crash); that item runs again unless it
  // completed.
  long long continue_at(const LockGroup& group) const;
  // The rig fault that quarantined one of the group's locks in an earlier part, if any: the
  // group stays out of the run.
  std::optional<std::string> earlier_quarantine(const LockGroup& group) const;

  // An item this part does not run: finished by an earlier part (before the group's
  // continue_at) or quarantined for crashing the controller.
  bool skip(long long pos, long long continue_at, const ItemKey& item) const {
    return pos < continue_at || quarantined(item);
  }
  bool quarantined(const ItemKey& item) const { return quarantined_.count(item) > 0; }
  // An item cut short by the crash runs again from its first step (its bench set-up matters),
  // but a session an earlier part journaled is kept as it was, never written twice.
  bool journaled(const SessionKey& session) const { return progress_.sessions.count(session) > 0; }
  // Every unlock session of the item was journaled, or it stopped at a rig fault.
  bool item_complete(const ItemKey& item, const Scenario& sc) const;
  // Whether the lock's link was still up when an earlier part finished the item (a
  // `connection: keep` session last), so the next item of the scenario must start connected.
  bool link_left_up(const ItemKey& item, const Scenario& sc) const;

  // Judges the items in flight when the previous part died (from its run lock): each is
  // journaled as `interrupted` (its unfinished session discarded; it runs again), and one that
  // crashed the controller `quarantine_after` times is quarantined for the rest of the run.
  // Only crashes count: a kill -9 or power cut says nothing about the item. Appends the events
  // (time-stamped with the last journaled moment) and a note for each to `notes`.
  void judge_interrupted(const ItemTracker& items, std::size_t groups, int quarantine_after,
                         std::vector<EventRow>& events,
                         std::vector<std::string>& notes);

 private:
  const Fixture& fixture_;
  const std::vector<Scenario>& scenarios_;
  const Plan& plan_;
  JournaledProgress progress_;
  std::set<ItemKey> quarantined_;  // items skipped for crashing the controller
};

}  // namespace lockrig
