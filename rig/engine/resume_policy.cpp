#include "rig/engine/resume_policy.hpp"


namespace lockrig {

ResumePolicy::ResumePolicy(const Fixture& fixture, const std::vector<Scenario>& scenarios,
                           const Plan& plan, JournaledProgress progress)
    : fixture_(fixture),
      scenarios_(scenarios),
      plan_(plan),
      progress_(std::move(progress)),
      quarantined_(progress_.quarantined) {}

bool ResumePolicy::item_complete(const ItemKey& key, const Scenario& sc) const {
  if (progress_.rig_fault_items.count(key)) return true;  // it stopped at the rig fault
  const auto& [lock, name, rep] = key;
  const std::size_t n = sc.steps.size();
  for (std::size_t si = 0; si < n; ++si) {
    if (sc.steps[si].kind == Step::Kind::unlock &&
        !progress_.sessions.count(SessionKey{lock, name, rep, static_cast<int>(si)}))
      return false;
    // A grid sweep (issue 14) is complete when all its levels x sessions were journaled (its
    // k-th session is step si + k x n, runner.cpp). A staircase's length depends on its outcomes,
    // which the progress does not hold: it is not checked (docs/range.md).
    const auto& sw = sc.steps[si].sweep;
    if (sw && sw->design == SweepDesign::grid)
      for (long long k = 0; k < sw->max_sessions(); ++k)
        if (!progress_.sessions.count(
                SessionKey{lock, name, rep, static_cast<int>(si + static_cast<std::size_t>(k) * n)}))
          return false;
  }
  return true;
}

long long ResumePolicy::continue_at(const LockGroup& group) const {
  long long pos = -1, last_touched = -1;
  bool last_complete = true;
  plan_.for_each_item(group, [&](const PlanItem& item) {
    ++pos;
    const Scenario& sc = scenarios_[item.scenario];
    const ItemKey key{fixture_.locks[item.lock].id, sc.name, item.repetition};
    bool touched = progress_.rig_fault_items.count(key) > 0;
    for (std::size_t si = 0; si < sc.steps.size() && !touched; ++si)
      touched = progress_.sessions.count(SessionKey{std::get<0>(key), sc.name, item.repetition,
                                                    static_cast<int>(si)}) > 0;
    if (touched) {
      last_touched = pos;
      last_complete = item_complete(key, sc);
    }
    return true;
  });
  return last_touched < 0 ? 0 : (last_complete ? last_touched + 1 : last_touched);
}

std::optional<std::string> ResumePolicy::earlier_quarantine(const LockGroup& group) const {
  for (std::size_t li : group.locks) {
    auto it = progress_.quarantine_reason.find(fixture_.locks[li].id);
    if (it != progress_.quarantine_reason.end()) return it->second;
  }
  return std::nullopt;
}

bool ResumePolicy::link_left_up(const ItemKey& item, const Scenario& sc) const {
  if (quarantined(item)) return false;
  const auto& [lock_id, name, repetition] = item;
  bool up = false;
  for (std::size_t si = 0; si < sc.steps.size(); ++si) {
    const Step& step = sc.steps[si];
    if (step.kind == Step::Kind::disconnect) up = false;
    if (step.kind != Step::Kind::unlock) continue;
    auto it = progress_.sessions.find(SessionKey{lock_id, name, repetition, static_cast<int>(si)});
    up = it != progress_.sessions.end() && it->second &&
         step.unlock.connection == ConnectionPolicy::keep;
  }
  return up;
}

void ResumePolicy::judge_interrupted(const ItemTracker& items, std::size_t groups,
                                     int quarantine_after, std::vector<EventRow>& events,
                                     std::vector<std::string>& notes) {
  const TimePoint t = progress_.last_t;
  // A crash note names the group whose thread crashed.
  const auto& slots = items.previous_slots();
  const auto crash = items.previous_crash();
  for (std::size_t gi = 0; gi < slots.size() && gi < groups; ++gi) {
    const ItemSlot& slot = slots[gi];
    if (slot.state != ItemSlot::running || slot.scenario >= scenarios_.size() ||
        slot.lock >= fixture_.locks.size())
      continue;
    const Scenario& sc = scenarios_[slot.scenario];
    const std::string& lock_id = fixture_.locks[slot.lock].id;
    const ItemKey key{lock_id, sc.name, slot.repetition};
    if (item_complete(key, sc) || quarantined(key)) continue;
    const bool crashed_here = crash && crash->group == static_cast<int>(gi);
    const std::string label = item_label(sc.name, slot.repetition);
    std::string detail;
    if (crashed_here) {
      detail = "the controller crashed (signal " + std::to_string(crash->signal) +
               ") while running this item; its unfinished session was discarded";
    } else if (crash) {
      detail = "in flight when the controller crashed elsewhere (signal " +
               std::to_string(crash->signal) + "); its unfinished session was discarded";
    } else {
      detail =
          "in flight when the controller was killed or lost power; its unfinished "
          "session was discarded";
    }
    events.push_back(EventRow{lock_id, t, EventKind::interrupted, label, crashed_here ? "crash" : "stopped",
                              detail + "; the item runs again from its first step"});
    notes.push_back(lock_id + " " + label + ": " + detail);
    if (!crashed_here) continue;
    // Only crashes count toward the quarantine: a kill -9 or power cut says nothing about
    // the item.
    const int crashes = 1 + progress_.crashes_of(key);  // with the earlier crash notes
    if (crashes >= quarantine_after) {
      quarantined_.insert(key);
      const std::string why = "crashed the controller " + std::to_string(crashes) +
                              " times; skipped for the rest of the run";
      events.push_back(EventRow{lock_id, t, EventKind::quarantine, label, "controller_crash", why});
      notes.push_back(lock_id + " " + label + " quarantined: " + why);
    }
  }
}

}  // namespace lockrig
