// Planning the release gate: sessions per version for the test the gate runs (the stratified
// Miettinen-Nurminen score test of non-inferiority, reports/stats/noninferiority.hpp), over the
// strata the sessions will fall in, with one look or a group-sequential design of K looks
// (reports/stats/group_sequential.hpp).
//
// Per SLI session and version, with stratum k holding a share s_k of each version's sessions
// (the same mix in both versions) at planned success rates pb_k (baseline) and pc_k (candidate):
//   effect   e    = sum s_k (pc_k - pb_k) + margin      (the MH difference plus the margin)
//   null     s0^2 = sum s_k [p1k~ (1 - p1k~) + p0k~ (1 - p0k~)]   restricted MLE at -margin
//   planned  s1^2 = sum s_k [pc_k (1 - pc_k) + pb_k (1 - pb_k)]
// (MH weights n_k / 2 with n_k = s_k n make the stratified statistic's variance sum over strata
// this way). With n sessions per version the score statistic is approximately normal with mean
// e sqrt(n) / s0 and standard deviation s1 / s0. One look: n = ((z_{1-alpha} s0 + z_power s1) /
// e)^2, the Farrington-Manning formula for one stratum (sample_size_non_inferiority). K looks
// at n/K, 2n/K, ..., n sessions with the gate's O'Brien-Fleming-type boundaries c_k: PASS by look
// k has probability P(some j <= k: Z'_j >= c_j s0 / s1) for a unit Brownian motion Z' with drift
// e / s1 per sqrt(session), by the same recursive integration; n solves "power after K looks".
// Throws std::invalid_argument for shares not positive or not summing to 1 (within 1e-9), rates
// outside [0, 1], a planned difference not above -margin, alpha outside (0, 0.5), power not in
// (alpha, 1), looks < 1.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "reports/stats/group_sequential.hpp"

namespace lockrig::stats {

struct PlannedStratum {
  std::string label;
  double share = 1.0;          // of each version's SLI sessions
  double baseline_rate = 0.0;  // planned success rates
  double candidate_rate = 0.0;
};

struct GateDesign {
  std::vector<PlannedStratum> strata;
  double margin = 0.005;
  double alpha = 0.05;  // one-sided
  double power = 0.8;
  int max_looks = 1;
  SpendingFunction spending = SpendingFunction::obrien_fleming;
};

struct GatePlan {
  double effect = 0.0, sd_null = 0.0, sd_alt = 0.0;  // per session, see above
  double fixed_sessions = 0.0;  // per version, one look, normal approximation (not rounded)
  double sessions = 0.0;   // per version at the last look; K = 1: exact when power_exact
  double inflation = 1.0;  // K > 1: sessions / fixed_sessions (both normal); 1 for K = 1
  std::vector<double> look_sessions;     // per version at each look (equally spaced)
  std::vector<double> critical;          // the looks' boundaries c_k
  std::vector<double> cumulative_power;  // P(PASS by look k) at the planned rates
  double expected_sessions = 0.0;        // per version, when stopping at the first PASS
  // One look: `sessions` is the fewest whole sessions per version whose exact (enumerated) power
  // reaches the target, and cumulative_power that exact power (issue 11 item 8); false where
  // the normal approximation was used (K looks, or too many outcomes to enumerate).
  bool power_exact = false;
};

GatePlan plan_gate(const GateDesign& design);

// P(PASS by the last look) with `sessions` per version at the last look (looks equally spaced).
// One look: exactly, by enumerating the failure counts of every stratum through the gate's own
// statistic and rule (gate_power_exact), when that is tractable; otherwise, and for K looks,
// the normal approximation above (gate_power_curve_normal). Stratum k gets round(s_k sessions).
double gate_power(double sessions, const GateDesign& design);
// P(PASS by look k), k = 1..max_looks, likewise.
std::vector<double> gate_power_curve(double sessions, const GateDesign& design);
// The normal approximation alone (the Farrington-Manning power for one stratum and one look).
std::vector<double> gate_power_curve_normal(double sessions, const GateDesign& design);
// One look's power by enumeration (issue 11 item 8, see gate_plan.cpp); nullopt for K > 1 looks
// or when the strata's outcomes are too many to enumerate (many expected failures, where the
// normal approximation holds).
std::optional<double> gate_power_exact(double sessions, const GateDesign& design);

}  // namespace lockrig::stats
