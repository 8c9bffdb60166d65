#include "rig/journal/summary_reader.hpp"

#include "rig/journal/sql.hpp"

namespace lockrig {

std::vector<SummaryRow> summary_rows(Journal& journal, std::int64_t run, SummaryKey key) {
  const char* key_expr = key == SummaryKey::scenario   ? "scenario"
                         : key == SummaryKey::material ? "material"
                                                       : "firmware";
  SqlStatement st(journal,
                  std::string("SELECT ") + key_expr +
                      ", COUNT(*), SUM(sli_eligible), SUM(sli_success), "
                      "SUM(sli_eligible AND first_attempt_success), "
                      // A sweep session (expect 'range', issue 14) is no assertion.
                      "SUM(sli_eligible = 0 AND expect <> 'range' AND result = 'fail'), "
                      "SUM(sli_eligible = 0 AND expect <> 'range' AND result != 'rig_fault'), "
                      "SUM(result = 'rig_fault') "
                      "FROM v_sessions WHERE run_id = ? GROUP BY 1 ORDER BY 1",
                  "summary query");
  st.bind(1, run);
  std::vector<SummaryRow> rows;
  while (st.step())
    rows.push_back(SummaryRow{st.null(0) ? "(unknown)" : st.text(0), st.integer(1), st.integer(2),
                              st.integer(3), st.integer(4), st.integer(5), st.integer(6),
                              st.integer(7)});
  return rows;
}

EventSample sample_events(Journal& journal, std::int64_t run, EventKind kind,
                          const std::optional<std::string>& value, std::size_t keep) {
  EventSample d;
  SqlStatement st(journal,
                  std::string("SELECT COALESCE(lock_id, ''), detail FROM events WHERE run_id = ? "
                              "AND kind = ?") +
                      (value ? " AND value = ?" : "") + " ORDER BY id",
                  "summary query");
  st.bind(1, run).bind(2, name(kind));
  if (value) st.bind(3, *value);
  while (st.step()) {
    if (++d.count > static_cast<long long>(keep)) continue;
    EventRow e;
    e.lock_id = st.text(0);
    e.detail = st.text(1);
    d.first.push_back(std::move(e));
  }
  return d;
}

}  // namespace lockrig
