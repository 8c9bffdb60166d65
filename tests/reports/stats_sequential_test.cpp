// The sequential design: the stopping rule on hand-checkable walks, the exact operating
// characteristics against closed forms and simulation, and the pairing of sessions.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>

#include "reports/stats/sequential.hpp"

namespace st = lockrig::stats;
using st::Arm;
using st::SequentialVerdict;

namespace {

// q1 = 2/3: a candidate failure adds ln(4/3) = 0.2877, a baseline failure ln(2/3) = -0.4055.
st::SequentialDesign hand_design(double upper, double lower) {
  st::SequentialDesign d;
  d.q1 = 2.0 / 3.0;
  d.up = std::log(4.0 / 3.0);
  d.down = std::log(2.0 / 3.0);
  d.upper = upper;
  d.lower = lower;
  return d;
}

// Feeds "C"/"B" characters (candidate / baseline failed) and returns the verdict and the step at
// which it was reached (0 if never).
std::pair<SequentialVerdict, int> run(const st::SequentialDesign& d, const std::string& seq) {
  st::SequentialWalk w(d);
  int step = 0;
  for (char c : seq) {
    ++step;
    if (w.add(c == 'C') != SequentialVerdict::undecided) return {w.verdict(), step};
  }
  return {w.verdict(), 0};
}

TEST(SequentialWalk, OnlyCandidateFailuresFailAtTheSeventhStep) {
  // 6 x 0.2877 = 1.726 < 2.0 <= 7 x 0.2877 = 2.014.
  const auto [v, step] = run(hand_design(2.0, -1.2), "CCCCCCCCCC");
  EXPECT_EQ(v, SequentialVerdict::fail);
  EXPECT_EQ(step, 7);
}

TEST(SequentialWalk, OnlyBaselineFailuresPassAtTheThirdStep) {
  // 2 x -0.4055 = -0.811 > -1.2 >= 3 x -0.4055 = -1.216.
  const auto [v, step] = run(hand_design(2.0, -1.2), "BBBBB");
  EXPECT_EQ(v, SequentialVerdict::pass);
  EXPECT_EQ(step, 3);
}

TEST(SequentialWalk, AlternatingFailuresDriftToPassAtStep22) {
  // Each C,B pair nets -0.1178: after 20 steps -1.178 (> -1.2), after 22 steps -1.296.
  std::string seq;
  for (int i = 0; i < 30; ++i) seq += "CB";
  const auto [v, step] = run(hand_design(2.0, -1.2), seq);
  EXPECT_EQ(v, SequentialVerdict::pass);
  EXPECT_EQ(step, 22);
}

TEST(SequentialWalk, ARecoveryFromTheLowerSideStillFails) {
  // B,B: -0.811; then 10 C: -0.811 + 10 x 0.2877 = 2.066 >= 2.0 at step 12 (9 C: 1.778).
  const auto [v, step] = run(hand_design(2.0, -1.2), "BBCCCCCCCCCCCC");
  EXPECT_EQ(v, SequentialVerdict::fail);
  EXPECT_EQ(step, 12);
}

TEST(SequentialWalk, IgnoresInputOnceDecidedAndKeepsItsCounts) {
  st::SequentialWalk w(hand_design(2.0, -1.2));
  for (int i = 0; i < 3; ++i) w.add(false);
  ASSERT_EQ(w.verdict(), SequentialVerdict::pass);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(w.add(true), SequentialVerdict::pass);
  EXPECT_EQ(w.baseline_failed(), 3);
  EXPECT_EQ(w.candidate_failed(), 0);
  EXPECT_NEAR(w.llr(), 3 * std::log(2.0 / 3.0), 1e-12);
}

TEST(WalkOperatingCharacteristics, MatchGamblersRuin) {
  // +1 w.p. p, -1 otherwise, from 0 between -2 and +3: a ruin problem from i = 2 with N = 5.
  const double p = 0.6, r = (1 - p) / p;
  const int i = 2, n = 5;
  const double p_up = (1 - std::pow(r, i)) / (1 - std::pow(r, n));
  const double duration = i / (1 - 2 * p) - n / (1 - 2 * p) * p_up;
  const auto oc = st::walk_operating_characteristics(1, -1, 3, -2, p);
  EXPECT_NEAR(oc.p_fail, p_up, 1e-12);
  EXPECT_NEAR(oc.p_pass, 1 - p_up, 1e-12);
  EXPECT_NEAR(oc.mean_steps, duration, 1e-9);
  EXPECT_LT(oc.p_undecided, 1e-14);
  // The first two steps: +3 needs three steps, -2 two.
  EXPECT_NEAR(oc.stop_pmf.at(2), (1 - p) * (1 - p), 1e-15);
  EXPECT_NEAR(oc.stop_pmf.at(3), p * p * p, 1e-15);
}

TEST(SequentialDesign, QOfAHalfPercentRegressionFrom99Point5IsAboutTwoThirds) {
  const auto d = st::design_sequential_test(0.995, 0.005, 0.05, 0.8);
  // 0.010 x 0.995 / (0.010 x 0.995 + 0.005 x 0.990)
  EXPECT_NEAR(d.q1, 0.00995 / (0.00995 + 0.00495), 1e-12);
  EXPECT_NEAR(d.up, std::log(2 * d.q1), 1e-12);
  EXPECT_NEAR(d.down, std::log(2 * (1 - d.q1)), 1e-12);
}

TEST(SequentialDesign, TunedBoundariesMeetTheNominalErrorsExactlyAndBeatWald) {
  for (auto [alpha, power] : {std::pair{0.05, 0.8}, {0.05, 0.9}, {0.01, 0.8}, {0.1, 0.95}}) {
    SCOPED_TRACE(std::to_string(alpha) + " " + std::to_string(power));
    const auto d = st::design_sequential_test(0.995, 0.005, alpha, power);
    EXPECT_LE(d.exact_alpha, alpha);
    EXPECT_LE(d.exact_beta, 1 - power);
    // The lattice allows getting close: within a small fraction of nominal.
    EXPECT_GT(d.exact_alpha, 0.85 * alpha);
    EXPECT_GT(d.exact_beta, 0.85 * (1 - power));
    const auto wald_h0 =
        st::walk_operating_characteristics(d.up, d.down, d.wald_upper, d.wald_lower, d.q0);
    const auto wald_h1 =
        st::walk_operating_characteristics(d.up, d.down, d.wald_upper, d.wald_lower, d.q1);
    EXPECT_LE(d.mean_discordant_h0, wald_h0.mean_steps);
    EXPECT_LE(d.mean_discordant_h1, wald_h1.mean_steps);
    EXPECT_LE(d.upper, d.wald_upper + 1e-9);
  }
}

TEST(SequentialDesign, SimulatedWalksAgreeWithTheExactErrorRates) {
  const auto d = st::design_sequential_test(0.995, 0.005, 0.05, 0.8);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  const int n = 20000;
  for (double q : {d.q0, d.q1}) {
    int fails = 0;
    double steps = 0;
    for (int i = 0; i < n; ++i) {
      st::SequentialWalk w(d);
      while (w.add(u(rng) < q) == SequentialVerdict::undecided) {
      }
      fails += w.verdict() == SequentialVerdict::fail;
      steps += static_cast<double>(w.discordant());
    }
    const auto oc = st::walk_operating_characteristics(d.up, d.down, d.upper, d.lower, q);
    const double se = std::sqrt(oc.p_fail * (1 - oc.p_fail) / n);
    EXPECT_NEAR(fails / double(n), oc.p_fail, 4 * se) << "q " << q;
    EXPECT_NEAR(steps / n, oc.mean_steps, 0.05 * oc.mean_steps) << "q " << q;
  }
}

TEST(SequentialDesign, SessionsToDecisionScaleTheDiscordantPairsByTheirRate) {
  const auto d = st::design_sequential_test(0.995, 0.005, 0.05, 0.8);
  const auto h0 = st::sessions_to_decision(d, 0.005, 0.005);
  EXPECT_NEAR(h0.p_fail, d.exact_alpha, 1e-12);
  EXPECT_NEAR(h0.mean_sessions, 2 * d.mean_discordant_h0 / st::discordant_probability(0.005, 0.005),
              1e-6);
  // The stopping distribution is right-skewed: the median is below the mean.
  EXPECT_LT(h0.median_sessions, h0.mean_sessions);
  EXPECT_GT(h0.median_sessions, 0.4 * h0.mean_sessions);
  const auto h1 = st::sessions_to_decision(d, 0.005, 0.010);
  EXPECT_NEAR(h1.p_pass, d.exact_beta, 1e-12);
}

TEST(SequentialDesign, RefusesImpossibleInputsNamingTheValue) {
  EXPECT_THROW(st::design_sequential_test(1.0, 0.005, 0.05, 0.8), std::invalid_argument);
  EXPECT_THROW(st::design_sequential_test(0.995, 0.0, 0.05, 0.8), std::invalid_argument);
  EXPECT_THROW(st::design_sequential_test(0.004, 0.005, 0.05, 0.8), std::invalid_argument);
  try {
    st::design_sequential_test(0.995, 0.005, 0.5, 0.3);
    FAIL() << "power below alpha accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("0.3"), std::string::npos) << e.what();
  }
}

TEST(PairedSequentialTest, PairsSessionsWithinAStratumInArrivalOrder) {
  st::PairedSequentialTest t(hand_design(2.0, -1.2));
  // Baseline on lock A: fail, ok. Candidate on lock B: fail (no partner on B).
  t.add("A", Arm::baseline, false);
  t.add("A", Arm::baseline, true);
  t.add("B", Arm::candidate, false);
  EXPECT_EQ(t.pairs(), 0);
  // Candidate on A: ok (pairs with the failed baseline: discordant, baseline failed), then
  // fail (pairs with the successful baseline: discordant, candidate failed).
  t.add("A", Arm::candidate, true);
  EXPECT_EQ(t.pairs(), 1);
  EXPECT_EQ(t.walk().baseline_failed(), 1);
  t.add("A", Arm::candidate, false);
  EXPECT_EQ(t.walk().candidate_failed(), 1);
  // Baseline on B: fail pairs with the failed candidate: concordant, no step.
  t.add("B", Arm::baseline, false);
  EXPECT_EQ(t.pairs(), 3);
  EXPECT_EQ(t.concordant_failures(), 1);
  EXPECT_EQ(t.walk().discordant(), 2);
  EXPECT_EQ(t.sessions(Arm::baseline), 3);
  EXPECT_EQ(t.sessions(Arm::candidate), 3);
  EXPECT_EQ(t.failures(Arm::baseline), 2);
  EXPECT_EQ(t.failures(Arm::candidate), 2);
}

TEST(PairedSequentialTest, RecordsTheSessionsAtTheDecision) {
  st::PairedSequentialTest t(hand_design(2.0, -1.2));
  // Three blocks' worth of baseline failures on one lock, then clean candidate sessions: each
  // candidate session completes a pair in which only the baseline failed; PASS at the third.
  for (int i = 0; i < 5; ++i) t.add("A", Arm::baseline, false);
  EXPECT_EQ(t.add("A", Arm::candidate, true), SequentialVerdict::undecided);
  EXPECT_EQ(t.add("A", Arm::candidate, true), SequentialVerdict::undecided);
  EXPECT_EQ(t.add("A", Arm::candidate, true), SequentialVerdict::pass);
  EXPECT_EQ(t.sessions_at_decision(), 8);
  t.add("A", Arm::candidate, false);
  EXPECT_EQ(t.verdict(), SequentialVerdict::pass);
  EXPECT_EQ(t.sessions_at_decision(), 8);
  EXPECT_EQ(t.sessions(Arm::candidate), 4);
}

}  // namespace
