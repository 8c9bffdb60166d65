// Internal helpers of the statistics library: argument checks and normal quantiles.
// Not part of the public API; include only from reports/stats/*.cpp.
#pragma once

#include <string>
#include <string_view>

#include "reports/stats/types.hpp"

namespace lockrig::stats::detail {

// Throw std::invalid_argument unless 0 <= successes <= trials and trials >= min_trials.
void check_counts(const Counts& c, std::string_view what, long min_trials = 1);
// Throw unless 0 < level < 1 (used for confidence levels, alpha and power).
void check_open_unit(double level, std::string_view what);
// Throw unless 0 <= p <= 1.
void check_probability(double p, std::string_view what);
// Shortest round-trip text of a double, for error messages.
std::string num(double v);
std::string counts_text(const Counts& c);  // "992/1000"

// Upper-tail standard normal quantile z with P(Z > z) = upper_tail, accurate for tiny tails.
double z_upper(double upper_tail);
double normal_cdf(double z);
double normal_sf(double z);  // 1 - Phi(z) without cancellation
// P-value of a standard normal statistic z under `alternative` (two-sided: 2 P(Z > |z|)).
double normal_p_value(double z, Alternative alternative);

}  // namespace lockrig::stats::detail

namespace lockrig::stats::detail {

// Maximum-likelihood rates of two binomial samples restricted to p1 - p0 = diff (Miettinen and
// Nurminen's closed-form cubic root, as in Farrington-Manning), kept inside the parameter space
// and polished by Newton steps on the score equation. Counts may be fractional so the sample-size
// planner can pass expected rates with n = 1. With `statsmodels_coefficient` the cubic's linear
// coefficient is statsmodels' (x0 where n0 belongs, statsmodels issue #10269) and no polishing is
// done: the result then matches statsmodels <= 0.14 but is not the restricted MLE.
struct RestrictedRates {
  double p1 = 0.0;
  double p0 = 0.0;
};
RestrictedRates restricted_mle_difference(double x1, double n1, double x0, double n0, double diff,
                                          bool statsmodels_coefficient = false);

}  // namespace lockrig::stats::detail
