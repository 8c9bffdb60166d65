// Latency statistics: order-statistic percentile intervals, share under a threshold and the
// Mann-Whitney U test.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "reports/stats/latency.hpp"

namespace st = lockrig::stats;

namespace {

std::vector<double> one_to(int n) {
  std::vector<double> v;
  for (int i = n; i >= 1; --i) v.push_back(i);  // unsorted on purpose
  return v;
}

TEST(MannWhitney, MatchesTheReferenceExactTestForTwoSmallSamples) {
  const auto r = st::mann_whitney({19, 22, 16, 29, 24}, {20, 11, 17, 12});
  EXPECT_EQ(r.u, 17.0);
  EXPECT_TRUE(r.exact);
  EXPECT_NEAR(r.p_value, 1.0 / 9.0, 1e-12);  // .1111
}

TEST(MannWhitney, FallsBackToTheTieCorrectedNormalApproximationWithTies) {
  const auto r = st::mann_whitney({1, 2, 2, 3, 4}, {2, 3, 5, 6, 6});
  EXPECT_FALSE(r.exact);
  EXPECT_TRUE(r.ties);
  EXPECT_NEAR(r.p_value, 0.110492024055668, 1e-12);  // R wilcox.test
}

TEST(MannWhitney, OneSidedTestsSplitTheEvidenceByDirection) {
  const std::vector<double> fast = {300, 310, 320, 330, 340, 350};
  const std::vector<double> slow = {400, 410, 420, 430, 440, 450};
  EXPECT_LT(st::mann_whitney(fast, slow, st::Alternative::less).p_value, 0.01);
  EXPECT_GT(st::mann_whitney(fast, slow, st::Alternative::greater).p_value, 0.99);
}

TEST(MannWhitney, AllValuesTiedReportsNoEvidenceWithANote) {
  const auto r = st::mann_whitney({5, 5, 5}, {5, 5});
  EXPECT_EQ(r.p_value, 1.0);
  EXPECT_FALSE(r.notes.empty());
}

TEST(Percentile, MedianOfOneToAHundredHasTheUsualEstimateAndOrderStatisticBounds) {
  const auto r = st::percentile(one_to(100), 0.5);
  EXPECT_DOUBLE_EQ(r.estimate, 50.5);
  ASSERT_TRUE(r.lower && r.upper);
  EXPECT_EQ(r.lower_rank, 40u);  // Binomial(100, .5) ranks
  EXPECT_EQ(r.upper_rank, 61u);
  EXPECT_EQ(*r.lower, 40.0);
  EXPECT_EQ(*r.upper, 61.0);
  EXPECT_GE(r.coverage, 0.95);
}

TEST(Percentile, P99OfAHundredSessionsHasNoUpperBound) {
  const auto r = st::percentile(one_to(100), 0.99);
  EXPECT_TRUE(r.lower.has_value());
  EXPECT_FALSE(r.upper.has_value());
  EXPECT_EQ(r.upper_rank, 0u);
  EXPECT_FALSE(r.notes.empty());
}

TEST(Percentile, CoverageIsAtLeastTheRequestedConfidenceWhenBothBoundsExist) {
  for (int n : {20, 57, 300, 2000}) {
    for (double q : {0.5, 0.9, 0.95}) {
      const auto r = st::percentile(one_to(n), q, 0.9);
      if (r.lower && r.upper) {
        EXPECT_GE(r.coverage, 0.9) << n << " " << q;
      }
    }
  }
}

TEST(ShareWithin, CountsSessionsAtOrUnderTheThresholdWithAWilsonInterval) {
  const auto r = st::share_within({900, 1200, 1500, 1600, 2000}, 1500);
  EXPECT_EQ(r.counts, (st::Counts{3, 5}));
  EXPECT_DOUBLE_EQ(r.rate, 0.6);
  EXPECT_LT(r.interval.lower, 0.6);
  EXPECT_GT(r.interval.upper, 0.6);
}

TEST(Latency, EmptySamplesAndNaNValuesAreRejected) {
  EXPECT_THROW(st::percentile({}, 0.5), std::invalid_argument);
  EXPECT_THROW(st::percentile({1.0}, 1.5), std::invalid_argument);
  EXPECT_THROW(st::mann_whitney({}, {1.0}), std::invalid_argument);
  EXPECT_THROW(st::share_within({1.0, std::numeric_limits<double>::quiet_NaN()}, 2.0),
               std::invalid_argument);
}

}  // namespace
