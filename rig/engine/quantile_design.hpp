// The quantile design of a range sweep (issue 14): the logit-MLE sequential design of
// Wu, C. F. J. (1985), "Efficient sequential designs with binary data", J. Amer. Statist. Assoc.
// 80(392):974-984. After a start-up, each session runs at the current maximum-likelihood
// estimate of the level where success equals `target` (the 99% range margin): fit
// logit P(success) = a + b * level to every session so far (reports/stats/range.hpp, the fit the
// report makes from the journaled sweep) and go to the ladder level nearest (logit(target) - a)/b.
// Wu shows the design's estimate is consistent and asymptotically as efficient as running every
// session at the unknown target level; its sessions gather where the range margin is read, so a
// two-parameter logit only has to hold locally (on the simulated lock the 99% point lies in the
// link-failure tail, where logit(p) ~ -log(1 - p) is linear in dB; docs/range.md "Benchmark").
//
// Start-up (until the fit exists with success falling with attenuation, i.e. until failures and
// successes overlap, Silvapulle 1981): Levitt's k-down/1-up staircase from `start` in `step`
// with k the smallest whole number such that target^k <= 0.5 (69 for 99%), the transformed
// up-down rule whose convergence point P^k = 0.5 is nearest the target from below (Levitt 1971,
// J. Acoust. Soc. Am. 49:467), so the start-up too spends its sessions in the tail around the
// target instead of at the edge of range, where a logit fitted to the whole curve would be
// pulled off the tail.
//
// Stopping rule: after `budget` sessions, or as soon as the profile-likelihood interval of the
// target level (confidence 0.95, the report's interval) has a half-width of at most `width_db`
// (0: no width stop), checked after every session once the fit exists and at least
// `min_failures` (20) sessions failed.
// Pure: no I/O, no randomness; the sweep step (steps/sweep.cpp) and bench/range_sweep_bench
// drive it with real or simulated outcomes.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "reports/stats/range.hpp"

namespace lockrig {

class QuantileDesign {
 public:
  struct Rule {
    std::vector<double> ladder;  // the allowed levels, sorted ascending, evenly spaced
    double target = 0.99;        // the success rate whose level the sweep measures
    double start_db = 0;         // where the start-up staircase begins (one of the ladder's)
    double step_db = 0;          // start-up step (a whole number of rungs; 0: one rung)
    long long budget = 1000;     // sessions at most
    double width_db = 0;         // stop when the interval's half-width is at most this (0: off)
    double confidence = 0.95;    // of that interval
    // The width stop waits for this many failed sessions: a 99% level read from a handful of
    // failures gets an interval that is narrow by chance (measured: docs/range.md "Benchmark").
    long long min_failures = 20;
    // Every `anchor_every`-th session after the start-up (0: none) runs at the estimate of the
    // level where success is `anchor` instead (default: anchor_for(target)), for the slope.
    double anchor = 0;
    int anchor_every = 3;
  };

  // The anchor's success rate: five times the target's failure rate, at most 50% failures
  // (0.95 for a 99% target).
  static double anchor_for(double target) { return 1 - std::min(0.5, 5 * (1 - target)); }

  explicit QuantileDesign(Rule rule);

  // k of the start-up's k-down/1-up staircase: the smallest k with target^k <= 0.5.
  static int startup_down(double target);

  bool done() const { return sessions_ >= rule_.budget || width_reached_; }
  double level() const { return level_; }  // where the next session runs
  long long sessions() const { return sessions_; }
  // True once the fit exists and the level follows its estimate (the start-up is over).
  bool following_estimate() const { return estimate_.has_value(); }
  // The current estimate of the target level (the fit's, unrounded), once the fit exists.
  std::optional<double> estimate() const { return estimate_; }
  // The sessions so far per level, as the report will count them.
  const std::map<double, stats::Counts>& counts() const { return counts_; }

  // The outcome of the session run at level(); moves the level.
  void record(bool success);

 private:
  double nearest_rung(double db) const;
  double rung_offset(double from, int rungs) const;

  Rule rule_;
  int down_;
  int step_rungs_;
  double level_;
  long long sessions_ = 0;
  long long failures_ = 0;
  int run_ = 0;  // start-up: successes in a row at the present level
  std::map<double, stats::Counts> counts_;
  std::optional<double> estimate_;
  bool width_reached_ = false;
  double anchor_estimate_ = 0;
  long long following_ = 0;
};

}  // namespace lockrig
