// Latency statistics: percentiles with distribution-free confidence intervals, the share of
// sessions under a latency threshold, and the Mann-Whitney U test for a shift between versions.
// Latencies are plain doubles in any unit (the report uses milliseconds). Functions throw
// std::invalid_argument on empty samples, NaN values or levels outside (0, 1).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "reports/stats/proportion.hpp"
#include "reports/stats/types.hpp"

namespace lockrig::stats {

// The q-quantile of the sample (R quantile(x, q, type = 7)) with a confidence interval from
// order statistics: ranks l and u (1-based, of the sorted sample) chosen from Binomial(n, q) so
// that P(x_(l) <= true quantile <= x_(u)) >= confidence, with at most (1 - confidence)/2 in each
// tail and no assumption about the latency distribution. With too few samples a bound does not
// exist (e.g. p99 of 100 sessions has no upper bound); then it is nullopt and `notes` says so.
struct PercentileEstimate {
  std::size_t n = 0;
  double quantile = 0.5;  // q in [0, 1]
  double estimate = 0.0;
  std::optional<double> lower;
  std::optional<double> upper;
  std::size_t lower_rank = 0;  // 1-based rank of `lower` in the sorted sample; 0 when absent
  std::size_t upper_rank = 0;
  // Exact coverage of [lower, upper] for a continuous distribution, a missing bound counting as
  // unbounded (so it is one-sided coverage when only one bound exists).
  double coverage = 0.0;
  double confidence = 0.95;
  std::vector<std::string> notes;
};
PercentileEstimate percentile(std::vector<double> values, double quantile,
                              double confidence = 0.95);

// Share of sessions with latency <= threshold, as a proportion with a Wilson interval.
ProportionEstimate share_within(const std::vector<double>& values, double threshold,
                                double confidence = 0.95);

// Mann-Whitney U (Wilcoxon rank-sum) test, as R wilcox.test(x, y): U is R's W statistic (the
// number of pairs with x > y, ties counted 1/2). The exact null distribution is used when both
// samples have fewer than 50 values and there are no ties; otherwise the normal approximation
// with tie correction and (by default) continuity correction. `less` means x tends to be smaller
// (e.g. candidate faster). `exact` forces the choice when set (exact is impossible with ties).
struct MannWhitneyResult {
  std::size_t n_x = 0;
  std::size_t n_y = 0;
  double u = 0.0;
  double p_value = 1.0;
  bool exact = false;
  bool ties = false;
  double z = 0.0;                      // normal approximation only
  double probability_x_greater = 0.5;  // U / (n_x n_y): P(X > Y) + P(X = Y)/2
  Alternative alternative = Alternative::two_sided;
  std::vector<std::string> notes;
};
MannWhitneyResult mann_whitney(const std::vector<double>& x, const std::vector<double>& y,
                               Alternative alternative = Alternative::two_sided,
                               bool continuity_correction = true,
                               std::optional<bool> exact = std::nullopt);

// A sample given as distinct values with their counts, ascending by value: a latency histogram
// (the journal's agg_latency). The *_weighted functions give exactly what the plain-vector
// functions give on the expanded sample (each value repeated `count` times), in time linear in
// the number of distinct values rather than the sample size; they have their own names so that
// braced lists stay unambiguous. They throw std::invalid_argument on an empty sample, NaN, or
// values not strictly ascending; entries with count 0 are ignored.
struct WeightedValue {
  double value = 0.0;
  std::size_t count = 0;
};
using WeightedSample = std::vector<WeightedValue>;
std::size_t sample_size(const WeightedSample& sample);
std::vector<double> expand(const WeightedSample& sample);
PercentileEstimate percentile_weighted(const WeightedSample& sample, double quantile,
                                       double confidence = 0.95);
ProportionEstimate share_within_weighted(const WeightedSample& sample, double threshold,
                                         double confidence = 0.95);
MannWhitneyResult mann_whitney_weighted(const WeightedSample& x, const WeightedSample& y,
                                        Alternative alternative = Alternative::two_sided,
                                        bool continuity_correction = true,
                                        std::optional<bool> exact = std::nullopt);

}  // namespace lockrig::stats
