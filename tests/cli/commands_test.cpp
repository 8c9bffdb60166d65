// The other commands: check, runs, help, and mistakes on the command line.
#include <glob.h>

#include <regex>

#include "cli_support.hpp"

namespace lockrig::cli_test {
namespace {

std::vector<std::string> glob_files(const std::string& pattern) {
  glob_t g{};
  std::vector<std::string> out;
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0)
    for (std::size_t i = 0; i < g.gl_pathc; ++i) out.push_back(g.gl_pathv[i]);
  globfree(&g);
  return out;
}

// Driver names this build knows, per kind ("lock", "switch", "supply"), from `lockrig drivers`.
std::map<std::string, std::set<std::string>> known_drivers() {
  const Result r = lockrig({"drivers"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  std::map<std::string, std::set<std::string>> out;
  std::smatch m;
  std::string rest = r.out;
  const std::regex line(R"((lock|switch|supply) drivers:\s*([^\n]*))");
  while (std::regex_search(rest, m, line)) {
    std::stringstream ss(m[2].str());
    for (std::string name; std::getline(ss, name, ',');) {
      name.erase(0, name.find_first_not_of(' '));
      out[m[1].str()].insert(name);
    }
    rest = m.suffix();
  }
  return out;
}

TEST(LockrigCheck, AcceptsEveryShippedFixtureAndScenario) {
  // The real-lab example reads its lock key from the environment, as a rig would (children
  // inherit it); check refuses a fixture whose secret is missing.
  ::setenv("ACME_LAB_KEY", "00112233445566778899aabbccddeeff", 1);
  const auto fixtures = glob_files(source_path("fixtures/*.yaml"));
  const auto scenarios = glob_files(source_path("scenarios/*.yaml"));
  ASSERT_FALSE(fixtures.empty());
  ASSERT_FALSE(scenarios.empty());
  const auto known = known_drivers();
  ASSERT_TRUE(known.count("lock")) << "lockrig drivers listed no lock drivers";

  for (const auto& file : scenarios) {
    const Result r = lockrig({"check", file});
    EXPECT_TRUE(r.exited && r.exit_code == 0) << r.describe();
    EXPECT_NE(r.out.find("ok  " + file), std::string::npos) << r.describe();
  }
  for (const auto& file : fixtures) {
    // A fixture for real hardware needs that hardware's drivers compiled in; with a reduced
    // build (LOCKRIG_CORE_ONLY) check must still refuse it clearly, naming the missing driver.
    const Fixture f = load_fixture(file);
    std::string missing;
    auto need = [&](const std::string& kind, const std::string& name) {
      if (missing.empty() && !known.at(kind).count(name)) missing = name;
    };
    for (const auto& l : f.locks) need("lock", l.driver);
    for (const auto& b : f.switches) need("switch", b.driver);
    for (const auto& s : f.supplies) need("supply", s.driver);
    const Result r = lockrig({"check", file});
    if (missing.empty()) {
      EXPECT_TRUE(r.exited && r.exit_code == 0) << r.describe();
      EXPECT_NE(r.out.find("ok  " + file), std::string::npos) << r.describe();
    } else {
      std::cout << "note: " << file << " needs driver " << missing << ", not in this build\n";
      EXPECT_EQ(r.exit_code, 2) << r.describe();
      EXPECT_NE(r.err.find("\"" + missing + "\""), std::string::npos) << r.describe();
    }
  }
}

TEST(LockrigCheck, RefusesABadFileWithFileLineColumnAndStillChecksTheOthers) {
  TempDir tmp;
  const std::string good = source_path("scenarios/nightly.yaml");
  const std::string text = replace_once(read_file(source_path("scenarios/out-of-range.yaml")),
                                        "condition: not_advertising", "condition: not_advertisng");
  const std::string bad = tmp.write("bad.yaml", text);
  const Result r = lockrig({"check", bad, good});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  EXPECT_NE(r.err.find(where(bad, text, "not_advertisng") + ": "), std::string::npos)
      << r.describe();
  EXPECT_NE(r.err.find("did you mean \"not_advertising\""), std::string::npos) << r.describe();
  EXPECT_NE(r.out.find("ok  " + good), std::string::npos) << r.describe();
  EXPECT_EQ(r.out.find("ok  " + bad), std::string::npos) << r.describe();
}

// `lockrig check my-rig.yaml scenario.yaml` checks the scenario against my-rig, not against the
// built-in simulated lab: a channel my-rig lacks is an error, though the sim lab has it.
TEST(LockrigCheck, ChecksScenariosAgainstTheFixtureGivenWithThem) {
  TempDir tmp;
  const std::string rig = tmp.write("no-shield.yaml",
                                    "rig: no-shield\n"
                                    "locks:\n"
                                    "  - {id: door-1, material: wood, driver: sim}\n"
                                    "switches:\n"
                                    "  - id: relays\n"
                                    "    driver: sim\n"
                                    "    settings: {channels: 1}\n"
                                    "    channels:\n"
                                    "      - {name: battery, channel: 1, locks: [door-1], safe: on}\n");
  const std::string shield = source_path("scenarios/out-of-range.yaml");
  const std::string battery = source_path("scenarios/battery-removed.yaml");
  const Result r = lockrig({"check", rig, shield, battery});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find("rf_shield"), std::string::npos) << r.describe();
  EXPECT_NE(r.out.find("ok  " + battery + ": battery-removed x20 (checked against rig no-shield)"),
            std::string::npos)
      << r.describe();
  EXPECT_NE(r.out.find("1 lock, 1 switch channel, 0 supplies"), std::string::npos) << r.describe();
  // An explicit --fixture still wins.
  const Result sim = lockrig({"check", "--fixture", source_path("fixtures/sim-lab.yaml"), rig, shield});
  EXPECT_EQ(sim.exit_code, 0) << sim.describe();
}

// A typo in a fixture's own key is reported against the fixture's keys.
TEST(LockrigCheck, AFixtureWithAMistypedRigKeyIsStillCheckedAsAFixture) {
  TempDir tmp;
  const std::string text = "rigg: lab-7\nlocks:\n  - {id: door-1, material: wood, driver: sim}\n";
  const std::string fx = tmp.write("typo.yaml", text);
  const Result r = lockrig({"check", fx});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find(where(fx, text, "rigg") + ": unknown key \"rigg\" in the fixture"),
            std::string::npos)
      << r.describe();
  EXPECT_NE(r.err.find("did you mean \"rig\""), std::string::npos) << r.describe();
}

TEST(LockrigCheck, WithoutFilesIsAUsageError) {
  const Result r = lockrig({"check"});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
}

TEST(LockrigCheck, JournalAggregatesOfARealRunAgreeAndATamperedOneIsCaught) {
  TempDir tmp;
  const std::string db_path = tmp.file("journal.db");
  const Result run = lockrig({"run", "--locks", "steel-1", "--repeat", "3", "--seed", "4", "--db",
                              db_path, "--progress", "off", "-q"});
  ASSERT_TRUE(run.exited && (run.exit_code == 0 || run.exit_code == 1)) << run.describe();
  const long long sessions = Db(db_path).integer("SELECT count(*) FROM sessions");
  ASSERT_GT(sessions, 0);
  EXPECT_EQ(Db(db_path).integer("SELECT sum(sessions) FROM agg_sessions"), sessions);
  Result r = lockrig({"check", "--journal", db_path});
  ASSERT_TRUE(r.exited && r.exit_code == 0) << r.describe();
  EXPECT_NE(r.out.find("aggregates agree"), std::string::npos) << r.describe();
  EXPECT_NE(r.out.find(std::to_string(sessions) + " sessions"), std::string::npos) << r.describe();
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db_path.c_str(), &h), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(h, "UPDATE agg_latency SET sessions = sessions + 2",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(h);
  }
  r = lockrig({"check", "--journal", db_path});
  EXPECT_TRUE(r.exited && r.exit_code == 1) << r.describe();
  EXPECT_NE(r.err.find("mismatch agg_latency"), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("disagree"), std::string::npos) << r.describe();
  r = lockrig({"check", "--journal", tmp.file("missing.db")});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  r = lockrig({"check", "--journal", tmp.file("missing.db"), "--upgrade"});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  EXPECT_FALSE(exists(tmp.file("missing.db"))) << "--upgrade must not create a journal";
  r = lockrig({"check", "--upgrade"});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  EXPECT_NE(r.err.find("--journal"), std::string::npos) << r.describe();
}

TEST(LockrigRuns, ListsEveryRunOfAJournalInOrderWithItsLabels) {
  TempDir tmp;
  const std::string db_path = tmp.file("journal.db");
  for (const std::string app : {"5.3.0", "5.4.0"}) {
    const Result r = lockrig({"run", "--locks", "steel-1", "--repeat", "1", "--seed", "1",
                              "--label", "app=" + app, "--db", db_path, "--progress", "off", "-q"});
    ASSERT_TRUE(r.exited && (r.exit_code == 0 || r.exit_code == 1)) << r.describe();
  }
  const auto uuids = Db(db_path).column("SELECT uuid FROM runs ORDER BY id");
  ASSERT_EQ(uuids.size(), 2u);
  const Result r = lockrig({"runs", "--db", db_path});
  ASSERT_TRUE(r.exited && r.exit_code == 0) << r.describe();
  const auto first = r.out.find(uuids[0]), second = r.out.find(uuids[1]);
  ASSERT_NE(first, std::string::npos) << r.describe();
  ASSERT_NE(second, std::string::npos) << r.describe();
  EXPECT_LT(first, second) << "runs are listed oldest first";
  EXPECT_NE(r.out.find("app=5.3.0"), std::string::npos) << r.describe();
  EXPECT_NE(r.out.find("app=5.4.0"), std::string::npos) << r.describe();
  EXPECT_EQ(Db(db_path).integer("SELECT count(*) FROM runs"), 2)
      << "listing must not change the journal";
}

TEST(LockrigRuns, OnAMissingJournalIsAnErrorThatCreatesNothing) {
  TempDir tmp;
  const std::string db_path = tmp.file("missing.db");
  const Result r = lockrig({"runs", "--db", db_path});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  EXPECT_NE(r.err.find(db_path), std::string::npos) << r.describe();
  EXPECT_FALSE(exists(db_path));
}

TEST(LockrigRuns, OnADatabaseThatIsNotAJournalIsAnError) {
  TempDir tmp;
  const std::string db_path = tmp.file("other.db");
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &h), SQLITE_OK);
  sqlite3_exec(h, "CREATE TABLE t (x)", nullptr, nullptr, nullptr);
  sqlite3_close(h);
  const Result r = lockrig({"runs", "--db", db_path});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  EXPECT_NE(r.err.find(db_path), std::string::npos) << r.describe();
}

TEST(LockrigHelp, OverviewNamesEveryCommandAndTheExitCodes) {
  for (const std::string flag : {"--help", "help", "-h"}) {
    const Result r = lockrig({flag});
    EXPECT_TRUE(r.exited && r.exit_code == 0) << r.describe();
    for (const std::string word : {"run", "check", "runs", "drivers", "130", "143"})
      EXPECT_NE(r.out.find(word), std::string::npos) << flag << " lacks " << word << "\n"
                                                     << r.describe();
  }
}

TEST(LockrigHelp, RunHelpMentionsEveryRunOption) {
  for (const auto& args :
       {std::vector<std::string>{"run", "--help"}, std::vector<std::string>{"help", "run"}}) {
    const Result r = lockrig(args);
    EXPECT_TRUE(r.exited && r.exit_code == 0) << r.describe();
    for (const std::string opt : {"--fixture", "--scenario", "--db", "--label", "--seed", "--locks",
                                  "--repeat", "--clock", "--progress"})
      EXPECT_NE(r.out.find(opt), std::string::npos) << "run --help lacks " << opt << "\n"
                                                    << r.describe();
  }
}

TEST(LockrigHelp, NoCommandIsAUsageErrorThatShowsTheOverview) {
  const Result r = lockrig({});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  EXPECT_NE(r.err.find("run"), std::string::npos) << r.describe();
}

TEST(LockrigHelp, UnknownCommandSuggestsTheClosestOne) {
  const Result r = lockrig({"rnu"});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  EXPECT_NE(r.err.find("\"rnu\""), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("did you mean \"run\""), std::string::npos) << r.describe();
}

TEST(LockrigHelp, VersionNamesTheControllerVersionAndJournalSchema) {
  const Result r = lockrig({"--version"});
  EXPECT_TRUE(r.exited && r.exit_code == 0) << r.describe();
  EXPECT_NE(r.out.find(LOCKRIG_VERSION), std::string::npos) << r.describe();
}

}  // namespace
}  // namespace lockrig::cli_test
