#include "rig/journal.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace lockrig;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/lockrig-journal-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

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

RunInfo info() {
  RunInfo i;
  i.uuid = "00000000-0000-4000-8000-000000000001";
  i.host = "h";
  i.rig = "r";
  i.started_at = "2026-11-22T00:00:00.000Z";
  i.clock = "virtual";
  i.fixture_source = "f.yaml";
  i.fixture_sha256 = "x";
  i.scenarios_sha256 = "y";
  i.controller_version = "0";
  i.command_line = "lockrig run";
  i.labels = {{"app", "5.3.0"}};
  i.scenarios = {{"s", "s.yaml", "z", 1}};
  return i;
}

}  // namespace

TEST(Journal, CreatesAVersionedWalJournalWithItsViews) {
  TempDir d;
  Journal j = Journal::open(d.file("j.db"));
  EXPECT_EQ(count(j.db(), "PRAGMA user_version"), kJournalSchemaVersion);
  EXPECT_EQ(count(j.db(), "PRAGMA application_id"), kJournalApplicationId);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(j.db(), "PRAGMA journal_mode", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  for (const char* v : {"v_sessions", "v_sli_sessions", "v_attempts", "v_run_summary"})
    EXPECT_EQ(count(j.db(), std::string("SELECT count(*) FROM sqlite_master WHERE name='") + v + "'"), 1) << v;
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
  EXPECT_EQ(count(j.db(), "SELECT count(*) FROM sessions"), 1);
  EXPECT_EQ(count(j.db(), "SELECT count(*) FROM attempts"), 2);
  EXPECT_EQ(count(j.db(), "SELECT count(*) FROM events"), 1);
  EXPECT_EQ(count(j.db(), "SELECT count(*) FROM v_sli_sessions WHERE app = '5.3.0' AND firmware = '2.4.0'"), 1);
  // The same session again violates the natural key and leaves nothing half-written.
  EXPECT_THROW(j.commit(run, JournalBatch{{EventRow{"a", TimePoint{0}, "x", "", "", ""}}, s}), JournalError);
  EXPECT_EQ(count(j.db(), "SELECT count(*) FROM events"), 1);
  EXPECT_EQ(count(j.db(), "SELECT count(*) FROM attempts"), 2);
  j.finish_run(run, "completed", 0, "2026-11-22T01:00:00.000Z", 3600);
  auto runs = j.list_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "completed");
  EXPECT_EQ(runs[0].sli_sessions, 1);
  EXPECT_EQ(runs[0].labels, "app=5.3.0");
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
