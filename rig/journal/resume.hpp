// Crash-safe resume: what a run recorded about itself, and how far it got, read back from the
// journal so `lockrig run --resume` can rebuild the same plan and continue it. No schema change:
// the plan's inputs are in `runs`/`run_scenarios` plus `plan` events written at run start, and
// every resume leaves `resumed`/`interrupted`/`quarantine` events. See docs/operations.md.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "rig/journal/journal.hpp"
#include "rig/engine/runner.hpp"

namespace lockrig {

// A plan item as the journal names it: (lock id, scenario name, repetition).
using ItemKey = std::tuple<std::string, std::string, int>;
// A session: the item plus the index of its unlock step.
using SessionKey = std::tuple<std::string, std::string, int, int>;

// The text an item is journaled under in events.target: "daily-unlock#3".
std::string item_label(const std::string& scenario, int repetition);

struct StoredRun {
  std::int64_t id = 0;
  std::string uuid, status, host, clock, started_at;
  std::uint64_t seed = 0;
  std::string fixture_source, fixture_sha256, scenarios_sha256, controller_version;
  struct ScenarioRow {
    std::string name, source, sha256;
    int repeat = 0;
  };
  std::vector<ScenarioRow> scenarios;       // run_scenarios
  bool has_plan = false;                    // the `plan` events were journaled
  std::vector<std::string> scenario_files;  // as given, in order (plan events)
  std::vector<std::string> locks;           // the selected lock ids (plan event)
};

// The `plan` events a new run journals first: what --resume needs to rebuild its plan.
std::vector<EventRow> plan_events(const std::vector<std::string>& scenario_files,
                                  const std::vector<std::string>& lock_ids);

// A run still `running` in the journal whose run lock nobody holds: its process is gone.
bool is_interrupted(const std::string& journal_path, const std::string& status,
                    const std::string& uuid);

// The run `selector` names (id, uuid or a unique uuid prefix of 8+ characters); empty: the most
// recent interrupted run. Throws UsageError naming the choice when there is none or the run is
// not resumable (completed, rig_fault, still running); the caller checks has_plan. `lock_is_ours`:
// the caller already holds the run's lock (the check after taking it).
StoredRun find_run_to_resume(Journal& journal, const std::string& selector,
                             bool lock_is_ours = false);

// Everything the journal says about how far a run got.
struct JournaledProgress {
  // Finished sessions, mapped to whether the lock's link was still up when each ended.
  std::map<SessionKey, bool> sessions;
  std::set<ItemKey> rig_fault_items;  // items with a rig_fault session or item_abandoned event
  std::map<ItemKey, int> crashes;     // `interrupted` events per item
  std::set<ItemKey> quarantined;      // items quarantined for crashing the controller
  std::map<std::string, std::string> quarantine_reason;  // lock → rig-fault quarantine detail
  std::map<std::string, std::string> firmware;           // lock → firmware recorded in run_locks
  std::set<std::string> locks_recorded;                  // run_locks rows
  bool has_app_label = false;
  TimePoint last_t{0};  // latest time stamp of the run so far
  RunCounters counters;
  long long wait_failures = 0;
  std::string first_rig_fault;  // detail of the first rig_fault event, if any
  int attempts = 1;  // parts the run has had so far (1 + resumes)
};
JournaledProgress read_progress(sqlite3* db, std::int64_t run);

// Journals run_locks rows for locks the run has no row for yet (the first part may have died
// before reading every identity).
void record_missing_locks(sqlite3* db, std::int64_t run, const std::vector<LockRow>& rows);
// Marks an `aborted` run as `running` again while it is resumed.
void reopen_run(sqlite3* db, std::int64_t run);
// Gives up on an interrupted run (`lockrig runs --abandon`): an `abandoned` event, then status
// `aborted` with exit code 137 (what a process killed by SIGKILL returns), in one transaction.
inline constexpr int kAbandonedExitCode = 137;
void abandon_run(sqlite3* db, std::int64_t run, const std::string& why);

}  // namespace lockrig
