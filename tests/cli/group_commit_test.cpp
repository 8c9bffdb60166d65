// Issue 18, group commit keeps the crash promise: a run killed between draining a group of
// finished sessions and committing it loses exactly that group (nothing half-written), the
// journal stays consistent, and `run --resume` journals what an uninterrupted run journals.
// The kill comes from the test hook LOCKRIG_TEST_KILL_BEFORE_COMMIT (rig/engine/runner.cpp),
// which raises SIGKILL after the group's rows are written and before its COMMIT.
#include <regex>

#include "cli_support.hpp"

namespace lockrig::cli_test {
namespace {

std::vector<std::vector<std::string>> session_content(const Db& db) {
  return db.table(
      "SELECT s.lock_id, s.scenario, s.repetition, s.step, s.result, s.outcome, s.attempts, "
      "s.sli_eligible, s.sli_success, s.first_attempt_success, a.attempt, a.outcome, a.class, "
      "a.phase, COALESCE(printf('%.3f', a.latency_ms), 'NULL'), COALESCE(a.rssi_dbm, 'NULL') "
      "FROM sessions s JOIN attempts a ON a.session_id = s.id "
      "ORDER BY s.lock_id, s.scenario, s.repetition, s.step, a.attempt");
}

TEST(LockrigGroupCommit, KilledBetweenDrainAndCommitLosesOnlyTheGroupAndResumeCompletesIt) {
  TempDir tmp;
  const std::string fixture = source_path("fixtures/sim-lab.yaml");
  const std::string ref_db = tmp.file("ref.db"), db_path = tmp.file("cut.db");
  const std::vector<std::string> base = {"run",        "--repeat", "12",  "--seed", "7",
                                         "--progress", "off",      "-q",  "--fixture", fixture};
  std::vector<std::string> ref_args = base;
  ref_args.insert(ref_args.end(), {"--db", ref_db});
  const Result ref = lockrig(ref_args);
  ASSERT_TRUE(ref.exited && (ref.exit_code == 0 || ref.exit_code == 1)) << ref.describe();
  const long long planned = Db(ref_db).integer("SELECT sessions_planned FROM runs");

  // The second group of two or more sessions is cut down before its COMMIT.
  std::string script = "LOCKRIG_TEST_KILL_BEFORE_COMMIT=2 exec \"$0\"";
  for (const auto& a : base) script += " '" + a + "'";
  script += " --db \"$1\"";
  const Result cut = lockrig_in_bash(script, db_path);
  ASSERT_FALSE(cut.exited) << "the hook never met a group of two sessions\n" << cut.describe();
  ASSERT_EQ(cut.term_signal, SIGKILL) << cut.describe();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(cut.err, m,
                                std::regex("SIGKILL before committing ([0-9]+) sessions after "
                                           "([0-9]+)")))
      << cut.describe();
  const long long group = std::stoll(m[1]), committed = std::stoll(m[2]);
  EXPECT_GE(group, 2);
  {
    const Db db(db_path);
    // Exactly the committed sessions: none of the killed group's rows, events or aggregates.
    EXPECT_EQ(db.integer("SELECT count(*) FROM sessions"), committed);
    EXPECT_EQ(db.integer("SELECT COALESCE(sum(sessions), 0) FROM agg_sessions"), committed);
    EXPECT_LT(committed + group, planned + 1);
    EXPECT_EQ(db.text("SELECT status FROM runs"), "running");
    expect_journal_invariants(db);
  }
  const Result check = lockrig({"check", "--journal", db_path});
  EXPECT_TRUE(check.exited && check.exit_code == 0) << check.describe();

  const Result resumed =
      lockrig({"run", "--resume", "--progress", "off", "-q", "--db", db_path});
  ASSERT_TRUE(resumed.exited && resumed.exit_code == ref.exit_code) << resumed.describe();
  const Db ref_j(ref_db), done(db_path);
  EXPECT_EQ(done.text("SELECT status FROM runs"), "completed");
  EXPECT_EQ(done.integer("SELECT count(*) FROM sessions"), planned);
  EXPECT_TRUE(session_content(done) == session_content(ref_j))
      << "the resumed run's sessions differ from the uninterrupted run's";
  expect_journal_invariants(done);
  const Result check_after = lockrig({"check", "--journal", db_path});
  EXPECT_TRUE(check_after.exited && check_after.exit_code == 0) << check_after.describe();
}

}  // namespace
}  // namespace lockrig::cli_test
