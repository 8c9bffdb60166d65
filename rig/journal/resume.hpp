// Crash-safe resume: what a run recorded about itself, and how far it got, read back from the
// journal so `lockrig run --resume` can rebuild the same plan and continue it. No schema change:
// the plan's inputs are in `runs`/`run_scenarios` plus `plan` events written at run start, and
// every resume leaves `resumed`/`interrupted`/`quarantine` events. See docs/operations.md.
// These are the journal's readers and writers for resume and `lockrig runs --abandon`; what to
// skip or quarantine is the engine's policy (rig/engine/runner.cpp), who holds a run's lock the
// caller's (rig/app/run_lock.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "rig/journal/journal.hpp"

namespace lockrig {

// Something another lockrig holds right now (the run being resumed): try again later. lockrig
// exits 75 (exit_code::busy) for it; a UsageError for callers that do not tell the two apart.
class BusyError : public UsageError {
 public:
  using UsageError::UsageError;
};

// A plan item as the journal names it: (lock id, scenario name, repetition).
using ItemKey = std::tuple<std::string, std::string, int>;
// A session: the item plus the index of its unlock step.
using SessionKey = std::tuple<std::string, std::string, int, int>;

// The text an item is journaled under in events.target: "daily-unlock#3".
std::string item_label(const std::string& scenario, int repetition);

// The `plan` events a new run journals first: what --resume needs to rebuild its plan.
std::vector<EventRow> plan_events(const std::vector<std::string>& scenario_files,
                                  const std::vector<std::string>& lock_ids);

// Who holds the run lock of the run with this uuid ("pid 123 on host ..."), nullopt when nobody
// does: a run still `running` whose lock nobody holds was interrupted (its process is gone).
using RunLockHolder = std::function<std::optional<std::string>(const std::string& run_uuid)>;

// The run `selector` names (id, uuid or a unique uuid prefix of 8+ characters); empty: the most
// recent interrupted run. Throws UsageError naming the choice when there is none or the run is
// not resumable (completed, rig_fault, still running); the caller checks has_plan. `lock_is_ours`:
// the caller already holds the run's lock (the check after taking it). Fills the run's identity,
// what it was made of (scenarios, seed, hashes) and its plan events.
RunRecord find_run_to_resume(Journal& journal, const std::string& selector,
                             const RunLockHolder& holder, bool lock_is_ours = false);

// Everything the journal says about how far a run got.
struct JournaledProgress {
  // Finished sessions, mapped to whether the lock's link was still up when each ended.
  std::map<SessionKey, bool> sessions;
  std::set<ItemKey> rig_fault_items;  // items with a rig_fault session or item_abandoned event
  std::map<ItemKey, int> crashes;     // `interrupted` events with value `crash` per item
  std::set<ItemKey> quarantined;      // items quarantined for crashing the controller
  std::map<std::string, std::string> quarantine_reason;  // lock → rig-fault quarantine detail
  std::map<std::string, std::string> firmware;           // lock → firmware recorded in run_locks
  std::set<std::string> locks_recorded;                  // run_locks rows
  bool has_app_label = false;
  TimePoint last_t{0};  // latest time stamp of the run so far
  RunCounters counters;
  long long wait_failures = 0;
  std::string first_rig_fault;  // detail of the first rig_fault event, if any
  int attempts = 1;             // parts the run has had so far (1 + resumes)

  // Times the item crashed the controller in earlier parts (0 if never).
  int crashes_of(const ItemKey& item) const {
    const auto it = crashes.find(item);
    return it == crashes.end() ? 0 : it->second;
  }
};
JournaledProgress read_progress(Journal& journal, std::int64_t run);

// Journals run_locks rows for locks the run has no row for yet (the first part may have died
// before reading every identity).
void record_missing_locks(Journal& journal, std::int64_t run, const std::vector<LockRow>& rows);
// Marks an `aborted` run as `running` again while it is resumed.
void reopen_run(Journal& journal, std::int64_t run);
// Gives up on an interrupted run (`lockrig runs --abandon`): an `abandoned` event, then status
// `aborted` with exit code 137 (what a process killed by SIGKILL returns) and `ended_at`, in one
// transaction.
inline constexpr int kAbandonedExitCode = 137;
void abandon_run(Journal& journal, std::int64_t run, const std::string& why,
                 const std::string& ended_at);

}  // namespace lockrig
