// Issue 18, the journal writer at speed: group commit (many sessions, one transaction), the
// aggregates added by the writer with one upsert per touched aggregate row, and schema version 3
// (CHECK constraints without IN lists), with the upgrade from versions 1 and 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

#include "rig/journal/export_reader.hpp"
#include "rig/journal/journal.hpp"
#include "rig/journal/slo_reader.hpp"
#include "rig/journal/sql.hpp"
#include "tests/support/journal_fixtures.hpp"

using namespace lockrig;

namespace {

using TempDir = lockrig::testing::ScratchDir;

long long count(sqlite3* db, const std::string& sql) {
  SqlStatement s(db, sql);
  return s.step() ? s.integer(0) : -1;
}

std::vector<std::string> column(sqlite3* db, const std::string& sql) {
  SqlStatement s(db, sql);
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

using lockrig::testing::exec_sql;

// A session with `attempts` attempts; outcomes vary with `rep` so a group touches several
// aggregate rows of each table (pass/fail, one or two attempts, two latency buckets).
SessionRecord session(const std::string& lock, int rep) {
  SessionRecord s;
  s.lock_id = lock;
  s.scenario = "daily";
  s.repetition = rep;
  s.expect = "success";
  const bool ok = rep % 5 != 0;
  const int attempts = 1 + rep % 2;
  s.result = ok ? SessionResult::pass : SessionResult::fail;
  s.outcome = ok ? "success" : "timeout";
  s.sli_eligible = true;
  s.sli_success = ok;
  s.first_attempt_success = ok && attempts == 1;
  s.started = Duration(std::int64_t{rep} * 10'000'000'000);
  s.ended = s.started + Duration(rep % 3 ? 400'000'000 : 900'000'000);
  for (int a = 1; a <= attempts; ++a) {
    AttemptRecord at;
    at.number = a;
    at.outcome = ok && a == attempts ? "success" : "timeout";
    at.phase = "unlock";
    s.attempts.push_back(at);
  }
  return s;
}

std::vector<JournalBatch> group(const std::string& lock, int first_rep, int n) {
  std::vector<JournalBatch> out;
  for (int rep = first_rep; rep < first_rep + n; ++rep)
    out.push_back(JournalBatch{{EventRow{lock, Duration(rep), EventKind::set_switch, "relay", "on"}},
                               session(lock, rep)});
  return out;
}

}  // namespace

// A group of sessions is one transaction: all of its rows, or (rolled back) none of them.
TEST(JournalGroupCommit, AGroupIsCommittedWhole) {
  TempDir d;
  Journal j = Journal::open(d.file("j.db"));
  const auto run = j.begin_run(lockrig::testing::sample_run());
  j.record_locks(run, {LockRow{"a", "m", "wood", "A1", "sim", "2.4.0", "m", "acme"}});
  j.commit_group(run, group("a", 1, 40));
  EXPECT_EQ(count(journal_db(j), "SELECT count(*) FROM sessions"), 40);
  EXPECT_EQ(count(journal_db(j), "SELECT count(*) FROM events"), 40);
  // A group whose last session collides with a journaled one (same natural key) fails as a
  // whole: none of its 10 sessions nor their events or aggregates are kept.
  auto bad = group("a", 41, 10);
  bad.back().session->repetition = 1;
  EXPECT_THROW(j.commit_group(run, bad), JournalError);
  EXPECT_EQ(count(journal_db(j), "SELECT count(*) FROM sessions"), 40);
  EXPECT_EQ(count(journal_db(j), "SELECT count(*) FROM events"), 40);
  EXPECT_EQ(count(journal_db(j), "SELECT sum(sessions) FROM agg_sessions"), 40);
  EXPECT_TRUE(j.check_aggregates().empty());
}

// The writer adds a group into the aggregates with one upsert per touched aggregate row, not one
// per session and attempt as the triggers do. sqlite3_total_changes counts every row a statement
// or trigger inserted or updated (sqlite.org/c3ref/total_changes.html), so it tells the two apart.
TEST(JournalGroupCommit, TheWriterUpsertsEachTouchedAggregateRowOncePerGroup) {
  TempDir d;
  Journal j = Journal::open(d.file("j.db"));
  const auto run = j.begin_run(lockrig::testing::sample_run());
  j.record_locks(run, {LockRow{"a", "m", "wood", "A1", "sim", "2.4.0", "m", "acme"}});
  const auto batches = group("a", 1, 200);
  long long attempts = 0;
  for (const auto& b : batches) attempts += static_cast<long long>(b.session->attempts.size());
  sqlite3* db = journal_db(j);
  const long long before = sqlite3_total_changes64(db);
  j.commit_group(run, batches);
  const long long changed = sqlite3_total_changes64(db) - before;
  const long long agg_rows = count(db, "SELECT count(*) FROM agg_sessions") +
                             count(db, "SELECT count(*) FROM agg_latency") +
                             count(db, "SELECT count(*) FROM agg_attempts");
  EXPECT_EQ(changed, 200 /* events */ + 200 /* sessions */ + attempts + agg_rows)
      << "aggregate rows: " << agg_rows;
  EXPECT_LT(agg_rows, 20);
  EXPECT_TRUE(j.check_aggregates().empty());
  EXPECT_EQ(count(db, "SELECT sum(sessions) FROM agg_sessions"), 200);
  EXPECT_EQ(count(db, "SELECT sum(attempts) FROM agg_attempts"), attempts);
}

// The triggers stay for every other writer: a hand insert through another connection keeps the
// aggregates right, and so do groups written after it.
TEST(JournalGroupCommit, TriggersStillKeepTheAggregatesForOtherWriters) {
  TempDir d;
  const std::string path = d.file("j.db");
  Journal j = Journal::open(path);
  const auto run = j.begin_run(lockrig::testing::sample_run());
  j.record_locks(run, {LockRow{"a", "m", "wood", "A1", "sim", "2.4.0", "m", "acme"}});
  j.commit_group(run, group("a", 1, 30));
  {
    Journal other = Journal::open(path);
    exec_sql(journal_db(other),
             "INSERT INTO sessions (run_id, lock_id, scenario, repetition, step, expect, "
             "within_ms, started_ns, ended_ns, result, outcome, attempts, sli_eligible, "
             "sli_success, first_attempt_success) VALUES (" +
                 std::to_string(run) +
                 ", 'a', 'daily', 999, 0, 'success', 8000, 0, 123456789, 'pass', 'success', 1, "
                 "1, 1, 1); INSERT INTO attempts VALUES (last_insert_rowid(), 1, 0, 1, 12.0, "
                 "NULL, 'success', 'lock', 'unlock', '')");
  }
  j.commit_group(run, group("a", 31, 30));
  EXPECT_EQ(count(journal_db(j), "SELECT sum(sessions) FROM agg_sessions"), 61);
  EXPECT_TRUE(j.check_aggregates().empty());
  // A hand delete through another connection, too.
  exec_sql(journal_db(Journal::open(path)),
           "DELETE FROM attempts WHERE session_id = (SELECT min(id) FROM sessions); "
           "DELETE FROM sessions WHERE id = (SELECT min(id) FROM sessions)");
  EXPECT_TRUE(j.check_aggregates().empty());
  // The writer's own connection has its triggers back after each group: the refusal to update
  // raw rows still holds on it.
  EXPECT_THROW(exec_sql(journal_db(j), "UPDATE sessions SET outcome = 'x'"), std::runtime_error);
}

// Version 3 states every CHECK without an IN list of three or more constants, for which SQLite
// builds an ephemeral table on every execution of an insert (sqlite/sqlite src/expr.c,
// sqlite3FindInIndex: IN_INDEX_NOOP only for "two or fewer terms", else IN_INDEX_EPH, whose
// program opens with OP_OpenEphemeral). The rules themselves are unchanged.
TEST(JournalSchemaV3, InsertsBuildNoEphemeralTableAndTheRulesHold) {
  TempDir d;
  Journal j = Journal::open(d.file("j.db"));
  sqlite3* db = journal_db(j);
  EXPECT_EQ(j.schema_version(), kJournalSchemaVersion);
  for (const char* insert :
       {"INSERT INTO runs (uuid, host, rig, started_at, status, clock, seed, fixture_source, "
        "fixture_sha256, scenarios_sha256, controller_version, command_line, sessions_planned) "
        "VALUES ('u','h','r','t','running','virtual',1,'f','x','y','0','c',0)",
        "INSERT INTO sessions (run_id, lock_id, scenario, repetition, step, expect, within_ms, "
        "started_ns, ended_ns, result, outcome, attempts, sli_eligible, sli_success, "
        "first_attempt_success) VALUES (1,'a','s',1,0,'success',1,0,1,'pass','success',1,1,1,1)",
        "INSERT INTO attempts VALUES (1, 1, 0, 1, 1.0, NULL, 'success', 'lock', 'unlock', '')"}) {
    const auto ops = column(db, std::string("EXPLAIN ") + insert);
    EXPECT_EQ(std::count(ops.begin(), ops.end(), "OpenEphemeral"), 0) << insert;
  }
  // The same rules: every allowed value goes in, anything else is refused.
  exec_sql(db,
           "INSERT INTO runs (uuid, host, rig, started_at, status, clock, seed, fixture_source, "
           "fixture_sha256, scenarios_sha256, controller_version, command_line, sessions_planned) "
           "VALUES ('u1','h','r','t','running','virtual',1,'f','x','y','0','c',0), "
           "('u2','h','r','t','completed','real',1,'f','x','y','0','c',0), "
           "('u3','h','r','t','aborted','real',1,'f','x','y','0','c',0), "
           "('u4','h','r','t','rig_fault','real',1,'f','x','y','0','c',0)");
  EXPECT_THROW(exec_sql(db, "UPDATE runs SET status = 'done' WHERE uuid = 'u1'"),
               std::runtime_error);
  EXPECT_THROW(exec_sql(db, "UPDATE runs SET clock = 'wall' WHERE uuid = 'u1'"),
               std::runtime_error);
  const std::string s =
      "INSERT INTO sessions (run_id, lock_id, scenario, repetition, step, expect, within_ms, "
      "started_ns, ended_ns, result, outcome, attempts, sli_eligible, sli_success, "
      "first_attempt_success) VALUES (1,'a','s',";
  exec_sql(db, s + "1,0,'success',1,0,1,'pass','success',1,1,1,1)");
  exec_sql(db, s + "2,0,'success',1,0,1,'fail','timeout',1,0,0,0)");
  exec_sql(db, s + "3,0,'success',1,0,1,'rig_fault','rig_fault',1,0,0,0)");
  EXPECT_THROW(exec_sql(db, s + "4,0,'success',1,0,1,'ok','success',1,1,1,1)"), std::runtime_error);
  EXPECT_THROW(exec_sql(db, s + "5,0,'success',1,0,1,'pass','success',1,2,1,1)"), std::runtime_error);
  EXPECT_THROW(exec_sql(db, s + "6,0,'success',1,0,1,'pass','success',1,1,-1,1)"), std::runtime_error);
  EXPECT_THROW(exec_sql(db, s + "7,0,'success',1,0,1,'pass','success',1,1,1,2)"), std::runtime_error);
  const std::string a = "INSERT INTO attempts VALUES (1, ";
  for (const char* cls : {"lock", "expected", "rig_fault"})
    exec_sql(db, a + std::to_string(std::string(cls).size()) + ", 0, 1, 1.0, NULL, 'x', '" + cls +
                     "', 'unlock', '')");
  EXPECT_THROW(exec_sql(db, a + "20, 0, 1, 1.0, NULL, 'x', 'other', 'unlock', '')"),
               std::runtime_error);
}

namespace {

using lockrig::testing::file_text;

// The CREATE TABLE text of runs, sessions and attempts as stored in the file.
std::vector<std::string> base_table_sql(const std::string& path) {
  Journal ro = Journal::open_readonly(path);
  return column(journal_db(ro),
                "SELECT sql FROM sqlite_master WHERE name IN ('runs', 'sessions', 'attempts') "
                "ORDER BY name");
}

}  // namespace

// A version-2 journal (made from the version-2 DDL, tests/rig/journal_schema_v2.sql) is upgraded
// to version 3 on its first open for writing: its tables then read exactly as a new journal's,
// its rows and aggregates are untouched and still agree.
TEST(JournalSchemaV3, AVersion2JournalIsUpgradedInPlace) {
  TempDir d;
  const std::string fresh = d.file("fresh.db"), path = d.file("v2.db");
  { Journal::open(fresh); }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    exec_sql(db, file_text(std::string(LOCKRIG_SOURCE_DIR) + "/tests/rig/journal_schema_v2.sql"));
    exec_sql(db, "PRAGMA application_id = " + std::to_string(kJournalApplicationId) +
                     "; PRAGMA user_version = 2; PRAGMA journal_mode = WAL");
    sqlite3_close(db);
  }
  {
    // Rows written through the version-2 triggers by a plain connection.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    exec_sql(db,
             "INSERT INTO runs (uuid, host, rig, started_at, status, clock, seed, fixture_source, "
             "fixture_sha256, scenarios_sha256, controller_version, command_line, "
             "sessions_planned) VALUES ('u','h','r','t','completed','virtual',1,'f','x','y','0',"
             "'c',0); INSERT INTO run_locks VALUES (1,'a','m','wood','A1','sim','2','m','acme')");
    for (int rep = 1; rep <= 20; ++rep)
      exec_sql(db, "INSERT INTO sessions (run_id, lock_id, scenario, repetition, step, expect, "
                   "within_ms, started_ns, ended_ns, result, outcome, attempts, sli_eligible, "
                   "sli_success, first_attempt_success) VALUES (1,'a','s'," +
                       std::to_string(rep) + ",0,'success',8000,0," +
                       std::to_string(rep * 1'000'000) + "," +
                       (rep % 4 ? "'pass','success',1,1,1,1)" : "'fail','timeout',1,1,0,0)") +
                       "; INSERT INTO attempts VALUES (last_insert_rowid(), 1, 0, 1, 1.0, NULL, '" +
                       (rep % 4 ? "success" : "timeout") + "', 'lock', 'unlock', '')");
    sqlite3_close(db);
  }
  const auto v2_tables = base_table_sql(path);
  ASSERT_NE(v2_tables.at(1).find("IN ("), std::string::npos) << v2_tables.at(1);
  Journal j = Journal::open(path);
  // Upgraded through version 3 to the current version (4: packed latency histograms).
  EXPECT_EQ(j.schema_version(), kJournalSchemaVersion);
  EXPECT_EQ(count(journal_db(j), "PRAGMA user_version"), kJournalSchemaVersion);
  EXPECT_EQ(count(journal_db(j), "SELECT count(*) FROM sessions"), 20);
  EXPECT_EQ(count(journal_db(j), "SELECT sum(sessions) FROM agg_sessions"), 20);
  EXPECT_TRUE(j.check_aggregates().empty());
  EXPECT_EQ(column(journal_db(j), "PRAGMA integrity_check"), std::vector<std::string>{"ok"});
  EXPECT_EQ(base_table_sql(path), base_table_sql(fresh));
  // The rewritten rules are enforced on the upgraded file.
  EXPECT_THROW(exec_sql(journal_db(j), "INSERT INTO attempts VALUES (1, 9, 0, 1, 1.0, NULL, 'x', "
                                       "'nope', 'unlock', '')"),
               std::runtime_error);
}

// ---- Readers at report speed (issue 18 item 3) and export order (item 5) ----

namespace {

// A journal with two runs of two locks, then a copy of everything the readers print.
struct ReaderJournal {
  TempDir d;
  std::string path = d.file("j.db");
  std::vector<std::int64_t> runs;
  ReaderJournal() {
    Journal j = Journal::open(path);
    for (const char* uuid : {"00000000-0000-4000-8000-00000000000a",
                             "00000000-0000-4000-8000-00000000000b"}) {
      const auto run = j.begin_run(lockrig::testing::sample_run(uuid));
      j.record_locks(run, {LockRow{"a", "m", "wood", "A1", "sim", "2.4.0", "m", "acme"},
                           LockRow{"b", "m", "steel", "B1", "sim", "2.4.1", "m", "acme"}});
      auto batches = group("a", 1, 60);
      for (auto& b : group("b", 1, 45)) batches.push_back(std::move(b));
      j.commit_group(run, batches);
      runs.push_back(run);
    }
  }
};

std::string slo_text(Journal& j, const std::vector<std::int64_t>& runs) {
  std::string out;
  for (const auto& r : read_slo_rows(j, runs, {}))
    out += r.date + "|" + r.rig + "|" + r.lock + "|" + r.material + "|" + r.model + "|" +
           r.firmware + "|" + r.scenario + "|" + std::to_string(r.sli_sessions) + "|" +
           std::to_string(r.sli_successes) + "\n";
  return out;
}

std::string metrics_text(Journal& j, const ReportScope& scope) {
  std::string out;
  for (const auto& r : sessions_by_result(j, scope))
    out += r.key.lock + "|" + r.result + "|" + std::to_string(r.sessions) + "|" +
           std::to_string(r.sli_sessions) + "|" + std::to_string(r.sli_successes) + "\n";
  for (const auto& r : failed_sli_sessions_by_outcome(j, scope))
    out += r.key.lock + "|" + r.outcome + "|" + std::to_string(r.sessions) + "\n";
  for (const auto& r : failed_attempts(j, scope))
    out += r.key.lock + "|" + r.cls + "|" + r.outcome + "|" + std::to_string(r.attempts) + "\n";
  for (const auto& r : last_run_per_lock(j, scope)) out += r.key.lock + "\n";
  for (const auto& s : export_scenarios(j, scope)) out += s + "\n";
  return out;
}

std::string runs_text(Journal& j) {
  std::string out;
  for (const auto& r : j.list_runs())
    out += r.uuid + "|" + std::to_string(r.sessions) + "|" + std::to_string(r.sli_sessions) +
           "|" + std::to_string(r.sli_success) + "|" + std::to_string(r.failed_assertions) + "\n";
  return out;
}

}  // namespace

// slo, export --format openmetrics and runs read the aggregate tables, never the raw rows: with
// the raw sessions and attempts gone (deleted behind the triggers' back) they print the same.
TEST(JournalReaders, SloOpenMetricsAndRunsReadTheAggregatesNotTheRawRows) {
  ReaderJournal rj;
  Journal j = Journal::open(rj.path);
  ReportScope scope;
  scope.runs = rj.runs;
  const std::string slo = slo_text(j, rj.runs), metrics = metrics_text(j, scope),
                    runs = runs_text(j);
  ASSERT_NE(slo.find("|120|96\n"), std::string::npos) << slo;  // 2 x 60 sessions of a, 12 failed
  ASSERT_NE(runs.find("|105|105|84|0\n"), std::string::npos) << runs;
  exec_sql(journal_db(j),
           "DROP TRIGGER agg_session_delete; DROP TRIGGER agg_attempt_delete; "
           "DELETE FROM attempts; DELETE FROM sessions");
  EXPECT_EQ(slo_text(j, rj.runs), slo);
  EXPECT_EQ(metrics_text(j, scope), metrics);
  EXPECT_EQ(runs_text(j), runs);
}

// The row exports stream in rowid order without a sort pass: SQLite's plan for them has no
// "USE TEMP B-TREE FOR ORDER BY" (sqlite.org/eqp.html), and the rows come in id order.
TEST(JournalReaders, RowExportsNeedNoSortPass) {
  ReaderJournal rj;
  Journal j = Journal::open_readonly(rj.path);
  for (const auto& runs : {rj.runs, std::vector<std::int64_t>{rj.runs.back()}})
    for (const auto table : {ExportTable::sessions, ExportTable::attempts}) {
      ReportScope scope;
      scope.runs = runs;
      const std::string sql = export_rows_sql(j, table, scope);
      std::string plan;
      for (SqlStatement q(journal_db(j), "EXPLAIN QUERY PLAN " + sql); q.step();)
        plan += q.text(3) + "\n";
      EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
      // The rows in the order they come, against the same rows ordered by id explicitly.
      const auto& cols = export_columns(table);
      int lock_col = -1, rep_col = -1, attempt_col = -1;
      for (std::size_t c = 0; c < cols.size(); ++c) {
        const std::string n = cols[c].name;
        if (n == "lock_id") lock_col = static_cast<int>(c);
        if (n == "repetition") rep_col = static_cast<int>(c);
        if (n == "attempt") attempt_col = static_cast<int>(c);
      }
      ASSERT_GE(lock_col, 0);
      ASSERT_GE(rep_col, 0);
      std::vector<std::string> got;
      read_export_rows(j, table, scope, [&](const ExportRow& r) {
        got.push_back(std::string(r.text(lock_col)) + "/" + std::to_string(r.integer(rep_col)) +
                      (attempt_col >= 0 ? "/" + std::to_string(r.integer(attempt_col)) : ""));
      });
      std::string in;
      for (auto id : runs) in += (in.empty() ? "" : ",") + std::to_string(id);
      const auto want = column(
          journal_db(j),
          table == ExportTable::sessions
              ? "SELECT lock_id || '/' || repetition FROM sessions WHERE run_id IN (" + in +
                    ") ORDER BY id"
              : "SELECT s.lock_id || '/' || s.repetition || '/' || a.attempt FROM attempts a "
                "JOIN sessions s ON s.id = a.session_id WHERE s.run_id IN (" + in +
                    ") ORDER BY s.id, a.attempt");
      EXPECT_EQ(got, want);
      const long long rows = static_cast<long long>(got.size());
      EXPECT_EQ(rows, (table == ExportTable::sessions ? 105 : 158) *
                          static_cast<long long>(runs.size()));
    }
}
