#include "reports/summary.hpp"

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "rig/journal/sql.hpp"

namespace lockrig::reports {

namespace {

struct Row {
  std::string key;
  long long sessions, sli, sli_ok, first_ok, failed_assertions, assertions, rig_faults;
};

std::vector<Row> query(sqlite3* db, std::int64_t run, const char* key_expr) {
  SqlStatement st(db,
                  std::string("SELECT ") + key_expr +
                      ", COUNT(*), SUM(sli_eligible), SUM(sli_success), "
                      "SUM(sli_eligible AND first_attempt_success), "
                      "SUM(sli_eligible = 0 AND result = 'fail'), "
                      "SUM(sli_eligible = 0 AND result != 'rig_fault'), SUM(result = 'rig_fault') "
                      "FROM v_sessions WHERE run_id = ? GROUP BY 1 ORDER BY 1",
                  "summary query");
  st.bind(1, run);
  std::vector<Row> rows;
  while (st.step())
    rows.push_back(Row{st.null(0) ? "(unknown)" : st.text(0), st.integer(1), st.integer(2),
                       st.integer(3), st.integer(4), st.integer(5), st.integer(6),
                       st.integer(7)});
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

EventDigest events(sqlite3* db, std::int64_t run, const std::string& kind,
                   const std::optional<std::string>& value) {
  EventDigest d;
  SqlStatement st(db,
                  std::string("SELECT COALESCE(lock_id, ''), detail FROM events WHERE run_id = ? "
                              "AND kind = ?") +
                      (value ? " AND value = ?" : "") + " ORDER BY id",
                  "summary query");
  st.bind(1, run).bind(2, kind);
  if (value) st.bind(3, *value);
  while (st.step()) {
    if (++d.count > 3) continue;
    const std::string lock = st.text(0);
    d.first.push_back((lock.empty() ? "" : lock + ": ") + st.text(1));
  }
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
                events(db, run_id, "rig_fault", std::nullopt));
  return out;
}

}  // namespace lockrig::reports
