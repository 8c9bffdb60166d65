// Power and sample-size formulas for two success rates (normal approximations as R's
// power.prop.test and the Farrington-Manning planning formula).
#include "reports/stats/power.hpp"

#include <boost/math/tools/roots.hpp>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "reports/stats/detail.hpp"

namespace lockrig::stats {

namespace {

void check_n(double n, const char* what) {
  if (!(n > 0.0) || !std::isfinite(n)) {
    throw std::invalid_argument(std::string(what) + ": sessions per group must be positive, got " +
                                detail::num(n));
  }
}

// Root of f on [lo, hi] where f changes sign, to full double precision.
template <class F>
double solve(F f, double lo, double hi) {
  std::uintmax_t iterations = 200;
  const auto r = boost::math::tools::toms748_solve(
      f, lo, hi, boost::math::tools::eps_tolerance<double>(50), iterations);
  return (r.first + r.second) / 2.0;
}

}  // namespace

double power_two_proportions(double n_per_group, double p1, double p2, double alpha, bool strict) {
  check_n(n_per_group, "power_two_proportions");
  detail::check_probability(p1, "power_two_proportions: p1");
  detail::check_probability(p2, "power_two_proportions: p2");
  detail::check_open_unit(alpha, "power_two_proportions: alpha");
  const double qu = detail::z_upper(alpha / 2.0);
  const double d = std::fabs(p1 - p2);
  const double s0 = std::sqrt((p1 + p2) * (1.0 - (p1 + p2) / 2.0));
  const double s1 = std::sqrt(p1 * (1.0 - p1) + p2 * (1.0 - p2));
  if (s1 == 0.0) {
    // Both rates are 0 or 1: any difference is certain to show, no difference never does.
    return d > 0.0 ? 1.0 : (strict ? alpha : alpha / 2.0);
  }
  const double shift = std::sqrt(n_per_group) * d;
  double power = detail::normal_cdf((shift - qu * s0) / s1);
  if (strict) power += detail::normal_sf((shift + qu * s0) / s1);
  return power;
}

double sample_size_two_proportions(double p1, double p2, double alpha, double power, bool strict) {
  detail::check_probability(p1, "sample_size_two_proportions: p1");
  detail::check_probability(p2, "sample_size_two_proportions: p2");
  detail::check_open_unit(alpha, "sample_size_two_proportions: alpha");
  detail::check_open_unit(power, "sample_size_two_proportions: power");
  if (p1 == p2) {
    throw std::invalid_argument("sample_size_two_proportions: p1 and p2 are equal (" +
                                detail::num(p1) + "); no sample size detects no difference");
  }
  const double d = std::fabs(p1 - p2);
  const double s0 = std::sqrt((p1 + p2) * (1.0 - (p1 + p2) / 2.0));
  const double s1 = std::sqrt(p1 * (1.0 - p1) + p2 * (1.0 - p2));
  const double root = detail::z_upper(alpha / 2.0) * s0 + detail::z_upper(1.0 - power) * s1;
  if (!(root > 0.0)) {
    throw std::invalid_argument("sample_size_two_proportions: power " + detail::num(power) +
                                " is not above alpha/2 " + detail::num(alpha / 2.0));
  }
  const double n_plain = (root / d) * (root / d);
  if (!strict) return n_plain;
  // The strict power is the plain one plus the wrong-direction tail, so its n is a little smaller.
  auto f = [&](double n) { return power_two_proportions(n, p1, p2, alpha, true) - power; };
  double lo = n_plain / 2.0;
  while (lo > 1e-9 && f(lo) > 0.0) lo /= 2.0;
  if (f(lo) > 0.0) return lo;
  return solve(f, lo, n_plain);
}

double power_two_proportions_unequal(double n1, double n2, double p1, double p2, double alpha) {
  check_n(n1, "power_two_proportions_unequal: n1");
  check_n(n2, "power_two_proportions_unequal: n2");
  detail::check_probability(p1, "power_two_proportions_unequal: p1");
  detail::check_probability(p2, "power_two_proportions_unequal: p2");
  detail::check_open_unit(alpha, "power_two_proportions_unequal: alpha");
  const double ratio = n2 / n1;
  const double pooled = (p1 + p2 * ratio) / (1.0 + ratio);
  const double sd_null = std::sqrt(pooled * (1.0 - pooled) * (1.0 + 1.0 / ratio));
  const double sd_alt = std::sqrt(p1 * (1.0 - p1) + p2 * (1.0 - p2) / ratio);
  const double d = p1 - p2;
  const double crit = detail::z_upper(alpha / 2.0);
  if (sd_alt == 0.0) return d != 0.0 ? 1.0 : alpha;
  const double shift = d * std::sqrt(n1) / sd_alt;
  const double ratio_sd = sd_null / sd_alt;
  return detail::normal_sf(crit * ratio_sd - shift) + detail::normal_cdf(-crit * ratio_sd - shift);
}

std::optional<DetectableDrop> minimum_detectable_drop(double n_per_group, double baseline_rate,
                                                      double alpha, double power, bool strict) {
  check_n(n_per_group, "minimum_detectable_drop");
  detail::check_probability(baseline_rate, "minimum_detectable_drop: baseline_rate");
  detail::check_open_unit(alpha, "minimum_detectable_drop: alpha");
  detail::check_open_unit(power, "minimum_detectable_drop: power");
  auto f = [&](double p1) {
    return power_two_proportions(n_per_group, p1, baseline_rate, alpha, strict) - power;
  };
  if (baseline_rate == 0.0 || f(0.0) < 0.0) return std::nullopt;
  if (f(baseline_rate) >= 0.0) return DetectableDrop{baseline_rate, 0.0};
  const double p1 = solve(f, 0.0, baseline_rate);
  return DetectableDrop{p1, baseline_rate - p1};
}

namespace {

struct NiPlan {
  double effect;   // p_cand - p_base + margin
  double sd_null;  // per-session standard deviation of the difference on the null boundary
  double sd_alt;   // at the planned rates
};

NiPlan ni_plan(double baseline_rate, double candidate_rate, double margin, const char* what) {
  detail::check_probability(baseline_rate, std::string(what) + ": baseline_rate");
  detail::check_probability(candidate_rate, std::string(what) + ": candidate_rate");
  if (!(margin >= 0.0 && margin < 1.0)) {
    throw std::invalid_argument(std::string(what) + ": margin must be in [0, 1), got " +
                                detail::num(margin));
  }
  NiPlan plan;
  plan.effect = candidate_rate - baseline_rate + margin;
  if (!(plan.effect > 0.0)) {
    throw std::invalid_argument(std::string(what) + ": planned difference " +
                                detail::num(candidate_rate - baseline_rate) +
                                " is not above -margin " + detail::num(-margin) +
                                "; non-inferiority cannot be shown at any sample size");
  }
  // The restricted MLE depends on the rates only, so expected counts with n = 1 give it.
  const auto null_rates =
      detail::restricted_mle_difference(candidate_rate, 1.0, baseline_rate, 1.0, -margin);
  plan.sd_null =
      std::sqrt(null_rates.p1 * (1.0 - null_rates.p1) + null_rates.p0 * (1.0 - null_rates.p0));
  plan.sd_alt =
      std::sqrt(candidate_rate * (1.0 - candidate_rate) + baseline_rate * (1.0 - baseline_rate));
  return plan;
}

}  // namespace

double sample_size_non_inferiority(double baseline_rate, double candidate_rate, double margin,
                                   double alpha, double power) {
  detail::check_open_unit(alpha, "sample_size_non_inferiority: alpha");
  detail::check_open_unit(power, "sample_size_non_inferiority: power");
  const NiPlan plan = ni_plan(baseline_rate, candidate_rate, margin, "sample_size_non_inferiority");
  const double root =
      detail::z_upper(alpha) * plan.sd_null + detail::z_upper(1.0 - power) * plan.sd_alt;
  if (!(root > 0.0)) return 0.0;  // power below alpha needs no data
  return (root / plan.effect) * (root / plan.effect);
}

double power_non_inferiority(double n_per_group, double baseline_rate, double candidate_rate,
                             double margin, double alpha) {
  check_n(n_per_group, "power_non_inferiority");
  detail::check_open_unit(alpha, "power_non_inferiority: alpha");
  const NiPlan plan = ni_plan(baseline_rate, candidate_rate, margin, "power_non_inferiority");
  if (plan.sd_alt == 0.0) return 1.0;
  return detail::normal_sf(
      (detail::z_upper(alpha) * plan.sd_null - plan.effect * std::sqrt(n_per_group)) / plan.sd_alt);
}

}  // namespace lockrig::stats
