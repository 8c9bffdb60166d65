// `lockrig run` on the simulated rig: what a finished run writes to the journal.
#include <unistd.h>

#include <iterator>
#include <memory>
#include <regex>

#include "cli_support.hpp"
#include "rig/base/sha256.hpp"

namespace lockrig::cli_test {
namespace {

const std::string kFixture = "fixtures/sim-lab.yaml";
const std::string kNightly = "scenarios/nightly.yaml";

std::string hostname() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

// Failed assertions as the issue defines them: non-SLI sessions that failed plus wait_until
// conditions that timed out.
long long failed_assertions(const Db& db) {
  return db.integer("SELECT count(*) FROM sessions WHERE sli_eligible = 0 AND result = 'fail'") +
         db.integer("SELECT count(*) FROM events WHERE kind = 'wait_until' AND value = 'timeout'");
}

TEST(LockrigRun, DefaultRunJournalsACompletedRunWithItsProvenance) {
  TempDir tmp;
  const std::string db_path = tmp.file("journal.db");
  const Result r =
      lockrig({"run", "--repeat", "3", "--seed", "7", "--db", db_path, "--progress", "off"});
  ASSERT_TRUE(r.exited && (r.exit_code == 0 || r.exit_code == 1)) << r.describe();

  Db db(db_path);
  ASSERT_EQ(db.integer("SELECT count(*) FROM runs"), 1);
  const auto run = db.rows(
      "SELECT uuid, host, rig, started_at, ended_at, status, exit_code, clock, seed, "
      "fixture_source, "
      "fixture_sha256, scenarios_sha256, controller_version, command_line FROM runs")[0];
  auto col = [&](int i) { return run.at(static_cast<std::size_t>(i)).value_or("NULL"); };
  EXPECT_TRUE(std::regex_match(
      col(0), std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << col(0);
  EXPECT_EQ(col(1), hostname());
  EXPECT_EQ(col(2), load_fixture(source_path(kFixture)).rig);
  EXPECT_TRUE(std::regex_match(col(3), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)")))
      << col(3);
  EXPECT_TRUE(std::regex_match(col(4), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)")))
      << col(4);
  EXPECT_LE(col(3), col(4)) << "ended before it started";
  EXPECT_EQ(col(5), "completed");
  EXPECT_EQ(col(6), std::to_string(r.exit_code))
      << "journaled exit code differs from the process's";
  EXPECT_EQ(col(7), "virtual") << "an all-simulated rig runs on the virtual clock by default";
  EXPECT_EQ(col(8), "7");
  EXPECT_EQ(col(9), "<embedded>/" + kFixture);
  EXPECT_EQ(col(10), sha256_hex(read_file(source_path(kFixture))))
      << "the embedded fixture's hash should be the hash of the shipped file";
  EXPECT_TRUE(std::regex_match(col(11), std::regex("[0-9a-f]{64}"))) << col(11);
  EXPECT_EQ(col(12), LOCKRIG_VERSION);
  EXPECT_NE(col(13).find("--seed 7"), std::string::npos) << col(13);

  // Exit code 1 exactly when some assertion (expected failure, recovery, wait_until) failed.
  EXPECT_EQ(r.exit_code, failed_assertions(db) > 0 ? 1 : 0) << r.describe();

  // The scenarios of the run, each with the file's hash and the overridden repeat count.
  const std::string nightly_sha = sha256_hex(read_file(source_path(kNightly)));
  const auto scenarios = load_scenarios(source_path(kNightly));
  const auto rs = db.table("SELECT name, source, sha256, repeat FROM run_scenarios ORDER BY name");
  ASSERT_EQ(rs.size(), scenarios.size());
  std::set<std::string> names;
  for (const auto& s : scenarios) names.insert(s.name);
  for (const auto& row : rs) {
    EXPECT_TRUE(names.count(row[0])) << row[0];
    EXPECT_EQ(row[1], "<embedded>/" + kNightly);
    EXPECT_EQ(row[2], nightly_sha);
    EXPECT_EQ(row[3], "3");
  }
  expect_journal_invariants(db);
}

TEST(LockrigRun, RecordsEveryLockOfTheRigWithTheFirmwareReadFromIt) {
  TempDir tmp;
  const std::string db_path = tmp.file("journal.db");
  const Result r =
      lockrig({"run", "--repeat", "1", "--seed", "11", "--db", db_path, "--progress", "off", "-q"});
  ASSERT_TRUE(r.exited && (r.exit_code == 0 || r.exit_code == 1)) << r.describe();

  const Fixture f = load_fixture(source_path(kFixture));
  Db db(db_path);
  const auto rows = db.table(
      "SELECT lock_id, model, material, slot, driver, firmware FROM run_locks ORDER BY lock_id");
  ASSERT_EQ(rows.size(), f.locks.size());
  ASSERT_EQ(rows.size(), 8u) << "the shipped simulated lab has eight locks";
  std::set<std::string> firmware, materials;
  for (const auto& row : rows) {
    const auto* spec = f.find_lock(row[0]);
    ASSERT_NE(spec, nullptr) << "run_locks has a lock the fixture lacks: " << row[0];
    EXPECT_EQ(row[1], spec->model);
    EXPECT_EQ(row[2], spec->material);
    EXPECT_EQ(row[3], spec->slot);
    EXPECT_EQ(row[4], spec->driver);
    // The sim lock reports the build the fixture gave it; the journal keeps what the lock said.
    EXPECT_EQ(row[5], spec->settings.get_string("firmware", "?")) << row[0];
    firmware.insert(row[5]);
    materials.insert(row[2]);
  }
  EXPECT_EQ(firmware, (std::set<std::string>{"2.4.0", "2.4.1"}));
  EXPECT_GE(materials.size(), 4u);
}

TEST(LockrigRun, WritesRepeatTimesEligibleLocksTimesUnlockStepsSessionsPerScenario) {
  TempDir tmp;
  const std::string db_path = tmp.file("journal.db");
  const int repeat = 3;
  const Result r = lockrig({"run", "--repeat", std::to_string(repeat), "--seed", "21", "--db",
                            db_path, "--progress", "off"});
  ASSERT_TRUE(r.exited && (r.exit_code == 0 || r.exit_code == 1)) << r.describe();

  const Fixture f = load_fixture(source_path(kFixture));
  const auto scenarios = load_scenarios(source_path(kNightly));
  const auto planned = planned_sessions(f, scenarios, repeat);
  Db db(db_path);

  std::map<std::string, long long> actual;
  for (const auto& row : db.table("SELECT scenario, count(*) FROM sessions GROUP BY scenario"))
    actual[row[0]] = std::stoll(row[1]);
  EXPECT_EQ(actual, planned);
  EXPECT_EQ(db.integer("SELECT sessions_planned FROM runs"), total(planned));

  // Per scenario and lock: only the locks wired for the scenario, each repetition 1..repeat,
  // each unlock step once.
  for (const auto& s : scenarios) {
    const auto locks = eligible_locks(f, s);
    const auto steps = unlock_step_indices(s);
    for (const auto& lock : f.lock_ids()) {
      const bool runs_here = std::find(locks.begin(), locks.end(), lock) != locks.end();
      const auto got =
          db.table("SELECT repetition, step FROM sessions WHERE scenario = " + sql_quote(s.name) +
                   " AND lock_id = " + sql_quote(lock) + " ORDER BY repetition, step");
      std::vector<std::vector<std::string>> want;
      if (runs_here)
        for (int rep = 1; rep <= repeat; ++rep)
          for (int st : steps) want.push_back({std::to_string(rep), std::to_string(st)});
      EXPECT_EQ(got, want) << "scenario " << s.name << " on lock " << lock;
    }
    // What each unlock step asked for is what the sessions journaled.
    for (int st : steps) {
      const UnlockStep& u = s.steps[static_cast<std::size_t>(st)].unlock;
      const auto rows = db.table(
          "SELECT DISTINCT expect, within_ms, sli_eligible FROM sessions WHERE scenario = " +
          sql_quote(s.name) + " AND step = " + std::to_string(st) + " AND result != 'rig_fault'");
      ASSERT_EQ(rows.size(), 1u) << s.name << " step " << st;
      EXPECT_EQ(rows[0][0], u.expect.name());
      EXPECT_DOUBLE_EQ(std::stod(rows[0][1]), to_ms(u.within));
      EXPECT_EQ(rows[0][2], u.sli ? "1" : "0") << s.name << " step " << st;
    }
  }
  expect_journal_invariants(db);
}

TEST(LockrigRun, ViewsAgreeWithTheTablesTheyAreBuiltOn) {
  TempDir tmp;
  const std::string db_path = tmp.file("journal.db");
  const Result r =
      lockrig({"run", "--repeat", "2", "--seed", "5", "--db", db_path, "--progress", "off", "-q"});
  ASSERT_TRUE(r.exited && (r.exit_code == 0 || r.exit_code == 1)) << r.describe();
  Db db(db_path);

  const long long sessions = db.integer("SELECT count(*) FROM sessions");
  ASSERT_GT(sessions, 0);
  EXPECT_EQ(db.integer("SELECT count(*) FROM v_sessions"), sessions);
  EXPECT_EQ(db.integer("SELECT count(*) FROM v_sli_sessions"),
            db.integer("SELECT count(*) FROM sessions WHERE sli_eligible = 1"));
  EXPECT_EQ(db.integer("SELECT count(*) FROM v_sli_sessions WHERE sli_eligible != 1"), 0);
  EXPECT_EQ(db.integer("SELECT count(*) FROM v_attempts"),
            db.integer("SELECT count(*) FROM attempts"));
  EXPECT_EQ(db.integer("SELECT count(*) FROM v_sessions WHERE app IS NOT NULL"), 0)
      << "no app label given";
  EXPECT_EQ(
      db.integer("SELECT count(*) FROM v_sessions v JOIN run_locks l ON l.lock_id = v.lock_id "
                 "WHERE v.material != l.material OR v.firmware IS NOT l.firmware"),
      0);
  EXPECT_EQ(db.integer("SELECT count(*) FROM v_sessions v JOIN sessions s ON s.id = v.session_id "
                       "WHERE v.duration_ms != (s.ended_ns - s.started_ns) / 1e6"),
            0);

  const auto summary = db.table(
      "SELECT sessions, sli_sessions, sli_successes, rig_fault_sessions, failed_assertions, "
      "status, "
      "exit_code FROM v_run_summary");
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0][0], std::to_string(sessions));
  EXPECT_EQ(summary[0][1], db.text("SELECT sum(sli_eligible) FROM sessions"));
  EXPECT_EQ(summary[0][2], db.text("SELECT sum(sli_success) FROM sessions"));
  EXPECT_EQ(summary[0][3], db.text("SELECT count(*) FROM sessions WHERE result = 'rig_fault'"));
  EXPECT_EQ(summary[0][4],
            db.text("SELECT count(*) FROM sessions WHERE sli_eligible = 0 AND result = 'fail'"));
  EXPECT_EQ(summary[0][5], "completed");
  EXPECT_EQ(summary[0][6], std::to_string(r.exit_code));
  EXPECT_LE(std::stoll(summary[0][2]), std::stoll(summary[0][1]));
}

TEST(LockrigRun, PrintsASummaryPerScenarioAndPerDoorMaterial) {
  TempDir tmp;
  const Result r = lockrig(
      {"run", "--repeat", "1", "--seed", "3", "--db", tmp.file("j.db"), "--progress", "off"});
  ASSERT_TRUE(r.exited && (r.exit_code == 0 || r.exit_code == 1)) << r.describe();
  Db db(tmp.file("j.db"));
  const std::string uuid = db.text("SELECT uuid FROM runs");
  EXPECT_NE(r.out.find(uuid), std::string::npos) << r.describe();
  for (const auto& s : load_scenarios(source_path(kNightly)))
    EXPECT_NE(r.out.find(s.name), std::string::npos) << "summary lacks scenario " << s.name << "\n"
                                                     << r.out;
  for (const auto& l : load_fixture(source_path(kFixture)).locks)
    EXPECT_NE(r.out.find(l.material), std::string::npos) << "summary lacks material " << l.material;
}

// A wait_until that times out is a failed assertion outside any session: the exit code, the
// summary and `lockrig runs` all say so (they used to show every assertion as passed).
TEST(LockrigRun, AWaitUntilThatTimesOutIsAFailedAssertionEverywhereItIsReported) {
  TempDir tmp;
  const std::string scenario = tmp.write("wait.yaml",
                                         "name: never-back\n"
                                         "repeat: 1\n"
                                         "steps:\n"
                                         "  - switch: battery off\n"
                                         "  - wait_until: {condition: advertising, timeout: 2s}\n"
                                         "  - unlock: {expect: not_found, within: 5s}\n"
                                         "  - switch: battery on\n");
  const std::string db_path = tmp.file("j.db");
  const Result r = lockrig({"run", "--scenario", scenario, "--locks", "wood-1,wood-2", "--seed",
                            "3", "--db", db_path, "--progress", "off"});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  Db db(db_path);
  const long long timeouts =
      db.integer("SELECT count(*) FROM events WHERE kind = 'wait_until' AND value = 'timeout'");
  EXPECT_EQ(timeouts, 2);
  EXPECT_EQ(failed_assertions(db), timeouts) << "the expected not_found sessions should pass";
  EXPECT_NE(r.out.find("wait_until timed out (failed assertions): 2"), std::string::npos)
      << r.describe();
  EXPECT_NE(r.out.find("wood-1: wait until advertising"), std::string::npos) << r.describe();

  const Result runs = lockrig({"runs", "--db", db_path});
  ASSERT_EQ(runs.exit_code, 0) << runs.describe();
  const auto row = runs.out.find(db.text("SELECT uuid FROM runs"));
  ASSERT_NE(row, std::string::npos) << runs.describe();
  const std::string line = runs.out.substr(row, runs.out.find('\n', row) - row);
  std::istringstream fields(line);
  std::vector<std::string> f{std::istream_iterator<std::string>(fields), {}};
  // uuid rig started status sessions SLI rigf assert
  ASSERT_GE(f.size(), 8u) << line;
  EXPECT_EQ(f[6], "0") << line;
  EXPECT_EQ(f[7], std::to_string(timeouts)) << line;
}

TEST(LockrigRun, ProgressOnANonTerminalIsPlainLinesEndingWithEverySessionDone) {
  TempDir tmp;
  const int repeat = 1;
  const Result r = lockrig(
      {"run", "--repeat", std::to_string(repeat), "--seed", "3", "--db", tmp.file("j.db"), "-q"});
  ASSERT_TRUE(r.exited && (r.exit_code == 0 || r.exit_code == 1)) << r.describe();
  const long long planned = total(planned_sessions(load_fixture(source_path(kFixture)),
                                                   load_scenarios(source_path(kNightly)), repeat));
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << "no bar redraws when stderr is not a terminal";
  EXPECT_EQ(r.err.find("\033["), std::string::npos)
      << "no escape sequences when stderr is not a terminal";
  const std::string done = std::to_string(planned) + "/" + std::to_string(planned) + " sessions";
  EXPECT_NE(r.err.find(done), std::string::npos) << "no final progress line with " << done << "\n"
                                                 << r.describe();
  EXPECT_EQ(r.out, "") << "-q prints no summary";
}

// The content of a run that must depend on the seed alone: every session and attempt, every
// lock's identity and every bench event, keyed by what it is rather than by row id.
std::vector<std::vector<std::string>> run_content(const Db& db) {
  auto rows = db.table(
      "SELECT s.lock_id, s.scenario, s.repetition, s.step, s.result, s.outcome, s.attempts, "
      "s.sli_eligible, s.sli_success, s.started_ns, s.ended_ns, a.attempt, a.outcome, a.class, "
      "a.phase, "
      "a.latency_ms, a.rssi_dbm, a.started_ns, a.detail "
      "FROM sessions s JOIN attempts a ON a.session_id = s.id "
      "ORDER BY s.lock_id, s.scenario, s.repetition, s.step, a.attempt");
  for (auto& e : db.table(
           "SELECT 'event', COALESCE(lock_id, ''), t_ns, kind, target, value, detail FROM events "
           "ORDER BY 2, 3, 4, 5, 6, 7"))
    rows.push_back(e);
  for (auto& l :
       db.table("SELECT 'lock', lock_id, firmware, reported_model FROM run_locks ORDER BY lock_id"))
    rows.push_back(l);
  return rows;
}

std::string first_difference(const std::vector<std::vector<std::string>>& a,
                             const std::vector<std::vector<std::string>>& b) {
  auto show = [](const std::vector<std::string>& r) {
    std::string s;
    for (const auto& c : r) s += c + " | ";
    return s;
  };
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    if (a[i] != b[i])
      return "row " + std::to_string(i) + ":\n  " + show(a[i]) + "\n  " + show(b[i]);
  return "sizes " + std::to_string(a.size()) + " vs " + std::to_string(b.size());
}

TEST(LockrigRun, SameSeedGivesTheSameJournalContentAndAnotherSeedDoesNot) {
  TempDir tmp;
  const std::vector<std::string> common = {"run", "--repeat", "2", "--progress", "off", "-q"};
  auto run = [&](const std::string& name, const std::string& seed,
                 std::vector<std::string> extra = {}) {
    std::vector<std::string> args = common;
    args.insert(args.end(), {"--seed", seed, "--db", tmp.file(name)});
    args.insert(args.end(), extra.begin(), extra.end());
    const Result r = lockrig(args);
    EXPECT_TRUE(r.exited && (r.exit_code == 0 || r.exit_code == 1)) << r.describe();
    Db db(tmp.file(name));
    EXPECT_EQ(db.text("SELECT seed FROM runs"), seed);
    return run_content(db);
  };
  const auto a = run("a.db", "42");
  const auto b = run("b.db", "42");
  const auto c = run("c.db", "43");
  ASSERT_FALSE(a.empty());
  EXPECT_TRUE(a == b) << "same seed, different journals; first difference at "
                      << first_difference(a, b);
  EXPECT_FALSE(a == c) << "a different seed should change latencies and RSSI";
}

TEST(LockrigRun, SameSeedGivesTheSameJournalWhateverTheNumberOfParallelJobs) {
  TempDir tmp;
  auto run = [&](const std::string& name, const std::string& jobs) {
    const Result r = lockrig({"run", "--repeat", "2", "--seed", "99", "--jobs", jobs, "--db",
                              tmp.file(name), "--progress", "off", "-q"});
    EXPECT_TRUE(r.exited && (r.exit_code == 0 || r.exit_code == 1)) << r.describe();
    Db db(tmp.file(name));
    return run_content(db);
  };
  const auto one = run("one.db", "1");
  const auto four = run("four.db", "4");
  ASSERT_FALSE(one.empty());
  EXPECT_TRUE(one == four) << "first difference at " << first_difference(one, four);
}

TEST(LockrigRun, LabelsLandInRunLabelsAndTheAppLabelInEverySessionRow) {
  TempDir tmp;
  const std::string db_path = tmp.file("journal.db");
  const Result r = lockrig({"run", "--repeat", "1", "--seed", "1", "--label", "app=5.3.0",
                            "--label", "build=n1", "--db", db_path, "--progress", "off", "-q"});
  ASSERT_TRUE(r.exited && (r.exit_code == 0 || r.exit_code == 1)) << r.describe();
  Db db(db_path);
  EXPECT_EQ(db.table("SELECT key, value FROM run_labels ORDER BY key"),
            (std::vector<std::vector<std::string>>{{"app", "5.3.0"}, {"build", "n1"}}));
  const long long sessions = db.integer("SELECT count(*) FROM sessions");
  ASSERT_GT(sessions, 0);
  EXPECT_EQ(db.integer("SELECT count(*) FROM v_sessions WHERE app = '5.3.0'"), sessions);
  EXPECT_EQ(db.integer("SELECT count(*) FROM v_attempts WHERE app = '5.3.0'"),
            db.integer("SELECT count(*) FROM attempts"));
}

TEST(LockrigRun, MalformedLabelsAreUsageErrorsThatWriteNothing) {
  TempDir tmp;
  const std::string db_path = tmp.file("journal.db");
  for (const std::vector<std::string>& labels :
       {std::vector<std::string>{"app"}, {"=5.3.0"}, {"app="}, {"a b=c"}, {"app=1", "app=2"}}) {
    std::vector<std::string> args = {"run", "--repeat", "1", "--db", db_path};
    for (const auto& l : labels) args.insert(args.end(), {"--label", l});
    const Result r = lockrig(args);
    EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
    EXPECT_NE(r.err.find("--label"), std::string::npos) << r.describe();
    EXPECT_FALSE(exists(db_path)) << "a refused run must not create the journal: " << r.describe();
  }
}

TEST(LockrigRun, EmbeddedDefaultRunsFromAnyDirectoryIntoLockrigDbThere) {
  TempDir tmp;
  const Result r = lockrig({"run"}, Spawn{tmp.path(), "", 120s});
  ASSERT_TRUE(r.exited && (r.exit_code == 0 || r.exit_code == 1)) << r.describe();
  const std::string db_path = tmp.file("lockrig.db");
  ASSERT_TRUE(exists(db_path)) << "no ./lockrig.db in the working directory\n" << r.describe();

  const Fixture f = load_fixture(source_path(kFixture));
  const auto scenarios = load_scenarios(source_path(kNightly));
  Db db(db_path);
  EXPECT_EQ(db.text("SELECT status FROM runs"), "completed");
  EXPECT_EQ(db.text("SELECT fixture_source FROM runs"), "<embedded>/" + kFixture);
  EXPECT_EQ(db.text("SELECT fixture_sha256 FROM runs"),
            sha256_hex(read_file(source_path(kFixture))));
  EXPECT_EQ(db.column("SELECT DISTINCT source FROM run_scenarios"),
            std::vector<std::string>{"<embedded>/" + kNightly});
  // No override: each scenario's own repeat count.
  for (const auto& s : scenarios)
    EXPECT_EQ(db.text("SELECT repeat FROM run_scenarios WHERE name = " + sql_quote(s.name)),
              std::to_string(s.repeat));
  std::map<std::string, long long> actual;
  for (const auto& row : db.table("SELECT scenario, count(*) FROM sessions GROUP BY scenario"))
    actual[row[0]] = std::stoll(row[1]);
  EXPECT_EQ(actual, planned_sessions(f, scenarios));
  EXPECT_EQ(r.exit_code, failed_assertions(db) > 0 ? 1 : 0);
  expect_journal_invariants(db);

  // A second run appends to the same journal.
  const Result again = lockrig({"run", "--repeat", "1", "-q"}, Spawn{tmp.path(), "", 60s});
  ASSERT_TRUE(again.exited && (again.exit_code == 0 || again.exit_code == 1)) << again.describe();
  Db db2(db_path);
  EXPECT_EQ(db2.integer("SELECT count(*) FROM runs"), 2);
  EXPECT_EQ(db2.integer("SELECT count(DISTINCT uuid) FROM runs"), 2);
}

// Two rigs (or two shells) starting their nightly runs at the same moment into a journal that
// does not exist yet: both runs must be journaled, neither may fail creating the schema.
TEST(LockrigRun, RunsStartingTogetherOnANewJournalAreAllJournaled) {
  TempDir tmp;
  const int rounds = 3, parallel = 3;
  for (int round = 0; round < rounds; ++round) {
    const std::string db_path = tmp.file("shared-" + std::to_string(round) + ".db");
    std::vector<std::unique_ptr<Process>> procs;
    for (int i = 0; i < parallel; ++i)
      procs.push_back(std::make_unique<Process>(std::vector<std::string>{
          "run", "--locks", "steel-1", "--repeat", "1", "--seed", std::to_string(i + 1), "--db",
          db_path, "--progress", "off", "-q"}));
    for (auto& p : procs) {
      const Result r = p->wait();
      EXPECT_TRUE(r.exited && (r.exit_code == 0 || r.exit_code == 1)) << r.describe();
    }
    Db db(db_path);
    EXPECT_EQ(db.integer("SELECT count(*) FROM runs WHERE status = 'completed'"), parallel)
        << "round " << round;
    expect_journal_invariants(db);
  }
}

}  // namespace
}  // namespace lockrig::cli_test
