// What reports read from the journal (reports/dataset.cpp): the locks as seen in the selected
// runs, their sessions as counted groups, the latency histograms of their successful SLI
// sessions, the scenarios present and chosen events. Rows are handed to a callback one at a time,
// so a report over millions of sessions never holds them twice; a row's string_views are valid
// only during the call.
//
// From a schema-2 journal the groups and histograms are the aggregate tables (agg_sessions,
// agg_latency) the journal keeps as sessions are committed; from a version-1 journal opened
// read-only the sessions are read one by one as groups of one.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rig/journal/events.hpp"
#include "rig/journal/journal.hpp"

namespace lockrig {

// Which runs, and which of their scenarios, a reader covers.
struct ReportScope {
  std::optional<std::vector<std::int64_t>> runs;  // nullopt: every run of the journal
  std::vector<std::string> scenarios;             // empty: every scenario
};

// A lock as seen in one run (run_locks); firmware is empty when it could not be read.
struct RunLockRow {
  std::int64_t run_id = 0;
  std::string lock_id, model, material, slot, firmware;
};
// In run and lock order. `scope.scenarios` does not apply.
void read_run_locks(Journal& journal, const ReportScope& scope,
                    const std::function<void(const RunLockRow&)>& row);

// `sessions` sessions that agree on everything a report looks at (agg_sessions, per step).
struct SessionGroupRow {
  std::int64_t run_id = 0;
  std::string_view lock_id, scenario, expect, result, outcome;
  std::int64_t attempts = 0;
  bool sli_eligible = false, sli_success = false, first_attempt_success = false;
  std::int64_t sessions = 0;     // 1 for a version-1 journal's session
  std::int64_t duration_ns = 0;  // the sum of their durations
};
// From the aggregates in run and lock order, or (`from_aggregates` false: a version-1 journal)
// session by session in the order they were journaled.
void read_session_groups(Journal& journal, const ReportScope& scope, bool from_aggregates,
                         const std::function<void(const SessionGroupRow&)>& row);

// Successful SLI sessions of one lock in one scenario of a run whose duration falls in one
// latency bucket (agg_latency; the bucket: latency_bucket_ns in journal.hpp).
// The scope's latency histograms, one call per (run, lock, scenario) with its (bucket,
// sessions) pairs, in run and lock order (schema version 2 or later): the packed rows of a run
// that has them (schema version 4, issue 18), its agg_latency rows otherwise.
void read_latency_groups(Journal& journal, const ReportScope& scope,
                         const std::function<void(const LatencyHistRow&)>& group);
// How many pairs read_latency_groups will pass for the scope's packed runs (the scenario
// restriction left out), to size a buffer once: 0 before schema version 4.
long long latency_pair_hint(Journal& journal, const ReportScope& scope);

// Issue 18 item 3 (schema version 6): the cross-run rollup (rig/journal/rollup.hpp), for a report
// over every run of the journal. Rows of runs that agree on everything a report can tell a lock
// entry by but the run are summed and handed over with `run_id` set to the lowest of those runs,
// whose lock entry stands for all of them; rows and histograms come in an order that meets every
// lock entry, scenario, expectation and outcome in the order read_session_groups and
// read_latency_groups over every run meet them. A reader that must tell runs apart (the `run`
// attribute, a history, a subset of runs) uses those instead.
//
// rollup_usable: the journal has a valid rollup. Call inside the read transaction the three
// readers then use, so a writer cannot mark it stale in between.
bool rollup_usable(Journal& journal);
void read_rollup_session_groups(Journal& journal, const std::vector<std::string>& scenarios,
                                const std::function<void(const SessionGroupRow&)>& row);
void read_rollup_latency_groups(Journal& journal, const std::vector<std::string>& scenarios,
                                const std::function<void(const LatencyHistRow&)>& group);
// Sessions per run as read_session_groups would count them (sweeps left out), for `scenarios`.
void read_rollup_run_sessions(Journal& journal, const std::vector<std::string>& scenarios,
                              const std::function<void(std::int64_t run_id,
                                                       std::int64_t sessions)>& row);

// max(id) - min(id) + 1 over the sessions table (0 when empty): a bound on how many sessions a
// version-1 reader will see, to size its buffers.
long long session_id_span(Journal& journal);

// The scenarios with sessions in the scope's runs (`scope.scenarios` does not apply), sorted;
// from agg_sessions, or the sessions table when `from_aggregates` is false.
std::vector<std::string> scenarios_present(Journal& journal, const ReportScope& scope,
                                           bool from_aggregates);

// Issue 14: the sweep sessions (sweep_sessions joined with sessions) of the scope's runs and
// scenarios, counted per run, lock, scenario, level and result ("pass", "fail", "rig_fault"), in
// run and lock order. Nothing before schema version 5.
struct SweepGroupRow {
  std::int64_t run_id = 0;
  std::string_view lock_id, scenario, part, result;
  double level_db = 0.0;
  std::int64_t sessions = 0;
};
void read_sweep_groups(Journal& journal, const ReportScope& scope,
                       const std::function<void(const SweepGroupRow&)>& row);
// The SQL of read_sweep_groups and of the sweep scenarios read_latency_groups leaves out (for
// the query-plan test): both read sweep_sessions first, so their cost follows the number of sweep
// sessions, not of sessions.
std::string sweep_groups_sql(const ReportScope& scope);
std::string sweep_scenarios_sql();

// An event of one of the scope's runs.
struct RunEventRow {
  std::int64_t run_id = 0;
  EventRow event;  // lock_id empty for rig-wide events
};
// The events of these kinds, in run order and then as journaled. `scope.scenarios` does not apply.
void read_run_events(Journal& journal, const ReportScope& scope,
                     const std::vector<EventKind>& kinds,
                     const std::function<void(const RunEventRow&)>& row);
// Its SQL (for the query-plan test, issue 18).
std::string run_events_sql(const Journal& journal, const ReportScope& scope,
                           const std::vector<EventKind>& kinds);
// For the readers of events by kind (here and export_reader.cpp): the kinds as a list of SQL
// literals ("'rig_fault', 'quarantine'"), and the table to read them from: "events INDEXED BY
// events_faults" when the kinds are that partial index's (rig_fault, quarantine, in that order)
// and the journal has it, else "events" (with `alias` after the table name when given).
std::string event_kinds_sql(const std::vector<EventKind>& kinds);
std::string events_source(const Journal& journal, const std::vector<EventKind>& kinds,
                          const std::string& alias = "");

}  // namespace lockrig
