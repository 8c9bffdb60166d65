// Power, minimum detectable difference and sample-size planning for comparing two success rates.
//
// A report that says "no significant difference" must also say what difference the data could
// have detected; the planner answers "how many sessions per version would settle it".
// Rates are success rates in [0, 1]; alpha and power must lie in (0, 1); n is per group.
// Functions throw std::invalid_argument naming the offending value.
#pragma once

#include <optional>

namespace lockrig::stats {

// Power of the two-sided pooled two-proportion test with n sessions per group, as R's
// power.prop.test(n, p1, p2, sig.level). `strict` adds the (tiny) probability of rejecting in the
// wrong direction, as power.prop.test(strict = TRUE).
double power_two_proportions(double n_per_group, double p1, double p2, double alpha = 0.05,
                             bool strict = false);

// Sessions per group for the two-sided test to reach `power` (R power.prop.test(p1, p2, power)$n,
// which is not rounded: round up for a plan). Throws when p1 == p2.
double sample_size_two_proportions(double p1, double p2, double alpha = 0.05, double power = 0.8,
                                   bool strict = false);

// Power with unequal groups, as statsmodels power_proportions_2indep(p1 - p2, p2, n1,
// ratio = n2 / n1, alpha): two-sided, variance under the null from the n-weighted pooled rate.
double power_two_proportions_unequal(double n1, double n2, double p1, double p2,
                                     double alpha = 0.05);

// The lowest candidate rate below `baseline_rate` that the two-sided test detects with the given
// power at n per group (R power.prop.test(n, p2 = baseline_rate, power)$p1). nullopt when even a
// candidate rate of 0 is not detectable with that power.
struct DetectableDrop {
  double candidate_rate = 0.0;  // detectable candidate success rate
  double drop = 0.0;            // baseline_rate - candidate_rate
};
std::optional<DetectableDrop> minimum_detectable_drop(double n_per_group, double baseline_rate,
                                                      double alpha = 0.05, double power = 0.8,
                                                      bool strict = false);

// Non-inferiority (one-sided Farrington-Manning test of H0: p_cand - p_base <= -margin at level
// alpha), planned at true rates baseline_rate and candidate_rate with equal groups:
//   n = (z_alpha * s0 + z_power * s1)^2 / (p_cand - p_base + margin)^2,
// s0 from the restricted MLE rates on the null boundary, s1 from the planned rates.
// Throws unless candidate_rate - baseline_rate + margin > 0 (otherwise no n is enough).
double sample_size_non_inferiority(double baseline_rate, double candidate_rate, double margin,
                                   double alpha = 0.05, double power = 0.8);
double power_non_inferiority(double n_per_group, double baseline_rate, double candidate_rate,
                             double margin, double alpha = 0.05);

}  // namespace lockrig::stats
