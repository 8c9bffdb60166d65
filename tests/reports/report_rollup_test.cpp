// Issue 18 item 3, schema version 6: `report` and `gate` over every run read the cross-run rollup
// (rollup_* tables, rig/journal/rollup.hpp) instead of every run's aggregate rows. The reference
// is lockrig's own per-run reading, which the rest of the suite checks against R and statsmodels:
// every output must be byte for byte what the same journal gives with the rollup marked stale
// (rollup_state's row deleted, which makes readers read per run). The journal is built so that
// the rollup has something to get wrong: configurations that repeat across runs and come back
// after others, scenarios, expectations and outcomes met first in later runs, rig faults (counted
// per run), a lock its run never recorded, a lock whose firmware was not read, labels only some
// runs have, an aborted run and one still running, and a sweep.
#include <gtest/gtest.h>

#include <regex>

#include "rig/journal/sql.hpp"
#include "tests/reports/report_test_support.hpp"

using namespace lockrig;
using namespace lockrig::reports;
using lockrig::reports::testing::LockSpec;
using lockrig::reports::testing::Result;
using lockrig::reports::testing::TempDir;
using lockrig::reports::testing::TestJournal;

namespace {

long long scalar(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  long long v = -1;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return v;
}

void exec(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
  const std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(h);
  ASSERT_EQ(rc, SQLITE_OK) << sql << ": " << msg;
}

void write_journal(TestJournal& tj) {
  const LockSpec a0{"a", "steel", "2.4.0"}, a1{"a", "steel", "2.4.1"};
  const LockSpec b1{"b", "wood", "2.4.1"}, c_unread{"c", "glass", ""};
  const std::map<std::string, std::string> app3{{"app", "5.3.0"}}, app4{{"app", "5.4.0"}};
  // 1: a on 2.4.0; only daily-unlock.
  auto r = tj.run({a0, b1}, app3);
  tj.sli(r, "a", 40, 1, "daily-unlock", 700.0, 3);
  tj.sli(r, "b", 40, 0, "daily-unlock", 760.0);
  tj.finish(r);
  // 2: a on 2.4.1, a lock with unread firmware, a new scenario, an assertion.
  r = tj.run({a1, b1, c_unread}, app3);
  tj.sli(r, "a", 35, 2, "stay-connected", 820.0, 4, "not_found");
  tj.sli(r, "b", 30, 1, "daily-unlock", 780.0);
  tj.sli(r, "c", 20, 0, "daily-unlock", 900.0);
  tj.assertion(r, "b", "battery-removed", "no_response", "no_response");
  tj.finish(r);
  // 3: run 1's configuration again (summed with it), now with a scenario and an outcome met for
  // the first time, a rig fault, and a session of a lock the run never recorded.
  r = tj.run({a0, b1}, app3);
  tj.sli(r, "a", 25, 3, "tamper", 650.0, 2, "auth_error");
  tj.sli(r, "a", 30, 0, "daily-unlock", 710.0);
  tj.rig_fault(r, "b", "daily-unlock");
  tj.sli(r, "ghost", 5, 1, "daily-unlock", 990.0);
  tj.assertion(r, "b", "battery-removed", "no_response", "success");
  tj.finish(r, "aborted");
  // 4: another app (another configuration for every lock), an extra label, and a sweep.
  r = tj.run({a0, b1}, {{"app", "5.4.0"}, {"door", "test-door-2"}});
  tj.sli(r, "a", 30, 1, "daily-unlock", 690.0, 1);
  tj.sli(r, "b", 30, 2, "stay-connected", 840.0);
  tj.sweep(r, "a", 60.0, 4, 1);
  tj.sweep(r, "a", 80.0, 2, 3, 1);
  tj.finish(r);
  // 5: run 2's configuration again, with a rig fault of its own.
  r = tj.run({a1, b1, c_unread}, app3);
  tj.sli(r, "a", 20, 1, "stay-connected", 800.0, 0, "timeout");
  tj.sli(r, "c", 10, 1, "daily-unlock", 880.0);
  tj.rig_fault(r, "a", "stay-connected");
  tj.finish(r);
  // 6: still running when 7 ends (its sessions are in the rollup 7 builds).
  const auto running = tj.run({a0, b1}, app4);
  tj.sli(running, "a", 12, 1, "daily-unlock", 720.0);
  r = tj.run({a1, b1}, app4);
  tj.sli(r, "a", 18, 0, "daily-unlock", 730.0, 2);
  tj.sli(r, "b", 15, 1, "tamper", 745.0);
  tj.finish(r);
}

// The journal's path as the output names it, the ISO time it was made at left out.
std::string normalised(std::string text, const std::string& path, const std::string& as) {
  for (std::size_t at = 0; (at = text.find(path, at)) != std::string::npos; at += as.size())
    text.replace(at, path.size(), as);
  // The time the output was made (JSON's generated_at, the other formats' "generated:"), to the
  // second without fractions; the runs' own times carry milliseconds and stay.
  return std::regex_replace(text, std::regex("20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"),
                            "(generated)");
}

// Every output of `report`/`gate` that reads the dataset, in the forms users run.
std::vector<std::vector<std::string>> argument_sets() {
  const std::vector<std::string> fw = {"--baseline", "firmware=2.4.0", "--candidate",
                                       "firmware=2.4.1"};
  const std::vector<std::string> app = {"--baseline", "app=5.3.0", "--candidate", "app=5.4.0"};
  std::vector<std::vector<std::string>> out;
  for (const char* format : {"json", "text", "markdown", "html", "junit"}) {
    out.push_back({"--format", format});
    auto v = fw;
    v.insert(v.end(), {"--format", format});
    out.push_back(v);
  }
  for (const char* strata : {"none", "model", "lock", "scenario", "app", "door"}) {
    auto v = fw;
    v.insert(v.end(), {"--strata", strata, "--format", "json"});
    out.push_back(v);
  }
  auto v = app;
  v.insert(v.end(), {"--format", "json"});
  out.push_back(v);
  v = fw;
  v.insert(v.end(), {"--scenario", "daily-unlock", "--scenario", "tamper", "--format", "json"});
  out.push_back(v);
  out.push_back({"--baseline", "firmware=2.4.0", "--candidate", "lock=c", "--strata", "none",
                 "--format", "json"});
  out.push_back({"--baseline", "app=5.3.0", "--baseline", "material=steel", "--candidate",
                 "app=5.4.0", "--format", "text"});
  return out;
}

class RollupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_journal(tj_);
    stale_ = tj_.dir().file("stale.db");
    tj_.snapshot(stale_);
    exec(stale_, "DELETE FROM rollup_state");
  }
  // `args` on the journal and on its copy read per run: (with rollup, per run).
  std::pair<Result, Result> both(bool gate, std::vector<std::string> args) {
    auto with = args, without = args;
    with.insert(with.begin(), {"--db", tj_.path()});
    without.insert(without.begin(), {"--db", stale_});
    auto run = [&](const std::vector<std::string>& a) {
      return gate ? lockrig::reports::testing::gate(a) : lockrig::reports::testing::report(a);
    };
    Result a = run(with), b = run(without);
    b.out = normalised(b.out, stale_, tj_.path());
    b.error = normalised(b.error, stale_, tj_.path());
    a.out = normalised(a.out, tj_.path(), tj_.path());  // generated_at only
    return {a, b};
  }
  TestJournal tj_;
  std::string stale_;
};

}  // namespace

TEST_F(RollupTest, JournalHasAValidRollupThatSumsRunsTogether) {
  const std::string db = tj_.path();
  EXPECT_EQ(scalar(db, "PRAGMA user_version"), 6);
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM rollup_state"), 1);
  // Runs 1 and 3, and runs 2 and 5, are one configuration each: fewer rows than agg_sessions.
  const long long per_run = scalar(db, "SELECT count(*) FROM agg_sessions WHERE expect <> 'range'");
  const long long rolled = scalar(db, "SELECT count(*) FROM rollup_sessions");
  EXPECT_GT(rolled, 0);
  EXPECT_LT(rolled, per_run);
  EXPECT_EQ(scalar(db, "SELECT sum(sessions) FROM rollup_sessions"),
            scalar(db, "SELECT sum(sessions) FROM agg_sessions WHERE expect <> 'range'"));
  // Rig faults stay with their run (a report lists rig faults per run).
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM rollup_sessions WHERE result = 'rig_fault' AND "
                       "rep_run <> first_run"),
            0);
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM rollup_sessions WHERE result = 'rig_fault'"), 2);
  // Run 3's rows are held under run 1's lock entry.
  EXPECT_GT(scalar(db, "SELECT count(*) FROM rollup_sessions WHERE first_run = 3 AND rep_run = 1"),
            0);
  Journal j = Journal::open_readonly(db);
  EXPECT_TRUE(j.check_aggregates().empty());
}

TEST_F(RollupTest, ReportAndGateOutputsEqualThePerRunReading) {
  int compared = 0;
  for (const auto& args : argument_sets()) {
    auto [with, without] = both(false, args);
    std::string what;
    for (const auto& a : args) what += a + " ";
    EXPECT_EQ(with.code, 0) << what << with.error;
    EXPECT_EQ(with.code, without.code) << what;
    EXPECT_EQ(with.error, without.error) << what;
    EXPECT_EQ(with.out, without.out) << what;
    EXPECT_GT(with.out.size(), 100u) << what;
    ++compared;
  }
  for (const char* format : {"text", "json", "junit"}) {
    auto [with, without] = both(true, {"--baseline", "firmware=2.4.0", "--candidate",
                                       "firmware=2.4.1", "--format", format});
    EXPECT_EQ(with.code, without.code) << format;
    EXPECT_EQ(with.out, without.out) << format;
    ++compared;
  }
  EXPECT_EQ(compared, 23);
}

// The comparison above would pass if neither side read the rollup. Counts changed in the rollup
// alone must change the report over every run (it reads them), leave one that tells runs apart
// as it was (it does not), and be found by `check --journal`.
TEST_F(RollupTest, TheRollupIsWhatAReportOverEveryRunReads) {
  const std::string db = tj_.path();
  const std::vector<std::string> args = {"--baseline", "firmware=2.4.0", "--candidate",
                                         "firmware=2.4.1", "--format", "json"};
  const Result before = both(false, args).first;
  exec(db, "UPDATE rollup_sessions SET sessions = sessions + 1000 WHERE first_run = 1 AND "
           "lock_id = 'a' AND result = 'pass'");
  const Result after = both(false, args).first;
  ASSERT_EQ(after.code, before.code) << after.error;
  EXPECT_NE(after.out, before.out);
  // A `run` key tells runs apart: such a report reads per run, so the edit does not show.
  auto [by_run_with, by_run_without] =
      both(false, {"--baseline", "run=00000000-0000-4000-8000-000000000001", "--candidate",
                   "firmware=2.4.1", "--format", "json"});
  EXPECT_EQ(by_run_with.out, by_run_without.out);
  Journal j = Journal::open_readonly(db);
  const auto mismatches = j.check_aggregates();
  ASSERT_FALSE(mismatches.empty());
  EXPECT_EQ(mismatches.front().table, "rollup_sessions");
  EXPECT_NE(mismatches.front().detail.find("kept only"), std::string::npos);
}

TEST_F(RollupTest, CountsLockrigNeverWritesAreRefusedNamingTheRow) {
  const std::string db = tj_.path();
  exec(db, "UPDATE rollup_sessions SET sessions = 0 WHERE first_run = 2 AND lock_id = 'b'");
  const Result r = lockrig::reports::testing::report({"--db", db, "--format", "json"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.error.find("rollup_sessions row (first_run=2, lock_id=\"b\""), std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("deleting rollup_state's row"), std::string::npos) << r.error;
  exec(db, "DELETE FROM rollup_state");  // as the message says: read per run again
  EXPECT_EQ(lockrig::reports::testing::report({"--db", db, "--format", "json"}).code, 0);

  exec(db, "UPDATE rollup_latency SET hist = x'05' WHERE first_run = 1 AND lock_id = 'a'");
  exec(db, "INSERT INTO rollup_state (valid) VALUES (1)");
  exec(db, "UPDATE rollup_sessions SET sessions = 1 WHERE sessions = 0");
  const Result h = lockrig::reports::testing::report({"--db", db, "--format", "json"});
  EXPECT_EQ(h.code, 2);
  EXPECT_NE(h.error.find("rollup_latency row (first_run=1, lock_id=\"a\""), std::string::npos)
      << h.error;
}

// Any change that does not come from lockrig's writer goes through the triggers, which mark the
// rollup stale; the report then reads per run and shows the change.
TEST_F(RollupTest, AHandEditMarksTheRollupStale) {
  const std::string db = tj_.path();
  const long long sessions = scalar(db, "SELECT count(*) FROM sessions WHERE expect <> 'range'");
  exec(db, "DELETE FROM attempts WHERE session_id = (SELECT max(id) FROM sessions);"
           "DELETE FROM session_evidence WHERE session_id = (SELECT max(id) FROM sessions);"
           "DELETE FROM sessions WHERE id = (SELECT max(id) FROM sessions)");
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM rollup_state"), 0);
  const Result r = lockrig::reports::testing::report({"--db", db, "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.error;
  EXPECT_NE(r.out.find("\"total\": " + std::to_string(sessions - 1)), std::string::npos);
  // Labels and lock attributes are part of a configuration: changing one marks it stale too.
  exec(db, "INSERT INTO rollup_state (valid) VALUES (1)");
  exec(db, "UPDATE run_locks SET firmware = '2.4.2' WHERE run_id = 3 AND lock_id = 'a'");
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM rollup_state"), 0);
  exec(db, "INSERT INTO rollup_state (valid) VALUES (1)");
  exec(db, "INSERT INTO run_labels (run_id, key, value) VALUES (1, 'bench', 'x')");
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM rollup_state"), 0);
}

// lockrig's own writer runs without triggers: it marks the rollup stale in every transaction that
// adds sessions and builds it again when the run ends.
TEST(RollupWriter, StaleWhileARunWritesBuiltWhenItEnds) {
  TestJournal tj;
  const auto r = tj.run({{"a", "steel", "2.4.0"}});
  tj.sli(r, "a", 3, 0);
  tj.finish(r);
  EXPECT_EQ(scalar(tj.path(), "SELECT count(*) FROM rollup_state"), 1);
  const auto r2 = tj.run({{"a", "steel", "2.4.0"}});
  tj.sli(r2, "a", 2, 1);
  EXPECT_EQ(scalar(tj.path(), "SELECT count(*) FROM rollup_state"), 0);
  tj.finish(r2);
  EXPECT_EQ(scalar(tj.path(), "SELECT count(*) FROM rollup_state"), 1);
  EXPECT_EQ(scalar(tj.path(), "SELECT sum(sessions) FROM rollup_sessions"), 6);
  // One configuration: both runs' passes in one row, under run 1.
  EXPECT_EQ(scalar(tj.path(), "SELECT sessions FROM rollup_sessions WHERE result = 'pass'"), 5);
  EXPECT_EQ(scalar(tj.path(), "SELECT count(*) FROM rollup_runs"), 2);
}
