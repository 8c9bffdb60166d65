// Latency statistics: order-statistic percentile intervals, share under a threshold and the
// Mann-Whitney U test.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
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

namespace {

// A histogram-like sample: `distinct` values, counts from 0 to `max_count`, ascending.
st::WeightedSample weighted(std::mt19937& rng, int distinct, int max_count, double start) {
  st::WeightedSample out;
  double v = start;
  std::uniform_int_distribution<int> count(0, max_count);
  std::uniform_real_distribution<double> step(0.5, 20.0);
  for (int i = 0; i < distinct; ++i) {
    v += step(rng);
    out.push_back({v, static_cast<std::size_t>(count(rng))});
  }
  if (st::sample_size(out) == 0) out.back().count = 1;
  return out;
}

}  // namespace

// The weighted functions (report latencies from the journal's histograms) must give exactly what
// the plain functions give on the expanded sample.
TEST(WeightedLatency, PercentilesAndShareEqualThePlainFunctionsOnTheExpandedSample) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const auto w = weighted(rng, 1 + trial % 40, trial % 3 == 0 ? 1 : 300, 400.0);
    const auto plain = st::expand(w);
    ASSERT_EQ(plain.size(), st::sample_size(w));
    for (double q : {0.0, 0.01, 0.5, 0.9, 0.99, 1.0}) {
      for (double conf : {0.9, 0.95}) {
        const auto a = st::percentile_weighted(w, q, conf), b = st::percentile(plain, q, conf);
        EXPECT_EQ(a.estimate, b.estimate);
        EXPECT_EQ(a.lower_rank, b.lower_rank);
        EXPECT_EQ(a.upper_rank, b.upper_rank);
        EXPECT_EQ(a.lower, b.lower);
        EXPECT_EQ(a.upper, b.upper);
        EXPECT_EQ(a.coverage, b.coverage);
        EXPECT_EQ(a.notes, b.notes);
      }
    }
    const double thr = w[w.size() / 2].value;
    EXPECT_EQ(st::share_within_weighted(w, thr).counts, st::share_within(plain, thr).counts);
  }
}

TEST(WeightedLatency, MannWhitneyEqualsThePlainTestOnTheExpandedSamples) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 120; ++trial) {
    // Overlapping value grids make ties between and within the samples.
    const auto x = weighted(rng, 5 + trial % 30, trial % 4 == 0 ? 3 : 200, 500.0);
    auto y = weighted(rng, 5 + trial % 25, 150, 480.0 + trial % 7);
    if (trial % 5 == 0) y = x;  // every value tied across the samples
    for (auto alt : {st::Alternative::two_sided, st::Alternative::less, st::Alternative::greater}) {
      for (bool cc : {true, false}) {
        const auto a = st::mann_whitney_weighted(x, y, alt, cc), b = st::mann_whitney(st::expand(x), st::expand(y), alt, cc);
        EXPECT_EQ(a.n_x, b.n_x);
        EXPECT_EQ(a.n_y, b.n_y);
        EXPECT_NEAR(a.u, b.u, 1e-9 * b.u + 1e-9);
        EXPECT_NEAR(a.p_value, b.p_value, 1e-12 + 1e-9 * b.p_value);
        EXPECT_NEAR(a.z, b.z, 1e-9);
        EXPECT_EQ(a.exact, b.exact);
        EXPECT_EQ(a.ties, b.ties);
      }
    }
  }
}

TEST(WeightedLatency, RejectsUnsortedNaNAndEmptySamples) {
  EXPECT_THROW(st::percentile_weighted(st::WeightedSample{{2.0, 1}, {1.0, 1}}, 0.5), std::invalid_argument);
  EXPECT_THROW(st::percentile_weighted(st::WeightedSample{{1.0, 1}, {1.0, 1}}, 0.5), std::invalid_argument);
  EXPECT_THROW(st::share_within_weighted(st::WeightedSample{{std::nan(""), 1}}, 1.0), std::invalid_argument);
  EXPECT_THROW(st::percentile_weighted(st::WeightedSample{{1.0, 0}}, 0.5), std::invalid_argument);
  EXPECT_THROW(st::mann_whitney_weighted(st::WeightedSample{}, st::WeightedSample{{1.0, 3}}), std::invalid_argument);
  // A zero-count entry is no value at all, so it may repeat its neighbour.
  EXPECT_EQ(st::percentile_weighted(st::WeightedSample{{1.0, 2}, {1.0, 0}, {3.0, 1}}, 1.0).estimate, 3.0);
}
