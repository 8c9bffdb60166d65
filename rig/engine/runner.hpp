// The runner: turns a plan into sessions on real or simulated hardware and journals them.
// Lifecycle of a run: open the bench → journal the run → safe state → read each lock's identity
// → run the groups in parallel (one writer thread commits each finished session) → safe state →
// close the run with its status. See ARCHITECTURE.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "drivers/registry.hpp"
#include "rig/engine/fixture.hpp"
#include "rig/engine/item_tracker.hpp"
#include "rig/engine/plan.hpp"
#include "rig/engine/scenario.hpp"
#include "rig/journal/journal.hpp"

namespace lockrig {

enum class ClockMode { automatic, virtual_time, real_time };

// Issue 15: which sessions keep their transcript (session_evidence; docs/evidence.md).
// `failures`: failed, rig-faulted and expected-failure sessions.
enum class EvidencePolicy { none, failures, all };
// "none", "failures", "all"; parse_evidence_policy throws UsageError naming any other word.
std::string_view evidence_policy_name(EvidencePolicy p);
EvidencePolicy parse_evidence_policy(const std::string& word);
// Whether a session with this result and expectation keeps its transcript under `p`.
bool keeps_evidence(EvidencePolicy p, const SessionRecord& s);


struct RunOptions {
  PlanOptions plan;
  std::uint64_t seed = 1;
  ClockMode clock = ClockMode::automatic;  // virtual when every driver is simulated
  int jobs = 0;                            // parallel groups; 0 = automatic
  std::map<std::string, std::string> labels;
  std::string command_line;
  // The signal that raised `stop`, if any, so the journal records the exit code the process
  // returns (128 + signal).
  const std::atomic<int>* stop_signal = nullptr;
  std::string uuid;                         // of the new run; empty = generated
  std::vector<std::string> scenario_files;  // as given; journaled so --resume can rebuild the plan
  // Where the runner notes each group's item in flight (the app's run lock, rig/app/run_lock.hpp).
  // May be null (no crash bookkeeping).
  ItemTracker* items = nullptr;
  // Continue this interrupted run instead of starting a new one. The caller has rebuilt
  // `fixture`/`scenarios` from what it recorded (same files, repeats as journaled) and holds its
  // run lock; `seed`, `plan.lock_filter` and the clock must be the run's.
  const RunRecord* resume = nullptr;
  int quarantine_after_crashes =
      2;  // a plan item that crashed the controller this often is skipped
  // The stop-when-decided series (rig/engine/decision_series.*); both optional.
  // Called for each lock on its worker thread before the lock's driver is created and its identity
  // read, so the journal's firmware is what the lock reports after the hook; returns events to
  // journal. A RigFault it throws is handled like any other per `on_rig_fault`.
  std::function<std::vector<EventRow>(const drivers::LockSpec&)> before_identity;
  // Called on the writer thread after each session is committed; returning true ends the run
  // early as `completed` (the sessions in flight are discarded, as on a stop).
  std::function<bool(const SessionRecord&)> after_session;
  // Builds selected for locks whose driver switches builds itself (the simulated flash), handed
  // to the lock drivers' create; null: every lock as configured.
  const drivers::SelectedBuilds* builds = nullptr;
  EvidencePolicy keep_evidence = EvidencePolicy::failures;  // issue 15
};

// RunCounters: rig/journal/records.hpp (the journal reads them back on resume).

// Called on the writer thread (the caller's thread).
struct RunObserver {
  virtual ~RunObserver() = default;
  virtual void started(const Plan&, const std::string& /*run_uuid*/, bool /*virtual_clock*/) {}
  virtual void progress(const RunCounters&, long long /*planned*/) {}
  virtual void message(const std::string&) {}
};

struct RunOutcome {
  std::int64_t run_id = 0;
  std::string uuid;
  std::string status;  // completed | aborted | rig_fault
  int exit_code = 0;
  RunCounters counters;
  double campaign_seconds = 0;  // the run's length on its clock (runs.campaign_seconds)
  std::string abort_reason;
  std::vector<std::string> warnings;  // e.g. a lock whose identity could not be read
  bool safe_state_restored = false;
  int part = 1;                           // 1 for a new run; 2 for its first resume, ...
  long long sessions_before = 0;          // journaled by earlier parts (resume)
  std::vector<std::string> resume_notes;  // items discarded/quarantined on resume
};

// Throws ConfigError/UsageError (before anything is journaled) and RigFault when the bench
// cannot be opened. `stop` is raised by the caller's signal handling; the session in flight is
// then discarded and the run closed as aborted with everything finished kept.
RunOutcome run_plan(const Fixture& fixture, const std::vector<Scenario>& scenarios,
                    const drivers::DriverRegistry& registry, Journal& journal,
                    const RunOptions& options, RunObserver& observer,
                    const std::atomic<bool>& stop);

std::string make_uuid_v4();
std::string utc_now_iso8601();

}  // namespace lockrig
