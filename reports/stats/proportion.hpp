// Confidence intervals for one success rate.
//
// Wilson is the default: it keeps close to nominal coverage near 100%, where the Wald interval
// collapses. Clopper-Pearson is the conservative choice for "at least X%" claims (its one-sided
// lower bound); Jeffreys is the equal-tailed Beta(1/2, 1/2) posterior interval.
// All functions throw std::invalid_argument for trials < 1, successes outside [0, trials] or a
// confidence level outside (0, 1).
#pragma once

#include "reports/stats/types.hpp"

namespace lockrig::stats {

enum class ProportionMethod { wilson, clopper_pearson, jeffreys };

// Wilson score interval without continuity correction (R: prop.test(x, n, correct = FALSE)).
// Exactly 0 as the lower bound when x = 0 and exactly 1 as the upper bound when x = n.
Interval wilson_interval(Counts c, double confidence = 0.95);

// Clopper-Pearson "exact" interval (R: binom.test(x, n)$conf.int); [0, .] at x = 0, [., 1] at x =
// n.
Interval clopper_pearson_interval(Counts c, double confidence = 0.95);

// One-sided Clopper-Pearson lower bound: the rate is at least this with the given confidence
// (R: binom.test(x, n, alternative = "greater")$conf.int[1]). 0 when x = 0.
double clopper_pearson_lower_bound(Counts c, double confidence = 0.95);

// Jeffreys interval: equal-tailed quantiles of Beta(x + 1/2, n - x + 1/2), with the
// Brown-Cai-DasGupta boundary rule (lower bound 0 at x = 0, upper bound 1 at x = n), so an
// all-success run never "proves" a rate below 100%.
Interval jeffreys_interval(Counts c, double confidence = 0.95);

struct ProportionEstimate {
  Counts counts;
  double rate = 0.0;  // successes / trials
  Interval interval;
  double confidence = 0.95;
  ProportionMethod method = ProportionMethod::wilson;
};

ProportionEstimate estimate_proportion(Counts c, ProportionMethod method = ProportionMethod::wilson,
                                       double confidence = 0.95);

const char* to_string(ProportionMethod method);

}  // namespace lockrig::stats
