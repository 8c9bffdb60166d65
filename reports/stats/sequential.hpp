// Stop-when-decided comparison of two versions: a matched-pair sequential probability ratio test
// (SPRT) with boundaries tuned on its exact operating characteristics. Method, assumptions and
// defaults: docs/sequential.md.
//
// Sessions of the two versions are paired within a stratum (the i-th baseline session on a lock
// with the i-th candidate session of the same scenario step on the same lock). A pair is
// *discordant* when exactly one of the two sessions failed. Given that a pair is discordant, the
// candidate is the one that failed with probability
//     q = f_c (1 - f_b) / (f_c (1 - f_b) + f_b (1 - f_c))      (f = failure rate of a version)
// whatever the stratum's own rate when both versions are equal (q = 1/2: H0, "no regression"),
// and q = q1 > 1/2 when the candidate's failure rate is f_b + margin at the planned baseline
// rate (H1, "regression of the margin"). The discordant pairs form an i.i.d. Bernoulli(q)
// sequence, so the log likelihood ratio is an integer random walk
//     LLR = c * ln(q1 / q0) + (k - c) * ln((1 - q1) / (1 - q0))    (k discordant, c
//     candidate-failed)
// stopped at FAIL when LLR >= upper and at PASS when LLR <= lower. Its error probabilities and
// stopping-time distribution are computed exactly by dynamic programming over (k, c), and the
// boundaries are tuned to the largest error rates not above the nominal ones (Wald's
// ln((1-beta)/alpha), ln(beta/(1-alpha)) are conservative on a lattice).
//
// Errors: alpha = P(FAIL | q = 1/2) is the false-fail rate; beta = 1 - power = P(PASS | q = q1) is
// the false-pass rate at a regression of exactly the margin; detection = 1 - beta.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace lockrig::stats {

enum class SequentialVerdict { undecided, pass, fail };
const char* verdict_name(SequentialVerdict v);  // "undecided", "pass", "fail"

// Exact behaviour of the walk "+up with probability q, +down otherwise", stopped at the
// boundaries, by dynamic programming over (steps, up-steps).
struct OperatingCharacteristics {
  double p_fail = 0;       // probability of stopping at the upper boundary
  double p_pass = 0;       // ... at the lower boundary
  double p_undecided = 0;  // mass still running after max_steps (truncation)
  double mean_steps =
      0;  // expected number of steps to a decision (truncated paths count max_steps)
  // stop_pmf[k] = P(the walk stops exactly at step k), k = 0..
  std::vector<double> stop_pmf;
};
OperatingCharacteristics walk_operating_characteristics(double up, double down, double upper,
                                                        double lower, double q,
                                                        int max_steps = 100000);

struct SequentialDesign {
  // Inputs.
  double baseline_rate = 0.995;  // planned session success rate of the baseline
  double margin = 0.005;         // the regression to detect, as a rate difference
  double alpha = 0.05;           // nominal false-fail rate
  double power = 0.8;            // nominal detection rate at a regression of the margin
  // Derived.
  double q0 = 0.5;   // P(candidate failed | discordant), no regression
  double q1 = 0;     // ... at a regression of the margin (planned baseline rate)
  double up = 0;     // LLR step when the candidate failed: ln(q1/q0)
  double down = 0;   // LLR step when the baseline failed: ln((1-q1)/(1-q0))
  double upper = 0;  // FAIL when LLR >= upper
  double lower = 0;  // PASS when LLR <= lower
  double wald_upper = 0, wald_lower = 0;  // Wald's approximate boundaries, for reference
  // Exact operating characteristics of the tuned boundaries.
  double exact_alpha = 0;  // P(FAIL | q0)
  double exact_beta = 0;   // P(PASS | q1)
  double mean_discordant_h0 = 0, mean_discordant_h1 = 0;
};

// Designs the test: q1 from the planned rates, then the boundaries, tuned so that the exact
// alpha and beta are the largest achievable values not above the nominal ones. Throws
// std::invalid_argument naming a bad input (rates outside (0, 1), baseline - margin <= 0,
// power <= alpha, ...).
SequentialDesign design_sequential_test(double baseline_rate, double margin, double alpha,
                                        double power);

// The probability that a matched pair is discordant when the versions fail at f_b and f_c.
double discordant_probability(double baseline_failure, double candidate_failure);
// P(candidate failed | discordant).
double candidate_share(double baseline_failure, double candidate_failure);

// Sessions (both versions together) to a decision when the versions fail at f_b and f_c: the
// exact stopping distribution in discordant pairs mixed over the pairs needed to see them
// (negative binomial). Ignores a session cap.
struct SessionsToDecision {
  double p_fail = 0, p_pass = 0;
  double mean_sessions = 0;
  double median_sessions = 0;
};
SessionsToDecision sessions_to_decision(const SequentialDesign& d, double baseline_failure,
                                        double candidate_failure);

// The walk itself, fed one discordant pair at a time. Once decided it ignores further input.
class SequentialWalk {
 public:
  explicit SequentialWalk(const SequentialDesign& d) : d_(d) {}
  // One discordant pair: true when the candidate's session failed (the baseline's succeeded).
  SequentialVerdict add(bool candidate_failed);
  SequentialVerdict verdict() const { return verdict_; }
  double llr() const;
  long long discordant() const { return candidate_failed_ + baseline_failed_; }
  long long candidate_failed() const { return candidate_failed_; }
  long long baseline_failed() const { return baseline_failed_; }
  const SequentialDesign& design() const { return d_; }

 private:
  SequentialDesign d_;
  long long candidate_failed_ = 0, baseline_failed_ = 0;
  SequentialVerdict verdict_ = SequentialVerdict::undecided;
};

enum class Arm { baseline, candidate };

// Pairs sessions as they are journaled: per stratum, the i-th session of one version with the
// i-th of the other, in arrival order; feeds discordant pairs to the walk.
class PairedSequentialTest {
 public:
  explicit PairedSequentialTest(const SequentialDesign& d) : walk_(d) {}
  // One SLI session (rig-fault and non-SLI sessions must not be passed). Returns the verdict
  // after it. A session arriving after the decision is counted but changes nothing.
  SequentialVerdict add(const std::string& stratum, Arm arm, bool success);

  const SequentialWalk& walk() const { return walk_; }
  SequentialVerdict verdict() const { return walk_.verdict(); }
  long long sessions(Arm a) const { return a == Arm::baseline ? n_[0] : n_[1]; }
  long long failures(Arm a) const { return a == Arm::baseline ? fail_[0] : fail_[1]; }
  long long pairs() const { return pairs_; }
  long long concordant_failures() const { return both_failed_; }
  // Sessions at the decision (both versions), 0 while undecided.
  long long sessions_at_decision() const { return sessions_at_decision_; }

 private:
  SequentialWalk walk_;
  // Per stratum: outcomes (true = success) of the version that is ahead, waiting for a partner.
  struct Queue {
    Arm ahead = Arm::baseline;
    std::deque<bool> waiting;
  };
  std::map<std::string, Queue> strata_;
  long long n_[2] = {0, 0}, fail_[2] = {0, 0};
  long long pairs_ = 0, both_failed_ = 0, sessions_at_decision_ = 0;
};

}  // namespace lockrig::stats
