// Bad input: every mistake is exit 2 with a message naming the file:line:col or the value,
// and nothing is journaled (no run row, the journal file untouched or never created).
#include <regex>

#include "cli_support.hpp"
#include "rig/journal/journal.hpp"

namespace lockrig::cli_test {
namespace {

const std::string kFixture = "fixtures/sim-lab.yaml";
const std::string kBatteryRemoved = "scenarios/battery-removed.yaml";

std::string shipped(const std::string& rel) {
  return read_file(source_path(rel));
}

// Runs lockrig with `args` plus `--db <db_path>`, expects a refusal naming each of `needles`.
Result expect_refused(const std::vector<std::string>& args, const std::string& db_path,
                      const std::vector<std::string>& needles) {
  std::vector<std::string> full = {"run"};
  auto given = [&](const std::string& opt) {
    return std::find(args.begin(), args.end(), opt) != args.end();
  };
  if (!given("--repeat")) full.insert(full.end(), {"--repeat", "1"});
  if (!given("--progress")) full.insert(full.end(), {"--progress", "off"});
  full.insert(full.end(), args.begin(), args.end());
  full.insert(full.end(), {"--db", db_path});
  const Result r = lockrig(full);
  EXPECT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  for (const auto& n : needles)
    EXPECT_NE(r.err.find(n), std::string::npos) << "stderr lacks " << n << "\n" << r.describe();
  EXPECT_EQ(r.out, "") << "nothing should be reported as run";
  EXPECT_EQ(runs_in(db_path), 0) << "a refused run wrote a run row";
  return r;
}

TEST(LockrigBadInput, MalformedYamlIsRefusedWithFileLineAndColumn) {
  TempDir tmp;
  const std::string text = "rig: broken\nlocks: [\n  {id: a, material: wood, driver: sim\n";
  const std::string fx = tmp.write("broken.yaml", text);
  const std::string db = tmp.file("journal.db");
  const Result r = expect_refused({"--fixture", fx}, db, {fx});
  EXPECT_TRUE(std::regex_search(r.err, std::regex(fx + R"(:\d+:\d+: )"))) << r.describe();
  EXPECT_FALSE(exists(db));
}

TEST(LockrigBadInput, UnknownKeyIsRefusedSuggestingTheClosestKey) {
  TempDir tmp;
  const std::string text = replace_once(shipped(kFixture), "on_rig_fault: quarantine\n",
                                        "on_rig_fault: quarantine\nrgi: typo\n");
  const std::string fx = tmp.write("typo.yaml", text);
  const std::string db = tmp.file("journal.db");
  expect_refused({"--fixture", fx}, db,
                 {where(fx, text, "rgi: typo") + ": ", "\"rgi\"", "did you mean \"rig\""});
  EXPECT_FALSE(exists(db));
}

TEST(LockrigBadInput, UnknownKeyInAScenarioIsRefusedSuggestingTheClosestKey) {
  TempDir tmp;
  const std::string text =
      replace_once(shipped(kBatteryRemoved), "      within: 10s\n", "      withn: 10s\n");
  const std::string sc = tmp.write("typo.yaml", text);
  const std::string db = tmp.file("journal.db");
  expect_refused({"--scenario", sc}, db,
                 {where(sc, text, "withn") + ": ", "did you mean \"within\""});
  EXPECT_FALSE(exists(db));
}

TEST(LockrigBadInput, WrongTypeIsRefusedNamingTheFieldAndItsPosition) {
  TempDir tmp;
  std::string text = shipped(kFixture);
  const auto line_start = text.find("\ndescription: ") + 1;
  text.replace(line_start, text.find('\n', line_start) - line_start, "description: [1, 2]");
  const std::string fx = tmp.write("type.yaml", text);
  const std::string db = tmp.file("journal.db");
  expect_refused({"--fixture", fx}, db, {where(fx, text, "[1, 2]") + ": ", "description"});
  EXPECT_FALSE(exists(db));
}

TEST(LockrigBadInput, BadDurationIsRefusedQuotingTheValue) {
  TempDir tmp;
  const std::string text =
      replace_once(shipped(kBatteryRemoved), "  - wait: 3s\n", "  - wait: 5 sec\n");
  const std::string sc = tmp.write("duration.yaml", text);
  const std::string db = tmp.file("journal.db");
  expect_refused({"--scenario", sc}, db, {where(sc, text, "5 sec") + ": ", "\"5 sec\""});
  EXPECT_FALSE(exists(db));
}

TEST(LockrigBadInput, UnknownChannelInAScenarioIsRefusedSuggestingTheClosestChannel) {
  TempDir tmp;
  const std::string text = replace_once(shipped(kBatteryRemoved), "{channel: battery, state: off}",
                                        "{channel: batery, state: off}");
  const std::string sc = tmp.write("channel.yaml", text);
  const std::string db = tmp.file("journal.db");
  const auto [line, col] = locate(text, "batery");
  expect_refused({"--scenario", sc}, db,
                 {sc + ":" + std::to_string(line) + ":", "\"batery\"", "did you mean \"battery\""});
  EXPECT_FALSE(exists(db));
}

TEST(LockrigBadInput, UnknownDriverIsRefusedListingTheKnownDrivers) {
  TempDir tmp;
  const std::string text =
      replace_once(shipped(kFixture), "slot: A1, driver: sim,", "slot: A1, driver: simm,");
  const std::string fx = tmp.write("driver.yaml", text);
  const std::string db = tmp.file("journal.db");
  // The known lock drivers, as this build reports them.
  const Result drivers = lockrig({"drivers"});
  ASSERT_EQ(drivers.exit_code, 0) << drivers.describe();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(drivers.out, m, std::regex(R"(lock drivers:\s*([^\n]+))")))
      << drivers.out;
  const auto [line, col] = locate(text, "simm");
  expect_refused({"--fixture", fx}, db,
                 {fx + ":" + std::to_string(line) + ":", "\"simm\"", m[1].str()});
  EXPECT_FALSE(exists(db));
}

TEST(LockrigBadInput, UnknownMaterialIsRefusedSuggestingAKnownOne) {
  TempDir tmp;
  const std::string text = replace_once(shipped(kFixture), "material: wood,      slot: A1",
                                        "material: wod,      slot: A1");
  const std::string fx = tmp.write("material.yaml", text);
  const std::string db = tmp.file("journal.db");
  expect_refused({"--fixture", fx}, db,
                 {where(fx, text, "wod,") + ": ", "\"wod\"", "did you mean \"wood\""});
  EXPECT_FALSE(exists(db));
}

TEST(LockrigBadInput, MissingFixtureFileIsRefusedNamingThePath) {
  TempDir tmp;
  const std::string fx = tmp.file("no-such-fixture.yaml");
  const std::string db = tmp.file("journal.db");
  expect_refused({"--fixture", fx}, db, {fx});
  EXPECT_FALSE(exists(db));
}

TEST(LockrigBadInput, MissingScenarioFileIsRefusedNamingThePath) {
  TempDir tmp;
  const std::string sc = tmp.file("no-such-scenario.yaml");
  const std::string db = tmp.file("journal.db");
  expect_refused({"--scenario", sc}, db, {sc});
  EXPECT_FALSE(exists(db));
}

TEST(LockrigBadInput, UnknownLockInTheLocksOptionIsRefusedListingTheRigsLocks) {
  TempDir tmp;
  const std::string db = tmp.file("journal.db");
  std::vector<std::string> needles = {"\"nosuch\""};
  for (const auto& id : load_fixture(source_path(kFixture)).lock_ids()) needles.push_back(id);
  expect_refused({"--locks", "nosuch"}, db, needles);
  expect_refused({"--locks", "wood-1,nosuch"}, db, {"\"nosuch\""});
  EXPECT_FALSE(exists(db));
}

TEST(LockrigBadInput, UnknownOptionIsAUsageError) {
  TempDir tmp;
  const std::string db = tmp.file("journal.db");
  expect_refused({"--bogus-option"}, db, {"bogus-option"});
  EXPECT_FALSE(exists(db));
}

// A bare argument is never ignored: `lockrig run scenarios/x.yaml` must not quietly run the
// default suite, nor `lockrig runs a.db` list ./lockrig.db.
TEST(LockrigBadInput, ABareArgumentIsRefusedInsteadOfIgnored) {
  TempDir tmp;
  const std::string db = tmp.file("journal.db");
  expect_refused({source_path(kBatteryRemoved)}, db,
                 {"unexpected argument", "--scenario"});
  EXPECT_FALSE(exists(db));
  for (const std::string cmd : {"runs", "report", "gate", "slo", "export"}) {
    const Result r = lockrig({cmd, "--db", db, db}, Spawn{tmp.path(), "", 60s});
    EXPECT_EQ(r.exit_code, 2) << r.describe();
    EXPECT_NE(r.err.find("unexpected argument"), std::string::npos) << r.describe();
    EXPECT_NE(r.err.find("lockrig " + cmd + " --help"), std::string::npos) << r.describe();
  }
  EXPECT_FALSE(exists(tmp.file("lockrig.db")));
}

TEST(LockrigBadInput, InvalidOptionValuesAreRefusedNamingTheValue) {
  TempDir tmp;
  const std::string db = tmp.file("journal.db");
  expect_refused({"--repeat", "0"}, db, {"--repeat", "0"});
  expect_refused({"--clock", "sundial"}, db, {"\"sundial\""});
  expect_refused({"--progress", "fancy"}, db, {"\"fancy\""});
  expect_refused({"--sync", "sometimes"}, db, {"\"sometimes\""});
  expect_refused({"--jobs", "-1"}, db, {"--jobs"});
  expect_refused({"--seed", "banana"}, db, {"banana"});
  expect_refused({"--seed=-1"}, db, {"--seed", "\"-1\""});  // quoted as given, not wrapped around
  expect_refused({"--seed", "9223372036854775808"}, db, {"\"9223372036854775808\""});
  EXPECT_FALSE(exists(db));
}

TEST(LockrigBadInput, TheSameScenarioGivenTwiceIsRefused) {
  TempDir tmp;
  const std::string db = tmp.file("journal.db");
  const std::string sc = source_path(kBatteryRemoved);
  expect_refused({"--scenario", sc, "--scenario", sc}, db, {sc, "\"battery-removed\""});
  EXPECT_FALSE(exists(db));
}

TEST(LockrigBadInput, JournalPathThatIsADirectoryIsRefused) {
  TempDir tmp;
  const std::string dir = tmp.file("journal-dir");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  expect_refused({}, dir, {dir});
  EXPECT_TRUE(fs::is_empty(dir)) << "lockrig wrote into the directory given as journal";
}

TEST(LockrigBadInput, JournalInAMissingDirectoryIsRefusedWithoutCreatingIt) {
  TempDir tmp;
  const std::string dir = tmp.file("no-such-dir");
  expect_refused({}, dir + "/journal.db", {dir});
  EXPECT_FALSE(exists(dir));
}

TEST(LockrigBadInput, JournalInAnUnwritableLocationIsRefused) {
  // /proc accepts no new files, not even from root.
  const std::string db = "/proc/lockrig-cli-test-journal.db";
  const Result r = lockrig({"run", "--repeat", "1", "--progress", "off", "--db", db});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  EXPECT_NE(r.err.find(db), std::string::npos) << r.describe();
  EXPECT_FALSE(exists(db));
}

TEST(LockrigBadInput, JournalThatIsNotAnSqliteFileIsRefusedAndLeftUntouched) {
  TempDir tmp;
  std::string junk;
  for (int i = 0; i < 4000; ++i) junk += static_cast<char>('a' + (i * 7919) % 26);
  const std::string db = tmp.write("notes.db", junk + "\n");
  const Result r = lockrig({"run", "--repeat", "1", "--db", db});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  EXPECT_NE(r.err.find(db), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("not a lockrig journal"), std::string::npos) << r.describe();
  EXPECT_EQ(read_file(db), junk + "\n") << "lockrig modified a file that is not its journal";
  EXPECT_FALSE(exists(db + "-wal"));
}

TEST(LockrigBadInput, SqliteDatabaseThatIsNotAJournalIsRefusedAndLeftUntouched) {
  TempDir tmp;
  const std::string db = tmp.file("other.db");
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(
                  h, "CREATE TABLE inventory (item TEXT); INSERT INTO inventory VALUES ('bolt');",
                  nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(h);
  }
  const std::string before = read_file(db);
  const Result r = lockrig({"run", "--repeat", "1", "--db", db});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  EXPECT_NE(r.err.find(db), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("not a lockrig journal"), std::string::npos) << r.describe();
  EXPECT_EQ(read_file(db), before) << "lockrig modified someone else's database";
  Db check(db);
  EXPECT_EQ(check.integer("SELECT count(*) FROM sqlite_master WHERE name = 'runs'"), 0);
}

TEST(LockrigBadInput, JournalFromAFutureSchemaVersionIsRefusedAndLeftUntouched) {
  TempDir tmp;
  const std::string db = tmp.file("future.db");
  { Journal j = Journal::open(db); }  // a genuine, empty lockrig journal
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(h, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(h);
  }
  const std::string before = read_file(db);
  const Result r = lockrig({"run", "--repeat", "1", "--db", db});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  EXPECT_NE(r.err.find(db), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("99"), std::string::npos) << "the message should name the version found\n"
                                                 << r.describe();
  EXPECT_EQ(read_file(db), before);
  Db check(db);
  EXPECT_EQ(check.integer("PRAGMA user_version"), 99);
  EXPECT_EQ(check.integer("SELECT count(*) FROM runs"), 0);
}

}  // namespace
}  // namespace lockrig::cli_test
