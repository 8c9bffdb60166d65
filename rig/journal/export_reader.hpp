// What `lockrig export` (reports/export.cpp) reads from the journal. The row exports: the
// sessions or attempts of the selected runs, denormalized into stable columns (names, types and
// meanings in docs/exports.md; new columns are only ever appended), streamed one row at a time
// so memory does not grow with the journal. The OpenMetrics export: its counts per rig, lock, door
// material, firmware and app, read from the aggregate tables (agg_sessions, agg_attempts,
// agg_latency; issue 18), never the raw rows of a journal that has them. The journal knows how
// each column is computed; the export formats the values.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rig/journal/journal.hpp"
#include "rig/journal/report_reader.hpp"

namespace lockrig {

class SqlStatement;

enum class ExportTable { sessions, attempts };

enum class ExportType { string, integer, floating, boolean, timestamp };

// One exported column: its stable name and type, whether it can be NULL, and what it holds.
struct ExportColumn {
  const char* name;
  ExportType type;
  bool nullable;
  const char* description;
};

// The columns of a table's rows, in order.
const std::vector<ExportColumn>& export_columns(ExportTable table);

// One row while it is being read: its values by column index (export_columns order). Text is
// valid only during the callback; timestamps are text (ISO 8601 UTC).
class ExportRow {
 public:
  explicit ExportRow(const SqlStatement& q) : q_(q) {}
  bool null(int column) const;
  long long integer(int column) const;  // integer and boolean columns
  double real(int column) const;
  std::string_view text(int column) const;

 private:
  const SqlStatement& q_;
};

// Every session (or attempt) of the scope's runs and scenarios, in the order they were journaled:
// ascending sessions.id (attempts: then attempt number), which is rowid order, so the rows stream
// without a sort pass (docs/exports.md). `scope.runs` must be set.
void read_export_rows(Journal& journal, ExportTable table, const ReportScope& scope,
                      const std::function<void(const ExportRow&)>& row);

// The query read_export_rows runs (for tests: its plan has no sort pass, issue 18); the scope's
// scenarios are its parameters ?1, ?2, ...
std::string export_rows_sql(Journal& journal, ExportTable table, const ReportScope& scope);

// The scenarios with sessions in the scope's runs, restricted to `scope.scenarios` when given.
std::vector<std::string> export_scenarios(Journal& journal, const ReportScope& scope);

// ---- OpenMetrics ----

// Where a count belongs: rig, lock, door material ("(unknown)" without a run_locks row), the
// firmware read from the lock in that run ("(unknown)" when unreadable) and the run's `app` label
// ("(none)" without one). Never a run or session id: the label budget in docs/exports.md.
struct LockKey {
  std::string rig, lock, material, firmware, app;
};

// Sessions by result, with the SLI sessions and successes among them.
struct ResultCount {
  LockKey key;
  std::string result;
  long long sessions = 0, sli_sessions = 0, sli_successes = 0;
};
// Failed SLI sessions by the outcome of their last attempt.
struct OutcomeCount {
  LockKey key;
  std::string outcome;
  long long sessions = 0;
};
// Attempts that did not unlock, by class and outcome.
struct AttemptCount {
  LockKey key;
  std::string cls, outcome;
  long long attempts = 0;
};
// Events of a kind per rig.
struct RigEventCount {
  std::string rig, kind;
  long long events = 0;
};
// Start of the latest run with sessions of a lock, in Unix seconds.
struct LockLastRun {
  LockKey key;
  double started_unix = 0;
};
// A run's start (Unix seconds) and exit code (-1 while running).
struct RunStartExit {
  double started_unix = 0;
  int exit_code = -1;
};

// Each sorted by its key columns. `scope.runs` must be set.
std::vector<ResultCount> sessions_by_result(Journal& journal, const ReportScope& scope);
std::vector<OutcomeCount> failed_sli_sessions_by_outcome(Journal& journal,
                                                         const ReportScope& scope);
std::vector<AttemptCount> failed_attempts(Journal& journal, const ReportScope& scope);
// The events of these kinds in the scope's runs (`scope.scenarios` does not apply).
std::vector<RigEventCount> rig_events(Journal& journal, const ReportScope& scope,
                                      const std::vector<EventKind>& kinds);
// The query rig_events runs (for tests: with the kinds rig_fault and quarantine its plan reads
// the partial index events_faults, issue 18).
std::string rig_events_sql(const Journal& journal, const ReportScope& scope,
                           const std::vector<EventKind>& kinds);
std::vector<LockLastRun> last_run_per_lock(Journal& journal, const ReportScope& scope);
std::optional<RunStartExit> run_start_exit(Journal& journal, std::int64_t run);

// The unlock latency of successful SLI sessions (the report's latency population) per lock key
// and scenario: sessions per agg_latency bucket (latency_bucket_ns in journal.hpp), and the exact
// sum of their durations from agg_sessions. A version-1 journal (no aggregates) is bucketed from
// its raw rows with the same rule.
struct LatencyHistogram {
  LockKey key;
  std::string scenario;
  std::vector<std::pair<std::int64_t, long long>> buckets;  // bucket_ns ascending, sessions
  long long sessions = 0;        // sum of the buckets' sessions
  std::int64_t duration_ns = 0;  // sum of the sessions' durations
};
// Sorted by key and scenario. `scope.runs` must be set.
std::vector<LatencyHistogram> latency_histograms(Journal& journal, const ReportScope& scope);

}  // namespace lockrig
