// Posterior probability that one Beta-distributed rate is below another, by one-dimensional
// quadrature of Boost.Math's regularized incomplete beta function (issue 11 item 7).
#include "reports/stats/bayes.hpp"

#include <algorithm>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <cmath>
#include <stdexcept>

#include "reports/stats/detail.hpp"

namespace lockrig::stats {

namespace {

// The integral below is cut at s = kSEnd: what lies beyond is below exp(-kSEnd) ~ 1.6e-28.
constexpr double kSEnd = 64.0;
// Adaptive refinement: at most 2^kMaxDepth subintervals per piece, stopping at an estimated
// relative error of 1e-11 (a tighter target cannot be met in double precision and would only
// refine to the depth limit).
constexpr unsigned kMaxDepth = 8;

// P(U > V) for independent U ~ Beta(ua, ub) and V ~ Beta(va, vb), U and V failure rates.
// P(U > V) = E[F_V(U)] = integral over t in (0, 1) of F_V(q(t)), where q(t) is U's upper
// quantile (P(U > q(t)) = t); with t = exp(-s) it is the integral over s in (0, inf) of
// exp(-s) F_V(q(exp(-s))). The integrand is positive and bounded by exp(-s), so nothing cancels:
// a small probability comes out with the relative accuracy of the incomplete beta function,
// however small it is, as long as it is above ~1e-18 (the cut at s = 64). When P(U > V) is small
// the mass sits at small t (large s), which the substitution spreads out instead of squeezing
// into a corner of (0, 1). Failure rates, not success rates, so that values near 0 keep their
// full floating-point precision. The cost does not grow with the counts: a fixed set of
// intervals refined adaptively, a few thousand incomplete-beta evaluations at most.
double greater(double ua, double ub, double va, double vb) {
  using boost::math::quadrature::gauss_kronrod;
  auto f = [&](double s) {
    const double t = std::exp(-s);
    if (t >= 1.0) return 0.0;
    const double u = boost::math::ibetac_inv(ua, ub, t);
    return t * boost::math::ibeta(va, vb, u);
  };
  double sum = 0.0;
  double lo = 0.0;
  for (double hi : {0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, kSEnd}) {
    double err = 0.0;
    sum += gauss_kronrod<double, 61>::integrate(f, lo, hi, kMaxDepth, 1e-11, &err);
    lo = hi;
  }
  return std::clamp(sum, 0.0, 1.0);
}

}  // namespace

BayesComparison probability_candidate_worse(Counts candidate, Counts baseline, BetaPrior prior) {
  detail::check_counts(candidate, "probability_candidate_worse: candidate", 0);
  detail::check_counts(baseline, "probability_candidate_worse: baseline", 0);
  for (double v : {prior.a, prior.b}) {
    if (!(v > 0.0) || !std::isfinite(v)) {
      throw std::invalid_argument(
          "probability_candidate_worse: prior parameters must be positive and finite, got " +
          detail::num(v));
    }
  }
  BayesComparison out;
  out.candidate = candidate;
  out.baseline = baseline;
  out.prior = prior;
  const double a1 = prior.a + static_cast<double>(candidate.successes);
  const double b1 = prior.b + static_cast<double>(candidate.failures());
  const double a2 = prior.a + static_cast<double>(baseline.successes);
  const double b2 = prior.b + static_cast<double>(baseline.failures());
  out.candidate_a = a1;
  out.candidate_b = b1;
  out.baseline_a = a2;
  out.baseline_b = b2;
  if (a1 == a2 && b1 == b2) {
    out.probability_candidate_worse = 0.5;  // identical posteriors: exactly 1/2 by symmetry
    return out;
  }
  // The candidate is worse when its failure rate 1 - p_cand ~ Beta(b1, a1) exceeds the
  // baseline's 1 - p_base ~ Beta(b2, a2). Whichever of the probability and its complement is
  // the smaller is computed directly (to full relative accuracy); the other is 1 minus it.
  // The side whose posterior mean failure rate is lower is usually the smaller probability, so
  // it is tried first (one quadrature instead of two in the usual case).
  const bool likely_worse = b1 / (a1 + b1) > b2 / (a2 + b2);
  if (!likely_worse) {
    const double worse = greater(b1, a1, b2, a2);
    out.probability_candidate_worse = worse <= 0.5 ? worse : 1.0 - greater(b2, a2, b1, a1);
  } else {
    const double not_worse = greater(b2, a2, b1, a1);
    out.probability_candidate_worse =
        not_worse <= 0.5 ? 1.0 - not_worse : greater(b1, a1, b2, a2);
  }
  return out;
}

}  // namespace lockrig::stats
