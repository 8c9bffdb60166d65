#include "reports/summary.hpp"

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace lockrig::reports {

namespace {

struct Row {
  std::string key;
  long long sessions, sli, sli_ok, first_ok, failed_assertions, assertions, rig_faults;
};

std::vector<Row> query(sqlite3* db, std::int64_t run, const char* key_expr) {
  std::string sql = std::string("SELECT ") + key_expr +
                    ", COUNT(*), SUM(sli_eligible), SUM(sli_success), "
                    "SUM(sli_eligible AND first_attempt_success), "
                    "SUM(sli_eligible = 0 AND result = 'fail'), "
                    "SUM(sli_eligible = 0 AND result != 'rig_fault'), SUM(result = 'rig_fault') "
                    "FROM v_sessions WHERE run_id = ? GROUP BY 1 ORDER BY 1";
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
    throw std::runtime_error(std::string("summary query: ") + sqlite3_errmsg(db));
  sqlite3_bind_int64(st, 1, run);
  std::vector<Row> rows;
  while (sqlite3_step(st) == SQLITE_ROW) {
    auto text = sqlite3_column_text(st, 0);
    rows.push_back(Row{text ? reinterpret_cast<const char*>(text) : "(unknown)",
                       sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
                       sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4),
                       sqlite3_column_int64(st, 5), sqlite3_column_int64(st, 6),
                       sqlite3_column_int64(st, 7)});
  }
  sqlite3_finalize(st);
  return rows;
}

std::string pct(long long num, long long den) {
  if (den == 0) return "      -";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%6.2f%%", 100.0 * static_cast<double>(num) / static_cast<double>(den));
  return buf;
}

std::string table(const char* title, const std::vector<Row>& rows) {
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-22s %8s %8s %8s %9s %11s %10s\n", title, "sessions", "SLI n",
                "SLI", "1st try", "assertions", "rig faults");
  out += buf;
  for (const auto& r : rows) {
    std::string assertions = r.assertions == 0
                                 ? "-"
                                 : std::to_string(r.assertions - r.failed_assertions) + "/" +
                                       std::to_string(r.assertions) + " ok";
    std::snprintf(buf, sizeof buf, "  %-20s %8lld %8lld %8s %9s %11s %10lld\n", r.key.c_str(),
                  r.sessions, r.sli, pct(r.sli_ok, r.sli).c_str(), pct(r.first_ok, r.sli).c_str(),
                  assertions.c_str(), r.rig_faults);
    out += buf;
  }
  return out;
}


// Events of one kind (and value, if given) in the run: how many, and the first few, described.
struct EventDigest {
  long long count = 0;
  std::vector<std::string> first;
};

EventDigest events(sqlite3* db, std::int64_t run, const char* kind, const char* value) {
  EventDigest d;
  const std::string sql =
      std::string("SELECT COALESCE(lock_id, ''), target, detail FROM events WHERE run_id = ? AND "
                  "kind = ?") +
      (value ? " AND value = ?" : "") + " ORDER BY id";
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
    throw std::runtime_error(std::string("summary query: ") + sqlite3_errmsg(db));
  sqlite3_bind_int64(st, 1, run);
  sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
  if (value) sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
  auto col = [&](int i) {
    auto t = sqlite3_column_text(st, i);
    return std::string(t ? reinterpret_cast<const char*>(t) : "");
  };
  while (sqlite3_step(st) == SQLITE_ROW) {
    if (++d.count > 3) continue;
    const std::string lock = col(0), detail = col(2);
    d.first.push_back((lock.empty() ? "" : lock + ": ") + detail);
  }
  sqlite3_finalize(st);
  return d;
}

std::string digest(const char* title, const EventDigest& d) {
  if (d.count == 0) return "";
  std::string out = std::string(title) + ": " + std::to_string(d.count) + "\n";
  for (const auto& line : d.first) out += "  " + line + "\n";
  if (d.count > static_cast<long long>(d.first.size()))
    out += "  ... and " + std::to_string(d.count - static_cast<long long>(d.first.size())) +
           " more (the run's events in the journal)\n";
  return out;
}

}  // namespace

std::string run_summary(sqlite3* db, std::int64_t run_id) {
  std::string out;
  out += table("scenario", query(db, run_id, "scenario"));
  out += table("door material", query(db, run_id, "material"));
  out += table("firmware (from lock)", query(db, run_id, "firmware"));
  out +=
      "SLI = sessions that unlocked within budget / SLI-eligible sessions; expected-failure "
      "sessions are assertions, sessions a rig fault voided (column \"rig faults\") are excluded "
      "from both.\n";
  // What the session tables cannot show: waits that timed out (failed assertions outside any
  // session) and every rig fault the rig noticed, including those of the bench itself.
  out += digest("wait_until timed out (failed assertions)",
                events(db, run_id, "wait_until", "timeout"));
  out += digest("rig faults (every one the rig noticed, bench included)",
                events(db, run_id, "rig_fault", nullptr));
  return out;
}

}  // namespace lockrig::reports
