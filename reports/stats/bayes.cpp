// Exact posterior probability that one Beta-distributed rate is below another.
#include "reports/stats/bayes.hpp"

#include <algorithm>
#include <boost/math/special_functions/gamma.hpp>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "reports/stats/detail.hpp"

namespace lockrig::stats {

namespace {

double lbeta(double a, double b) {
  return boost::math::lgamma(a) + boost::math::lgamma(b) - boost::math::lgamma(a + b);
}

bool whole(double v) {
  return v == std::floor(v);
}

// Long sums walk their terms by exact ratios (one log per step instead of nine lgamma calls)
// and re-anchor on the lgamma form every kResync steps, so rounding cannot drift.
constexpr long kResync = 512;

// P(Y > X) for Y ~ Beta(ay, by) with whole ay, X ~ Beta(ax, bx): expanding P(Y > x) as a finite
// binomial-type sum and integrating each term against X's density gives
//   sum_{i < ay} B(ax + i, bx + by) / ((by + i) B(1 + i, by) B(ax, bx)).
// All terms are positive, so the sum has no cancellation.
double greater_whole_first(double ay, double by, double ax, double bx) {
  const double base = lbeta(ax, bx);
  auto log_term = [&](double i) {
    return lbeta(ax + i, bx + by) - std::log(by + i) - lbeta(1.0 + i, by) - base;
  };
  double sum = 0.0, lt = 0.0;
  const auto terms = static_cast<long>(ay);
  for (long k = 0; k < terms; ++k) {
    const double i = static_cast<double>(k);
    if (k % kResync == 0) {
      lt = log_term(i);
    } else {
      const double j = i - 1.0;  // ratio of term j+1 to term j
      lt += std::log(((ax + j) * (by + j)) / ((ax + bx + by + j) * (1.0 + j)));
    }
    sum += std::exp(lt);
  }
  return std::min(1.0, sum);
}

// log of g(a1, b1, a2, b2) = B(a1 + a2, b1 + b2) / (B(a1, b1) B(a2, b2)), the step size of Cook's
// recurrences for h = P(X1 > X2).
double log_g(double a1, double b1, double a2, double b2) {
  return lbeta(a1 + a2, b1 + b2) - lbeta(a1, b1) - lbeta(a2, b2);
}

// P(X1 < X2) by walking from (f, f, f, f), where X1 and X2 are identically distributed and the
// probability is exactly 1/2, one unit step of one parameter at a time:
//   a1 + 1: h += g/a1,  b1 + 1: h -= g/b1,  a2 + 1: h -= g/a2,  b2 + 1: h += g/b2  (h = 1 - P).
double less_by_recurrence(double f, long steps_a1, long steps_b1, long steps_a2, long steps_b2) {
  double v[4] = {f, f, f, f};  // a1, b1, a2, b2
  const long steps[4] = {steps_a1, steps_b1, steps_a2, steps_b2};
  const double sign[4] = {-1.0, 1.0, 1.0, -1.0};  // effect of each step on P(X1 < X2)
  double p = 0.5;
  long done = 0;
  // g itself, not its log: one multiplication per step instead of a log and an exp (a report on
  // millions of sessions takes millions of steps). Re-anchoring on the lgamma form every kResync
  // steps bounds the rounding as in log space; a g below the smallest double only drops terms
  // that could not change p.
  double g = 0.0;
  for (int which = 0; which < 4; ++which) {
    for (long i = 0; i < steps[which]; ++i, ++done) {
      if (done % kResync == 0 || i == 0) g = std::exp(log_g(v[0], v[1], v[2], v[3]));
      p += sign[which] * g / v[which];
      // g's ratio across this unit step: B(x + 1, y) / B(x, y) = x / (x + y).
      const double total = v[0] + v[1] + v[2] + v[3];
      const double joint = which % 2 == 0 ? v[0] + v[2] : v[1] + v[3];
      const double own = which < 2 ? v[0] + v[1] : v[2] + v[3];
      g *= (joint * own) / (total * v[which]);
      v[which] += 1.0;
    }
  }
  return std::clamp(p, 0.0, 1.0);
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
  const double fa = prior.a - std::floor(prior.a);
  const double fb = prior.b - std::floor(prior.b);
  if (fa != 0.0 && fb != 0.0 && fa != fb) {
    throw std::invalid_argument("probability_candidate_worse: no exact form for prior Beta(" +
                                detail::num(prior.a) + ", " + detail::num(prior.b) +
                                "); use whole numbers or a and b with equal fractional parts");
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

  if (fa == 0.0 || fb == 0.0) {
    // Sum over the smallest whole parameter (fewest terms). X = candidate, Y = baseline; the
    // mirrored forms use 1 - p ~ Beta(b, a).
    struct Option {
      double size;
      int which;
    };
    std::vector<Option> options;
    if (whole(a2)) options.push_back({a2, 0});
    if (whole(b1)) options.push_back({b1, 1});
    if (whole(a1)) options.push_back({a1, 2});
    if (whole(b2)) options.push_back({b2, 3});
    const auto best =
        std::min_element(options.begin(), options.end(),
                         [](const Option& l, const Option& r) { return l.size < r.size; });
    double p = 0.0;
    switch (best->which) {
      case 0:  // P(Y > X), Y's first parameter whole
        p = greater_whole_first(a2, b2, a1, b1);
        break;
      case 1:  // P(X < Y) = P(1 - X > 1 - Y), 1 - X ~ Beta(b1, a1)
        p = greater_whole_first(b1, a1, b2, a2);
        break;
      case 2:  // P(X < Y) = 1 - P(X > Y)
        p = 1.0 - greater_whole_first(a1, b1, a2, b2);
        break;
      default:  // P(X < Y) = P(1 - Y < 1 - X) = 1 - P(1 - Y > 1 - X)
        p = 1.0 - greater_whole_first(b2, a2, b1, a1);
        break;
    }
    out.probability_candidate_worse = std::clamp(p, 0.0, 1.0);
    return out;
  }
  const double f = fa;
  const auto whole_a = static_cast<long>(std::floor(prior.a));
  const auto whole_b = static_cast<long>(std::floor(prior.b));
  out.probability_candidate_worse =
      less_by_recurrence(f, whole_a + candidate.successes, whole_b + candidate.failures(),
                         whole_a + baseline.successes, whole_b + baseline.failures());
  return out;
}

}  // namespace lockrig::stats
