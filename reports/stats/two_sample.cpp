// Two-sample comparisons: Newcombe interval, Fisher exact, pooled z and Farrington-Manning tests.
#include "reports/stats/two_sample.hpp"

#include <algorithm>
#include <boost/math/constants/constants.hpp>
#include <boost/math/distributions/hypergeometric.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "reports/stats/detail.hpp"
#include "reports/stats/proportion.hpp"

namespace lockrig::stats {

namespace detail {

RestrictedRates restricted_mle_difference(double x1, double n1, double x0, double n0, double diff,
                                          bool statsmodels_coefficient) {
  const double n = n1 + n0;
  const double x = x1 + x0;
  RestrictedRates out;
  if (diff == 0.0) {
    // Equality: the restricted estimate is the pooled rate.
    out.p1 = out.p0 = x / n;
    return out;
  }
  // Cubic t3 p0^3 + t2 p0^2 + t1 p0 + t0 = 0 for the baseline rate p0 (p1 = p0 + diff), solved
  // with the trigonometric form. The compatible path keeps statsmodels' order of operations too:
  // the form is ill-conditioned, and the last bits matter for a 1e-9 comparison.
  const double t3 = n;
  const double t2 = (n1 + 2.0 * n0) * diff - n - x;
  const double t1 = ((statsmodels_coefficient ? x0 : n0) * diff - n - 2.0 * x0) * diff + x;
  const double t0 = x0 * diff * (1.0 - diff);
  const double q =
      std::pow(t2 / (3.0 * t3), 3.0) - t1 * t2 / (6.0 * std::pow(t3, 2.0)) + t0 / (2.0 * t3);
  const double radicand = std::pow(t2 / (3.0 * t3), 2.0) - t1 / (3.0 * t3);
  const double p = (q > 0.0 ? 1.0 : (q < 0.0 ? -1.0 : 0.0)) * std::sqrt(std::max(0.0, radicand));
  double p0;
  if (p == 0.0) {
    // Zero radius: the triple root (also q = 0, where the cosine term vanishes).
    p0 = -t2 / (3.0 * t3);
  } else {
    // Rounding can push the ratio a hair outside [-1, 1] at the boundary rates.
    const double ratio = std::clamp(q / std::pow(p, 3.0), -1.0, 1.0);
    const double a = (boost::math::constants::pi<double>() + std::acos(ratio)) / 3.0;
    p0 = 2.0 * p * std::cos(a) - t2 / (3.0 * t3);
  }
  const double lo = std::max(0.0, -diff), hi = std::min(1.0, 1.0 - diff);
  if (statsmodels_coefficient) {
    p0 = std::clamp(p0, lo, hi);
  } else {
    // The restricted log-likelihood is concave in p0, so its score is decreasing on [lo, hi]:
    // the maximum is at an edge when the score has one sign there, otherwise at the one interior
    // root, which safeguarded Newton steps from the trigonometric root pin down to full precision
    // (that root alone loses digits when rates sit near 0 or 1).
    auto term = [](double count, double rate) {
      return count == 0.0 ? 0.0 : count / rate;  // count/rate -> +inf as rate -> 0, 0 if no count
    };
    auto score = [&](double b) {
      const double a1 = b + diff;
      return term(x1, a1) - term(n1 - x1, 1.0 - a1) + term(x0, b) - term(n0 - x0, 1.0 - b);
    };
    if (score(lo) <= 0.0) {
      p0 = lo;
    } else if (score(hi) >= 0.0) {
      p0 = hi;
    } else {
      double left = lo, right = hi;
      p0 = (p0 > lo && p0 < hi) ? p0 : (lo + hi) / 2.0;
      for (int i = 0; i < 200; ++i) {
        const double s = score(p0);
        if (s == 0.0) break;
        (s > 0.0 ? left : right) = p0;
        const double a1 = p0 + diff;
        const double slope = -x1 / (a1 * a1) - (n1 - x1) / ((1.0 - a1) * (1.0 - a1)) -
                             x0 / (p0 * p0) - (n0 - x0) / ((1.0 - p0) * (1.0 - p0));
        double next = p0 - s / slope;
        if (!(next > left && next < right)) next = left + (right - left) / 2.0;
        if (next == p0 || right - left <= 4.0 * std::numeric_limits<double>::epsilon() * right) {
          p0 = next;
          break;
        }
        p0 = next;
      }
    }
  }
  out.p0 = p0;
  out.p1 = std::clamp(p0 + diff, 0.0, 1.0);
  return out;
}

}  // namespace detail

DifferenceEstimate newcombe_difference(Counts candidate, Counts baseline, double confidence) {
  detail::check_counts(candidate, "newcombe_difference: candidate");
  detail::check_counts(baseline, "newcombe_difference: baseline");
  detail::check_open_unit(confidence, "newcombe_difference: confidence");
  const Interval w1 = wilson_interval(candidate, confidence);
  const Interval w2 = wilson_interval(baseline, confidence);
  const double p1 = candidate.rate();
  const double p2 = baseline.rate();
  DifferenceEstimate out;
  out.candidate = candidate;
  out.baseline = baseline;
  out.difference = p1 - p2;
  out.confidence = confidence;
  out.interval.lower = out.difference - std::hypot(p1 - w1.lower, w2.upper - p2);
  out.interval.upper = out.difference + std::hypot(p2 - w2.lower, w1.upper - p1);
  return out;
}

double FisherResult::p_value(Alternative alternative) const {
  switch (alternative) {
    case Alternative::less:
      return p_less;
    case Alternative::greater:
      return p_greater;
    case Alternative::two_sided:
      break;
  }
  return p_two_sided;
}

FisherResult fisher_exact(Counts candidate, Counts baseline) {
  detail::check_counts(candidate, "fisher_exact: candidate");
  detail::check_counts(baseline, "fisher_exact: baseline");
  const long a = candidate.successes, b = candidate.failures();
  const long c = baseline.successes, d = baseline.failures();
  const long m = a + c;   // all successes
  const long nn = b + d;  // all failures
  const long k = a + b;   // candidate trials
  const long total = m + nn;
  const long lo = std::max(0L, k - nn);
  const long hi = std::min(k, m);

  // Anchor at the mode with Boost's pmf, then walk outwards with the exact term ratio: the support
  // can hold tens of thousands of tables and this keeps every term at full relative precision.
  const long mode = std::clamp(
      static_cast<long>(std::floor(static_cast<double>(k + 1) * static_cast<double>(m + 1) /
                                   static_cast<double>(total + 2))),
      lo, hi);
  boost::math::hypergeometric_distribution<double> dist(
      static_cast<unsigned>(m), static_cast<unsigned>(k), static_cast<unsigned>(total));
  std::vector<double> pmf(static_cast<std::size_t>(hi - lo + 1));
  pmf[static_cast<std::size_t>(mode - lo)] = boost::math::pdf(dist, static_cast<unsigned>(mode));
  for (long x = mode; x < hi; ++x) {
    const double ratio = static_cast<double>(m - x) * static_cast<double>(k - x) /
                         (static_cast<double>(x + 1) * static_cast<double>(nn - k + x + 1));
    pmf[static_cast<std::size_t>(x + 1 - lo)] = pmf[static_cast<std::size_t>(x - lo)] * ratio;
  }
  for (long x = mode; x > lo; --x) {
    const double ratio = static_cast<double>(x) * static_cast<double>(nn - k + x) /
                         (static_cast<double>(m - x + 1) * static_cast<double>(k - x + 1));
    pmf[static_cast<std::size_t>(x - 1 - lo)] = pmf[static_cast<std::size_t>(x - lo)] * ratio;
  }
  double sum_all = 0.0, sum_two = 0.0, sum_less = 0.0, sum_greater = 0.0;
  const double observed = pmf[static_cast<std::size_t>(a - lo)];
  const double cutoff = observed * (1.0 + 1e-7);  // R's relErr
  for (long x = lo; x <= hi; ++x) {
    const double v = pmf[static_cast<std::size_t>(x - lo)];
    sum_all += v;
    if (v <= cutoff) sum_two += v;
    if (x <= a) sum_less += v;
    if (x >= a) sum_greater += v;
  }
  FisherResult out;
  out.candidate = candidate;
  out.baseline = baseline;
  out.p_two_sided = std::min(1.0, sum_two / sum_all);
  out.p_less = std::min(1.0, sum_less / sum_all);
  out.p_greater = std::min(1.0, sum_greater / sum_all);
  const double ad = static_cast<double>(a) * static_cast<double>(d);
  const double bc = static_cast<double>(b) * static_cast<double>(c);
  if (ad != 0.0 || bc != 0.0) {
    out.odds_ratio = bc == 0.0 ? std::numeric_limits<double>::infinity() : ad / bc;
  }
  return out;
}

ZTestResult two_proportion_z_test(Counts candidate, Counts baseline, Alternative alternative) {
  detail::check_counts(candidate, "two_proportion_z_test: candidate");
  detail::check_counts(baseline, "two_proportion_z_test: baseline");
  ZTestResult out;
  out.candidate = candidate;
  out.baseline = baseline;
  out.alternative = alternative;
  const double n1 = static_cast<double>(candidate.trials);
  const double n2 = static_cast<double>(baseline.trials);
  out.difference = candidate.rate() - baseline.rate();
  const double pooled = static_cast<double>(candidate.successes + baseline.successes) / (n1 + n2);
  const double var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2);
  if (!(var > 0.0)) {
    out.z = 0.0;
    out.p_value = 1.0;
    out.notes.push_back(
        "both samples are all successes or all failures: no variance, reported z = 0, p = 1");
    return out;
  }
  out.z = out.difference / std::sqrt(var);
  out.p_value = detail::normal_p_value(out.z, alternative);
  return out;
}

NonInferiorityResult non_inferiority_test(Counts candidate, Counts baseline, double margin,
                                          NonInferiorityOptions options) {
  detail::check_counts(candidate, "non_inferiority_test: candidate");
  detail::check_counts(baseline, "non_inferiority_test: baseline");
  if (!(margin >= 0.0 && margin < 1.0)) {
    throw std::invalid_argument("non_inferiority_test: margin must be in [0, 1), got " +
                                detail::num(margin));
  }
  const double n1 = static_cast<double>(candidate.trials);
  const double n0 = static_cast<double>(baseline.trials);
  const double diff = -margin;
  const auto null_rates = detail::restricted_mle_difference(
      static_cast<double>(candidate.successes), n1, static_cast<double>(baseline.successes), n0,
      diff, options.statsmodels_compatible);
  NonInferiorityResult out;
  out.candidate = candidate;
  out.baseline = baseline;
  out.margin = margin;
  out.difference = candidate.rate() - baseline.rate();
  out.candidate_rate_null = null_rates.p1;
  out.baseline_rate_null = null_rates.p0;
  double var =
      null_rates.p1 * (1.0 - null_rates.p1) / n1 + null_rates.p0 * (1.0 - null_rates.p0) / n0;
  if (options.small_sample_correction) var *= (n1 + n0) / (n1 + n0 - 1.0);
  const double stat = out.difference - diff;
  if (!(var > 0.0)) {
    // Only reachable with margin 0 and both samples all successes (or all failures).
    out.z = 0.0;
    out.p_value = 1.0;
    out.notes.push_back(
        "no variance under the null (both samples all successes or all failures, margin 0): "
        "reported z = 0, p = 1");
    return out;
  }
  out.z = stat / std::sqrt(var);
  out.p_value = detail::normal_sf(out.z);
  if (candidate.failures() == 0 && baseline.failures() == 0) {
    out.notes.push_back(
        "neither sample had a failure; the evidence comes from the sample sizes alone");
  }
  return out;
}

}  // namespace lockrig::stats
