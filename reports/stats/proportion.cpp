// One-proportion intervals on top of Boost.Math's normal and beta distributions.
#include "reports/stats/proportion.hpp"

#include <boost/math/distributions/beta.hpp>
#include <cmath>

#include "reports/stats/detail.hpp"

namespace lockrig::stats {

namespace {

double beta_lower_quantile(double a, double b, double p) {
  return boost::math::quantile(boost::math::beta_distribution<>(a, b), p);
}

double beta_upper_quantile(double a, double b, double upper_tail) {
  return boost::math::quantile(
      boost::math::complement(boost::math::beta_distribution<>(a, b), upper_tail));
}

}  // namespace

Interval wilson_interval(Counts c, double confidence) {
  detail::check_counts(c, "wilson_interval");
  detail::check_open_unit(confidence, "wilson_interval: confidence");
  const double n = static_cast<double>(c.trials);
  const double p = c.rate();
  const double z = detail::z_upper((1.0 - confidence) / 2.0);
  // Same arrangement of terms as R's prop.test, so results agree to the last bits.
  const double z22n = z * z / (2.0 * n);
  const double half = z * std::sqrt(p * (1.0 - p) / n + z22n / (2.0 * n));
  Interval out;
  out.lower = c.successes == 0 ? 0.0 : (p + z22n - half) / (1.0 + 2.0 * z22n);
  out.upper = c.successes == c.trials ? 1.0 : (p + z22n + half) / (1.0 + 2.0 * z22n);
  return out;
}

Interval clopper_pearson_interval(Counts c, double confidence) {
  detail::check_counts(c, "clopper_pearson_interval");
  detail::check_open_unit(confidence, "clopper_pearson_interval: confidence");
  const double x = static_cast<double>(c.successes);
  const double n = static_cast<double>(c.trials);
  const double tail = (1.0 - confidence) / 2.0;
  Interval out;
  out.lower = c.successes == 0 ? 0.0 : beta_lower_quantile(x, n - x + 1.0, tail);
  out.upper = c.successes == c.trials ? 1.0 : beta_upper_quantile(x + 1.0, n - x, tail);
  return out;
}

double clopper_pearson_lower_bound(Counts c, double confidence) {
  detail::check_counts(c, "clopper_pearson_lower_bound");
  detail::check_open_unit(confidence, "clopper_pearson_lower_bound: confidence");
  if (c.successes == 0) return 0.0;
  const double x = static_cast<double>(c.successes);
  const double n = static_cast<double>(c.trials);
  return beta_lower_quantile(x, n - x + 1.0, 1.0 - confidence);
}

Interval jeffreys_interval(Counts c, double confidence) {
  detail::check_counts(c, "jeffreys_interval");
  detail::check_open_unit(confidence, "jeffreys_interval: confidence");
  const double a = static_cast<double>(c.successes) + 0.5;
  const double b = static_cast<double>(c.failures()) + 0.5;
  const double tail = (1.0 - confidence) / 2.0;
  Interval out;
  out.lower = c.successes == 0 ? 0.0 : beta_lower_quantile(a, b, tail);
  out.upper = c.successes == c.trials ? 1.0 : beta_upper_quantile(a, b, tail);
  return out;
}

ProportionEstimate estimate_proportion(Counts c, ProportionMethod method, double confidence) {
  ProportionEstimate out;
  switch (method) {
    case ProportionMethod::wilson:
      out.interval = wilson_interval(c, confidence);
      break;
    case ProportionMethod::clopper_pearson:
      out.interval = clopper_pearson_interval(c, confidence);
      break;
    case ProportionMethod::jeffreys:
      out.interval = jeffreys_interval(c, confidence);
      break;
  }
  out.counts = c;
  out.rate = c.rate();
  out.confidence = confidence;
  out.method = method;
  return out;
}

const char* to_string(ProportionMethod method) {
  switch (method) {
    case ProportionMethod::wilson:
      return "wilson";
    case ProportionMethod::clopper_pearson:
      return "clopper-pearson";
    case ProportionMethod::jeffreys:
      return "jeffreys";
  }
  return "?";
}

}  // namespace lockrig::stats
