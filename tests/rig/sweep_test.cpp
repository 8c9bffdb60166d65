// Range sweeps (issue 14): the `sweep` step's parsing, its checks against the fixture
// (file:line:col, the value and the allowed range), and the staircase of Levitt (1971),
// "Transformed up-down methods in psychoacoustics", J. Acoust. Soc. Am. 49:467: a k-down/1-up
// rule converges on the level where P(success)^k = 0.5 (his Table I).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "rig/engine/attenuators.hpp"
#include "rig/engine/plan.hpp"
#include "rig/engine/resume_policy.hpp"
#include "rig/engine/scenario.hpp"
#include "rig/engine/staircase.hpp"

using namespace lockrig;

namespace {

const std::string kFixture = R"(rig: bench
locks:
  - {id: a, material: wood, driver: sim}
  - {id: b, material: steel, driver: sim}
attenuators:
  - {id: att1, name: rf_path, driver: sim, range: 10dB..90dB, step: 2dB, safe: 10dB, locks: [a]}
)";

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

// "file:line:col" of `token` in `text`.
std::string where(const std::string& text, const std::string& token) {
  const auto at = text.find(token);
  if (at == std::string::npos) return "(token not found: " + token + ")";
  int line = 1, col = 1;
  for (std::size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "sweep.yaml:" + std::to_string(line) + ":" + std::to_string(col);
}

// A scenario whose one step is a sweep with `settings` (YAML flow-mapping entries) and a block of
// one unlock step unless `settings` gives its own steps.
std::string sweep_text(const std::string& settings) {
  const bool own_steps = settings.find("steps:") != std::string::npos;
  return "name: s\nsteps:\n  - sweep: {" + settings +
         (own_steps ? "" : ", steps: [unlock: {within: 5s}]") + "}\n";
}

Scenario parse(const std::string& text) { return parse_scenarios(text, "sweep.yaml").front(); }

// The error of parsing `text` and checking it against the fixture.
std::string refusal(const std::string& text) {
  return error_of([&] {
    const Fixture f = parse_fixture(kFixture, "rig.yaml");
    validate_against_fixture(parse(text), f);
  });
}

TEST(SweepStep, AGridParsesLevelsSessionsAndItsBlock) {
  const Scenario s =
      parse(sweep_text("part: rf_path, levels: 20dB..30dB step 2dB, design: grid, sessions: 5"));
  ASSERT_EQ(s.steps.size(), 1u);
  const Step& st = s.steps[0];
  ASSERT_EQ(st.kind, Step::Kind::sweep);
  ASSERT_TRUE(st.sweep);
  EXPECT_EQ(st.target, "rf_path");
  EXPECT_EQ(st.sweep->levels, (std::vector<double>{20, 22, 24, 26, 28, 30}));
  EXPECT_EQ(st.sweep->design, SweepDesign::grid);
  EXPECT_EQ(st.sweep->sessions, 5);
  ASSERT_EQ(st.sweep->steps.size(), 1u);
  EXPECT_EQ(st.sweep->steps[0].kind, Step::Kind::unlock);
  EXPECT_EQ(s.unlock_steps(), 30);  // 6 levels x 5 sessions
  EXPECT_EQ(s.attenuators_used(), std::vector<std::string>{"rf_path"});
  EXPECT_EQ(st.describe(), "sweep rf_path 20dB..30dB (6 levels) grid x 5 sessions");
  const Fixture f = parse_fixture(kFixture, "rig.yaml");
  EXPECT_NO_THROW(validate_against_fixture(s, f));
}

TEST(SweepStep, AStaircaseParsesItsRuleAndCountsItsBudget) {
  const Scenario s = parse(sweep_text(
      "part: rf_path, levels: 20dB..60dB step 2dB, design: staircase, sessions: 40, start: 30dB, "
      "step: 4dB, down: 2, reversals: 8"));
  const SweepSpec& sw = *s.steps[0].sweep;
  EXPECT_EQ(sw.design, SweepDesign::staircase);
  EXPECT_DOUBLE_EQ(sw.start_db, 30);
  EXPECT_DOUBLE_EQ(sw.step_db, 4);
  EXPECT_EQ(sw.down, 2);
  EXPECT_EQ(sw.reversals, 8);
  EXPECT_EQ(s.unlock_steps(), 40);
  EXPECT_NE(s.steps[0].describe().find("2-down/1-up from 30dB step 4dB"), std::string::npos);
}

TEST(SweepStep, ALevelOutsideTheRangeIsRefusedAtThatLevelNamingTheAllowedRange) {
  const std::string text =
      sweep_text("part: rf_path, levels: [20dB, 40dB, 94dB], design: grid, sessions: 2");
  const std::string e = refusal(text);
  EXPECT_NE(e.find(where(text, "94dB")), std::string::npos) << e;
  EXPECT_NE(e.find("94dB"), std::string::npos) << e;
  EXPECT_NE(e.find("allowed 10dB..90dB step 2dB"), std::string::npos) << e;
}

TEST(SweepStep, ALevelOffTheStepIsRefusedAtTheRange) {
  const std::string text = sweep_text("part: rf_path, levels: 21dB..31dB step 2dB, sessions: 2");
  const std::string e = refusal(text);
  EXPECT_NE(e.find(where(text, "21dB..31dB")), std::string::npos) << e;
  EXPECT_NE(e.find("sweep level 21dB"), std::string::npos) << e;
  EXPECT_NE(e.find("allowed 10dB..90dB step 2dB"), std::string::npos) << e;
}

TEST(SweepStep, AnUnknownPartIsRefusedListingTheRigsAttenuators) {
  const std::string text = sweep_text("part: rf_pth, levels: [20dB], sessions: 2");
  const std::string e = refusal(text);
  EXPECT_NE(e.find(where(text, "sweep:")), std::string::npos) << e;
  EXPECT_NE(e.find("unknown attenuator \"rf_pth\" (did you mean \"rf_path\"?)"), std::string::npos)
      << e;
}

TEST(SweepStep, NoLevelsAndTooFewSessionsAreRefusedAtTheValue) {
  std::string text = sweep_text("part: rf_path, levels: [], sessions: 2");
  std::string e = refusal(text);
  EXPECT_NE(e.find(where(text, "[]")), std::string::npos) << e;
  EXPECT_NE(e.find("has no levels"), std::string::npos) << e;
  text = sweep_text("part: rf_path, levels: [20dB], sessions: 0");
  e = refusal(text);
  EXPECT_NE(e.find(where(text, "0, steps")), std::string::npos) << e;
  EXPECT_NE(e.find("sweep sessions must be between 1 and 100000, got \"0\""), std::string::npos)
      << e;
}

TEST(SweepStep, AStaircaseStartOffTheLevelsOrABadStepIsRefusedAtThatValue) {
  const std::string base =
      "part: rf_path, levels: 20dB..60dB step 2dB, design: staircase, sessions: 40, ";
  std::string text = sweep_text(base + "start: 31dB, step: 4dB");
  std::string e = refusal(text);
  EXPECT_NE(e.find(where(text, "31dB")), std::string::npos) << e;
  EXPECT_NE(e.find("staircase start 31dB is not one of the sweep's levels 20dB..60dB step 2dB"),
            std::string::npos)
      << e;
  text = sweep_text(base + "start: 30dB, step: 3dB");
  e = refusal(text);
  EXPECT_NE(e.find(where(text, "3dB, steps")), std::string::npos) << e;
  EXPECT_NE(e.find("staircase step 3dB must be a positive multiple of the levels' spacing 2dB"),
            std::string::npos)
      << e;
  text = sweep_text(base + "start: 30dB, step: -2dB");
  EXPECT_NE(refusal(text).find("staircase step -2dB"), std::string::npos);
  text = sweep_text(base + "start: 30dB, step: 4dB, down: 0");
  EXPECT_NE(refusal(text).find("staircase down must be between 1 and 10"), std::string::npos);
  // A staircase needs its start and step; a grid has neither.
  EXPECT_NE(refusal(sweep_text(base + "step: 4dB")).find("start"), std::string::npos);
  text = sweep_text("part: rf_path, levels: [20dB, 30dB], sessions: 2, start: 20dB");
  e = refusal(text);
  EXPECT_NE(e.find(where(text, "20dB, steps")), std::string::npos) << e;
  EXPECT_NE(e.find("setting of design: staircase"), std::string::npos) << e;
}

TEST(SweepStep, TheBlockHoldsExactlyOneUnlockExpectingSuccessAndNoAttenuate) {
  std::string text = sweep_text("part: rf_path, levels: [20dB], sessions: 2, steps: [wait: 1s]");
  EXPECT_NE(refusal(text).find("exactly one unlock step, got 0"), std::string::npos);
  text = sweep_text(
      "part: rf_path, levels: [20dB], sessions: 2, steps: [unlock: {expect: not_found}]");
  EXPECT_NE(refusal(text).find("must expect success"), std::string::npos);
  text = sweep_text(
      "part: rf_path, levels: [20dB], sessions: 2, steps: [attenuate: rf_path 20dB, unlock: {}]");
  const std::string e = refusal(text);
  EXPECT_NE(e.find(where(text, "attenuate:")), std::string::npos) << e;
  EXPECT_NE(e.find("cannot set an attenuator"), std::string::npos) << e;
  // The block's own steps are checked against the fixture too.
  text = sweep_text(
      "part: rf_path, levels: [20dB], sessions: 2, steps: [switch: {channel: nope, state: on}, "
      "unlock: {}]");
  EXPECT_NE(refusal(text).find("unknown channel \"nope\""), std::string::npos);
}

TEST(Staircase, ThreeSuccessesGoUpOneFailureGoesDownAndReversalsAreCounted) {
  Staircase st({/*start*/ 30, /*step*/ 4, /*min*/ 20, /*max*/ 60, /*down*/ 3, /*reversals*/ 2,
                /*budget*/ 100});
  st.record(true);
  st.record(true);
  EXPECT_DOUBLE_EQ(st.level(), 30);  // two in a row: not yet
  st.record(true);
  EXPECT_DOUBLE_EQ(st.level(), 34);  // three: one step harder
  st.record(false);
  EXPECT_DOUBLE_EQ(st.level(), 30);  // one failure: one step easier, a reversal
  EXPECT_EQ(st.reversals(), 1);
  EXPECT_FALSE(st.done());
  st.record(false);
  EXPECT_DOUBLE_EQ(st.level(), 26);  // same direction: no reversal
  EXPECT_EQ(st.reversals(), 1);
  for (int i = 0; i < 3; ++i) st.record(true);
  EXPECT_DOUBLE_EQ(st.level(), 30);
  EXPECT_EQ(st.reversals(), 2);
  EXPECT_TRUE(st.done());
  EXPECT_EQ(st.sessions(), 8);
}

TEST(Staircase, StaysOnTheLadderAndStopsAtItsBudget) {
  Staircase st({22, 4, 20, 28, 1, 1000, 10});
  st.record(false);
  EXPECT_DOUBLE_EQ(st.level(), 20);  // clamped at the bottom
  for (int i = 0; i < 5; ++i) st.record(true);
  EXPECT_DOUBLE_EQ(st.level(), 28);  // clamped at the top
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(st.done());
    st.record(true);
  }
  EXPECT_TRUE(st.done());
  EXPECT_EQ(st.sessions(), 10);
}

// Levitt (1971), Table I: the k-down/1-up staircase converges on P(success) = 0.5^(1/k). On a
// logistic psychometric function with its 50% point at 40 dB and scale 2 dB, the mean of the
// reversal levels (his estimate) over many tracks lands on that point; 2- and 3-down differ.
double mean_reversal_level(int down, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  double sum = 0;
  int n = 0;
  for (int track = 0; track < 200; ++track) {
    Staircase st({30, 1, 0, 80, down, 30, 100000});
    double last = st.level();
    int seen = 0;
    while (!st.done()) {
      const double p = 1 / (1 + std::exp((st.level() - 40) / 2));
      st.record(u(rng) < p);
      if (st.reversals() > seen) {
        seen = st.reversals();
        if (seen > 4) {  // Levitt drops the first reversals (the approach from the start)
          sum += (last + st.level()) / 2;
          ++n;
        }
      }
      last = st.level();
    }
  }
  return sum / n;
}

TEST(Staircase, ConvergesWhereTheChanceOfKSuccessesInARowIsOneHalf) {
  for (int down : {1, 2, 3}) {
    const double p = std::pow(0.5, 1.0 / down);            // 50%, 70.7%, 79.4%
    const double expected = 40 + 2 * std::log(1 / p - 1);  // the logistic's p-point
    EXPECT_NEAR(mean_reversal_level(down, 7 + down), expected, 0.6) << "down " << down;
  }
}

}  // namespace

namespace {

// `run --resume` after a crash inside a grid sweep: the item is complete only when every level x
// session of the sweep was journaled (the k-th session is step si + k x steps, runner.cpp).
TEST(SweepResume, AGridSweepCutShortIsNotACompleteItem) {
  const Fixture f = parse_fixture(kFixture, "rig.yaml");
  const std::vector<Scenario> sc = parse_scenarios(
      "name: s\nsteps:\n  - wait: 1s\n  - sweep: {part: rf_path, levels: [20dB, 30dB], sessions: "
      "2, steps: [unlock: {}]}\n",
      "sweep.yaml");
  const Plan plan = make_plan(f, sc, PlanOptions{});
  const ItemKey item{"a", "s", 0};
  JournaledProgress progress;
  // Steps: 0 wait, 1 sweep; n = 2, so the sweep's sessions are steps 1, 3, 5, 7.
  for (int step : {1, 3, 5}) progress.sessions[SessionKey{"a", "s", 0, step}] = false;
  EXPECT_FALSE(ResumePolicy(f, sc, plan, progress).item_complete(item, sc[0]));
  progress.sessions[SessionKey{"a", "s", 0, 7}] = false;
  EXPECT_TRUE(ResumePolicy(f, sc, plan, progress).item_complete(item, sc[0]));
}

}  // namespace
