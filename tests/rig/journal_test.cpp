#include "rig/journal/journal.hpp"
#include "tests/support/journal_fixtures.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>

#include "rig/journal/sql.hpp"  // the raw handle, to check what was written

using namespace lockrig;
namespace fs = std::filesystem;

namespace {

using TempDir = lockrig::testing::ScratchDir;

std::string open_error(const std::string& path) {
  try {
    Journal::open(path);
  } catch (const JournalError& e) {
    return e.what();
  }
  return "(no error)";
}

long long count(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  sqlite_check(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), db, "prepare");
  long long n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  return n;
}

RunRecord info() {
  RunRecord i = lockrig::testing::sample_run();
  i.labels = {{"app", "5.3.0"}};
  i.scenarios = {{"s", "s.yaml", "z", 1}};
  return i;
}

}  // namespace

TEST(Journal, CreatesAVersionedWalJournalWithItsViews) {
  TempDir d;
  Journal j = Journal::open(d.file("j.db"));
  EXPECT_EQ(count(journal_db(j), "PRAGMA user_version"), kJournalSchemaVersion);
  EXPECT_EQ(count(journal_db(j), "PRAGMA application_id"), kJournalApplicationId);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(journal_db(j), "PRAGMA journal_mode", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  for (const char* v : {"v_sessions", "v_sli_sessions", "v_attempts", "v_run_summary"})
    EXPECT_EQ(count(journal_db(j), std::string("SELECT count(*) FROM sqlite_master WHERE name='") + v + "'"), 1) << v;
}

TEST(Journal, CommitsASessionWithItsAttemptsAndEventsAtomically) {
  TempDir d;
  Journal j = Journal::open(d.file("j.db"));
  auto run = j.begin_run(info());
  j.record_locks(run, {LockRow{"a", "m", "wood", "A1", "sim", "2.4.0", "m", "acme"}});
  SessionRecord s;
  s.lock_id = "a";
  s.scenario = "s";
  s.repetition = 1;
  s.result = SessionResult::pass;
  s.outcome = "success";
  s.sli_eligible = s.sli_success = true;
  s.attempts.resize(2);
  s.attempts[0].outcome = "timeout";
  s.attempts[1].number = 2;
  s.attempts[1].outcome = "success";
  j.commit(run, JournalBatch{{EventRow{"a", TimePoint{0}, "switch", "b/ch1 battery", "off", ""}}, s});
  EXPECT_EQ(count(journal_db(j), "SELECT count(*) FROM sessions"), 1);
  EXPECT_EQ(count(journal_db(j), "SELECT count(*) FROM attempts"), 2);
  EXPECT_EQ(count(journal_db(j), "SELECT count(*) FROM events"), 1);
  EXPECT_EQ(count(journal_db(j), "SELECT count(*) FROM v_sli_sessions WHERE app = '5.3.0' AND firmware = '2.4.0'"), 1);
  // The same session again violates the natural key and leaves nothing half-written.
  EXPECT_THROW(j.commit(run, JournalBatch{{EventRow{"a", TimePoint{0}, "x", "", "", ""}}, s}), JournalError);
  EXPECT_EQ(count(journal_db(j), "SELECT count(*) FROM events"), 1);
  EXPECT_EQ(count(journal_db(j), "SELECT count(*) FROM attempts"), 2);
  j.finish_run(run, "completed", 0, "2026-11-22T01:00:00.000Z", 3600);
  auto runs = j.list_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "completed");
  EXPECT_EQ(runs[0].sli_sessions, 1);
  EXPECT_EQ(labels_text(runs[0].labels), "app=5.3.0");
}

TEST(Journal, RefusesAFileThatIsNotADatabase) {
  TempDir d;
  std::ofstream(d.file("notes.db")) << "this is a text file, not a journal\n";
  EXPECT_NE(open_error(d.file("notes.db")).find("is not a lockrig journal"), std::string::npos);
}

TEST(Journal, RefusesSomeoneElsesSqliteDatabaseWithoutTouchingIt) {
  TempDir d;
  sqlite3* db = nullptr;
  sqlite3_open(d.file("other.db").c_str(), &db);
  sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  EXPECT_NE(open_error(d.file("other.db")).find("is an SQLite database but not a lockrig journal"),
            std::string::npos);
}

TEST(Journal, RefusesASchemaFromTheFuture) {
  TempDir d;
  { Journal::open(d.file("j.db")); }
  sqlite3* db = nullptr;
  sqlite3_open(d.file("j.db").c_str(), &db);
  sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  const std::string e = open_error(d.file("j.db"));
  EXPECT_NE(e.find("schema version 99, written by a newer lockrig"), std::string::npos) << e;
}

TEST(Journal, ExplainsAMissingDirectoryAndADirectoryPath) {
  TempDir d;
  EXPECT_NE(open_error(d.file("nope/j.db")).find("does not exist"), std::string::npos);
  EXPECT_NE(open_error(d.path.string()).find("is a directory"), std::string::npos);
}

TEST(Journal, ReportsAnUnwritableJournalBeforeAnyRunStarts) {
  TempDir d;
  { Journal::open(d.file("j.db")); }
  // Root writes through permission bits, so make the journal and its directory immutable.
  const std::string lock = "chattr +i " + d.file("j.db") + " " + d.path.string() + " 2>/dev/null";
  if (std::system(lock.c_str()) != 0) GTEST_SKIP() << "chattr unavailable on this file system";
  const std::string e = open_error(d.file("j.db"));
  std::system(("chattr -i " + d.file("j.db") + " " + d.path.string()).c_str());
  EXPECT_NE(e.find("cannot open journal"), std::string::npos) << e;
  EXPECT_NE(e.find("writable"), std::string::npos) << e;
}

namespace {

// A session of `lock` in scenario `scenario` lasting `duration_ns`, with `attempts` attempts (the
// last one succeeds when `ok`).
SessionRecord session(const std::string& lock, const std::string& scenario, int repetition,
                      bool ok, std::int64_t duration_ns, int attempts = 1) {
  SessionRecord s;
  s.lock_id = lock;
  s.scenario = scenario;
  s.repetition = repetition;
  s.expect = "success";
  s.result = ok ? SessionResult::pass : SessionResult::fail;
  s.outcome = ok ? "success" : "timeout";
  s.sli_eligible = true;
  s.sli_success = ok;
  s.first_attempt_success = ok && attempts == 1;
  s.started = Duration(std::int64_t{repetition} * 100'000'000'000);
  s.ended = s.started + Duration(duration_ns);
  for (int a = 1; a <= attempts; ++a) {
    AttemptRecord at;
    at.number = a;
    at.outcome = ok && a == attempts ? "success" : "timeout";
    at.cls = AttemptClass::lock;
    at.phase = "unlock";
    s.attempts.push_back(at);
  }
  return s;
}

using lockrig::testing::exec_sql;

using lockrig::testing::file_text;

// A version-1 journal made from the version-1 DDL (tests/rig/journal_schema_v1.sql, as in git
// history) and plain SQL inserts, the way lockrig 1 wrote it: two runs, three locks.
void make_v1_journal(const std::string& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  exec_sql(db, file_text(std::string(LOCKRIG_SOURCE_DIR) + "/tests/rig/journal_schema_v1.sql"));
  exec_sql(db, "PRAGMA application_id = " + std::to_string(kJournalApplicationId) +
                   "; PRAGMA user_version = 1; BEGIN");
  for (int run = 1; run <= 2; ++run) {
    exec_sql(db, "INSERT INTO runs (id, uuid, host, rig, started_at, status, clock, seed, "
                 "fixture_source, fixture_sha256, scenarios_sha256, controller_version, "
                 "command_line, sessions_planned) VALUES (" +
                     std::to_string(run) + ", 'uuid-" + std::to_string(run) +
                     "', 'h', 'r', '2026-11-0" + std::to_string(run) +
                     "T00:00:00Z', 'completed', 'virtual', 1, 'f', 'x', 'y', '1.0', 'lockrig run', 0)");
    for (const char* lock : {"wood-1", "glass-1", "steel-1"})
      exec_sql(db, "INSERT INTO run_locks VALUES (" + std::to_string(run) + ", '" + lock +
                       "', 'm', '" + std::string(lock).substr(0, std::string(lock).find('-')) +
                       "', 'A1', 'sim', '2.4." + std::to_string(run - 1) + "', 'm', 'acme')");
  }
  int id = 0;
  for (int run = 1; run <= 2; ++run)
    for (const char* lock : {"wood-1", "glass-1", "steel-1"})
      for (int rep = 1; rep <= 40; ++rep) {
        ++id;
        const bool ok = rep % 9 != 0;
        const bool assertion = rep % 13 == 0;
        const bool fault = rep == 20 && run == 2;
        const long long dur = 400'000'000LL + 7'777'777LL * rep + run * 1'000'003LL;
        const int attempts = ok ? 1 + rep % 3 / 2 : 3;
        exec_sql(db,
                 "INSERT INTO sessions VALUES (" + std::to_string(id) + ", " +
                     std::to_string(run) + ", '" + lock + "', '" +
                     (rep % 2 ? "daily" : "keep") + "', " + std::to_string(rep) + ", 0, '" +
                     (assertion ? "not_found" : "success") + "', 8000, " +
                     std::to_string(rep * 10'000'000'000LL) + ", " +
                     std::to_string(rep * 10'000'000'000LL + dur) + ", '" +
                     (fault ? "rig_fault" : ok ? "pass" : "fail") + "', '" +
                     (fault ? "rig_fault" : ok ? "success" : "timeout") + "', " +
                     std::to_string(attempts) + ", " + (assertion || fault ? "0" : "1") + ", " +
                     (ok && !fault && !assertion ? "1" : "0") + ", " +
                     (ok && attempts == 1 && !fault && !assertion ? "1" : "0") + ")");
        for (int a = 1; a <= attempts; ++a)
          exec_sql(db, "INSERT INTO attempts VALUES (" + std::to_string(id) + ", " +
                           std::to_string(a) + ", 0, 1, 12.5, -60, '" +
                           (a == attempts && ok ? "success" : "timeout") + "', '" +
                           (fault ? "rig_fault" : "lock") + "', 'unlock', '')");
      }
  exec_sql(db, "COMMIT");
  sqlite3_close(db);
}

}  // namespace

TEST(JournalAggregates, KeepCountsLatencyBucketsAndAttemptClassesAsSessionsAreCommitted) {
  TempDir d;
  Journal j = Journal::open(d.file("j.db"));
  ASSERT_TRUE(j.has_aggregates());
  auto run = j.begin_run(info());
  j.record_locks(run, {LockRow{"a", "m", "wood", "A1", "sim", "2.4.0", "m", "acme"}});
  for (int rep = 1; rep <= 30; ++rep)
    j.commit(run, JournalBatch{{}, session("a", "s", rep, rep % 10 != 0, 1'000'000'000, 1 + rep % 2)});
  // Odd repetitions take 2 attempts, even ones 1; 10, 20 and 30 fail. So 27 successes (15 with
  // 2 attempts, 12 with 1) and 3 failures with 1 attempt, in three groups.
  EXPECT_EQ(count(journal_db(j), "SELECT sum(sessions) FROM agg_sessions"), 30);
  EXPECT_EQ(count(journal_db(j), "SELECT count(*) FROM agg_sessions"), 3);
  EXPECT_EQ(count(journal_db(j), "SELECT sessions FROM agg_sessions WHERE sli_success = 1 AND attempts = 1"), 12);
  EXPECT_EQ(count(journal_db(j), "SELECT sessions FROM agg_sessions WHERE sli_success = 1 AND attempts = 2"), 15);
  EXPECT_EQ(count(journal_db(j), "SELECT sessions FROM agg_sessions WHERE sli_success = 0"), 3);
  EXPECT_EQ(count(journal_db(j), "SELECT duration_ns FROM agg_sessions WHERE sli_success = 0"), 3'000'000'000);
  // Only the 27 successful SLI sessions have a latency; all in the bucket of 1 s.
  EXPECT_EQ(count(journal_db(j), "SELECT count(*) FROM agg_latency"), 1);
  EXPECT_EQ(count(journal_db(j), "SELECT sessions FROM agg_latency WHERE bucket_ns = " +
                              std::to_string(latency_bucket_ns(1'000'000'000))), 27);
  EXPECT_EQ(count(journal_db(j), "SELECT sum(attempts) FROM agg_attempts"),
            count(journal_db(j), "SELECT count(*) FROM attempts"));
  EXPECT_EQ(count(journal_db(j), "SELECT attempts FROM agg_attempts WHERE class = 'lock' AND outcome = 'success'"), 27);
  EXPECT_TRUE(j.check_aggregates().empty());
  // A session the natural key refuses leaves the aggregates as they were (same transaction).
  EXPECT_THROW(j.commit(run, JournalBatch{{}, session("a", "s", 1, true, 5)}), JournalError);
  EXPECT_EQ(count(journal_db(j), "SELECT sum(sessions) FROM agg_sessions"), 30);
  EXPECT_TRUE(j.check_aggregates().empty());
}

TEST(JournalAggregates, TheSqlLatencyBucketsEqualTheDocumentedFunction) {
  TempDir d;
  Journal j = Journal::open(d.file("j.db"));
  auto run = j.begin_run(info());
  j.record_locks(run, {LockRow{"a", "m", "wood", "A1", "sim", "2.4.0", "m", "acme"}});
  std::vector<std::int64_t> durations = {0, 1, 255, 256, 257, 300, 511, 512, 513, 1023, 1024};
  for (int k = 10; k < 48; k += 3) {  // up to 2^47 ns, 39 hours
    const std::int64_t p = std::int64_t{1} << k;
    for (std::int64_t v : {p - 1, p, p + 1, p + p / 3, 2 * p - 1}) durations.push_back(v);
  }
  for (std::int64_t ms : {1, 250, 800, 1200, 1500, 29999}) durations.push_back(ms * 1'000'000 + 17);
  int rep = 0;
  for (auto v : durations) j.commit(run, JournalBatch{{}, session("a", "s", ++rep, true, v)});
  for (auto v : durations) {
    const std::int64_t b = latency_bucket_ns(v);
    const std::int64_t w = latency_bucket_width_ns(b);
    // The bucket holds v, is at most 1/128 of its lower edge wide, and its value is within 1/256 (0.39 %).
    EXPECT_LE(b, v);
    EXPECT_LT(v, b + w);
    if (v >= 256) {
      EXPECT_LE(w * 128, b) << v;
    } else {
      EXPECT_EQ(b, v);
    }
    const double ms = latency_bucket_ms(b), exact = static_cast<double>(v) / 1e6;
    EXPECT_LE(std::abs(ms - exact), exact / 256.0 + 1e-12) << v;
    EXPECT_GE(count(journal_db(j), "SELECT count(*) FROM agg_latency WHERE bucket_ns = " + std::to_string(b)),
              1)
        << "no SQL bucket " << b << " for duration " << v;
  }
  std::set<std::int64_t> distinct;
  for (auto v : durations) distinct.insert(latency_bucket_ns(v));
  EXPECT_EQ(count(journal_db(j), "SELECT count(*) FROM agg_latency"), static_cast<long long>(distinct.size()));
  EXPECT_TRUE(j.check_aggregates().empty());
}

TEST(JournalAggregates, StayConsistentWhenSessionsAreDeletedByHandAndRefuseUpdates) {
  TempDir d;
  Journal j = Journal::open(d.file("j.db"));
  auto run = j.begin_run(info());
  j.record_locks(run, {LockRow{"a", "m", "wood", "A1", "sim", "2.4.0", "m", "acme"}});
  for (int rep = 1; rep <= 12; ++rep)
    j.commit(run, JournalBatch{{}, session("a", "s", rep, rep != 5, 700'000'000 + rep * 50'000'000, 2)});
  exec_sql(journal_db(j), "DELETE FROM attempts WHERE session_id IN (SELECT id FROM sessions WHERE repetition IN (3, 5));"
                   "DELETE FROM sessions WHERE repetition IN (3, 5)");
  EXPECT_EQ(count(journal_db(j), "SELECT sum(sessions) FROM agg_sessions"), 10);
  EXPECT_EQ(count(journal_db(j), "SELECT count(*) FROM agg_sessions WHERE sli_success = 0"), 0);
  EXPECT_EQ(count(journal_db(j), "SELECT sum(sessions) FROM agg_latency"), 10);
  EXPECT_TRUE(j.check_aggregates().empty());
  EXPECT_THROW(exec_sql(journal_db(j), "UPDATE sessions SET outcome = 'x'"), std::runtime_error);
  EXPECT_THROW(exec_sql(journal_db(j), "UPDATE attempts SET outcome = 'x'"), std::runtime_error);
}

TEST(JournalAggregates, TheCheckNamesTheGroupsThatDisagree) {
  TempDir d;
  Journal j = Journal::open(d.file("j.db"));
  auto run = j.begin_run(info());
  j.record_locks(run, {LockRow{"a", "m", "wood", "A1", "sim", "2.4.0", "m", "acme"}});
  for (int rep = 1; rep <= 5; ++rep)
    j.commit(run, JournalBatch{{}, session("a", "s", rep, true, 900'000'000)});
  exec_sql(journal_db(j), "UPDATE agg_sessions SET sessions = sessions + 1; DELETE FROM agg_attempts");
  const auto m = j.check_aggregates();
  ASSERT_EQ(m.size(), 3u);  // agg_sessions: kept + recomputed row; agg_attempts: recomputed row
  EXPECT_EQ(m[0].table, "agg_sessions");
  EXPECT_NE(m[0].detail.find("kept only"), std::string::npos) << m[0].detail;
  EXPECT_NE(m[0].detail.find("sessions=6"), std::string::npos) << m[0].detail;
  EXPECT_NE(m[1].detail.find("sessions=5"), std::string::npos) << m[1].detail;
  EXPECT_EQ(m[2].table, "agg_attempts");
  EXPECT_NE(m[2].detail.find("recomputed only"), std::string::npos) << m[2].detail;
}

TEST(JournalAggregates, OpeningAVersion1JournalForWritingUpgradesItInOneTransaction) {
  TempDir d;
  const std::string path = d.file("v1.db");
  make_v1_journal(path);
  {
    // Read-only: left alone, reported as version 1.
    Journal ro = Journal::open_readonly(path);
    EXPECT_EQ(ro.schema_version(), 1);
    EXPECT_FALSE(ro.has_aggregates());
    EXPECT_THROW(ro.check_aggregates(), JournalError);
    EXPECT_EQ(count(journal_db(ro), "SELECT count(*) FROM sqlite_master WHERE name = 'agg_sessions'"), 0);
  }
  Journal j = Journal::open(path);
  EXPECT_EQ(j.schema_version(), kJournalSchemaVersion);  // through version 2 to the current one
  EXPECT_EQ(count(journal_db(j), "PRAGMA user_version"), kJournalSchemaVersion);
  EXPECT_EQ(count(journal_db(j), "SELECT sum(sessions) FROM agg_sessions"), 240);
  EXPECT_EQ(count(journal_db(j), "SELECT sum(attempts) FROM agg_attempts"),
            count(journal_db(j), "SELECT count(*) FROM attempts"));
  EXPECT_EQ(count(journal_db(j), "SELECT sum(sessions) FROM agg_latency"),
            count(journal_db(j), "SELECT count(*) FROM sessions WHERE sli_eligible = 1 AND sli_success = 1 "
                          "AND result <> 'rig_fault'"));
  EXPECT_TRUE(j.check_aggregates().empty());
  // Reports find the rig-fault events through the partial index, not by scanning every event.
  EXPECT_EQ(count(journal_db(j), "SELECT count(*) FROM sqlite_master WHERE name = 'events_faults'"), 1);
  // The upgraded journal keeps its aggregates as new sessions come.
  auto run = j.begin_run(info());
  j.record_locks(run, {LockRow{"wood-1", "m", "wood", "A1", "sim", "2.4.0", "m", "acme"}});
  for (int rep = 1; rep <= 5; ++rep)
    j.commit(run, JournalBatch{{}, session("wood-1", "daily", rep, true, 650'000'000)});
  EXPECT_EQ(count(journal_db(j), "SELECT sum(sessions) FROM agg_sessions"), 245);
  EXPECT_TRUE(j.check_aggregates().empty());
}

TEST(JournalAggregates, AFailedUpgradeLeavesTheVersion1JournalAsItWas) {
  TempDir d;
  const std::string path = d.file("v1.db");
  make_v1_journal(path);
  {
    // A table in the way of the upgrade makes it fail half-way through.
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    exec_sql(db, "CREATE TABLE agg_attempts (x)");
    sqlite3_close(db);
  }
  EXPECT_THROW(Journal::open(path), JournalError);
  Journal ro = Journal::open_readonly(path);
  EXPECT_EQ(ro.schema_version(), 1);
  EXPECT_EQ(count(journal_db(ro), "SELECT count(*) FROM sqlite_master WHERE name = 'agg_sessions'"), 0);
  EXPECT_EQ(count(journal_db(ro), "SELECT count(*) FROM sessions"), 240);
}

TEST(JournalAggregates, AWriterKilledMidCampaignLeavesThemConsistent) {
  TempDir d;
  const std::string path = d.file("j.db");
  { Journal::open(path); }
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      Journal j = Journal::open(path);
      auto run = j.begin_run(info());
      j.record_locks(run, {LockRow{"a", "m", "wood", "A1", "sim", "2.4.0", "m", "acme"}});
      for (int rep = 1;; ++rep)
        j.commit(run, JournalBatch{{}, session("a", "s", rep, rep % 7 != 0, 5'000'000 * rep, 1 + rep % 3)});
    } catch (...) {
    }
    _exit(3);
  }
  // Let it write for a while, then kill -9 it in the middle of whatever it is doing.
  Journal watcher = Journal::open_readonly(path);
  for (int i = 0; i < 400 && count(journal_db(watcher), "SELECT count(*) FROM sessions") < 300; ++i)
    usleep(10'000);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  Journal j = Journal::open(path);
  EXPECT_GT(count(journal_db(j), "SELECT count(*) FROM sessions"), 0);
  EXPECT_EQ(count(journal_db(j), "SELECT sum(sessions) FROM agg_sessions"),
            count(journal_db(j), "SELECT count(*) FROM sessions"));
  EXPECT_TRUE(j.check_aggregates().empty());
}
