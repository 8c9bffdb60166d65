// Group-sequential boundaries: repeated looks at accumulating data that keep the overall error
// rate, for a release gate re-run every night.
//
// Re-running a fixed-sample test at alpha on every look and stopping at the first rejection is
// optional stopping: at 10 looks the chance of a false PASS is several times alpha. A
// group-sequential design declares the maximum number of looks K and spends alpha across them
// with an alpha-spending function (Lan and DeMets 1983): look k may reject only when the
// standardised statistic Z_k reaches c_k, where c_1..c_k are such that, under H0 (no drift),
//     P(Z_1 >= c_1 or ... or Z_k >= c_k) = alpha*(t_k)
// with t_k the spending time of look k and alpha*(t) the cumulative alpha spent by time t:
//     O'Brien-Fleming type:  alpha*(t) = 2 - 2 Phi(z_{1-alpha/2} / sqrt(t))
//     Pocock type:           alpha*(t) = alpha ln(1 + (e - 1) t)
// (rpact's typeOfDesign "asOF" / "asP" with sided = 1). The joint law of the Z_k is the one of a
// Brownian motion in information: corr(Z_j, Z_k) = sqrt(I_j / I_k) for j < k; the boundaries
// come from the standard recursive numerical integration of Armitage, McPherson and Rowe in the
// form of Jennison and Turnbull (2000, ch. 19: a grid of 6r - 1 points, Simpson's rule), with
// each c_k solved by bisection on the crossing probability. Cross-checked against rpact
// (tests/reports/reference_check.py).
//
// The boundaries are non-binding in the other direction: a gate that also stops for FAIL at
// Z_k <= -c_k (the mirror test of "worse than the margin") only removes PASS paths, so
// P(ever PASS | H0) stays <= alpha, and by symmetry P(ever FAIL | difference = -margin the other
// way round) too.
//
// Errors: std::invalid_argument for alpha outside (0, 0.5), information not positive and strictly
// increasing, spending times not in (0, 1] and strictly increasing, more looks than declared.
#pragma once

#include <vector>

namespace lockrig::stats {

enum class SpendingFunction { obrien_fleming, pocock };
const char* to_string(SpendingFunction f);  // "obrien-fleming", "pocock"

// Cumulative alpha spent by spending time t in [0, 1] (0 at t = 0, alpha at t = 1).
double alpha_spent(SpendingFunction f, double alpha, double t);

struct GroupSequentialBoundaries {
  std::vector<double> information;       // as given, cumulative
  std::vector<double> spending_times;    // t_k
  std::vector<double> cumulative_alpha;  // alpha*(t_k), what the design allows by look k
  std::vector<double> critical;          // c_k on the Z scale (+inf when nothing is spent)
  std::vector<double> nominal_p;         // 1 - Phi(c_k): the one-sided p-value a look needs
};

// One-sided (upper) boundaries for looks at cumulative information I_1 < ... < I_k and spending
// times t_1 < ... < t_k in (0, 1]. `r` sets the integration grid (Jennison and Turnbull's r; 32
// gives critical values to ~1e-8).
GroupSequentialBoundaries one_sided_boundaries(const std::vector<double>& information,
                                               const std::vector<double>& spending_times,
                                               double alpha, SpendingFunction f, int r = 32);

// The gate's design: at most `max_looks` looks, look k spends by t_k = k / max_looks (so the
// last declared look spends the rest, whatever the information then), correlations from the
// information actually accumulated (e.g. the sum of the Mantel-Haenszel weights, sessions).
// `information` lists every look so far, this one last; its size must not exceed max_looks.
GroupSequentialBoundaries look_boundaries(const std::vector<double>& information, int max_looks,
                                          double alpha,
                                          SpendingFunction f = SpendingFunction::obrien_fleming);

// P(Z_j >= c_j for some j <= k) when the statistic drifts by theta per unit sqrt(information):
// E Z_j = theta sqrt(I_j). theta = 0 gives the alpha spent (a check); theta > 0 the power.
// Returns the cumulative crossing probability after each look.
std::vector<double> crossing_probabilities(const GroupSequentialBoundaries& b, double theta,
                                           int r = 32);

}  // namespace lockrig::stats
