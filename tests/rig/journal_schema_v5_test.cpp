// Journal schema version 5: sweep_sessions (issue 14) and annotations (issue 16).
// The writer stores a sweep session's level in the session's transaction; a version-4 journal is
// upgraded in place on its first open for writing; merge re-keys sweep rows with their sessions
// and copies notes by uuid (once, however often the same input is merged).
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "rig/journal/journal.hpp"
#include "rig/journal/merge.hpp"
#include "rig/journal/report_reader.hpp"
#include "rig/journal/sql.hpp"
#include "tests/support/journal_fixtures.hpp"

using namespace lockrig;

namespace {

using TempDir = lockrig::testing::ScratchDir;
using lockrig::testing::exec_sql;
using lockrig::testing::file_text;

long long count(sqlite3* db, const std::string& sql) {
  SqlStatement s(db, sql);
  return s.step() ? s.integer(0) : -1;
}

std::string rows(sqlite3* db, const std::string& sql) {
  SqlStatement s(db, sql);
  std::string out;
  while (s.step()) {
    for (int c = 0; c < sqlite3_column_count(s.get()); ++c) out += (c ? "|" : "") + s.text(c);
    out += "\n";
  }
  return out;
}

// A sweep session at `db` dB: a success unless `pass` is false; not an SLI session.
SessionRecord sweep_session(const std::string& lock, int rep, double level, bool pass,
                            std::string_view expect = kSweepExpect) {
  SessionRecord s;
  s.lock_id = lock;
  s.scenario = "range-sweep";
  s.repetition = rep;
  s.expect = std::string(expect);
  s.result = pass ? SessionResult::pass : SessionResult::fail;
  s.outcome = pass ? "success" : "timeout";
  s.started = Duration(std::int64_t{rep} * 1'000'000'000);
  s.ended = s.started + Duration(700'000'000);
  AttemptRecord at;
  at.number = 1;
  at.outcome = s.outcome;
  at.phase = "unlock";
  s.attempts.push_back(at);
  s.sweep = SweepLevel{"range-sweep", "rf_path", level, "staircase"};
  return s;
}

// A journal with one finished run of six sweep sessions on lock "a" (written with `expect`).
std::string sweep_journal(TempDir& d, const std::string& name, const std::string& uuid,
                          std::string_view expect = kSweepExpect) {
  const std::string path = d.file(name);
  Journal j = Journal::open(path);
  const auto run = j.begin_run(lockrig::testing::sample_run(uuid));
  j.record_locks(run, {LockRow{"a", "m", "steel", "A1", "sim", "2.4.0", "m", "acme"}});
  std::vector<JournalBatch> batch;
  for (int rep = 1; rep <= 6; ++rep)
    batch.push_back(JournalBatch{{}, sweep_session("a", rep, 40.0 + 2.5 * rep, rep < 5, expect)});
  j.commit_group(run, std::move(batch));
  j.finish_run(run, "completed", 0, "2026-12-03T01:00:00.000Z", 60);
  return path;
}

void add_note(const std::string& path, const std::string& uuid, const std::string& text) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  exec_sql(db, "INSERT INTO annotations (uuid, created_at, author, lock_id, mute_until, text) "
               "VALUES ('" + uuid + "', '2026-12-04T10:00:00Z', 'ana', 'a', '2026-12-31', '" +
                   text + "')");
  sqlite3_close(db);
}

}  // namespace

TEST(JournalSchemaV5, TheWriterStoresASweepSessionsLevelWithTheSession) {
  TempDir d;
  const std::string path = sweep_journal(d, "j.db", "00000000-0000-4000-8000-0000000000a1");
  Journal j = Journal::open_readonly(path);
  EXPECT_EQ(j.schema_version(), kJournalSchemaVersion);  // 5 or later
  EXPECT_TRUE(j.has_sweeps());
  EXPECT_TRUE(j.has_annotations());
  sqlite3* db = journal_db(j);
  EXPECT_EQ(rows(db, "SELECT s.repetition, s.result, s.sli_eligible, w.sweep, w.part, w.level_db, "
                     "w.design FROM sweep_sessions w JOIN sessions s ON s.id = w.session_id "
                     "ORDER BY s.repetition"),
            "1|pass|0|range-sweep|rf_path|42.5|staircase\n"
            "2|pass|0|range-sweep|rf_path|45.0|staircase\n"
            "3|pass|0|range-sweep|rf_path|47.5|staircase\n"
            "4|pass|0|range-sweep|rf_path|50.0|staircase\n"
            "5|fail|0|range-sweep|rf_path|52.5|staircase\n"
            "6|fail|0|range-sweep|rf_path|55.0|staircase\n");
  // A session without a level gets no row.
  EXPECT_EQ(count(db, "SELECT count(*) FROM sessions"), 6);
}

// A failed unlock in a sweep is a measurement: `lockrig runs`, v_run_summary and the report's
// session groups do not count it as a failed assertion (nor as an SLI session). The control: the
// same sessions written as ordinary non-SLI checks (expect success, sli 0) are 2 failed ones.
TEST(JournalSchemaV5, ASweepFailureIsNoFailedAssertion) {
  TempDir d;
  const std::string path = sweep_journal(d, "j.db", "00000000-0000-4000-8000-0000000000a3");
  {
    Journal j = Journal::open(path);
    const auto runs = j.list_runs();
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].sessions, 6);
    EXPECT_EQ(runs[0].failed_assertions, 0);
    EXPECT_EQ(count(journal_db(j), "SELECT failed_assertions FROM v_run_summary"), 0);
    long long groups = 0;
    read_session_groups(j, ReportScope{}, true, [&](const SessionGroupRow&) { ++groups; });
    EXPECT_EQ(groups, 0);
  }
  const std::string control =
      sweep_journal(d, "control.db", "00000000-0000-4000-8000-0000000000a4", "success");
  Journal j = Journal::open_readonly(control);
  EXPECT_EQ(j.list_runs()[0].failed_assertions, 2);
  EXPECT_EQ(count(journal_db(j), "SELECT failed_assertions FROM v_run_summary"), 2);
}

TEST(JournalSchemaV5, TheSchemaRefusesADesignItDoesNotKnow) {
  TempDir d;
  const std::string path = sweep_journal(d, "j.db", "00000000-0000-4000-8000-0000000000a2");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_NE(sqlite3_exec(db, "UPDATE sweep_sessions SET design = 'bayes'", nullptr, nullptr, &err),
            SQLITE_OK);
  sqlite3_free(err);
  sqlite3_close(db);
}

// A version-4 journal (tests/rig/journal_schema_v4.sql, the DDL as it was at ecb344f) keeps its
// rows and gains the two empty tables on its first open for writing; read-only it stays at 4.
TEST(JournalSchemaV5, AVersion4JournalIsUpgradedInPlace) {
  TempDir d;
  const std::string path = d.file("v4.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    exec_sql(db, file_text(std::string(LOCKRIG_SOURCE_DIR) + "/tests/rig/journal_schema_v4.sql"));
    exec_sql(db, "PRAGMA application_id = " + std::to_string(kJournalApplicationId) +
                     "; PRAGMA user_version = 4; PRAGMA journal_mode = WAL");
    exec_sql(db, "INSERT INTO runs (uuid, host, rig, started_at, status, clock, seed, "
                 "fixture_source, fixture_sha256, scenarios_sha256, controller_version, "
                 "command_line, sessions_planned) VALUES ('u4','h','r','t','completed','virtual',"
                 "1,'f','x','y','0','c',0)");
    exec_sql(db, "INSERT INTO sessions (run_id, lock_id, scenario, repetition, step, expect, "
                 "within_ms, started_ns, ended_ns, result, outcome, attempts, sli_eligible, "
                 "sli_success, first_attempt_success) VALUES (1,'a','s',1,0,'success',8000,0,"
                 "7000000,'pass','success',1,1,1,1)");
    sqlite3_close(db);
  }
  {
    Journal ro = Journal::open_readonly(path);
    EXPECT_EQ(ro.schema_version(), 4);
    EXPECT_FALSE(ro.has_sweeps());
    EXPECT_FALSE(ro.has_annotations());
  }
  Journal j = Journal::open(path);
  sqlite3* db = journal_db(j);
  // Through 5 to 6 in the same open: version 6's cross-run rollup is built from the aggregates.
  EXPECT_EQ(j.schema_version(), 6);
  EXPECT_EQ(count(db, "PRAGMA user_version"), 6);
  EXPECT_EQ(count(db, "SELECT count(*) FROM rollup_state"), 1);
  EXPECT_EQ(count(db, "SELECT sum(sessions) FROM rollup_sessions"), 1);
  EXPECT_EQ(count(db, "SELECT count(*) FROM sweep_sessions"), 0);
  EXPECT_EQ(count(db, "SELECT count(*) FROM annotations"), 0);
  EXPECT_EQ(count(db, "SELECT count(*) FROM sessions"), 1);
  EXPECT_TRUE(j.check_aggregates().empty());
  // The upgraded file passes the same schema check as a journal created at version 6.
  Journal ro = Journal::open_readonly(path);
  EXPECT_EQ(ro.schema_version(), 6);
}

// Merge: the sweep rows follow their sessions' new ids; notes arrive once by uuid, also from an
// input whose runs the output already has.
TEST(JournalSchemaV5, MergeCarriesSweepLevelsAndNotesOnce) {
  TempDir d;
  const std::string a = sweep_journal(d, "a.db", "00000000-0000-4000-8000-0000000000b1");
  const std::string b = sweep_journal(d, "b.db", "00000000-0000-4000-8000-0000000000b2");
  add_note(a, "note-1", "relay replaced");
  const std::string out = d.file("lab.db");
  for (const bool existing_output : {false, true}) {
    (void)existing_output;
    const MergeSummary first = merge_journals({a, b}, out);
    Journal j = Journal::open_readonly(out);
    sqlite3* db = journal_db(j);
    EXPECT_EQ(count(db, "SELECT count(*) FROM sweep_sessions"), 12);
    EXPECT_EQ(count(db, "SELECT count(*) FROM sweep_sessions w LEFT JOIN sessions s ON "
                        "s.id = w.session_id WHERE s.id IS NULL"),
              0);
    // Each run's levels and results are what its input journal had, session by session.
    EXPECT_EQ(rows(db, "SELECT r.uuid, s.repetition, s.result, w.level_db FROM sweep_sessions w "
                       "JOIN sessions s ON s.id = w.session_id JOIN runs r ON r.id = s.run_id "
                       "WHERE s.repetition IN (1, 6) ORDER BY r.uuid, s.repetition"),
              "00000000-0000-4000-8000-0000000000b1|1|pass|42.5\n"
              "00000000-0000-4000-8000-0000000000b1|6|fail|55.0\n"
              "00000000-0000-4000-8000-0000000000b2|1|pass|42.5\n"
              "00000000-0000-4000-8000-0000000000b2|6|fail|55.0\n");
    EXPECT_EQ(rows(db, "SELECT uuid, author, lock_id, mute_until, text FROM annotations"),
              "note-1|ana|a|2026-12-31|relay replaced\n");
    EXPECT_EQ(first.annotations_copied, existing_output ? 0 : 1);
    EXPECT_TRUE(j.check_aggregates().empty());
  }
  // A note added to an input since: the next merge brings it although no run changed.
  add_note(b, "note-2", "known flaky");
  const MergeSummary again = merge_journals({a, b}, out);
  EXPECT_EQ(again.runs_unchanged, 2);
  EXPECT_EQ(again.annotations_copied, 1);
  Journal j = Journal::open_readonly(out);
  EXPECT_EQ(count(journal_db(j), "SELECT count(*) FROM annotations"), 2);
}
