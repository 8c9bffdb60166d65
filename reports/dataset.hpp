// What a report reads from the journal: the selected runs, the locks as seen in each run
// (firmware read from the lock), the sessions of those runs as counted groups, the latency
// histograms of their successful SLI sessions and the rig-fault events. The journal's readers
// (rig/journal/run_records.hpp, rig/journal/report_reader.hpp) fetch them; this file selects,
// interns and indexes them.
//
// From a schema-2 journal the groups and histograms are the aggregate tables (agg_sessions,
// agg_latency) the journal keeps as sessions are committed, so loading costs the number of groups,
// not of sessions. A version-1 journal opened read-only has no aggregates: its sessions are read
// one by one into groups of one (the figures are the same, only slower). Every report figure is
// then computed in memory.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rig/journal/journal.hpp"

namespace lockrig::reports {

// key=value: an attribute filter (--baseline, --candidate) or a run-label filter (--where).
struct Filter {
  std::string key;
  std::string value;
  std::string text() const { return key + "=" + value; }
};
// Parses "key=value"; `option` names the option in the error ("--baseline").
Filter parse_filter(const std::string& text, const std::string& option);
std::string filters_text(const std::vector<Filter>& filters);  // "firmware=2.4.0, app=5.3.0"

struct RunSelection {
  std::optional<int> last;             // the N most recent runs left by the other filters
  std::optional<std::string> since;    // ISO 8601 prefix compared with runs.started_at
  std::vector<std::string> runs;       // uuids or unique uuid prefixes
  std::vector<Filter> where;           // run labels, all must match
  std::vector<std::string> scenarios;  // only sessions of these scenarios
};

// "2026-11-20", "2026-11-20T08:00", "2026-11-20T08:00:00Z", or relative "7d" / "36h" (before now).
// Returns the ISO prefix runs.started_at is compared with; throws UsageError otherwise.
std::string parse_since(const std::string& text);

// A selected run is a RunRecord (rig/journal/records.hpp) with its identity and labels; its
// `sessions` counts the sessions the selection kept (after the scenario filter).

// A lock as seen in one run. firmware is empty when the lock's firmware could not be read.
struct LockEntry {
  std::size_t run = 0;  // index into Dataset::runs
  std::string lock_id, model, material, slot, firmware;
};

enum class Result : std::uint8_t { pass, fail, rig_fault };

// A group of `n` sessions that agree on everything a report looks at (agg_sessions, summed over
// the scenario steps).
struct SessionRow {
  std::uint32_t lock = 0;      // index into Dataset::locks
  std::uint32_t scenario = 0;  // index into Dataset::scenarios
  std::uint32_t expect = 0;    // index into Dataset::expects
  std::uint32_t outcome = 0;   // index into Dataset::outcomes
  std::int32_t attempts = 0;
  Result result = Result::fail;
  bool sli_eligible = false;
  bool sli_success = false;
  bool first_attempt_success = false;
  std::int64_t n = 1;            // sessions in the group
  std::int64_t duration_ns = 0;  // sum of their durations

  // Rig faults never count for or against a lock, even if a row claims eligibility.
  bool in_sli() const { return sli_eligible && result != Result::rig_fault; }
  bool is_assertion() const { return !sli_eligible && result != Result::rig_fault; }
};

// Successful SLI sessions of one lock entry in one scenario whose duration falls in one latency
// bucket (agg_latency; the bucket and the value it stands for: rig/journal/journal.hpp).
struct LatencyBin {
  std::uint32_t lock = 0;
  std::uint32_t scenario = 0;
  std::int64_t bucket_ns = 0;
  std::int64_t n = 0;
};

// Issue 14: `n` sweep sessions of one lock entry in one scenario at one attenuation level with one
// result (rig/journal/report_reader.hpp read_sweep_groups). A success is Result::pass.
struct SweepRow {
  std::uint32_t lock = 0;      // index into Dataset::locks
  std::uint32_t scenario = 0;  // index into Dataset::scenarios
  double level_db = 0.0;
  Result result = Result::fail;
  std::int64_t n = 0;
};

struct FaultEvent {
  std::size_t run = 0;
  std::string lock_id;  // empty for rig-wide events
  std::int64_t t_ns = 0;
  std::string kind, target, value, detail;
};

struct Dataset {
  std::string journal;
  RunSelection selection;
  std::vector<RunRecord> runs;  // oldest first
  std::vector<LockEntry> locks;
  std::vector<std::string> scenarios, expects, outcomes;
  std::vector<SessionRow> sessions;  // groups; sum of n = sessions
  std::vector<LatencyBin> latency;
  std::vector<SweepRow> sweeps;  // issue 14: the selected sweep sessions, not in `sessions`
  bool from_aggregates = true;               // false: a version-1 journal, read session by session
  std::vector<FaultEvent> rig_fault_events;  // kind rig_fault or quarantine
  std::vector<std::string> label_keys;       // every run-label key of the selected runs

  const RunRecord& run_of(const SessionRow& s) const { return runs[locks[s.lock].run]; }
};

// Loads the selection. Throws UsageError when the selection matches no run (quoting the filter
// and listing what exists), JournalError when the journal cannot be read.
//
// `latency_keys` (issue 18 item 3): when given, the latency histograms of lock entries that agree
// on the lock id and on every attribute named there (builtin_attributes() names or run labels)
// are summed into one, kept under the first such entry, per scenario. A caller whose only use of
// `latency` is to sort it by those attributes (compute_report: --baseline/--candidate, and the
// mute rule by lock id) then gets the same figures from a few bins per lock instead of one
// histogram per run: at 10 M attempts in 460 runs 923,680 bins (22 MB) become a few thousand.
// nullopt: one histogram per lock entry and scenario, as they are journaled.
//
// `runs_told_apart` false (issue 18 item 3): the caller never tells runs apart that agree on every
// other attribute (no `run` key anywhere, no history). A selection of every run of a journal with
// a valid cross-run rollup (schema version 6) is then read from it: the sessions of such runs are
// held under the lock entry of the first of them, every lock entry is still listed, and each run
// still has its own session count; figures are the same, the cost no longer grows with the runs.
Dataset load_dataset(Journal& journal, const RunSelection& selection,
                     const std::optional<std::vector<std::string>>& latency_keys = std::nullopt,
                     bool runs_told_apart = true);

// The attribute keys compute_report sorts latency histograms by (its --baseline and --candidate
// keys), for load_dataset's `latency_keys`.
std::vector<std::string> latency_keys_of(const std::vector<Filter>& baseline,
                                         const std::vector<Filter>& candidate);
// True when any of the keys is the `run` attribute (load_dataset's `runs_told_apart`).
bool tells_runs_apart(const std::vector<Filter>& baseline, const std::vector<Filter>& candidate,
                      const std::string& strata);

// The runs a selection picks (--run, --where, --since, --last, in that order), oldest first, with
// their labels, without reading any session; load_dataset and the exports share it. Throws
// UsageError naming the filter that left nothing. `scenarios` of the selection is not applied
// here (it filters sessions, not runs). `runs_in_journal`, when given, receives the journal's
// total number of runs.
std::vector<RunRecord> select_runs(Journal& journal, const RunSelection& selection,
                                   std::size_t* runs_in_journal = nullptr);

// The attributes sessions can be filtered and stratified by. Built-in names win over run labels
// of the same name.
//   firmware, model, material, lock, slot (run_locks: as seen in the run, firmware read from the
//   lock), rig, run (uuid) (runs), scenario (sessions), and any run label (app, build, ...).
const std::vector<std::string>& builtin_attributes();

// Resolves one attribute for every session in O(1). value() is nullptr when the session has no
// value (firmware unreadable, label absent from its run).
class AttributeView {
 public:
  // Throws UsageError for a key that is neither built in nor a label of the selected runs.
  AttributeView(const Dataset& d, const std::string& key, const std::string& option);
  const std::string* value(const SessionRow& s) const {
    return by_scenario_ ? &d_->scenarios[s.scenario] : per_lock_[s.lock];
  }
  const std::string& key() const { return key_; }

 private:
  const Dataset* d_;
  std::string key_;
  bool by_scenario_ = false;
  std::vector<const std::string*> per_lock_;
};

// A conjunction of filters evaluated per session.
class FilterSet {
 public:
  FilterSet(const Dataset& d, const std::vector<Filter>& filters, const std::string& option);
  bool matches(const SessionRow& s) const;
  bool empty() const { return views_.empty(); }

 private:
  std::vector<AttributeView> views_;
  std::vector<std::string> values_;
};

}  // namespace lockrig::reports
