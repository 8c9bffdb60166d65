// Comparing two success rates: candidate versus baseline.
//
// The difference is always candidate - baseline, so a regression is a negative difference.
// All functions throw std::invalid_argument for invalid counts (trials < 1, successes outside
// [0, trials]) or levels outside (0, 1).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "reports/stats/types.hpp"

namespace lockrig::stats {

// Newcombe's hybrid score interval for p_cand - p_base (his method 10), built from the two
// Wilson intervals (statsmodels confint_proportions_2indep(method='newcomb')).
struct DifferenceEstimate {
  Counts candidate;
  Counts baseline;
  double difference = 0.0;  // p_cand - p_base
  Interval interval;
  double confidence = 0.95;
};
DifferenceEstimate newcombe_difference(Counts candidate, Counts baseline, double confidence = 0.95);

// Fisher's exact test on the 2x2 table [cand successes, cand failures; base successes, base
// failures]. The two-sided p-value is R's: the total probability of all tables no more likely than
// the observed one, with relative tolerance 1e-7 for ties (R fisher.test, scipy fisher_exact).
// `less` is the one-sided p for "candidate's success odds lower than baseline's".
struct FisherResult {
  Counts candidate;
  Counts baseline;
  double p_two_sided = 1.0;
  double p_less = 1.0;
  double p_greater = 1.0;
  // Sample odds ratio of success (a*d)/(b*c): +inf when the candidate never failed (or the
  // baseline never succeeded), 0 in the mirror case, nullopt when both products are 0.
  std::optional<double> odds_ratio;

  double p_value(Alternative alternative) const;
};
FisherResult fisher_exact(Counts candidate, Counts baseline);

// Pooled two-proportion z test, the same as R prop.test(correct = FALSE) on the two samples
// (chi-squared = z^2). When both samples are all successes (or all failures) the variance is 0:
// z = 0, p = 1 and `notes` says why.
struct ZTestResult {
  Counts candidate;
  Counts baseline;
  double difference = 0.0;
  double z = 0.0;
  double p_value = 1.0;
  Alternative alternative = Alternative::two_sided;
  std::vector<std::string> notes;
};
ZTestResult two_proportion_z_test(Counts candidate, Counts baseline,
                                  Alternative alternative = Alternative::two_sided);

// Farrington-Manning score test of non-inferiority, H0: p_cand - p_base <= -margin against
// H1: p_cand - p_base > -margin, z = (p_cand - p_base + margin) / sd, where sd uses the rates that
// maximise the likelihood on the null boundary p_cand - p_base = -margin.
// margin must be in [0, 1); margin = 0 is a one-sided superiority-style test with pooled rates.
struct NonInferiorityOptions {
  // Multiply the variance by N/(N-1) (Miettinen-Nurminen), as statsmodels'
  // test_proportions_2indep(method='score', compare='diff') always does. false gives the
  // textbook Farrington-Manning statistic.
  bool small_sample_correction = true;
  // Reproduce statsmodels (<= 0.14, issue #10269) exactly: its closed-form cubic has x_base
  // where n_base belongs in one coefficient, so its "restricted" rates do not maximise the
  // likelihood (e.g. 992/1000 vs 996/1000, margin 0.005: z .28475 instead of .28493). For
  // cross-checks only; the default is the true restricted MLE.
  bool statsmodels_compatible = false;
};
struct NonInferiorityResult {
  Counts candidate;
  Counts baseline;
  double margin = 0.0;
  double difference = 0.0;           // observed p_cand - p_base
  double candidate_rate_null = 0.0;  // restricted MLE of p_cand on the null boundary
  double baseline_rate_null = 0.0;   // restricted MLE of p_base on the null boundary
  double z = 0.0;
  double p_value = 1.0;  // one-sided; small means "non-inferior"
  std::vector<std::string> notes;
};
NonInferiorityResult non_inferiority_test(Counts candidate, Counts baseline, double margin,
                                          NonInferiorityOptions options = {});

}  // namespace lockrig::stats
