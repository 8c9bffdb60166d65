// Sample size and power of the release gate's stratified score test, one look or K looks.
#include "reports/stats/gate_plan.hpp"

#include <cmath>
#include <stdexcept>

#include "reports/stats/detail.hpp"

namespace lockrig::stats {

namespace {

struct PerSession {
  double effect = 0.0, s0 = 0.0, s1 = 0.0;
};

PerSession per_session(const GateDesign& d) {
  if (d.strata.empty()) throw std::invalid_argument("plan_gate: no strata");
  if (!(d.margin > 0.0 && d.margin < 1.0)) {
    throw std::invalid_argument("plan_gate: margin must be strictly between 0 and 1, got " +
                                detail::num(d.margin));
  }
  if (!(d.alpha > 0.0 && d.alpha < 0.5)) {
    throw std::invalid_argument("plan_gate: alpha must be strictly between 0 and 0.5, got " +
                                detail::num(d.alpha));
  }
  if (!(d.power > d.alpha && d.power < 1.0)) {
    throw std::invalid_argument("plan_gate: power must be above alpha and below 1, got " +
                                detail::num(d.power));
  }
  if (d.max_looks < 1) {
    throw std::invalid_argument("plan_gate: looks must be at least 1, got " +
                                std::to_string(d.max_looks));
  }
  PerSession out;
  double shares = 0.0, v0 = 0.0, v1 = 0.0;
  for (const auto& s : d.strata) {
    const std::string what = "plan_gate: stratum " + (s.label.empty() ? "?" : s.label);
    if (!(s.share > 0.0) || !std::isfinite(s.share)) {
      throw std::invalid_argument(what + ": share must be positive, got " + detail::num(s.share));
    }
    detail::check_probability(s.baseline_rate, what + " baseline rate");
    detail::check_probability(s.candidate_rate, what + " candidate rate");
    shares += s.share;
    const auto r =
        detail::restricted_mle_difference(s.candidate_rate, 1.0, s.baseline_rate, 1.0, -d.margin);
    v0 += s.share * (r.p1 * (1.0 - r.p1) + r.p0 * (1.0 - r.p0));
    v1 += s.share *
          (s.candidate_rate * (1.0 - s.candidate_rate) + s.baseline_rate * (1.0 - s.baseline_rate));
    out.effect += s.share * (s.candidate_rate - s.baseline_rate);
  }
  if (std::fabs(shares - 1.0) > 1e-9) {
    throw std::invalid_argument("plan_gate: stratum shares must sum to 1, got " +
                                detail::num(shares));
  }
  out.effect += d.margin;
  if (!(out.effect > 0.0)) {
    throw std::invalid_argument("plan_gate: planned difference " +
                                detail::num(out.effect - d.margin) + " is not above -margin " +
                                detail::num(-d.margin) +
                                "; non-inferiority cannot be shown at any sample size");
  }
  out.s0 = std::sqrt(v0);
  out.s1 = std::sqrt(v1);
  return out;
}

std::vector<double> equal_looks(double sessions, int k) {
  std::vector<double> v;
  for (int i = 1; i <= k; ++i) v.push_back(sessions * i / k);
  return v;
}

// The gate's boundaries for K equally spaced looks (they depend on the ratios of the
// information only, so once per design).
GroupSequentialBoundaries design_boundaries(const GateDesign& d) {
  return look_boundaries(equal_looks(static_cast<double>(d.max_looks), d.max_looks), d.max_looks,
                         d.alpha, d.spending);
}

// P(PASS by each look) with `sessions` per version at the last look.
std::vector<double> power_curve(double sessions, const GroupSequentialBoundaries& b,
                                const PerSession& ps) {
  const auto info = equal_looks(sessions, static_cast<int>(b.critical.size()));
  if (ps.s1 == 0.0) return std::vector<double>(info.size(), 1.0);  // no variance: certain PASS
  // Z_k ~ N(e sqrt(n_k) / s0, (s1 / s0)^2): rescale to unit variance.
  GroupSequentialBoundaries scaled = b;
  scaled.information = info;
  for (auto& c : scaled.critical) c *= ps.s0 / ps.s1;
  return crossing_probabilities(scaled, ps.effect / ps.s1);
}

}  // namespace

std::vector<double> gate_power_curve(double sessions, const GateDesign& design) {
  if (!(sessions > 0.0) || !std::isfinite(sessions)) {
    throw std::invalid_argument("gate_power: sessions must be positive, got " +
                                detail::num(sessions));
  }
  const PerSession ps = per_session(design);
  return power_curve(sessions, design_boundaries(design), ps);
}

double gate_power(double sessions, const GateDesign& design) {
  return gate_power_curve(sessions, design).back();
}

GatePlan plan_gate(const GateDesign& design) {
  const PerSession ps = per_session(design);
  GatePlan out;
  out.effect = ps.effect;
  out.sd_null = ps.s0;
  out.sd_alt = ps.s1;
  const double root =
      detail::z_upper(design.alpha) * ps.s0 + detail::z_upper(1.0 - design.power) * ps.s1;
  out.fixed_sessions = root > 0.0 ? (root / ps.effect) * (root / ps.effect) : 0.0;
  const GroupSequentialBoundaries b = design_boundaries(design);
  if (design.max_looks == 1 || out.fixed_sessions == 0.0) {
    out.sessions = out.fixed_sessions;
  } else {
    // Power grows with the sessions: bracket, then bisect on the log scale.
    double lo = out.fixed_sessions, hi = out.fixed_sessions * 1.05;
    while (power_curve(hi, b, ps).back() < design.power) {
      lo = hi;
      hi *= 1.5;
    }
    for (int i = 0; i < 60 && hi / lo > 1.0 + 1e-10; ++i) {
      const double mid = std::sqrt(lo * hi);
      (power_curve(mid, b, ps).back() < design.power ? lo : hi) = mid;
    }
    out.sessions = hi;
  }
  out.inflation = out.fixed_sessions > 0.0 ? out.sessions / out.fixed_sessions : 1.0;
  if (out.sessions > 0.0) {
    out.look_sessions = equal_looks(out.sessions, design.max_looks);
    out.critical = b.critical;
    out.cumulative_power = power_curve(out.sessions, b, ps);
    double previous = 0.0;
    for (std::size_t k = 0; k < out.look_sessions.size(); ++k) {
      out.expected_sessions += out.look_sessions[k] * (out.cumulative_power[k] - previous);
      previous = out.cumulative_power[k];
    }
    out.expected_sessions += out.look_sessions.back() * (1.0 - previous);
  }
  return out;
}

}  // namespace lockrig::stats
