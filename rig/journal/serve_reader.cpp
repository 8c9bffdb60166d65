#include "rig/journal/serve_reader.hpp"

#include "rig/journal/run_records.hpp"
#include "rig/journal/sql.hpp"

namespace lockrig {

namespace {

// The session groups with their counts: the aggregate table, or the rows of a version-1 journal.
std::string groups(const Journal& j) {
  return j.has_aggregates()
             ? "agg_sessions"
             : "(SELECT run_id, lock_id, result, sli_eligible, sli_success, 1 AS sessions "
               "FROM sessions)";
}

constexpr const char* kTotals =
    "COALESCE(SUM(a.sessions), 0), COALESCE(SUM(a.sessions * a.sli_eligible), 0), "
    "COALESCE(SUM(a.sessions * a.sli_eligible * a.sli_success), 0), "
    "COALESCE(SUM(CASE WHEN a.result = 'rig_fault' THEN a.sessions END), 0), "
    "COALESCE(SUM(CASE WHEN a.result = 'fail' THEN a.sessions END), 0)";

SessionTotals totals_at(const SqlStatement& q, int col) {
  SessionTotals t;
  t.sessions = q.integer(col);
  t.sli_sessions = q.integer(col + 1);
  t.sli_success = q.integer(col + 2);
  t.rig_fault_sessions = q.integer(col + 3);
  t.failed = q.integer(col + 4);
  return t;
}

std::vector<RunProgress> progress_where(Journal& journal, const std::string& where,
                                        std::optional<std::int64_t> id) {
  SqlStatement q(journal,
                 "SELECT r.id, r.uuid, r.host, r.rig, r.started_at, COALESCE(r.ended_at, ''), "
                 "r.status, r.clock, r.sessions_planned, COALESCE(r.exit_code, -1), " +
                     std::string(kTotals) + " FROM runs r LEFT JOIN " + groups(journal) +
                     " a ON a.run_id = r.id " + where + " GROUP BY r.id ORDER BY r.id",
                 "read the progress of the runs");
  if (id) q.bind(1, *id);
  std::vector<RunProgress> out;
  std::vector<RunRecord> records;
  while (q.step()) {
    RunProgress p;
    p.run.id = q.integer(0);
    p.run.uuid = q.text(1);
    p.run.host = q.text(2);
    p.run.rig = q.text(3);
    p.run.started_at = q.text(4);
    p.run.ended_at = q.text(5);
    p.run.status = q.text(6);
    p.run.clock = q.text(7);
    p.run.sessions_planned = q.integer(8);
    p.run.exit_code = static_cast<int>(q.integer(9));
    p.done = totals_at(q, 10);
    out.push_back(std::move(p));
  }
  for (const auto& p : out) records.push_back(p.run);
  read_run_labels(journal, records);
  for (std::size_t i = 0; i < out.size(); ++i) out[i].run.labels = std::move(records[i].labels);
  return out;
}

std::vector<LockTotals> lock_totals(Journal& journal, const std::string& where,
                                    const std::function<void(SqlStatement&)>& bind) {
  SqlStatement q(journal,
                 "SELECT l.run_id, l.lock_id, l.model, l.material, l.slot, "
                 "COALESCE(l.firmware, ''), " +
                     std::string(kTotals) + " FROM run_locks l LEFT JOIN " + groups(journal) +
                     " a ON a.run_id = l.run_id AND a.lock_id = l.lock_id " + where +
                     " GROUP BY l.run_id, l.lock_id ORDER BY l.run_id, l.lock_id",
                 "read the totals of the locks");
  bind(q);
  std::vector<LockTotals> out;
  while (q.step()) {
    LockTotals t;
    t.run_id = q.integer(0);
    t.lock_id = q.text(1);
    t.model = q.text(2);
    t.material = q.text(3);
    t.slot = q.text(4);
    t.firmware = q.text(5);
    t.done = totals_at(q, 6);
    out.push_back(std::move(t));
  }
  return out;
}

constexpr const char* kSessionColumns =
    "s.id, s.run_id, s.lock_id, s.scenario, s.expect, s.result, s.outcome, s.repetition, s.step, "
    "s.attempts, s.started_ns, s.ended_ns, s.sli_eligible, s.sli_success";

SessionRow session_at(const SqlStatement& q) {
  SessionRow s;
  s.id = q.integer(0);
  s.run_id = q.integer(1);
  s.lock_id = q.text(2);
  s.scenario = q.text(3);
  s.expect = q.text(4);
  s.result = q.text(5);
  s.outcome = q.text(6);
  s.repetition = static_cast<int>(q.integer(7));
  s.step = static_cast<int>(q.integer(8));
  s.attempts = static_cast<int>(q.integer(9));
  s.started_ns = q.integer(10);
  s.ended_ns = q.integer(11);
  s.sli_eligible = q.integer(12) != 0;
  s.sli_success = q.integer(13) != 0;
  return s;
}

}  // namespace

std::vector<RunProgress> read_run_progress(Journal& journal) {
  return progress_where(journal, "", std::nullopt);
}

std::optional<RunProgress> read_one_run_progress(Journal& journal, std::int64_t run_id) {
  auto v = progress_where(journal, "WHERE r.id = ?1", run_id);
  if (v.empty()) return std::nullopt;
  return std::move(v.front());
}

std::vector<LockTotals> read_run_lock_totals(Journal& journal, std::int64_t run_id) {
  return lock_totals(journal, "WHERE l.run_id = ?1", [&](SqlStatement& q) { q.bind(1, run_id); });
}

std::vector<LockTotals> read_lock_history(Journal& journal, const std::string& lock_id) {
  return lock_totals(journal, "WHERE l.lock_id = ?1",
                     [&](SqlStatement& q) { q.bind(1, std::string_view(lock_id)); });
}

std::vector<SessionRow> read_unpassed_sessions(Journal& journal, std::optional<std::int64_t> run_id,
                                               const std::optional<std::string>& lock_id,
                                               int limit) {
  // Only the conditions given, so SQLite can use the (run_id, lock_id, ...) unique index; an
  // "?1 IS NULL OR ..." form would scan every session of the journal.
  std::string where = "s.result <> 'pass'";
  if (run_id) where += " AND s.run_id = ?1";
  if (lock_id) where += " AND s.lock_id = ?2";
  SqlStatement q(journal,
                 std::string("SELECT ") + kSessionColumns + " FROM sessions s WHERE " + where +
                     " ORDER BY s.id DESC LIMIT ?3",
                 "read the sessions that did not pass");
  if (run_id) q.bind(1, *run_id);
  if (lock_id) q.bind(2, std::string_view(*lock_id));
  q.bind(3, static_cast<std::int64_t>(limit));
  std::vector<SessionRow> out;
  while (q.step()) out.push_back(session_at(q));
  return out;
}

std::optional<SessionDetail> read_session_detail(Journal& journal, std::int64_t session_id) {
  SessionDetail d;
  {
    SqlStatement q(journal,
                   std::string("SELECT ") + kSessionColumns +
                       ", r.uuid, r.started_at, COALESCE(l.material, ''), "
                       "COALESCE(l.firmware, '') FROM sessions s JOIN runs r ON r.id = s.run_id "
                       "LEFT JOIN run_locks l ON l.run_id = s.run_id AND l.lock_id = s.lock_id "
                       "WHERE s.id = ?1",
                   "read a session");
    q.bind(1, session_id);
    if (!q.step()) return std::nullopt;
    d.session = session_at(q);
    d.run_uuid = q.text(14);
    d.run_started_at = q.text(15);
    d.material = q.text(16);
    d.firmware = q.text(17);
  }
  {
    SqlStatement q(journal,
                   "SELECT attempt, started_ns, ended_ns, latency_ms, rssi_dbm, outcome, class, "
                   "phase, detail FROM attempts WHERE session_id = ?1 ORDER BY attempt",
                   "read a session's attempts");
    q.bind(1, session_id);
    while (q.step()) {
      AttemptRecord a;
      a.number = static_cast<int>(q.integer(0));
      a.started = TimePoint(q.integer(1));
      a.ended = TimePoint(q.integer(2));
      if (!q.null(3)) a.latency = Duration(static_cast<std::int64_t>(q.real(3) * 1e6));
      if (!q.null(4)) a.rssi_dbm = static_cast<int>(q.integer(4));
      a.outcome = q.text(5);
      const auto cls = q.view(6);
      a.cls = cls == "expected"    ? AttemptClass::expected
              : cls == "rig_fault" ? AttemptClass::rig_fault
                                   : AttemptClass::lock;
      a.phase = q.text(7);
      a.detail = q.text(8);
      d.attempts.push_back(std::move(a));
    }
  }
  {
    SqlStatement q(journal,
                   "SELECT COALESCE(lock_id, ''), t_ns, kind, target, value, detail FROM events "
                   "WHERE run_id = ?1 AND (lock_id = ?2 OR lock_id IS NULL OR lock_id = '') "
                   "AND t_ns BETWEEN ?3 AND ?4 ORDER BY t_ns, id LIMIT 500",
                   "read a session's events");
    q.bind(1, d.session.run_id)
        .bind(2, std::string_view(d.session.lock_id))
        .bind(3, d.session.started_ns)
        .bind(4, d.session.ended_ns);
    while (q.step())
      d.events.emplace_back(q.text(0), TimePoint(q.integer(1)), q.text(2), q.text(3), q.text(4),
                            q.text(5));
  }
  return d;
}

}  // namespace lockrig
