// Posterior probability that one Beta-distributed rate is below another, by quadrature of a
// positive, log-concave integrand (see bayes.hpp for the method and its checks).
#include "reports/stats/bayes.hpp"

#include <algorithm>
#include <boost/math/policies/policy.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "reports/stats/detail.hpp"

namespace lockrig::stats {

namespace {

// A rate y in (0, 1) and 1 - y, both with full relative precision, from its log-odds t: the
// Boost functions below are always handed the smaller of the two, so a posterior near 100%
// (1 - y around 1e-6) keeps every digit of 1 - y.
// Incomplete beta in double itself (Boost promotes double to long double by default, about
// twice the time); its relative error stays near 1e-15, far inside the 1e-9 target.
using Double = boost::math::policies::policy<boost::math::policies::promote_double<false>>;

struct Rate {
  double y;
  double ybar;
};

Rate logistic(double t) {
  if (t < 0.0) {
    const double e = std::exp(t);
    return {e / (1.0 + e), 1.0 / (1.0 + e)};
  }
  const double e = std::exp(-t);
  return {1.0 / (1.0 + e), e / (1.0 + e)};
}

// Density of t = log(p / (1 - p)) for p ~ Beta(a, b): y^a (1 - y)^b / B(a, b). Written as the
// Beta(a + 1, b + 1) density times B(a + 1, b + 1) / B(a, b) = ab / ((a + b)(a + b + 1)), so
// no power with a negative exponent is formed (parameters below 1 make the Beta density itself
// infinite at 0 or 1; in t it is bounded and falls off exponentially at both ends).
double logit_density(double a, double b, Rate r) {
  if (!(r.y > 0.0) || !(r.ybar > 0.0)) return 0.0;
  const double scale = (a / (a + b)) * (b / (a + b + 1.0));
  if (r.y <= 0.5) return boost::math::ibeta_derivative(a + 1.0, b + 1.0, r.y, Double()) * scale;
  return boost::math::ibeta_derivative(b + 1.0, a + 1.0, r.ybar, Double()) * scale;
}

// P(p <= y) for p ~ Beta(a, b), relative accuracy in both tails (Boost's ibeta/ibetac).
double cdf(double a, double b, Rate r) {
  if (!(r.y > 0.0)) return 0.0;
  if (!(r.ybar > 0.0)) return 1.0;
  if (r.y <= 0.5) return boost::math::ibeta(a, b, r.y, Double());
  return boost::math::ibetac(b, a, r.ybar, Double());
}

struct Posteriors {
  double a1, b1;  // X, the side whose CDF is integrated
  double a2, b2;  // Y, whose log-odds is the integration variable
};

// Slope of log(integrand) at t: a2 - (a2 + b2) y from Y's log-odds density, plus the log-odds
// density of X over its CDF (>= 0). Decreasing in t, since the integrand is log-concave.
double log_slope(const Posteriors& p, double t) {
  const Rate r = logistic(t);
  double hazard;
  const double c = cdf(p.a1, p.b1, r);
  if (c > 0.0) {
    hazard = logit_density(p.a1, p.b1, r) / c;
  } else {
    // X's CDF underflowed: deep in its left tail, where log CDF follows the leading power term
    // y^a1 (1 - y)^b1 of its series (DLMF 8.17.8), whose slope in t is a1 - (a1 + b1) y.
    hazard = std::max(0.0, p.a1 - (p.a1 + p.b1) * r.y);
  }
  return p.a2 - (p.a2 + p.b2) * r.y + hazard;
}

// P(X < Y) = E[F_X(Y)] = integral over t of f(t) F_X(logistic(t)) dt, f the density of Y's
// log-odds t. The integrand is positive (no cancellation, so relative accuracy carries to tiny
// probabilities), smooth and log-concave in t (f is log-concave; F_X is the CDF of X's
// log-odds, whose density is log-concave, so F_X is log-concave too: Bagnoli & Bergstrom,
// "Log-concave probability and its applications", Economic Theory 26 (2005), Theorem 1). One
// peak and tails falling at least exponentially: the peak is found by bisection on the slope,
// the width from the curvature there, and each side is integrated by adaptive Gauss-Kronrod
// over a range that log-concavity bounds. The cost depends on the integrand's shape in units of
// its width, which does not grow with the counts.
double less_by_quadrature(const Posteriors& p) {
  // Y's log-odds mode and standard deviation (approximately sqrt(1/a2 + 1/b2)).
  const double t_y = std::log(p.a2 / p.b2);
  const double w_y = std::sqrt(1.0 / p.a2 + 1.0 / p.b2);
  // F_X is increasing, so the peak lies at or to the right of Y's mode: bracket, then bisect.
  double lo = t_y;
  double step = w_y;
  double hi = lo + step;
  for (int i = 0; i < 200 && log_slope(p, hi) > 0.0; ++i) {
    lo = hi;
    step *= 2.0;
    hi = lo + step;
  }
  // The peak only centres the rule: a few per cent of a width is plenty.
  for (int i = 0; i < 200 && hi - lo > 0.02 * w_y; ++i) {
    const double mid = 0.5 * (lo + hi);
    (log_slope(p, mid) > 0.0 ? lo : hi) = mid;
  }
  const double t_star = 0.5 * (lo + hi);
  // Width from the curvature at the peak; Y's own width if the difference is not usable.
  double width = w_y;
  {
    const double h = 0.01 * w_y;
    const double curvature = (log_slope(p, t_star + h) - log_slope(p, t_star - h)) / (2.0 * h);
    if (std::isfinite(curvature) && curvature < 0.0) {
      width = std::min(w_y, 1.0 / std::sqrt(-curvature));
    }
  }
  const Rate r_star = logistic(t_star);
  const double log_peak =
      std::log(logit_density(p.a2, p.b2, r_star)) + std::log(cdf(p.a1, p.b1, r_star));
  if (!std::isfinite(log_peak)) return 0.0;  // the peak itself is below the smallest double
  // The integrand relative to its value at t_star.
  auto relative = [&p, log_peak](double t) {
    const Rate r = logistic(t);
    const double d = logit_density(p.a2, p.b2, r);
    const double c = cdf(p.a1, p.b1, r);
    if (!(d > 0.0) || !(c > 0.0)) return 0.0;
    return std::exp(std::log(d) + std::log(c) - log_peak);
  };
  // Each side in steps u >= 0 of its own width w. Where to stop, from log-concavity: log h is
  // concave with h(0) = 1, so h(u) <= h(u0)^(u/u0) beyond u0, and past U = u0 * 42 / -log h(u0)
  // the rest of the side is below e^-42 / (1 - 1/e) (1e-18) of what [0, u0] holds. A side that has
  // not fallen to 1/e by u0 (a heavy tail, e.g. a prior well below 1) gets a wider w first, so
  // [0, U] stays a few dozen widths. Each side is then integrated by adaptive Gauss-Kronrod.
  constexpr double kU0 = 3.0;
  constexpr double kTailExponent = 42.0;
  double total = 0.0;
  for (const double sign : {-1.0, 1.0}) {
    double w = width;
    auto h = [&](double u) { return relative(t_star + sign * w * u); };
    double h0 = h(kU0);
    for (int i = 0; i < 40 && h0 > std::exp(-1.0); ++i) {
      w *= 2.0;
      h0 = h(kU0);
    }
    const double decay = h0 > 0.0 ? -std::log(h0) : kTailExponent;
    const double end = kU0 * std::max(1.0, kTailExponent / std::max(decay, 1e-3));
    total +=
        w * boost::math::quadrature::gauss_kronrod<double, 61>::integrate(h, 0.0, end, 15, 1e-10);
  }
  return std::exp(log_peak) * total;
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
    out.probability_candidate_worse = 0.5;  // identically distributed: exactly 1/2 by symmetry
    return out;
  }
  // Integrate the smaller of P(X < Y) and P(Y < X), so a probability near 1 is 1 minus a
  // small, accurately computed one. The posterior means say which is smaller except near 1/2,
  // where either is fine.
  const bool candidate_lower = a1 / (a1 + b1) < a2 / (a2 + b2);
  double p;
  if (candidate_lower) {
    p = 1.0 - less_by_quadrature({a2, b2, a1, b1});
  } else {
    p = less_by_quadrature({a1, b1, a2, b2});
  }
  out.probability_candidate_worse = std::clamp(p, 0.0, 1.0);
  return out;
}

}  // namespace lockrig::stats
