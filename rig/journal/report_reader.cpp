#include "rig/journal/report_reader.hpp"

#include <set>
#include <utility>

#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/latency_hist.hpp"
#include "rig/journal/open_guard.hpp"
#include "rig/journal/rollup.hpp"
#include "rig/journal/sql.hpp"

namespace lockrig {

namespace {

// " run_id IN (1,2,3)", or "" for every run.
std::string run_clause(const ReportScope& scope) {
  if (!scope.runs) return "";
  std::string s = " run_id IN (";
  for (std::size_t i = 0; i < scope.runs->size(); ++i) {
    if (i) s += ',';
    s += std::to_string((*scope.runs)[i]);
  }
  return s + ")";
}

// " WHERE run_id IN (...) AND scenario IN (?,?)", each part only when it restricts anything; the
// scenarios are bound as ?1, ?2, ... by bind_scenarios.
std::string where_clause(const ReportScope& scope) {
  std::vector<std::string> conditions;
  if (scope.runs) conditions.push_back(run_clause(scope));
  if (!scope.scenarios.empty()) {
    std::string in = " scenario IN (";
    for (std::size_t i = 0; i < scope.scenarios.size(); ++i) in += i ? ",?" : "?";
    conditions.push_back(in + ")");
  }
  std::string where;
  for (std::size_t i = 0; i < conditions.size(); ++i)
    where += (i ? " AND" : " WHERE") + conditions[i];
  return where;
}

// 'text' with its quotes doubled: an SQL string literal.
std::string sql_quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// A session group's run, lock, scenario, result, outcome and flags from columns 0-2, 4-5 and
// 7-9 (the order both group readers select; expect and attempts are read apart).
void read_group_key(const SqlStatement& q, SessionGroupRow& r) {
  r.run_id = q.integer(0);
  r.lock_id = q.view(1);
  r.scenario = q.view(2);
  r.result = q.view(4);
  r.outcome = q.view(5);
  r.sli_eligible = q.integer(7) != 0;
  r.sli_success = q.integer(8) != 0;
  r.first_attempt_success = q.integer(9) != 0;
}

void bind_scenarios(SqlStatement& q, const ReportScope& scope) {
  for (std::size_t i = 0; i < scope.scenarios.size(); ++i)
    q.bind(static_cast<int>(i + 1), scope.scenarios[i]);
}

}  // namespace

void read_run_locks(Journal& journal, const ReportScope& scope,
                    const std::function<void(const RunLockRow&)>& row) {
  SqlStatement q(journal,
                 "SELECT run_id, lock_id, model, material, slot, COALESCE(firmware, '') FROM "
                 "run_locks" +
                     (scope.runs ? " WHERE" + run_clause(scope) : std::string()) +
                     " ORDER BY run_id, lock_id");
  while (q.step())
    row(RunLockRow{q.integer(0), q.text(1), q.text(2), q.text(3), q.text(4), q.text(5)});
}

void read_session_groups(Journal& journal, const ReportScope& scope, bool from_aggregates,
                         const std::function<void(const SessionGroupRow&)>& row) {
  // Issue 18: reading every row of agg_sessions, the reader checks each one's counts as the open
  // guard would (SessionCountTally) instead of letting its statement scan the table once more
  // before it (a quarter of `report` at 460 runs). A restricted scope reads only some rows, so
  // the table's own check runs first.
  const bool whole_table = from_aggregates && !scope.runs && scope.scenarios.empty();
  SessionCountTally counts(journal_db(journal), journal.path(),
                           whole_table && claim_table_counts(journal_db(journal), "agg_sessions"));
  SqlStatement q(journal,
                 from_aggregates
                     ? "SELECT run_id, lock_id, scenario, expect, result, outcome, attempts, "
                       "sli_eligible, sli_success, first_attempt_success, sessions, duration_ns "
                       "FROM agg_sessions" +
                           where_clause(scope) + " ORDER BY run_id, lock_id"
                     : "SELECT run_id, lock_id, scenario, expect, result, outcome, attempts, "
                       "sli_eligible, sli_success, first_attempt_success, 1, ended_ns - started_ns "
                       "FROM sessions" +
                           where_clause(scope) + " ORDER BY id");
  bind_scenarios(q, scope);
  SessionGroupRow r;
  sqlite3_stmt* st = q.get();
  while (q.step()) {
    // Each count column read once (three sqlite3_column_* calls fewer per row than before).
    const SessionCounts c = counts.read(st, 10, 6, 11);
    r.sessions = c.sessions;
    r.attempts = c.attempts;
    r.duration_ns = c.duration_ns;
    r.expect = q.view(3);
    // Issue 14: sweep sessions measure range (the report's Range section reads them from
    // sweep_sessions); they are neither SLI sessions nor assertions.
    if (r.expect == kSweepExpect) continue;
    read_group_key(q, r);
    row(r);
  }
  counts.finish();
}

void read_latency_groups(Journal& journal, const ReportScope& scope,
                         const std::function<void(const LatencyHistRow&)>& group) {
  // Packed per (run, lock, scenario) where the run has them (schema version 4, issue 18): at
  // 10 M attempts in 40 runs, 2,560 rows instead of agg_latency's 530,870. One call per group
  // rather than per bucket: the per-bucket callback was 46% of `lockrig report` at 40 runs.
  // Issue 14: a sweep's scenario (sessions at chosen attenuations) is left out of the latency
  // figures, as its sessions are left out of the SLI.
  std::set<std::pair<std::int64_t, std::string>> sweeps;
  if (journal.has_sweeps()) {
    SqlStatement q(journal, sweep_scenarios_sql());
    while (q.step()) sweeps.emplace(q.integer(0), q.text(1));
  }
  if (sweeps.empty()) {
    read_latency_hists(journal_db(journal), journal.schema_version(), scope.runs, scope.scenarios,
                       group, journal.path());
    return;
  }
  read_latency_hists(journal_db(journal), journal.schema_version(), scope.runs, scope.scenarios,
                     [&](const LatencyHistRow& r) {
                       if (!sweeps.count({r.run_id, std::string(r.scenario)})) group(r);
                     },
                     journal.path());
}

// Both sweep queries go from sweep_sessions to sessions, never the other way. With a plain JOIN
// SQLite's planner (no ANALYZE statistics in a journal) chose to scan every session through its
// unique index and look each one up in sweep_sessions: 9.9 M lookups on the 460-run, 10.1 M-attempt
// benchmark journal, which has no sweep session at all, 90% of `lockrig report`'s 2.4 s (perf,
// issue 18 item 3). `CROSS JOIN` is SQLite's documented way to fix the nesting order: "the left
// table of a CROSS JOIN is always in an outer loop relative to the right table"
// (sqlite.org/optoverview.html, "Manual Control Of Query Plans Using CROSS JOIN"); the cost is
// then one primary-key seek per sweep session, and nothing when there is none.
std::string sweep_scenarios_sql() {
  return "SELECT DISTINCT s.run_id, s.scenario FROM sweep_sessions w CROSS JOIN sessions s "
         "ON s.id = w.session_id";
}

std::string sweep_groups_sql(const ReportScope& scope) {
  // where_clause names run_id and scenario unqualified: only `sessions` has those columns.
  return "SELECT run_id, lock_id, scenario, w.part, w.level_db, result, count(*) FROM "
         "sweep_sessions w CROSS JOIN sessions s ON s.id = w.session_id" +
         where_clause(scope) +
         " GROUP BY run_id, lock_id, scenario, w.part, w.level_db, result"
         " ORDER BY run_id, lock_id, w.level_db";
}

void read_sweep_groups(Journal& journal, const ReportScope& scope,
                       const std::function<void(const SweepGroupRow&)>& row) {
  if (!journal.has_sweeps()) return;
  SqlStatement q(journal, sweep_groups_sql(scope));
  bind_scenarios(q, scope);
  SweepGroupRow r;
  while (q.step()) {
    r.run_id = q.integer(0);
    r.lock_id = q.view(1);
    r.scenario = q.view(2);
    r.part = q.view(3);
    r.level_db = q.real(4);
    r.result = q.view(5);
    r.sessions = q.integer(6);
    row(r);
  }
}

long long latency_pair_hint(Journal& journal, const ReportScope& scope) {
  if (journal.schema_version() < 4) return 0;
  if (!scope.runs) {
    SqlStatement q(journal, "SELECT total(buckets) FROM agg_latency_hist");
    return q.step() ? static_cast<long long>(q.real(0)) : 0;
  }
  SqlStatement q(journal, "SELECT total(buckets) FROM agg_latency_hist WHERE run_id = ?");
  double n = 0;
  for (const std::int64_t run : *scope.runs) {
    q.reset();
    q.bind(1, run);
    if (q.step()) n += q.real(0);
  }
  return static_cast<long long>(n);
}

namespace {

// " WHERE scenario IN (?1, ...)" or "".
std::string scenario_where(const std::vector<std::string>& scenarios) {
  if (scenarios.empty()) return "";
  std::string in = " WHERE scenario IN (";
  for (std::size_t i = 0; i < scenarios.size(); ++i) in += i ? ",?" : "?";
  return in + ")";
}

void bind_all(SqlStatement& q, const std::vector<std::string>& scenarios) {
  for (std::size_t i = 0; i < scenarios.size(); ++i)
    q.bind(static_cast<int>(i + 1), scenarios[i]);
}

[[noreturn]] void refuse_rollup_row(const Journal& journal, const std::string& table,
                                    const std::string& row, const std::string& what) {
  throw JournalError("journal " + quote(journal.path()) + " has a " + table + " row (" + row +
                     ") " + what +
                     "; refusing to read it (lockrig check --journal compares the rollup with "
                     "what it sums; deleting rollup_state's row makes readers read per run)");
}

}  // namespace

bool rollup_usable(Journal& journal) {
  return rollup_valid(journal_db(journal), journal.schema_version());
}

void read_rollup_session_groups(Journal& journal, const std::vector<std::string>& scenarios,
                                const std::function<void(const SessionGroupRow&)>& row) {
  SqlStatement q(journal,
                 "SELECT rep_run, lock_id, scenario, expect, result, outcome, attempts, "
                 "sli_eligible, sli_success, first_attempt_success, sessions, duration_ns, "
                 "first_run FROM rollup_sessions" +
                     scenario_where(scenarios) + " ORDER BY first_run, lock_id",
                 "read rollup_sessions");
  bind_all(q, scenarios);
  sqlite3_stmt* st = q.get();
  SessionGroupRow r;
  std::int64_t total = 0;
  while (q.step()) {
    // A copy lockrig wrote holds what agg_sessions' checks allow (rollup.cpp builds it only
    // from such rows): anything else is refused, naming the row, as those checks would.
    bool typed = true;
    for (int c : {0, 6, 7, 8, 9, 10, 11, 12})
      typed = typed && sqlite3_column_type(st, c) == SQLITE_INTEGER;
    r.sessions = q.integer(10);
    r.duration_ns = q.integer(11);
    if (!typed || r.sessions < 1 || r.sessions > kJournalMaxTotal - total || r.duration_ns < 0)
      refuse_rollup_row(journal, "rollup_sessions",
                        "first_run=" + q.text(12) + ", lock_id=" + quote(q.view(1)) +
                            ", scenario=" + quote(q.view(2)),
                        "with counts lockrig never writes (sessions " + q.text(10) +
                            ", duration_ns " + q.text(11) + ")");
    total += r.sessions;
    r.expect = q.view(3);
    r.attempts = q.integer(6);
    read_group_key(q, r);
    row(r);
  }
}

void read_rollup_latency_groups(Journal& journal, const std::vector<std::string>& scenarios,
                                const std::function<void(const LatencyHistRow&)>& group) {
  SqlStatement q(journal,
                 "SELECT rep_run, lock_id, scenario, buckets, sessions, hist, first_run FROM "
                 "rollup_latency" +
                     scenario_where(scenarios) + " ORDER BY first_run, lock_id, scenario",
                 "read rollup_latency");
  bind_all(q, scenarios);
  std::vector<LatencyPair> pairs;
  while (q.step()) {
    pairs.clear();
    const std::string_view hist = q.blob(5);
    if (!try_decode_latency_hist(hist, q.integer(3), q.integer(4), pairs))
      refuse_rollup_row(journal, "rollup_latency",
                        "first_run=" + q.text(6) + ", lock_id=" + quote(q.view(1)) +
                            ", scenario=" + quote(q.view(2)),
                        "holding bytes that are not a histogram lockrig writes");
    group(LatencyHistRow{q.integer(0), q.view(1), q.view(2), pairs});
  }
}

void read_rollup_run_sessions(Journal& journal, const std::vector<std::string>& scenarios,
                              const std::function<void(std::int64_t, std::int64_t)>& row) {
  SqlStatement q(journal,
                 "SELECT run_id, sum(sessions) FROM rollup_runs" + scenario_where(scenarios) +
                     " GROUP BY run_id",
                 "read rollup_runs");
  bind_all(q, scenarios);
  while (q.step()) row(q.integer(0), q.integer(1));
}

long long session_id_span(Journal& journal) {
  SqlStatement q(journal, "SELECT COALESCE(max(id) - min(id) + 1, 0) FROM sessions");
  return q.step() ? q.integer(0) : 0;
}

std::vector<std::string> scenarios_present(Journal& journal, const ReportScope& scope,
                                           bool from_aggregates) {
  SqlStatement q(journal, std::string("SELECT DISTINCT scenario FROM ") +
                              (from_aggregates ? "agg_sessions" : "sessions") +
                              (scope.runs ? " WHERE" + run_clause(scope) : std::string()) +
                              " ORDER BY 1");
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.text(0));
  return out;
}

std::string event_kinds_sql(const std::vector<EventKind>& kinds) {
  std::string in;
  for (std::size_t i = 0; i < kinds.size(); ++i) in += (i ? ", " : "") + sql_quote(name(kinds[i]));
  return in;
}

std::string events_source(const Journal& journal, const std::vector<EventKind>& kinds,
                          const std::string& alias) {
  // With a list of runs SQLite sees two indexes that both seek on run_id, `events_run` and the
  // partial `events_faults`, and without ANALYZE statistics it cannot know that the partial one
  // holds a handful of rows: it took `events_run` and read every event of the selected runs (a
  // report of the last 40 of 460 runs: 1.4 M events, 0.9 s; issue 18 item 3). INDEXED BY names
  // the index (sqlite.org/lang_indexedby.html); it is only said when the query's WHERE implies the
  // index's, i.e. the same IN list in the same order (else SQLite finds "no query solution"), and
  // the journal has the index (version 2 on; the open guard checks it is lockrig's).
  const bool faults = kinds == std::vector<EventKind>{EventKind::rig_fault, EventKind::quarantine};
  const std::string table = alias.empty() ? "events" : "events " + alias;
  return faults && journal.has_aggregates() ? table + " INDEXED BY events_faults" : table;
}

std::string run_events_sql(const Journal& journal, const ReportScope& scope,
                           const std::vector<EventKind>& kinds) {
  // The kinds as literals, not bound parameters: SQLite uses a partial index only when the
  // query's WHERE implies the index's (sqlite.org/partialindex.html, "Queries Using Partial
  // Indexes"), which a `?` never does, so `events_faults` was ignored and every report scanned
  // all events (704k rows, 13% of `report` at 10M attempts). The names are lockrig's own
  // identifiers, quoted all the same.
  return "SELECT run_id, COALESCE(lock_id, ''), t_ns, kind, target, value, detail FROM " +
         events_source(journal, kinds) + " WHERE kind IN (" + event_kinds_sql(kinds) + ")" +
         (scope.runs ? " AND" + run_clause(scope) : std::string()) + " ORDER BY run_id, id";
}

void read_run_events(Journal& journal, const ReportScope& scope,
                     const std::vector<EventKind>& kinds,
                     const std::function<void(const RunEventRow&)>& row) {
  SqlStatement q(journal, run_events_sql(journal, scope, kinds));
  while (q.step())
    row(RunEventRow{q.integer(0), EventRow{q.text(1), TimePoint{q.integer(2)}, q.text(3), q.text(4),
                                           q.text(5), q.text(6)}});
}

}  // namespace lockrig
