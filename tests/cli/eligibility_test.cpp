// SLI eligibility: scenarios whose unlocks must fail (battery removed, out of radio range) are
// assertions, never SLI events, and the bench really does what the scenario says.
#include "cli_support.hpp"

namespace lockrig::cli_test {
namespace {

const std::string kFixture = "fixtures/sim-lab.yaml";

class LockrigPhysicalScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(LockrigPhysicalScenario, ExpectedFailuresPassAsAssertionsAndNeverCountTowardTheSli) {
  const std::string rel = GetParam();
  const int repeat = 2;
  TempDir tmp;
  const std::string db_path = tmp.file("journal.db");
  // A relative scenario path, as an operator would type it from the repository root.
  const Result r = lockrig({"run", "--scenario", rel, "--repeat", std::to_string(repeat), "--seed",
                            "17", "--db", db_path, "--progress", "off", "-q"},
                           Spawn{LOCKRIG_SOURCE_DIR, "", 60s});
  ASSERT_TRUE(r.exited && (r.exit_code == 0 || r.exit_code == 1)) << r.describe();

  const Fixture f = load_fixture(source_path(kFixture));
  const auto scenarios = load_scenarios(source_path(rel));
  ASSERT_EQ(scenarios.size(), 1u);
  const Scenario& s = scenarios[0];
  Db db(db_path);
  EXPECT_EQ(db.text("SELECT status FROM runs"), "completed");
  EXPECT_EQ(db.text("SELECT source FROM run_scenarios"), rel);
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions"),
            total(planned_sessions(f, scenarios, repeat)));

  int expected_failure_steps = 0;
  for (int st : unlock_step_indices(s)) {
    const UnlockStep& u = s.steps[static_cast<std::size_t>(st)].unlock;
    const std::string where = " WHERE step = " + std::to_string(st);
    const long long n = db.integer("SELECT count(*) FROM sessions" + where);
    EXPECT_EQ(n,
              static_cast<long long>(repeat) * static_cast<long long>(eligible_locks(f, s).size()));
    EXPECT_EQ(db.integer("SELECT count(*) FROM sessions" + where +
                         " AND sli_eligible = " + (u.sli ? "1" : "0")),
              n)
        << "step " << st << " sli: " << u.sli;
    if (u.expect.expects_success()) continue;
    ++expected_failure_steps;
    // The lock is physically unreachable, so the expected failure is what happens.
    EXPECT_EQ(db.integer("SELECT count(*) FROM sessions" + where +
                         " AND result = 'pass' AND outcome = " + sql_quote(u.expect.name())),
              n)
        << "expected-failure sessions of step " << st << " did not all pass";
    EXPECT_EQ(db.integer("SELECT count(*) FROM sessions" + where + " AND sli_eligible = 0"), n);
    // The attempt that showed the expected failure is classed 'expected', not as a lock failure.
    EXPECT_EQ(
        db.integer(
            "SELECT count(*) FROM sessions s" + where +
            " AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.session_id = s.id AND a.class = "
            "'expected' AND a.outcome = s.expect)"),
        0);
    EXPECT_EQ(db.integer("SELECT count(*) FROM attempts a JOIN sessions s ON s.id = a.session_id" +
                         where + " AND a.outcome = " + sql_quote(u.expect.name()) +
                         " AND a.class != 'expected'"),
              0);
  }
  EXPECT_GT(expected_failure_steps, 0) << rel << " should contain an expected-failure unlock";
  EXPECT_EQ(db.integer("SELECT count(*) FROM v_sli_sessions WHERE expect != 'success'"), 0);

  // The bench actions of every repetition are in the event log, per lock.
  std::map<std::pair<std::string, std::string>, int> switch_steps;  // (channel, on/off) -> steps
  int waits_until = 0;
  for (const auto& step : s.steps) {
    if (step.kind == Step::Kind::set_switch) ++switch_steps[{step.target, step.on ? "on" : "off"}];
    if (step.kind == Step::Kind::wait_until) ++waits_until;
  }
  ASSERT_FALSE(switch_steps.empty());
  for (const auto& lock : eligible_locks(f, s)) {
    for (const auto& [key, per_rep] : switch_steps) {
      const auto& [channel, state] = key;
      EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE kind = 'switch' AND lock_id = " +
                           sql_quote(lock) + " AND target LIKE " + sql_quote("% " + channel) +
                           " AND value = " + sql_quote(state)),
                per_rep * repeat)
          << lock << " " << channel << " " << state;
    }
    EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE kind = 'wait_until' AND value = 'met' "
                         "AND lock_id = " +
                         sql_quote(lock)),
              waits_until * repeat)
        << lock;
  }
  EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE kind = 'wait_until' AND value != 'met'"),
            0);
  EXPECT_EQ(r.exit_code, db.integer("SELECT failed_assertions FROM v_run_summary") > 0 ? 1 : 0);
  expect_run_ends_in_safe_state(db, f);
  expect_journal_invariants(db);
}

INSTANTIATE_TEST_SUITE_P(ShippedScenarios, LockrigPhysicalScenario,
                         ::testing::Values("scenarios/battery-removed.yaml",
                                           "scenarios/out-of-range.yaml"),
                         [](const auto& info) {
                           std::string n = info.param.substr(info.param.find('/') + 1);
                           n = n.substr(0, n.find('.'));
                           for (auto& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace lockrig::cli_test
