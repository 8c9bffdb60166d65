// Issue 18 item 3: the report readers' queries at report speed. Their cost must follow the rows
// they need (sweep sessions, fault events), never the journal's sessions or events. Checked on
// SQLite's own plan (EXPLAIN QUERY PLAN) of the SQL the readers run, on a journal with sessions
// and no sweep session, as the 460-run benchmark journal is (where the old plans scanned 9.9 M
// sessions and 15.8 M events).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rig/journal/export_reader.hpp"
#include "rig/journal/journal.hpp"
#include "rig/journal/report_reader.hpp"
#include "rig/journal/sql.hpp"
#include "tests/support/journal_fixtures.hpp"

using namespace lockrig;

namespace {

using TempDir = lockrig::testing::ScratchDir;

// One finished run of `n` ordinary sessions on lock "a", with one rig_fault event.
std::string plain_journal(TempDir& d, int n) {
  const std::string path = d.file("j.db");
  Journal j = Journal::open(path);
  const auto run = j.begin_run(lockrig::testing::sample_run());
  j.record_locks(run, {LockRow{"a", "m", "steel", "A1", "sim", "2.4.0", "m", "acme"}});
  std::vector<JournalBatch> batch;
  for (int rep = 1; rep <= n; ++rep) {
    SessionRecord s;
    s.lock_id = "a";
    s.scenario = "daily";
    s.repetition = rep;
    s.expect = "success";
    s.result = SessionResult::pass;
    s.outcome = "success";
    s.sli_eligible = s.sli_success = s.first_attempt_success = true;
    s.started = Duration(std::int64_t{rep} * 1'000'000'000);
    s.ended = s.started + Duration(700'000'000);
    AttemptRecord at;
    at.number = 1;
    at.outcome = "success";
    at.phase = "unlock";
    s.attempts.push_back(at);
    batch.push_back(JournalBatch{{}, s});
  }
  j.commit_group(run, std::move(batch));
  j.finish_run(run, "completed", 0, "2026-12-03T01:00:00.000Z", 60);
  return path;
}

// The plan's lines ("SCAN w", "SEARCH s USING INTEGER PRIMARY KEY (rowid=?)", ...).
std::string plan_of(Journal& j, const std::string& sql) {
  std::string plan;
  for (SqlStatement q(journal_db(j), "EXPLAIN QUERY PLAN " + sql); q.step();)
    plan += q.text(3) + "\n";
  return plan;
}

}  // namespace

// Without CROSS JOIN SQLite planned "SCAN s USING COVERING INDEX sqlite_autoindex_sessions_1" and
// a sweep_sessions lookup per session: 90% of `lockrig report` on the benchmark journal.
TEST(ReaderPlans, SweepQueriesScanSweepSessionsAndSeekSessions) {
  TempDir d;
  Journal j = Journal::open_readonly(plain_journal(d, 50));
  ASSERT_TRUE(j.has_sweeps());
  ReportScope every, some;
  some.runs = std::vector<std::int64_t>{1};
  some.scenarios = {"range-sweep"};
  for (const std::string& sql :
       {sweep_scenarios_sql(), sweep_groups_sql(every), sweep_groups_sql(some)}) {
    const std::string plan = plan_of(j, sql);
    EXPECT_NE(plan.find("SCAN w\n"), std::string::npos) << sql << "\n" << plan;
    EXPECT_NE(plan.find("SEARCH s USING INTEGER PRIMARY KEY"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("SCAN s"), std::string::npos) << plan;
  }
}

// The fault events (rig_fault, quarantine) are read through the partial index events_faults,
// with or without a list of runs. With the kinds bound as parameters SQLite could not use it, and
// with a list of runs it preferred events_run (both seek on run_id): every event of the selected
// runs was read (OpenMetrics: 85% of 13.9 s; `report --last 40`: 0.9 s). The rows themselves are
// checked by the report and export tests.
TEST(ReaderPlans, FaultEventsAreReadThroughTheFaultIndex) {
  TempDir d;
  Journal j = Journal::open_readonly(plain_journal(d, 5));
  const std::vector<EventKind> faults = {EventKind::rig_fault, EventKind::quarantine};
  ReportScope every, one;
  one.runs = std::vector<std::int64_t>{1};
  for (const std::string& sql : {rig_events_sql(j, one, faults), run_events_sql(j, one, faults),
                                 run_events_sql(j, every, faults)}) {
    const std::string plan = plan_of(j, sql);
    EXPECT_NE(plan.find("USING INDEX events_faults"), std::string::npos) << sql << "\n" << plan;
    EXPECT_EQ(plan.find("events_run"), std::string::npos) << plan;
  }
  // Other kinds are not in the partial index: the plain table, which SQLite plans as it likes.
  EXPECT_EQ(events_source(j, {EventKind::rig_fault}), "events");
  EXPECT_EQ(events_source(j, {EventKind::quarantine, EventKind::rig_fault}), "events");
  EXPECT_EQ(plan_of(j, run_events_sql(j, one, {EventKind::quarantine})).find("events_faults"),
            std::string::npos);
}
