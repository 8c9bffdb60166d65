// Bayesian comparison of two success rates: the posterior probability that the candidate's rate
// is below the baseline's, with independent Beta priors, computed exactly (no Monte Carlo).
#pragma once

#include "reports/stats/types.hpp"

namespace lockrig::stats {

struct BetaPrior {
  double a = 0.5;  // pseudo-successes
  double b = 0.5;  // pseudo-failures

  static BetaPrior jeffreys() { return {0.5, 0.5}; }
  static BetaPrior uniform() { return {1.0, 1.0}; }
};

struct BayesComparison {
  Counts candidate;
  Counts baseline;
  BetaPrior prior;
  // Posterior Beta(a, b) parameters: prior + successes, prior + failures.
  double candidate_a = 0.0, candidate_b = 0.0;
  double baseline_a = 0.0, baseline_b = 0.0;
  double probability_candidate_worse = 0.5;  // P(p_cand < p_base | data)
};

// P(p_cand < p_base) for p_cand ~ Beta(a + x_c, b + n_c - x_c), p_base ~ Beta(a + x_b, b + n_b -
// x_b). Exact: a finite sum of Beta-function ratios when a posterior parameter is a whole number
// (e.g. the uniform prior), or Cook's recurrences from the symmetric point h(f,f,f,f) = 1/2 when
// all four share the fractional part f (e.g. Jeffreys). Terms are formed in log space, so tens of
// thousands of sessions are fine; absolute error stays around 1e-12.
// Throws std::invalid_argument for invalid counts (trials may be 0: the prior alone), a prior
// parameter <= 0, or a prior for which neither exact form applies (a and b with different
// non-zero fractional parts, e.g. Beta(0.3, 0.7)).
BayesComparison probability_candidate_worse(Counts candidate, Counts baseline,
                                            BetaPrior prior = BetaPrior::jeffreys());

}  // namespace lockrig::stats
