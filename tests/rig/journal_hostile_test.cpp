// Issue 17 (part A): foreign journals are data, not code. A corpus of hostile journals, made here
// from a real one (the same writes `lockrig run` makes) by editing it with plain SQLite, each
// with the outcome lockrig must give. Set LOCKRIG_HOSTILE_CORPUS_DIR to keep the files (the
// before/after figures of docs/journal.md were taken with tests/rig/hostile_corpus_outcomes.sh).
//
// The measures follow SQLite's advice for files from untrusted sources, "Defense Against The
// Dark Arts" (https://www.sqlite.org/security.html, section 1.2): SQLITE_DBCONFIG_DEFENSIVE,
// PRAGMA trusted_schema=OFF, smaller sqlite3_limit() values, a progress handler that bounds run
// time, and a schema checked before use.
#include <gtest/gtest.h>

#include "tests/support/journal_fixtures.hpp"
#include <grp.h>
#include <pwd.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <sstream>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#ifndef LOCKRIG_REPORT_PYTHON
#define LOCKRIG_REPORT_PYTHON "python3"
#endif
#include "rig/app/commands.hpp"
#include "rig/journal/open_guard.hpp"
#include "rig/journal/resume.hpp"
#include "rig/journal/run_records.hpp"
#include "reports/export.hpp"
#include "reports/slo.hpp"
#include "rig/journal/sql.hpp"
#include "tests/reports/report_test_support.hpp"

namespace lockrig {
namespace {

namespace fs = std::filesystem;
using reports::testing::RegressedSteel;
using reports::testing::TestJournal;
using TempDir = lockrig::testing::ScratchDir;

// Edits a journal as another program would: a plain connection, no lockrig checks.
void tamper(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  const std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << msg << "\n" << sql;
}

// What opening a journal read-only says: "" when it opens, else the error.
std::string open_error(const std::string& path, bool writable = false) {
  try {
    if (writable)
      Journal::open(path);
    else
      Journal::open_readonly(path);
    return "";
  } catch (const JournalError& e) {
    return e.what();
  }
}

// A gate that fails (steel got worse in 2.4.1) and copies of it edited by hand.
struct Corpus {
  RegressedSteel lab{200, 0, 20, 0};
  std::vector<std::string> gate_args(const std::string& path) const {
    std::vector<std::string> a = lab.args;
    a[1] = path;  // --db
    return a;
  }
  std::string copy(const std::string& name) {
    const std::string p = lab.tj.dir().file(name + ".db");
    lab.tj.snapshot(p);
    kept.push_back(p);
    return p;
  }
  std::vector<std::string> kept;
  ~Corpus() {
    if (const char* keep = std::getenv("LOCKRIG_HOSTILE_CORPUS_DIR")) {
      fs::create_directories(keep);
      for (const auto& p : kept)
        fs::copy_file(p, fs::path(keep) / fs::path(p).filename(),
                      fs::copy_options::overwrite_existing);
    }
  }
};

// steel-2's 20 failures turned into successes in agg_sessions, and the view `check --journal`
// recomputed through redefined to agree with the edit.
const char* kFlipGate =
    "UPDATE agg_sessions SET sessions = sessions + 20 WHERE lock_id = 'steel-2' AND "
    "sli_success = 1;"
    "DELETE FROM agg_sessions WHERE lock_id = 'steel-2' AND sli_success = 0;"
    "DROP VIEW v_agg_sessions_recomputed;"
    "CREATE VIEW v_agg_sessions_recomputed AS SELECT * FROM agg_sessions;";

TEST(HostileJournal, AnEditedAggregateWithARedefinedViewNoLongerFlipsTheGate) {
  Corpus c;
  const auto honest = reports::testing::gate(c.lab.args);
  ASSERT_EQ(honest.code, 1) << honest.out << honest.error;  // FAIL: steel regressed
  const std::string path = c.copy("gate-flip");
  tamper(path, kFlipGate);
  // Before issue 17 this gate said PASS (exit 0) and check --journal "aggregates agree".
  const auto flipped = reports::testing::gate(c.gate_args(path));
  EXPECT_EQ(flipped.code, 2) << flipped.out;
  EXPECT_NE(flipped.error.find("v_agg_sessions_recomputed"), std::string::npos) << flipped.error;
  EXPECT_NE(flipped.error.find("not lockrig's"), std::string::npos) << flipped.error;
  EXPECT_NE(open_error(path, true), "");  // nor is it opened for writing
}

TEST(HostileJournal, CheckRecomputesWithLockrigsOwnSqlNotTheFilesViews) {
  Corpus c;
  const std::string path = c.copy("agg-edited");
  // The aggregates edited but the views left alone: the file passes the schema check, and
  // check --journal must still see the edit.
  tamper(path,
         "UPDATE agg_sessions SET sessions = sessions + 20 WHERE lock_id = 'steel-2' AND "
         "sli_success = 1; DELETE FROM agg_sessions WHERE lock_id = 'steel-2' AND "
         "sli_success = 0;");
  Journal j = Journal::open_readonly(path);
  const auto m = j.check_aggregates();
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(m.front().table, "agg_sessions");
  EXPECT_NE(m.front().detail.find("steel-2"), std::string::npos) << m.front().detail;
  // The recomputation is lockrig's SQL, whatever the file's view says.
  const std::string q = shipped_view_query("v_agg_sessions_recomputed");
  EXPECT_EQ(q.rfind("WITH ", 0), 0u) << q;
  EXPECT_NE(q.find("v_agg_sessions_recomputed AS ("), std::string::npos) << q;
}

TEST(HostileJournal, TheRecomputationIgnoresAViewRedefinedInTheFile) {
  Corpus c;
  const std::string path = c.copy("view-only");
  tamper(path,
         "DROP VIEW v_agg_sessions_recomputed;"
         "CREATE VIEW v_agg_sessions_recomputed AS SELECT * FROM agg_sessions;"
         "UPDATE agg_sessions SET sessions = sessions + 1 WHERE lock_id = 'wood-1';");
  // Refused at open; and the recomputation itself never reads the file's view: run on the
  // tampered connection through lockrig's SQL, it still counts 200 wood-1 sessions.
  EXPECT_NE(open_error(path).find("v_agg_sessions_recomputed"), std::string::npos);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  {
    SqlStatement s(db, "SELECT sum(sessions) FROM (" +
                           shipped_view_query("v_agg_sessions_recomputed") +
                           ") WHERE lock_id = 'wood-1'");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.integer(0), 200);
  }
  sqlite3_close(db);
}

TEST(HostileJournal, BaseTablesReplacedByViewsAreRefused) {
  Corpus c;
  struct Case {
    const char* name;
    const char* sql;
    const char* object;
  };
  const Case cases[] = {
      // sessions as a view: `runs` said 100% where the merged copy says 0%.
      {"sessions-view",
       "DROP TABLE sessions; CREATE VIEW sessions AS SELECT 1 AS id, 1 AS run_id, 'a' AS lock_id, "
       "'s' AS scenario, 1 AS repetition, 0 AS step, 'success' AS expect, 1.0 AS within_ms, 0 AS "
       "started_ns, 1 AS ended_ns, 'pass' AS result, 'success' AS outcome, 1 AS attempts, 1 AS "
       "sli_eligible, 1 AS sli_success, 1 AS first_attempt_success;",
       "sessions"},
      // A recursive CTE named runs: every command hung without bound.
      {"runs-recursive-view",
       "PRAGMA foreign_keys = OFF; DROP TABLE runs; CREATE VIEW runs AS WITH RECURSIVE c(x) AS "
       "(SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x AS id, 'u' || x AS uuid, 'h' AS host, "
       "'r' AS rig, '2026' AS started_at, NULL AS ended_at, 'running' AS status, NULL AS "
       "exit_code, 'virtual' AS clock, 0 AS seed, 'f' AS fixture_source, '' AS fixture_sha256, "
       "'' AS scenarios_sha256, '' AS controller_version, '' AS command_line, 0 AS "
       "sessions_planned, NULL AS campaign_seconds, NULL AS host_id FROM c;",
       "runs"},
      // Labels that explode: report --format json wrote 800 MB.
      {"labels-view",
       "DROP TABLE run_labels; CREATE VIEW run_labels AS WITH RECURSIVE c(n) AS (SELECT 1 UNION "
       "ALL SELECT n + 1 FROM c WHERE n < 100000) SELECT 1 AS run_id, 'k' || n AS key, "
       "printf('%.*c', 60000, 'x') AS value FROM c;",
       "run_labels"},
  };
  for (const auto& k : cases) {
    const std::string path = c.copy(k.name);
    tamper(path, k.sql);
    const auto t0 = std::chrono::steady_clock::now();
    const std::string err = open_error(path);
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_NE(err.find(std::string("\"") + k.object + "\" as a view"), std::string::npos)
        << k.name << ": " << err;
    EXPECT_NE(open_error(path, true), "") << k.name;
    const auto r = reports::testing::report({"--db", path, "--format", "json"});
    EXPECT_EQ(r.code, 2) << k.name << ": " << r.out.substr(0, 200);
    // Refused by the schema check, long before any budget.
    EXPECT_LT(took, journal_time_budget()) << k.name;
  }
}

TEST(HostileJournal, CountsOutOfRangeAreRefusedNamingTableAndRow) {
  Corpus c;
  struct Case {
    const char* name;
    const char* sql;
    const char* said;
  };
  const Case cases[] = {
      // 2e9 attempts per session: a 48 GB allocation before.
      {"attempts-2e9",
       "UPDATE agg_sessions SET attempts = 2000000000 WHERE lock_id = 'steel-2' AND "
       "sli_success = 0;",
       "agg_sessions.attempts = \"2000000000\" in the row (run_id=1, lock_id=\"steel-2\""},
      // 2^62 sessions: sums overflowed signed 64-bit integers before (UBSan).
      {"sessions-2pow62",
       "UPDATE agg_sessions SET sessions = 4611686018427387904 WHERE lock_id = 'wood-1';",
       "agg_sessions.sessions summing to 4.61169e+18"},
      {"sessions-max-int64",
       "UPDATE agg_sessions SET sessions = 9223372036854775807 WHERE lock_id = 'wood-1';",
       "agg_sessions.sessions = \"9223372036854775807\""},
      {"sessions-negative", "UPDATE agg_sessions SET sessions = -3 WHERE lock_id = 'alu-1';",
       "agg_sessions.sessions = \"-3\" in the row (run_id=1, lock_id=\"alu-1\""},
      {"duration-sum-overflow",
       "UPDATE agg_sessions SET duration_ns = 4611686018427387000 WHERE sli_success = 1;",
       "agg_sessions.duration_ns summing to"},
      {"attempts-as-text",
       "UPDATE agg_attempts SET attempts = 'many' WHERE lock_id = 'glass-1';",
       "agg_attempts.attempts = \"many\" in the row (run_id=1, lock_id=\"glass-1\""},
      {"latency-negative",
       "UPDATE agg_latency SET sessions = -1 WHERE lock_id = 'wood-2';",
       "agg_latency.sessions = \"-1\" in the row (run_id=1, lock_id=\"wood-2\""},
  };
  const auto honest = reports::testing::gate(c.gate_args(c.copy("counts-honest")));
  ASSERT_EQ(honest.code, 1) << honest.out << honest.error;  // FAIL: steel regressed
  // `slo` (reads agg_sessions only), with and without --scenario: the error text, or the output.
  auto slo = [](const std::string& path, bool one_scenario) {
    std::vector<std::string> args{"--db", path, "--format", "json"};
    if (one_scenario) args.insert(args.end(), {"--scenario", "daily-unlock"});
    std::ostringstream out;
    try {
      reports::cmd_slo(args, out);
    } catch (const JournalError& e) {
      return std::string("error: ") + e.what();
    }
    // Without the lines that name the file and the time.
    std::istringstream lines(out.str());
    std::string kept, line;
    while (std::getline(lines, line))
      if (line.find("\"journal\"") == std::string::npos &&
          line.find("\"generated_at\"") == std::string::npos)
        kept += line + "\n";
    return kept;
  };
  const std::string honest_slo = slo(c.copy("counts-honest-slo"), false);
  const std::string honest_slo_one = slo(c.copy("counts-honest-slo-one"), true);
  ASSERT_NE(honest_slo.find("\"sli_sessions\": 1600"), std::string::npos)
      << honest_slo.substr(0, 400);
  ASSERT_NE(honest_slo_one.find("\"sli_sessions\": 1600"), std::string::npos)
      << honest_slo_one.substr(0, 400);
  for (const auto& k : cases) {
    const std::string path = c.copy(k.name);
    tamper(path, k.sql);
    const std::string err = open_error(path);
    EXPECT_NE(err.find(k.said), std::string::npos) << k.name << ": " << err;
    EXPECT_NE(err.find(path), std::string::npos) << k.name << ": " << err;
    // Issue 18: report, gate, slo, export, runs and serve check a table before the first
    // statement that reads one of its counts (Journal::CountChecks::when_read), with the same
    // message. The gate reads every agg_sessions row itself and checks each as it reads it
    // (SessionCountTally); with --scenario it reads some rows only, so the table's own check runs
    // first: both paths must refuse.
    const bool gate_reads = std::string_view(k.said).rfind("agg_attempts", 0) != 0;
    const auto r = reports::testing::gate(c.gate_args(path));
    auto scenario_args = c.gate_args(path);
    scenario_args.insert(scenario_args.end(), {"--scenario", "daily-unlock"});
    const auto rs = reports::testing::gate(scenario_args);
    if (gate_reads) {
      EXPECT_EQ(r.code, 2) << k.name << ": " << r.out.substr(0, 200);
      EXPECT_NE(r.error.find(k.said), std::string::npos) << k.name << ": " << r.error;
      EXPECT_EQ(rs.code, 2) << k.name << ": " << rs.out.substr(0, 200);
      EXPECT_NE(rs.error.find(k.said), std::string::npos) << k.name << ": " << rs.error;
    } else {
      // No gate statement reads agg_attempts, so its broken row cannot move the verdict.
      EXPECT_EQ(r.code, honest.code) << k.name << ": " << r.error;
      EXPECT_EQ(rs.code, honest.code) << k.name << ": " << rs.error;
    }
    // Issue 18: `slo` reads every agg_sessions row and checks each as it reads it, with or
    // without --scenario; a broken row elsewhere does not concern it.
    const bool slo_reads = std::string_view(k.said).rfind("agg_sessions", 0) == 0;
    for (const bool one : {false, true}) {
      const std::string got = slo(path, one);
      if (slo_reads) {
        EXPECT_NE(got.find(k.said), std::string::npos) << k.name << " " << one << ": " << got;
        EXPECT_EQ(got.rfind("error: ", 0), 0u) << k.name << " " << one;
      } else {
        EXPECT_EQ(got, one ? honest_slo_one : honest_slo) << k.name << " " << one << ": "
                                                          << got.substr(0, 400);
      }
    }
    // OpenMetrics reads the counts of all three tables.
    std::ostringstream om;
    std::string om_error;
    try {
      reports::cmd_export({"--db", path, "--format", "openmetrics"}, om);
    } catch (const JournalError& e) {
      om_error = e.what();
    }
    EXPECT_NE(om_error.find(k.said), std::string::npos) << k.name << ": " << om_error;
    EXPECT_EQ(om.str(), "") << k.name;
  }
}

// Issue 18: with CountChecks::when_read the open does not scan the aggregate tables; the first
// statement that reads a count of one (SQLite's authorizer reports every column a statement
// reads while it is prepared) runs that table's check and fails with the open-time message.
// Statements that read no count, and other tables, are not held up.
TEST(HostileJournal, DeferredCountChecksRunBeforeTheFirstStatementThatReadsACount) {
  Corpus c;
  const std::string path = c.copy("deferred-counts");
  tamper(path, "UPDATE agg_attempts SET attempts = -7 WHERE lock_id = 'glass-1';");
  const std::string said = "agg_attempts.attempts = \"-7\" in the row (run_id=1, lock_id=\"glass-1\"";
  EXPECT_NE(open_error(path).find(said), std::string::npos) << open_error(path);

  Journal j = Journal::open_readonly(path, Journal::CountChecks::when_read);
  {
    SqlStatement keys(j, "SELECT count(*), count(DISTINCT lock_id) FROM agg_attempts");
    ASSERT_TRUE(keys.step());
    EXPECT_GT(keys.integer(0), 0);
  }
  {
    SqlStatement other(j, "SELECT sum(sessions) FROM agg_sessions");
    ASSERT_TRUE(other.step());
    EXPECT_GT(other.integer(0), 0);
  }
  std::string err;
  try {
    // Through a CTE, as the readers' inlined views read: still a read of the column.
    SqlStatement q(j, "WITH a AS (SELECT lock_id, attempts FROM agg_attempts) "
                      "SELECT lock_id, attempts FROM a");
  } catch (const JournalError& e) {
    err = e.what();
  }
  EXPECT_NE(err.find(said), std::string::npos) << err;
  EXPECT_NE(err.find(path), std::string::npos) << err;
  // Checked once: the next statement goes on (the command has already failed by then).
  SqlStatement again(j, "SELECT attempts FROM agg_attempts LIMIT 1");
  EXPECT_TRUE(again.step());
}

TEST(HostileJournal, ForeignTriggersAndChangedLockrigTriggersAreRefused) {
  Corpus c;
  const std::string extra = c.copy("extra-trigger");
  tamper(extra,
         "CREATE TRIGGER pass_everything AFTER INSERT ON sessions BEGIN UPDATE agg_sessions SET "
         "sli_success = 1; END;");
  EXPECT_NE(open_error(extra, true).find("trigger \"pass_everything\""), std::string::npos)
      << open_error(extra, true);
  const std::string changed = c.copy("changed-trigger");
  tamper(changed,
         "DROP TRIGGER agg_session_insert; CREATE TRIGGER agg_session_insert AFTER INSERT ON "
         "sessions BEGIN SELECT 1; END;");
  EXPECT_NE(open_error(changed, true).find("trigger \"agg_session_insert\" with SQL"),
            std::string::npos)
      << open_error(changed, true);
  const std::string column = c.copy("dropped-column");
  tamper(column, "ALTER TABLE events DROP COLUMN detail;");
  EXPECT_NE(open_error(column).find("table \"events\" with other columns"), std::string::npos)
      << open_error(column);
  // The user's own view and index are not lockrig's business.
  const std::string own = c.copy("own-view");
  tamper(own,
         "CREATE VIEW my_steel AS SELECT * FROM sessions WHERE lock_id LIKE 'steel%';"
         "CREATE INDEX my_index ON sessions(scenario);");
  EXPECT_EQ(open_error(own), "");
  EXPECT_EQ(open_error(own, true), "");
}

TEST(HostileJournal, AMegabyteStringIsRefusedInsteadOfCopiedIntoEveryRow) {
  Corpus c;
  const std::string path = c.copy("model-1mb");
  tamper(path, "UPDATE run_locks SET model = printf('%.*c', 1000000, 'M') WHERE lock_id = 'wood-1';");
  const auto r = reports::testing::report({"--db", path, "--format", "json"});
  EXPECT_EQ(r.code, 2) << r.out.substr(0, 200);
  EXPECT_NE(r.error.find("too big"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find(path), std::string::npos) << r.error;
}

TEST(HostileJournal, ARunawayQueryEndsWithinTheTimeBudgetNamingTheJournal) {
  TempDir d;
  const std::string path = d.file("j.db");
  { Journal::open(path); }
  set_journal_time_budget(std::chrono::milliseconds(300));
  Journal j = Journal::open_readonly(path);
  set_journal_time_budget(std::chrono::milliseconds(0));
  try {
    SqlStatement s(j,
                   "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                   "SELECT count(*) FROM c");
    s.step();
    FAIL() << "an endless query was not stopped";
  } catch (const JournalError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find("time budget"), std::string::npos) << what;
  }
  // The connection stays usable: the budget restarts with every statement.
  SqlStatement ok(j, "SELECT count(*) FROM runs");
  EXPECT_TRUE(ok.step());
}

TEST(HostileJournal, AnHonestJournalAndAVersion1OneStillOpen) {
  Corpus c;
  EXPECT_EQ(open_error(c.lab.tj.path()), "");
  const auto r = reports::testing::gate(c.lab.args);
  EXPECT_EQ(r.code, 1) << r.error;
}

// ---- item 8: a file with no schema ---------------------------------------------------------

TEST(EmptyJournal, IsRecognisedAsCreatedByAnInterruptedRun) {
  TempDir d;
  const std::string zero = d.file("zero.db");
  { std::ofstream touch(zero); }
  const std::string no_tables = d.file("no-tables.db");
  tamper(no_tables, "PRAGMA journal_mode = WAL");  // an SQLite header, no table
  for (const auto& p : {zero, no_tables}) {
    EXPECT_TRUE(Journal::has_no_schema(p)) << p;
    EXPECT_NE(open_error(p).find("is empty: the file has no schema"), std::string::npos)
        << open_error(p);
  }
  EXPECT_FALSE(Journal::has_no_schema(d.file("missing.db")));
  const std::string real = d.file("real.db");
  { Journal::open(real); }
  EXPECT_FALSE(Journal::has_no_schema(real));
  // A new run writes its schema into it.
  { Journal::open(zero); }
  EXPECT_FALSE(Journal::has_no_schema(zero));
  EXPECT_EQ(open_error(zero), "");
}

// ---- item 3: runs belong to their rig ------------------------------------------------------

RunRecord run_on(const std::string& host, const std::string& host_id, const char* uuid) {
  RunRecord r = lockrig::testing::sample_run(uuid);
  r.host = host;
  r.host_id = host_id;
  return r;
}

TEST(RunOwnership, AnotherHostsRunningRunIsNotResumedHere) {
  TempDir d;
  const std::string path = d.file("merged.db");
  std::int64_t mine = 0, theirs = 0;
  {
    Journal j = Journal::open(path);
    mine = j.begin_run(run_on(this_host_name(), "", "00000000-0000-4000-8000-000000000001"));
    j.commit(mine, JournalBatch{plan_events({"s.yaml"}, {"a"}), std::nullopt});
    theirs = j.begin_run(
        run_on("rig-b", "0123456789abcdef0123456789abcdef", "00000000-0000-4000-8000-000000000002"));
    j.commit(theirs, JournalBatch{plan_events({"s.yaml"}, {"a"}), std::nullopt});
  }
  Journal j = Journal::open(path);
  const auto nobody = [](const std::string&) { return std::optional<std::string>(); };
  // The most recent interrupted run is ours, not rig B's newer one.
  EXPECT_EQ(find_run_to_resume(j, "", nobody).id, mine);
  try {
    find_run_to_resume(j, std::to_string(theirs), nobody);
    FAIL() << "rig B's run was offered for resume here";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("ran on host \"rig-b\""), std::string::npos) << what;
    EXPECT_NE(what.find("only that rig can resume it"), std::string::npos) << what;
  }
  // begin_run recorded this machine's id for ours.
  for (const auto& r : read_runs(j)) {
    if (r.id == mine) {
      EXPECT_EQ(r.host_id, this_host_id());
      EXPECT_FALSE(run_elsewhere(r));
    } else {
      EXPECT_TRUE(run_elsewhere(r));
    }
  }
  // A cloned image: same host name, another machine id.
  EXPECT_TRUE(run_elsewhere(run_on(this_host_name(), "ffffffffffffffffffffffffffffffff", "u")));
}

TEST(RunOwnership, RunsShowsAnotherHostsRunAsRunningElsewhereWithoutAResumeHint) {
  TempDir d;
  const std::string path = d.file("merged.db");
  {
    Journal j = Journal::open(path);
    j.begin_run(
        run_on("rig-b", "0123456789abcdef0123456789abcdef", "00000000-0000-4000-8000-000000000002"));
  }
  ::testing::internal::CaptureStdout();
  const int code = runs_command(CommandLine{{"--db", path}, "lockrig runs"});
  std::fflush(stdout);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("running elsewhere"), std::string::npos) << out;
  EXPECT_NE(out.find("host \"rig-b\""), std::string::npos) << out;
  // Said once (the hint was printed twice before).
  EXPECT_EQ(out.find("is running elsewhere"), out.rfind("is running elsewhere")) << out;
  EXPECT_EQ(out.find("interrupted"), std::string::npos) << out;
  EXPECT_EQ(out.find("--resume 1"), std::string::npos) << out;
  ::testing::internal::CaptureStdout();
  runs_command(CommandLine{{"--db", path, "--interrupted"}, "lockrig runs --interrupted"});
  std::fflush(stdout);
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
}

TEST(RunOwnership, AVersion2JournalIsUpgradedWithHostIdAndItsRunsKeepTheirHost) {
  TempDir d;
  const std::string path = d.file("j.db");
  {
    Journal j = Journal::open(path);
    j.begin_run(run_on("rig-b", "", "00000000-0000-4000-8000-000000000002"));
  }
  // Back to version 2 as an older lockrig wrote it: no host_id column.
  tamper(path, lockrig::testing::back_to_version2_sql());
  {
    Journal ro = Journal::open_readonly(path);
    EXPECT_EQ(ro.schema_version(), 2);
    const auto runs = read_runs(ro);
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].host_id, "");
    EXPECT_TRUE(run_elsewhere(runs[0]));  // told apart by its host name
  }
  Journal j = Journal::open(path);
  EXPECT_EQ(j.schema_version(), kJournalSchemaVersion);
  EXPECT_EQ(read_runs(j).at(0).host_id, "");  // NULL for runs before version 3
}

// ---- item 5: read-only readers ---------------------------------------------------------------

// Runs `body` in a child process as user nobody (setresuid, as setpriv --reuid does); its exit
// status. Needs root to switch users.
int as_nobody(const std::function<int()>& body) {
  const passwd* pw = getpwnam("nobody");
  if (!pw) return -1;
  const pid_t child = fork();
  if (child == 0) {
    if (setgroups(0, nullptr) != 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
        setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
      _exit(100);
    int rc = 101;
    try {
      rc = body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "as nobody: %s\n", e.what());
      rc = 102;
    }
    std::fflush(nullptr);
    _exit(rc);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

TEST(ReadOnlyJournal, ReadersWorkOnA0444FileInARootOwnedDirectoryAsAnotherUser) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run the readers as user nobody";
  if (!getpwnam("nobody")) GTEST_SKIP() << "no user nobody on this machine";
  // A directory nobody can enter and read but not write, holding a 0444 journal.
  char tmpl[] = "/tmp/lockrig-ro-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string path = dir + "/journal.db";
  {
    RegressedSteel lab(20, 0, 2, 0);
    lab.tj.snapshot(path);
  }
  // A WAL journal as `lockrig run` leaves it, closed cleanly: no -wal or -shm beside it.
  tamper(path, "PRAGMA journal_mode = WAL");
  ASSERT_FALSE(fs::exists(path + "-shm"));
  ASSERT_EQ(::chmod(path.c_str(), 0444), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0555), 0);
  const std::vector<std::string> gate_args = {"--db",       path,
                                              "--baseline", "firmware=2.4.0",
                                              "--candidate", "firmware=2.4.1"};
  const int rc = as_nobody([&] {
    if (access(path.c_str(), W_OK) == 0) return 10;  // the test would prove nothing
    Journal j = Journal::open_readonly(path);
    if (j.list_runs().size() != 1) return 11;
    if (!j.check_aggregates().empty()) return 12;
    if (runs_command(CommandLine{{"--db", path}, "lockrig runs"}) != 0) return 13;
    const auto rep = reports::testing::report({"--db", path});
    if (rep.code != 0) return std::fprintf(stderr, "report: %s\n", rep.error.c_str()), 14;
    const auto g = reports::testing::gate(gate_args);
    // A verdict (pass 0, fail 1, inconclusive 4), not an error.
    if (g.code == 2 || !g.error.empty())
      return std::fprintf(stderr, "gate: %s\n", g.error.c_str()), 15;
    std::ostringstream out;
    if (reports::cmd_export({"--db", path, "--format", "csv"}, out) != 0) return 16;
    if (out.str().find("steel-2") == std::string::npos) return 17;
    return 0;
  });
  EXPECT_EQ(rc, 0) << "a reader failed as nobody (exit code: see the test body)";
  // Nothing was written beside it.
  EXPECT_FALSE(fs::exists(path + "-wal"));
  ::chmod(dir.c_str(), 0755);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace lockrig

namespace lockrig {
namespace {

// ---- item 8: a killed export's temporary file ------------------------------------------------

std::vector<std::string> temp_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp-") != std::string::npos)
      out.push_back(e.path().filename().string());
  return out;
}

TEST(ExportLeftovers, AKilledWritersTemporaryFileIsRemovedByTheNextWriter) {
  lockrig::testing::ScratchDir d;
  const std::string out = d.file("sessions.csv");
  // A writer killed mid-export: _exit runs no destructor, as SIGKILL would not.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    reports::AtomicFile f(out);
    f.write("half an export");
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_EQ(temp_files(d.path.string()).size(), 1u);  // what a killed export left before
  // A writer that is still running holds its file's lock: its file stays.
  reports::AtomicFile live(out);
  const auto during = temp_files(d.path.string());
  EXPECT_EQ(during.size(), 1u) << "the leftover was not removed, or the live file was";
  reports::write_file_atomically(out, "a,b\n");
  EXPECT_EQ(temp_files(d.path.string()), during);  // the live writer's file is untouched
  live.write("x\n");
  live.commit();
  EXPECT_TRUE(temp_files(d.path.string()).empty());
  EXPECT_EQ(reports::testing::read_file(out), "x\n");
}

}  // namespace
}  // namespace lockrig
