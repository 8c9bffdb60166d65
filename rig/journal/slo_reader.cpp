#include "rig/journal/slo_reader.hpp"

#include <sqlite3.h>

#include "rig/journal/journal.hpp"
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
  // Issue 18: from the aggregate rows (agg_sessions: one row per group of identical sessions,
  // `sessions` of them) when the journal has them, the same sums as over the raw sessions; a
  // version-1 journal opened read-only has only the raw rows.
  const bool agg = journal.has_aggregates();
  const std::string n = agg ? "s.sessions * " : "";
  std::string sql =
      "SELECT substr(r.started_at, 1, 10), r.rig, s.lock_id, COALESCE(l.material, '(unknown)'), "
      "COALESCE(l.model, '(unknown)'), COALESCE(l.firmware, '(unknown)'), s.scenario, "
      "COALESCE(a.value, ''), "
      "sum(" + n + "(s.sli_eligible AND s.result <> 'rig_fault')), "
      "sum(" + n + "(s.sli_success AND s.sli_eligible AND s.result <> 'rig_fault')) "
      "FROM " + (agg ? "agg_sessions" : "sessions") + " s JOIN runs r ON r.id = s.run_id "
      "LEFT JOIN run_locks l ON l.run_id = s.run_id AND l.lock_id = s.lock_id "
      "LEFT JOIN run_labels a ON a.run_id = s.run_id AND a.key = 'app' "  // issue 16 item 2
      "WHERE s.run_id IN (" + ids + ")";
  if (!scenarios.empty()) {
    sql += " AND s.scenario IN (";
    for (std::size_t i = 0; i < scenarios.size(); ++i) sql += i ? ",?" : "?";
    sql += ")";
  }
  sql += " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1";
  SqlStatement st(db, sql, "slo query");
  for (std::size_t i = 0; i < scenarios.size(); ++i) st.bind(static_cast<int>(i + 1), scenarios[i]);
  std::vector<SloRow> rows;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    SloRow row;
    row.date = c_text(st, 0);
    row.rig = c_text(st, 1);
    row.lock = c_text(st, 2);
    row.material = c_text(st, 3);
    row.model = c_text(st, 4);
    row.firmware = c_text(st, 5);
    row.scenario = c_text(st, 6);
    row.app = c_text(st, 7);
    row.sli_sessions = st.integer(8);
    row.sli_successes = st.integer(9);
    rows.push_back(std::move(row));
  }
  sqlite_check(rc, db, "read");
  return rows;
}

bool journal_has_several_rigs(Journal& journal) {
  SqlStatement st(journal, "SELECT count(DISTINCT rig) FROM runs", "count the rigs");
  return st.step() && st.integer(0) > 1;
}

}  // namespace lockrig
