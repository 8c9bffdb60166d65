// Bayesian comparison of two success rates: the posterior probability that the candidate's rate
// is below the baseline's, with independent Beta priors, by deterministic quadrature (no Monte
// Carlo).
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
// x_b), any prior a, b > 0. One-dimensional adaptive Gauss-Kronrod quadrature of the incomplete
// beta function over the failure rates (see bayes.cpp), with the smaller of the probability and
// its complement computed directly: relative error below 1e-9 for probabilities down to ~1e-18
// (checked against a 30-digit mpmath oracle in tests/reports/bayes_oracle_check.py), absolute error
// below 1e-27 beneath that. The cost does not grow with the counts (issue 11 item 7; the exact
// sums used before lost relative precision, 2.4e-5 at 600/600 vs 576/600, and grew with the
// failure counts).
// Throws std::invalid_argument for invalid counts (trials may be 0: the prior alone) or a prior
// parameter <= 0 or not finite.
BayesComparison probability_candidate_worse(Counts candidate, Counts baseline,
                                            BetaPrior prior = BetaPrior::jeffreys());

}  // namespace lockrig::stats
