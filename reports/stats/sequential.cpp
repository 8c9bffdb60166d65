// Matched-pair SPRT with exactly computed operating characteristics (see sequential.hpp and
// docs/sequential.md).
#include "reports/stats/sequential.hpp"

#include <algorithm>
#include <boost/math/distributions/negative_binomial.hpp>
#include <cmath>
#include <stdexcept>
#include <string>

#include "reports/stats/detail.hpp"

namespace lockrig::stats {

namespace {

// The walk and the dynamic programme must agree on lattice points that sit on a boundary up to
// rounding: both compare through these.
constexpr double kBoundaryTolerance = 1e-9;
// Narrows the interval between `bad` (ok() fails) and `good` (ok() holds), in either order, to
// 1e-10 and returns its good end.
template <class Ok>
double bisect(double bad, double good, Ok ok) {
  for (int i = 0; i < 100 && std::abs(good - bad) > 1e-10; ++i) {
    const double mid = (bad + good) / 2;
    (ok(mid) ? good : bad) = mid;
  }
  return good;
}

bool reaches_upper(double llr, double upper) {
  return llr >= upper - kBoundaryTolerance;
}
bool reaches_lower(double llr, double lower) {
  return llr <= lower + kBoundaryTolerance;
}

}  // namespace

const char* verdict_name(SequentialVerdict v) {
  switch (v) {
    case SequentialVerdict::undecided:
      return "undecided";
    case SequentialVerdict::pass:
      return "pass";
    case SequentialVerdict::fail:
      return "fail";
  }
  return "?";
}

OperatingCharacteristics walk_operating_characteristics(double up, double down, double upper,
                                                        double lower, double q, int max_steps) {
  if (!(up > 0) || !(down < 0))
    throw std::invalid_argument("walk_operating_characteristics: need up > 0 > down, got up " +
                                detail::num(up) + ", down " + detail::num(down));
  if (!(lower < 0) || !(upper > 0))
    throw std::invalid_argument("walk_operating_characteristics: need lower < 0 < upper, got " +
                                detail::num(lower) + ", " + detail::num(upper));
  detail::check_probability(q, "walk_operating_characteristics: q");
  OperatingCharacteristics oc;
  oc.stop_pmf.push_back(0.0);
  // mass[c - lo] = P(still running after k steps with c up-steps). Only a narrow band of c is
  // alive at any k (the continuation region is a strip of width (upper - lower) / (up - down)),
  // so the programme costs O(steps x band).
  std::vector<double> mass{1.0}, next;
  long lo = 0;
  double alive = 1.0;
  for (int k = 1; k <= max_steps && alive > 1e-15; ++k) {
    next.assign(mass.size() + 1, 0.0);
    for (std::size_t i = 0; i < mass.size(); ++i) {
      next[i] += mass[i] * (1.0 - q);  // a down-step keeps c
      next[i + 1] += mass[i] * q;      // an up-step adds one
    }
    double stopped = 0;
    for (std::size_t i = 0; i < next.size(); ++i) {
      if (next[i] == 0) continue;
      const double c = static_cast<double>(lo + static_cast<long>(i));
      const double llr = c * up + (k - c) * down;
      if (reaches_upper(llr, upper)) {
        oc.p_fail += next[i];
      } else if (reaches_lower(llr, lower)) {
        oc.p_pass += next[i];
      } else {
        continue;
      }
      stopped += next[i];
      next[i] = 0;
    }
    oc.stop_pmf.push_back(stopped);
    oc.mean_steps += stopped * k;
    // Trim the dead ends of the band.
    std::size_t first = 0, last = next.size();
    while (first < last && next[first] == 0) ++first;
    while (last > first && next[last - 1] == 0) --last;
    mass.assign(next.begin() + static_cast<long>(first), next.begin() + static_cast<long>(last));
    lo += static_cast<long>(first);
    alive = 0;
    for (double m : mass) alive += m;
    if (mass.empty()) break;
  }
  oc.p_undecided = std::max(0.0, alive);
  oc.mean_steps += oc.p_undecided * max_steps;
  return oc;
}

double discordant_probability(double fb, double fc) {
  detail::check_probability(fb, "discordant_probability: baseline failure rate");
  detail::check_probability(fc, "discordant_probability: candidate failure rate");
  return fb * (1 - fc) + fc * (1 - fb);
}

double candidate_share(double fb, double fc) {
  const double d = discordant_probability(fb, fc);
  if (d <= 0)
    throw std::invalid_argument("candidate_share: no discordant pair is possible (failure rates " +
                                detail::num(fb) + " and " + detail::num(fc) + ")");
  return fc * (1 - fb) / d;
}

SequentialDesign design_sequential_test(double baseline_rate, double margin, double alpha,
                                        double power) {
  detail::check_open_unit(baseline_rate, "design_sequential_test: baseline rate");
  detail::check_open_unit(alpha, "design_sequential_test: alpha");
  detail::check_open_unit(power, "design_sequential_test: power");
  if (!(margin > 0) || !(baseline_rate - margin > 0))
    throw std::invalid_argument(
        "design_sequential_test: margin must be in (0, baseline rate), got " + detail::num(margin));
  if (!(power > alpha))
    throw std::invalid_argument("design_sequential_test: power " + detail::num(power) +
                                " must be above alpha " + detail::num(alpha));
  SequentialDesign d;
  d.baseline_rate = baseline_rate;
  d.margin = margin;
  d.alpha = alpha;
  d.power = power;
  const double fb = 1 - baseline_rate, fc = fb + margin;
  d.q0 = 0.5;
  d.q1 = candidate_share(fb, fc);
  d.up = std::log(d.q1 / d.q0);
  d.down = std::log((1 - d.q1) / (1 - d.q0));
  const double beta = 1 - power;
  d.wald_upper = std::log((1 - beta) / alpha);
  d.wald_lower = std::log(beta / (1 - alpha));

  // Monotone iteration from small boundaries: the smallest upper with exact alpha <= nominal given
  // the lower, then the highest lower with exact beta <= nominal given the upper. Widening either
  // boundary can only raise the other error, so both boundaries only move outwards and settle on
  // the tightest pair meeting both constraints.
  auto alpha_of = [&](double u, double l) {
    return walk_operating_characteristics(d.up, d.down, u, l, d.q0).p_fail;
  };
  auto beta_of = [&](double u, double l) {
    return walk_operating_characteristics(d.up, d.down, u, l, d.q1).p_pass;
  };
  const double umax = 20 * std::max(d.wald_upper, d.up), lmin = 20 * std::min(d.wald_lower, d.down);
  double upper = d.up * 0.5, lower = d.down * 0.5;
  for (int iteration = 0; iteration < 100; ++iteration) {
    const double prev_upper = upper, prev_lower = lower;
    if (alpha_of(upper, lower) > alpha)
      upper = bisect(upper, umax, [&](double u) { return alpha_of(u, lower) <= alpha; });
    if (beta_of(upper, lower) > beta)
      lower = bisect(lower, lmin, [&](double l) { return beta_of(upper, l) <= beta; });
    if (upper == prev_upper && lower == prev_lower) break;
  }
  d.upper = upper;
  d.lower = lower;
  const auto h0 = walk_operating_characteristics(d.up, d.down, upper, lower, d.q0);
  const auto h1 = walk_operating_characteristics(d.up, d.down, upper, lower, d.q1);
  d.exact_alpha = h0.p_fail;
  d.exact_beta = h1.p_pass;
  d.mean_discordant_h0 = h0.mean_steps;
  d.mean_discordant_h1 = h1.mean_steps;
  return d;
}

SessionsToDecision sessions_to_decision(const SequentialDesign& d, double fb, double fc) {
  const double pi = discordant_probability(fb, fc);
  const double q = candidate_share(fb, fc);
  const auto oc = walk_operating_characteristics(d.up, d.down, d.upper, d.lower, q);
  SessionsToDecision s;
  s.p_fail = oc.p_fail;
  s.p_pass = oc.p_pass;
  // Pairs to see k discordant ones: k + (concordant pairs before the k-th discordant), negative
  // binomial; every pair is two sessions.
  s.mean_sessions = 2 * oc.mean_steps / pi;
  auto cdf_pairs = [&](double n) {
    double p = 0;
    for (std::size_t k = 1; k < oc.stop_pmf.size(); ++k) {
      if (oc.stop_pmf[k] < 1e-14 || n < static_cast<double>(k)) continue;
      boost::math::negative_binomial_distribution<double> nb(static_cast<double>(k), pi);
      p += oc.stop_pmf[k] * boost::math::cdf(nb, std::floor(n) - static_cast<double>(k));
    }
    return p;
  };
  double lo = 0, hi = 1;
  while (cdf_pairs(hi) < 0.5 && hi < 1e12) hi *= 2;
  while (hi - lo > 1) {
    const double mid = std::floor((lo + hi) / 2);
    (cdf_pairs(mid) >= 0.5 ? hi : lo) = mid;
  }
  s.median_sessions = 2 * hi;
  return s;
}

double SequentialWalk::llr() const {
  return static_cast<double>(candidate_failed_) * d_.up +
         static_cast<double>(baseline_failed_) * d_.down;
}

SequentialVerdict SequentialWalk::add(bool candidate_failed) {
  if (verdict_ != SequentialVerdict::undecided) return verdict_;
  ++(candidate_failed ? candidate_failed_ : baseline_failed_);
  const double l = llr();
  if (reaches_upper(l, d_.upper))
    verdict_ = SequentialVerdict::fail;
  else if (reaches_lower(l, d_.lower))
    verdict_ = SequentialVerdict::pass;
  return verdict_;
}

SequentialVerdict PairedSequentialTest::add(const std::string& stratum, Arm arm, bool success) {
  const int a = arm == Arm::baseline ? 0 : 1;
  ++n_[a];
  fail_[a] += !success;
  if (walk_.verdict() != SequentialVerdict::undecided) return walk_.verdict();
  Queue& q = strata_[stratum];
  if (q.waiting.empty() || q.ahead == arm) {
    q.ahead = arm;
    q.waiting.push_back(success);
    return walk_.verdict();
  }
  const bool other = q.waiting.front();
  q.waiting.pop_front();
  ++pairs_;
  const bool baseline_ok = arm == Arm::baseline ? success : other;
  const bool candidate_ok = arm == Arm::candidate ? success : other;
  if (!baseline_ok && !candidate_ok) ++both_failed_;
  if (baseline_ok != candidate_ok && walk_.add(!candidate_ok) != SequentialVerdict::undecided)
    sessions_at_decision_ = n_[0] + n_[1];
  return walk_.verdict();
}

}  // namespace lockrig::stats
