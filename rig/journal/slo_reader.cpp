#include "rig/journal/slo_reader.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <map>

#include "rig/journal/journal.hpp"
#include "rig/journal/open_guard.hpp"
#include "rig/journal/sql.hpp"

namespace lockrig {

namespace {

// Text up to its first NUL, NULL as empty (what the SLO has always read).
std::string c_text(SqlStatement& st, int col) {
  const auto* p = sqlite3_column_text(st.get(), col);
  return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
}

}  // namespace

SloSnapshot::SloSnapshot(Journal& journal)
    : transaction_(std::make_unique<Transaction>(journal, "BEGIN")) {}

SloSnapshot::~SloSnapshot() = default;

std::vector<SloRow> read_slo_rows(Journal& journal, const std::vector<std::int64_t>& run_ids,
                                  const std::vector<std::string>& scenarios) {
  sqlite3* db = journal_db(journal);
  std::string ids;
  for (const auto id : run_ids) ids += (ids.empty() ? "" : ",") + std::to_string(id);
  // The run's night, rig and `app` label (issue 16 item 2), and its locks' material, model and
  // firmware: a few rows per run, read once and joined here.
  struct RunInfo {
    std::string date, rig, app;
    std::map<std::string, std::array<std::string, 3>, std::less<>> locks;
  };
  std::map<std::int64_t, RunInfo> info;
  {
    SqlStatement st(db,
                    "SELECT r.id, substr(r.started_at, 1, 10), r.rig, COALESCE(a.value, '') FROM "
                    "runs r LEFT JOIN run_labels a ON a.run_id = r.id AND a.key = 'app' WHERE "
                    "r.id IN (" + ids + ")",
                    "slo query");
    while (st.step()) info[st.integer(0)] = {c_text(st, 1), c_text(st, 2), c_text(st, 3), {}};
  }
  {
    SqlStatement st(db,
                    "SELECT run_id, lock_id, COALESCE(material, '(unknown)'), COALESCE(model, "
                    "'(unknown)'), COALESCE(firmware, '(unknown)') FROM run_locks WHERE run_id "
                    "IN (" + ids + ")",
                    "slo query");
    while (st.step())
      if (auto it = info.find(st.integer(0)); it != info.end())
        it->second.locks[st.text(1)] = {c_text(st, 2), c_text(st, 3), c_text(st, 4)};
  }
  // One row per night, rig, lock, material, model, firmware, scenario and app, as before.
  using Key = std::array<std::string, 8>;
  std::map<Key, std::size_t> index;
  std::vector<SloRow> rows;
  const std::array<std::string, 3> unknown_lock = {"(unknown)", "(unknown)", "(unknown)"};
  // Adds one (run, lock, scenario) group's sums to its row.
  auto add = [&](std::int64_t run_id, const std::string& lock, const std::string& scenario,
                 long long sessions, long long successes) {
    const auto run = info.find(run_id);
    if (run == info.end()) return;  // a run id not selected, or not in `runs` (the inner join)
    const auto l = run->second.locks.find(lock);
    const auto& lock_info = l == run->second.locks.end() ? unknown_lock : l->second;
    Key key = {run->second.date, run->second.rig, lock,     lock_info[0],
               lock_info[1],     lock_info[2],    scenario, run->second.app};
    const auto [it, added] = index.try_emplace(std::move(key), rows.size());
    if (added) {
      const Key& k = it->first;
      rows.push_back({k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], 0, 0});
    }
    rows[it->second].sli_sessions += sessions;
    rows[it->second].sli_successes += successes;
  };
  // Issue 18: from the aggregate rows (agg_sessions: one row per group of identical sessions,
  // `sessions` of them) when the journal has them, the same sums as over the raw sessions; a
  // version-1 journal opened read-only has only the raw rows. Summed per run, lock and scenario,
  // the order of agg_sessions' primary key, so SQLite needs no temporary b-tree; grouping the
  // 16,560 result rows of a 460-run journal by night, rig, lock, material, model, firmware,
  // scenario and app in SQL, joined and sorted there, took 80 ms of `slo`'s 240.
  const bool agg = journal.has_aggregates();
  // Where agg_sessions' counts are still to be checked (a read-only open defers them to the first
  // statement that reads one), every row is read here in key order, each checked as it is read
  // (SessionCountTally, as `report` does) and summed per run, lock and scenario in C++: one pass
  // over the table instead of the table's own check and then the GROUP BY (the check was a
  // quarter of `slo`'s instructions at 460 runs, callgrind). SQLite still computes each row's two
  // flags, so they mean exactly what the GROUP BY's did.
  if (agg && claim_table_counts(db, "agg_sessions")) {
    SqlStatement st(db,
                    "SELECT run_id, lock_id, scenario, sessions, attempts, duration_ns, "
                    "(sli_eligible AND result <> 'rig_fault'), "
                    "(sli_success AND sli_eligible AND result <> 'rig_fault') "
                    "FROM agg_sessions ORDER BY run_id, lock_id, scenario",
                    "slo query");
    sqlite3_stmt* q = st.get();
    SessionCountTally counts(db, journal.path());
    std::int64_t run_id = 0;
    std::string lock, scenario, lock_bytes, scenario_bytes;
    long long sessions = 0, successes = 0;
    bool open = false, wanted = false;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
      const std::int64_t n = counts.read(q, 3, 4, 5).sessions;
      const std::int64_t row_run = sqlite3_column_int64(q, 0);
      if (!open || row_run != run_id || st.view(1) != lock_bytes || st.view(2) != scenario_bytes) {
        if (open && wanted) add(run_id, lock, scenario, sessions, successes);
        run_id = row_run;
        lock_bytes = st.view(1);
        scenario_bytes = st.view(2);
        lock = c_text(st, 1);
        scenario = c_text(st, 2);
        // --scenario as the GROUP BY's `scenario IN (...)` compares: every byte.
        wanted = scenarios.empty() || std::find(scenarios.begin(), scenarios.end(),
                                                scenario_bytes) != scenarios.end();
        sessions = successes = 0;
        open = true;
      }
      sessions += n * sqlite3_column_int64(q, 6);
      successes += n * sqlite3_column_int64(q, 7);
    }
    sqlite_check(rc, db, "read");
    if (open && wanted) add(run_id, lock, scenario, sessions, successes);
    counts.finish();
  } else {
    const std::string n = agg ? "sessions * " : "";
    std::string sql = "SELECT run_id, lock_id, scenario, "
                      "sum(" + n + "(sli_eligible AND result <> 'rig_fault')), "
                      "sum(" + n + "(sli_success AND sli_eligible AND result <> 'rig_fault')) "
                      "FROM " + (agg ? "agg_sessions" : "sessions") +
                      " WHERE run_id IN (" + ids + ")";
    if (!scenarios.empty()) {
      sql += " AND scenario IN (";
      for (std::size_t i = 0; i < scenarios.size(); ++i) sql += i ? ",?" : "?";
      sql += ")";
    }
    sql += " GROUP BY run_id, lock_id, scenario";
    SqlStatement st(db, sql, "slo query");
    for (std::size_t i = 0; i < scenarios.size(); ++i)
      st.bind(static_cast<int>(i + 1), scenarios[i]);
    int rc;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW)
      add(st.integer(0), c_text(st, 1), c_text(st, 2), st.integer(3), st.integer(4));
    sqlite_check(rc, db, "read");
  }
  // Ordered by night, then by the rest of the key (the order the single GROUP BY gave).
  std::vector<SloRow> ordered;
  ordered.reserve(rows.size());
  for (const auto& [key, i] : index) ordered.push_back(std::move(rows[i]));
  return ordered;
}

bool journal_has_several_rigs(Journal& journal) {
  SqlStatement st(journal, "SELECT count(DISTINCT rig) FROM runs", "count the rigs");
  return st.step() && st.integer(0) > 1;
}

}  // namespace lockrig
