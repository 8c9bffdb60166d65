// Two-sample comparisons: Newcombe interval, Fisher exact, pooled z test and the
// Farrington-Manning non-inferiority test behind the release gate.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "reports/stats/two_sample.hpp"

namespace st = lockrig::stats;

namespace {

TEST(NewcombeDifference, MatchesTheReferenceIntervalFor56Of70Versus48Of80) {
  const auto d = st::newcombe_difference({56, 70}, {48, 80});
  EXPECT_NEAR(d.difference, 0.2, 1e-12);
  EXPECT_NEAR(d.interval.lower, 0.0524, 5e-5);
  EXPECT_NEAR(d.interval.upper, 0.3339, 5e-5);
  EXPECT_EQ(d.candidate, (st::Counts{56, 70}));
  EXPECT_EQ(d.baseline, (st::Counts{48, 80}));
}

TEST(NewcombeDifference, MatchesTheReferenceIntervalFor9Of10Versus3Of10) {
  const auto d = st::newcombe_difference({9, 10}, {3, 10});
  EXPECT_NEAR(d.interval.lower, 0.1705, 5e-5);
  EXPECT_NEAR(d.interval.upper, 0.8090, 5e-5);
}

TEST(NewcombeDifference, StaysInsideMinusOneToOneWhenBothSamplesAreAllSuccesses) {
  const auto d = st::newcombe_difference({1000, 1000}, {1000, 1000});
  EXPECT_EQ(d.difference, 0.0);
  EXPECT_LT(d.interval.lower, 0.0);
  EXPECT_GT(d.interval.upper, 0.0);
  EXPECT_GE(d.interval.lower, -1.0);
  EXPECT_LE(d.interval.upper, 1.0);
}

TEST(FisherExact, MatchesTheReferencePValueFor992Versus996Of1000) {
  const auto f = st::fisher_exact({992, 1000}, {996, 1000});
  EXPECT_NEAR(f.p_two_sided, 0.3862, 5e-5);
  EXPECT_GT(f.p_less + f.p_greater, 1.0);  // the observed table is counted in both tails
  EXPECT_LT(f.p_less, f.p_greater);        // the candidate failed more often
}

TEST(FisherExact, PerfectSeparationHasTheClosedFormPValue) {
  // 10/10 vs 0/10: two tables as extreme, each with probability 1 / C(20, 10).
  const auto f = st::fisher_exact({10, 10}, {0, 10});
  EXPECT_NEAR(f.p_two_sided, 2.0 / 184756.0, 1e-15);
  ASSERT_TRUE(f.odds_ratio.has_value());
  EXPECT_TRUE(std::isinf(*f.odds_ratio));
}

TEST(FisherExact, TwoAllSuccessSamplesGiveOneAndAnUndefinedOddsRatio) {
  const auto f = st::fisher_exact({500, 500}, {700, 700});
  EXPECT_EQ(f.p_two_sided, 1.0);
  EXPECT_FALSE(f.odds_ratio.has_value());
  EXPECT_EQ(f.p_value(st::Alternative::less), 1.0);
}

TEST(ZTest, MatchesTheReferencePValueFor992Versus996Of1000) {
  const auto z = st::two_proportion_z_test({992, 1000}, {996, 1000});
  EXPECT_NEAR(z.p_value, 0.2468, 5e-5);
  EXPECT_LT(z.z, 0.0);
}

TEST(ZTest, ZeroVarianceIsReportedAsNoEvidenceWithANote) {
  const auto z = st::two_proportion_z_test({50, 50}, {80, 80});
  EXPECT_EQ(z.z, 0.0);
  EXPECT_EQ(z.p_value, 1.0);
  ASSERT_EQ(z.notes.size(), 1u);
}

TEST(NonInferiority, StatsmodelsCompatibleModeReproducesTheReferenceValues) {
  st::NonInferiorityOptions compat;
  compat.statsmodels_compatible = true;
  const auto r = st::non_inferiority_test({992, 1000}, {996, 1000}, 0.005, compat);
  EXPECT_NEAR(r.z, 0.2847, 5e-5);
  EXPECT_NEAR(r.p_value, 0.3879, 5e-5);
}

TEST(NonInferiority, DefaultModeUsesRatesThatZeroTheRestrictedScore) {
  const auto r = st::non_inferiority_test({992, 1000}, {996, 1000}, 0.005);
  EXPECT_NEAR(r.candidate_rate_null - r.baseline_rate_null, -0.005, 1e-15);
  const double p1 = r.candidate_rate_null, p0 = r.baseline_rate_null;
  const double score = 992 / p1 - 8 / (1 - p1) + 996 / p0 - 4 / (1 - p0);
  EXPECT_NEAR(score, 0.0, 1e-6);
  // Differs from statsmodels in the fourth digit (statsmodels issue #10269).
  EXPECT_NEAR(r.z, 0.284926, 1e-6);
  EXPECT_NEAR(r.p_value, 0.387850, 1e-6);
}

TEST(NonInferiority, TwoAllSuccessSamplesStillGiveEvidenceFromTheirSize) {
  const auto r = st::non_inferiority_test({1000, 1000}, {1000, 1000}, 0.005);
  EXPECT_EQ(r.baseline_rate_null, 1.0);
  EXPECT_NEAR(r.candidate_rate_null, 0.995, 1e-15);
  EXPECT_GT(r.z, 2.0);
  EXPECT_LT(r.p_value, 0.025);
  EXPECT_FALSE(r.notes.empty());
}

TEST(NonInferiority, ZeroMarginWithNoFailuresAnywhereReportsNoEvidenceInsteadOfNaN) {
  const auto r = st::non_inferiority_test({300, 300}, {200, 200}, 0.0);
  EXPECT_EQ(r.p_value, 1.0);
  EXPECT_FALSE(std::isnan(r.z));
  EXPECT_FALSE(r.notes.empty());
}

TEST(NonInferiority, ACandidateClearlyWorseThanTheMarginIsNotNonInferior) {
  const auto r = st::non_inferiority_test({950, 1000}, {995, 1000}, 0.01);
  EXPECT_LT(r.z, -3.0);
  EXPECT_GT(r.p_value, 0.99);
}

TEST(NonInferiority, MarginOutsideZeroToOneIsRejectedWithTheValueQuoted) {
  for (double bad : {-0.01, 1.0, 2.5}) {
    try {
      st::non_inferiority_test({1, 2}, {1, 2}, bad);
      FAIL() << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("margin"), std::string::npos) << e.what();
    }
  }
}

TEST(TwoSample, InvalidCountsAreRejectedNamingTheSample) {
  try {
    st::fisher_exact({5, 4}, {1, 2});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("candidate"), std::string::npos) << e.what();
  }
  EXPECT_THROW(st::newcombe_difference({1, 2}, {0, 0}), std::invalid_argument);
  EXPECT_THROW(st::two_proportion_z_test({1, 2}, {-1, 2}), std::invalid_argument);
}

}  // namespace
