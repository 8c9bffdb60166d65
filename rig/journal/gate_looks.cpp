#include "rig/journal/gate_looks.hpp"

#include "rig/journal/sql.hpp"

namespace lockrig {

namespace {

constexpr const char* kCreate =
    "CREATE TABLE IF NOT EXISTS gate_looks ("
    " id INTEGER PRIMARY KEY,"
    " selection TEXT NOT NULL,"
    " look INTEGER NOT NULL,"
    " max_looks INTEGER NOT NULL,"
    " margin REAL NOT NULL,"
    " alpha REAL NOT NULL,"
    " spending TEXT NOT NULL,"
    " information REAL NOT NULL,"
    " z REAL NOT NULL,"
    " critical REAL NOT NULL,"
    " verdict TEXT NOT NULL,"
    " candidate_sessions INTEGER NOT NULL,"
    " baseline_sessions INTEGER NOT NULL,"
    " recorded_at TEXT NOT NULL,"
    " UNIQUE (selection, look))";

bool has_table(Journal& journal) {
  SqlStatement st(journal,
                  "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'gate_looks'",
                  "gate looks table");
  return st.step();
}

}  // namespace

std::vector<GateLookRecord> gate_looks(Journal& journal, const std::string& selection) {
  std::vector<GateLookRecord> out;
  if (!has_table(journal)) return out;
  SqlStatement st(journal,
                  "SELECT look, max_looks, margin, alpha, spending, information, z, critical, "
                  "verdict, candidate_sessions, baseline_sessions, recorded_at FROM gate_looks "
                  "WHERE selection = ? ORDER BY look",
                  "read gate looks");
  st.bind(1, selection);
  while (st.step()) {
    GateLookRecord r;
    r.selection = selection;
    r.look = static_cast<int>(st.integer(0));
    r.max_looks = static_cast<int>(st.integer(1));
    r.margin = st.real(2);
    r.alpha = st.real(3);
    r.spending = st.text(4);
    r.information = st.real(5);
    r.z = st.real(6);
    r.critical = st.real(7);
    r.verdict = st.text(8);
    r.candidate_sessions = st.integer(9);
    r.baseline_sessions = st.integer(10);
    r.recorded_at = st.text(11);
    out.push_back(std::move(r));
  }
  return out;
}

void record_gate_look(Journal& journal, const GateLookRecord& look) {
  sqlite3* db = journal_db(journal);
  sqlite_check(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), db,
               "record gate look");
  try {
    sqlite_check(sqlite3_exec(db, kCreate, nullptr, nullptr, nullptr), db, "create gate_looks");
    SqlStatement st(journal,
                    "INSERT INTO gate_looks (selection, look, max_looks, margin, alpha, spending, "
                    "information, z, critical, verdict, candidate_sessions, baseline_sessions, "
                    "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    "record gate look");
    st.bind(1, look.selection)
        .bind(2, static_cast<std::int64_t>(look.look))
        .bind(3, static_cast<std::int64_t>(look.max_looks));
    sqlite3_bind_double(st.get(), 4, look.margin);
    sqlite3_bind_double(st.get(), 5, look.alpha);
    st.bind(6, look.spending);
    sqlite3_bind_double(st.get(), 7, look.information);
    sqlite3_bind_double(st.get(), 8, look.z);
    sqlite3_bind_double(st.get(), 9, look.critical);
    st.bind(10, look.verdict)
        .bind(11, static_cast<std::int64_t>(look.candidate_sessions))
        .bind(12, static_cast<std::int64_t>(look.baseline_sessions))
        .bind(13, look.recorded_at);
    st.step();
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  sqlite_check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "record gate look");
}

}  // namespace lockrig
