// The quantile sweep design (issue 14, rig/engine/quantile_design.hpp): Wu's (1985) logit-MLE
// sequential design, "Efficient sequential designs with binary data", J. Amer. Statist. Assoc.
// 80:974-984 - after a start-up, the next session at the current maximum-likelihood estimate of
// the target quantile - with a start-up by Levitt's (1971) k-down/1-up rule, P^k = 0.5 nearest
// the target. Scripted outcome sequences check each move; a simulated logistic lock checks that
// the sessions gather at its target quantile; the parser refuses bad settings at file:line:col.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>

#include "reports/stats/range.hpp"
#include "rig/engine/attenuators.hpp"
#include "rig/engine/quantile_design.hpp"
#include "rig/engine/scenario.hpp"

using namespace lockrig;

namespace {

std::vector<double> ladder(double lo, double hi, double step) {
  std::vector<double> l;
  for (double x = lo; x <= hi + 1e-9; x += step) l.push_back(x);
  return l;
}

TEST(QuantileDesign, TheStartUpIsTheLevittRuleWhoseConvergencePointIsNearestTheTarget) {
  // target^k <= 0.5 < target^(k-1): 0.99^69 = 0.4998, 0.99^68 = 0.5048 (Levitt's P^k = 0.5).
  EXPECT_EQ(QuantileDesign::startup_down(0.99), 69);
  EXPECT_EQ(QuantileDesign::startup_down(0.9), 7);   // 0.478 <= 0.5 < 0.531
  EXPECT_EQ(QuantileDesign::startup_down(0.7937), 3);  // Levitt, Table I: 3-down -> 79.4%
  EXPECT_EQ(QuantileDesign::startup_down(0.794), 4);   // 0.794^3 = 0.5006 > 0.5
  EXPECT_EQ(QuantileDesign::startup_down(0.75), 3);
  EXPECT_EQ(QuantileDesign::startup_down(0.5), 1);
}

TEST(QuantileDesign, ClimbsAfterKSuccessesStepsBackAfterAFailureAndStaysOnTheLadder) {
  // target 0.9: k = 7; ladder 0..20 dB step 2 dB, start-up step 4 dB (two rungs).
  QuantileDesign q({ladder(0, 20, 2), 0.9, 0, 4, 100, 0});
  for (int i = 0; i < 6; ++i) q.record(true);
  EXPECT_DOUBLE_EQ(q.level(), 0);  // six in a row: not yet
  q.record(true);
  EXPECT_DOUBLE_EQ(q.level(), 4);  // seven: one step harder
  q.record(false);                 // 0: 7/7, 4: 0/1 - separated, no fit: still the start-up
  EXPECT_FALSE(q.following_estimate());
  EXPECT_DOUBLE_EQ(q.level(), 0);
  q.record(false);  // a failure at the bottom stays at the bottom
  EXPECT_DOUBLE_EQ(q.level(), 0);
  EXPECT_FALSE(q.following_estimate());  // failures at 0 and 4, successes only at 0: no fit
  EXPECT_EQ(q.sessions(), 9);
  EXPECT_FALSE(q.done());
}

TEST(QuantileDesign, OnceTheFitExistsTheNextSessionIsAtItsEstimateOfTheTargetLevel) {
  // target 0.75 (k = 3), ladder 0..20 dB in 1 dB rungs, start-up step 10 dB.
  QuantileDesign q({ladder(0, 20, 1), 0.75, 0, 10, 100, 0});
  for (int i = 0; i < 3; ++i) q.record(true);  // 0: 3/3 -> up to 10
  EXPECT_DOUBLE_EQ(q.level(), 10);
  q.record(false);  // 10: 0/1 -> back to 0
  EXPECT_DOUBLE_EQ(q.level(), 0);
  q.record(false);  // 0: 3/4
  for (int i = 0; i < 3; ++i) q.record(true);  // 0: 6/7 -> up to 10
  EXPECT_DOUBLE_EQ(q.level(), 10);
  EXPECT_FALSE(q.following_estimate());
  q.record(true);  // 10: 1/2 - successes and failures overlap: the fit exists
  ASSERT_TRUE(q.following_estimate());
  // Two levels: the logit fit is saturated, logit(6/7) = log 6 at 0 dB and logit(1/2) = 0 at
  // 10 dB, so 75% (logit log 3) is at 10 log(6/3) / log 6 = 3.869 dB; the nearest rung is 4 dB.
  EXPECT_NEAR(*q.estimate(), 10 * std::log(2.0) / std::log(6.0), 1e-9);
  EXPECT_DOUBLE_EQ(q.level(), 4);
}

// The rule after the start-up, against the fit the report makes (stats::fit_binomial_dose,
// cross-checked against R in stats_range_test): two sessions of three at the ladder level
// nearest the target estimate, the third at the one nearest the anchor's (95% for 99%).
TEST(QuantileDesign, FollowsTheTargetEstimateAndEveryThirdSessionTheAnchors) {
  EXPECT_DOUBLE_EQ(QuantileDesign::anchor_for(0.99), 0.95);
  EXPECT_DOUBLE_EQ(QuantileDesign::anchor_for(0.8), 0.5);
  const auto l = ladder(0, 40, 0.5);
  QuantileDesign q({l, 0.9, 20, 5, 1000, 0});
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  auto truth = [](double x) { return 1 / (1 + std::exp((x - 25) / 2)); };
  long long followed = 0;
  int anchors = 0, targets = 0;
  for (int n = 0; n < 400; ++n) {
    q.record(u(rng) < truth(q.level()));
    if (!q.following_estimate()) continue;
    ++followed;
    std::vector<stats::DosePoint> pts;
    for (const auto& [lv, c] : q.counts()) pts.push_back({lv, c});
    const auto fit = stats::fit_binomial_dose(pts, stats::DoseLink::logit);
    auto rung = [&](double target) {
      const double x = (std::log(target / (1 - target)) - fit.intercept) / fit.slope;
      double best = l.front();
      for (double r : l)
        if (std::abs(r - x) < std::abs(best - x)) best = r;
      return best;
    };
    ASSERT_NEAR(*q.estimate(), (std::log(9.0) - fit.intercept) / fit.slope, 1e-9);
    if (followed % 3 == 0) {
      EXPECT_DOUBLE_EQ(q.level(), rung(0.5)) << "session " << q.sessions();
      ++anchors;
    } else {
      EXPECT_DOUBLE_EQ(q.level(), rung(0.9)) << "session " << q.sessions();
      ++targets;
    }
  }
  EXPECT_GT(anchors, 50);
  EXPECT_GT(targets, 2 * anchors - 2);
}

// Wu (1985): the design's estimate converges on the target quantile. A logistic lock whose 99%
// point is at 30.8 dB (50% at 40 dB, scale 2 dB): over 40 sweeps of 1,500 sessions from 20 dB,
// the median estimate is within 1 dB of it and most sessions ran within 3 dB of it.
TEST(QuantileDesign, GathersItsSessionsAtTheTargetQuantileOfALogisticLock) {
  const double scale = 2, mid = 40, truth = mid - scale * std::log(99.0);
  std::vector<double> estimates;
  long long near = 0, all = 0;
  for (int sweep = 0; sweep < 40; ++sweep) {
    std::mt19937_64 rng(100 + sweep);
    std::uniform_real_distribution<double> u(0, 1);
    QuantileDesign q({ladder(0, 60, 1), 0.99, 20, 2, 1500, 0});
    while (!q.done()) q.record(u(rng) < 1 / (1 + std::exp((q.level() - mid) / scale)));
    ASSERT_TRUE(q.estimate()) << "sweep " << sweep;
    estimates.push_back(*q.estimate());
    for (const auto& [lv, c] : q.counts()) {
      all += c.trials;
      if (std::abs(lv - truth) <= 3) near += c.trials;
    }
  }
  std::sort(estimates.begin(), estimates.end());
  EXPECT_NEAR((estimates[19] + estimates[20]) / 2, truth, 1.0);
  EXPECT_GT(static_cast<double>(near) / all, 0.6);
}

TEST(QuantileDesign, StopsWhenTheProfileIntervalIsNarrowEnough) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0, 1);
  QuantileDesign q({ladder(0, 60, 1), 0.9, 20, 2, 20000, /*width*/ 1.5});
  while (!q.done()) q.record(u(rng) < 1 / (1 + std::exp((q.level() - 40) / 2)));
  EXPECT_LT(q.sessions(), 20000);
  std::vector<stats::DosePoint> pts;
  for (const auto& [lv, c] : q.counts()) pts.push_back({lv, c});
  const auto d = stats::dose_at(stats::fit_binomial_dose(pts, stats::DoseLink::logit), 0.9);
  ASSERT_TRUE(d.profile.bounded);
  EXPECT_LE((d.profile.interval.upper - d.profile.interval.lower) / 2, 1.5);
  long long failures = 0;
  for (const auto& [lv, c] : q.counts()) failures += c.trials - c.successes;
  EXPECT_GE(failures, 20);
}

// The width stop waits for 20 failures: a fit on a few failures can have a narrow interval by
// chance. With a wide width (20 dB) the stop comes as soon as the fit allows it: without the
// rule after fewer than 20 failures, with it at the 20th.
TEST(QuantileDesign, TheWidthStopWaitsForTwentyFailures) {
  auto run = [](long long min_failures) {
    QuantileDesign::Rule rule{ladder(0, 60, 1), 0.9, 20, 2, 20000, /*width*/ 20};
    rule.min_failures = min_failures;
    QuantileDesign q(rule);
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> u(0, 1);
    long long failures = 0;
    while (!q.done()) {
      const bool ok = u(rng) < 1 / (1 + std::exp((q.level() - 40) / 2));
      failures += ok ? 0 : 1;
      q.record(ok);
    }
    return failures;
  };
  EXPECT_LT(run(0), 20);
  EXPECT_EQ(run(20), 20);
}

// Parsing: the sweep step's `design: quantile` and its settings.
const std::string kFixture = R"(rig: bench
locks:
  - {id: a, material: wood, driver: sim}
attenuators:
  - {id: att1, name: rf_path, driver: sim, range: 0dB..90dB, step: 0.5dB, safe: 0dB, locks: [a]}
)";

std::string sweep_text(const std::string& settings) {
  return "name: s\nsteps:\n  - sweep: {" + settings + ", steps: [unlock: {within: 5s}]}\n";
}

std::string refusal(const std::string& text) {
  try {
    const Fixture f = parse_fixture(kFixture, "rig.yaml");
    validate_against_fixture(parse_scenarios(text, "q.yaml").front(), f);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string where(const std::string& text, const std::string& token) {
  const auto at = text.find(token);
  int line = 1, col = 1;
  for (std::size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "q.yaml:" + std::to_string(line) + ":" + std::to_string(col);
}

TEST(QuantileSweepStep, ParsesItsSettingsWithDefaultsFromTheLevels) {
  const std::string base = "part: rf_path, levels: 0dB..48dB step 2dB, design: quantile, ";
  Scenario s = parse_scenarios(sweep_text(base + "sessions: 3000"), "q.yaml").front();
  const SweepSpec* sw = s.steps[0].sweep.get();
  EXPECT_EQ(sw->design, SweepDesign::quantile);
  EXPECT_DOUBLE_EQ(sw->target, 0.99);
  EXPECT_DOUBLE_EQ(sw->start_db, 0);  // the easiest level
  EXPECT_DOUBLE_EQ(sw->step_db, 2);   // one rung
  EXPECT_DOUBLE_EQ(sw->width_db, 0);
  EXPECT_EQ(s.unlock_steps(), 3000);
  s = parse_scenarios(sweep_text(base + "sessions: 900, target: 95%, start: 10dB, step: 4dB, "
                                        "width: 2dB"),
                      "q.yaml")
          .front();
  sw = s.steps[0].sweep.get();
  EXPECT_DOUBLE_EQ(sw->target, 0.95);
  EXPECT_DOUBLE_EQ(sw->start_db, 10);
  EXPECT_DOUBLE_EQ(sw->step_db, 4);
  EXPECT_DOUBLE_EQ(sw->width_db, 2);
  EXPECT_EQ(s.steps[0].describe(),
            "sweep rf_path 0dB..48dB (25 levels) quantile (Wu 1985) at 95% from 10dB step 4dB, "
            "+-2dB or 900 sessions");
  EXPECT_EQ(refusal(sweep_text(base + "sessions: 900, target: 0.99")), "(no error)");
}

TEST(QuantileSweepStep, BadSettingsAreRefusedAtTheValue) {
  const std::string base =
      "part: rf_path, levels: 0dB..48dB step 2dB, design: quantile, sessions: 100, ";
  std::string text = sweep_text(base + "target: 1.5");
  std::string e = refusal(text);
  EXPECT_NE(e.find(where(text, "1.5")), std::string::npos) << e;
  EXPECT_NE(e.find("quantile target must be above 0.5 and below 0.999, got \"1.5\""),
            std::string::npos)
      << e;
  text = sweep_text(base + "target: lots");
  e = refusal(text);
  EXPECT_NE(e.find(where(text, "lots")), std::string::npos) << e;
  EXPECT_NE(e.find("got \"lots\""), std::string::npos) << e;
  EXPECT_NE(refusal(sweep_text(base + "target: 40%")).find("got \"40%\""), std::string::npos);
  text = sweep_text(base + "width: 0dB");
  e = refusal(text);
  EXPECT_NE(e.find(where(text, "0dB, steps")), std::string::npos) << e;
  EXPECT_NE(e.find("quantile width must be above 0dB, got \"0dB\""), std::string::npos) << e;
  text = sweep_text(base + "start: 3dB");
  e = refusal(text);
  EXPECT_NE(e.find(where(text, "3dB")), std::string::npos) << e;
  EXPECT_NE(e.find("quantile start 3dB is not one of the sweep's levels 0dB..48dB step 2dB"),
            std::string::npos)
      << e;
  text = sweep_text(base + "step: 3dB");
  EXPECT_NE(refusal(text).find("quantile step 3dB must be a positive multiple"),
            std::string::npos);
  text = sweep_text(base + "down: 3");
  e = refusal(text);
  EXPECT_NE(e.find(where(text, "3, steps")), std::string::npos) << e;
  EXPECT_NE(e.find("sweep down is a setting of design: staircase, not of a quantile"),
            std::string::npos)
      << e;
  text = sweep_text("part: rf_path, levels: [0dB, 4dB, 6dB], design: quantile, sessions: 10");
  EXPECT_NE(refusal(text).find("a quantile sweep needs evenly spaced levels"), std::string::npos);
  // target and width belong to the quantile design only.
  text = sweep_text("part: rf_path, levels: [0dB, 4dB], sessions: 10, target: 0.99");
  e = refusal(text);
  EXPECT_NE(e.find(where(text, "0.99")), std::string::npos) << e;
  EXPECT_NE(e.find("sweep target is a setting of design: quantile, not of a grid"),
            std::string::npos)
      << e;
}

}  // namespace
