#include "rig/engine/plan.hpp"

#include <gtest/gtest.h>

#include "rig/base/embedded.hpp"

using namespace lockrig;

namespace {
std::vector<Scenario> nightly() { return load_scenarios(kDefaultScenarios); }
}  // namespace

TEST(Plan, LocksSharingAShieldBoxRunInOneGroupAndPanelsRunInParallel) {
  Fixture f = load_fixture(kDefaultFixture);
  Plan p = make_plan(f, nightly(), {});
  ASSERT_EQ(p.groups.size(), 4u);
  for (const auto& g : p.groups) {
    ASSERT_EQ(g.locks.size(), 2u);
    // Both locks of a group are behind the same shield channel.
    const std::string a = f.locks[g.locks[0]].id, b = f.locks[g.locks[1]].id;
    EXPECT_EQ(a.substr(0, a.find('-')), b.substr(0, b.find('-')));
  }
}

TEST(Plan, CountsSessionsAsRepeatsTimesEligibleLocksTimesUnlockSteps) {
  Fixture f = load_fixture(kDefaultFixture);
  auto scenarios = nightly();
  Plan p = make_plan(f, scenarios, {});
  long long expected = 0;
  for (const auto& s : scenarios) {
    int locks = 0;
    for (const auto& l : f.locks) {
      bool ok = true;
      for (const auto& sup : s.supplies_used()) ok = ok && f.supply_for(l.id, sup);
      locks += ok;
    }
    expected += static_cast<long long>(s.repeat) * locks * s.unlock_steps();
  }
  EXPECT_EQ(p.total_sessions, expected);
  long long sum = 0;
  for (const auto& g : p.groups) sum += g.sessions;
  EXPECT_EQ(sum, expected);
}

TEST(Plan, ScenariosNeedingASupplySkipLocksWithoutOneAndSaySo) {
  Fixture f = load_fixture(kDefaultFixture);
  Plan p = make_plan(f, nightly(), {});
  // weak-battery and brown-out need the supply, which only the steel-door locks have.
  ASSERT_EQ(p.notes.size(), 2u);
  EXPECT_NE(p.notes[0].find("weak-battery skips wood-1 (no supply \"vbat\")"), std::string::npos);
  EXPECT_EQ(p.notes[0].find("steel-1"), std::string::npos);
}

TEST(Plan, RepeatOverrideAndLockFilterShrinkThePlan) {
  Fixture f = load_fixture(kDefaultFixture);
  PlanOptions o;
  o.repeat_override = 2;
  o.lock_filter = {"wood-1", "steel-2"};
  Plan p = make_plan(f, load_scenarios("<embedded>/scenarios/door-materials.yaml"), o);
  EXPECT_EQ(p.total_sessions, 4);
  EXPECT_EQ(p.groups.size(), 2u);
}

TEST(Plan, UnknownLockInTheFilterIsAUsageErrorWithASuggestion) {
  Fixture f = load_fixture(kDefaultFixture);
  PlanOptions o;
  o.lock_filter = {"wood-3"};
  try {
    make_plan(f, nightly(), o);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("has no lock \"wood-3\" (did you mean \"wood-1\"?)"),
              std::string::npos) << e.what();
  }
}

TEST(Plan, AScenarioNoSelectedLockCanRunIsSkippedWithANote) {
  Fixture f = load_fixture(kDefaultFixture);
  PlanOptions o;
  o.lock_filter = {"wood-1"};
  Plan p = make_plan(f, nightly(), o);
  EXPECT_GT(p.total_sessions, 0);
  bool noted = false;
  for (const auto& n : p.notes) noted = noted || n.find("weak-battery skipped") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(Plan, APlanWithNothingToRunIsAnError) {
  Fixture f = load_fixture(kDefaultFixture);
  PlanOptions o;
  o.lock_filter = {"wood-1"};
  auto sc = parse_scenarios("name: w\nsteps:\n  - supply: {name: vbat, volts: 2.6}\n  - unlock:\n", "w.yaml");
  try {
    make_plan(f, sc, o);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("nothing to run"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no supply \"vbat\""), std::string::npos) << e.what();
  }
}
