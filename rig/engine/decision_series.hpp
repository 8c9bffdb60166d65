// `lockrig run --until-decided`: a decision series (the CLI calls it a campaign) that alternates
// the baseline and candidate builds in randomized blocks and stops as soon as the matched-pair
// sequential test (reports/stats/sequential.hpp) decides, or at a session cap. Each block is its
// own run, labelled campaign=<uuid>, arm=baseline|candidate and block=<n>, so every run keeps the
// firmware its locks reported after the switch. Method and journal events: docs/sequential.md.
#pragma once

#include <atomic>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "reports/stats/sequential.hpp"
#include "rig/engine/runner.hpp"

namespace lockrig {

struct UntilDecidedOptions {
  std::string baseline_build;    // firmware value, e.g. 2.4.0
  std::string candidate_build;   // firmware value, e.g. 2.4.1
  double baseline_rate = 0.995;  // planned baseline session success rate (sets the alternative)
  double margin = 0.005;
  double alpha = 0.05;
  double power = 0.8;
  long long max_sessions = 0;  // SLI sessions of both versions; 0 = 3 x the fixed-sample size
  int block_repeat = 50;       // repetitions of each scenario per lock in one block
};

struct UntilDecidedOutcome {
  std::string campaign;  // uuid, also the runs' `campaign` label
  stats::SequentialVerdict verdict = stats::SequentialVerdict::undecided;
  bool cap_reached = false;
  long long sli_sessions = 0;  // SLI sessions counted by the test (both versions)
  long long sessions_at_decision = 0;
  int blocks = 0;
  int exit_code = 0;  // 0 pass, 1 fail, 4 cap reached undecided; 3 rig fault, 128+n signal
  std::string stop_reason;
};

inline constexpr int kExitUndecided = 4;  // as `lockrig gate`'s inconclusive

// Checks the campaign can run (builds named and distinct, an SLI scenario, a select_build hook
// unless every lock is simulated, design inputs) and returns the design; throws UsageError.
stats::SequentialDesign validate_until_decided(const Fixture& fixture,
                                               const std::vector<Scenario>& scenarios,
                                               const drivers::DriverRegistry& registry,
                                               const UntilDecidedOptions& options);

// `lockrig run --until-decided`: the series of block runs (each through run_plan) and the
// sequential test over their sessions. One object per series; run() once.
class DecisionSeries {
 public:
  // Validates everything (fixture hook, firmware filters, design inputs) before the first run;
  // throws UsageError / ConfigError. The evidence trajectory (a line per block) and the verdict
  // are written to `out` (may be null).
  DecisionSeries(const Fixture& fixture, const std::vector<Scenario>& scenarios,
                 const drivers::DriverRegistry& registry, Journal& journal, const RunOptions& base,
                 const UntilDecidedOptions& options, RunObserver& observer, std::FILE* out,
                 const std::atomic<bool>& stop);
  UntilDecidedOutcome run();

 private:
  struct Block;  // one block: its arm, build and tally
  std::string design_text() const;
  void print_design() const;
  stats::Arm arm_of(int block);  // draws each round's order from the seed
  RunOptions block_options(Block& block);
  std::vector<EventRow> select_build(const drivers::LockSpec& lock, const std::string& build);
  bool count_session(Block& block, const SessionRecord& session);
  void record_block(Block& block, const RunOutcome& run);
  bool decide(Block& block, const RunOutcome& run);
  void print_block(const Block& block) const;
  void print_verdict() const;

  const Fixture& fixture_;
  const std::vector<Scenario>& scenarios_;
  const drivers::DriverRegistry& registry_;
  Journal& journal_;
  const RunOptions& base_;
  const UntilDecidedOptions& options_;
  RunObserver& observer_;
  std::FILE* out_;
  const std::atomic<bool>& stop_;

  stats::SequentialDesign design_;
  long long fixed_n_ = 0;  // fixed-sample design, per version
  long long cap_ = 0;      // SLI sessions of both versions
  stats::PairedSequentialTest test_;
  std::mt19937_64 order_rng_;
  stats::Arm round_[2] = {stats::Arm::baseline, stats::Arm::candidate};
  drivers::SelectedBuilds flashed_;  // the simulated flash of locks whose driver selects builds
  long long mismatched_ = 0;         // sessions left out: the lock reported another build
  UntilDecidedOutcome result_;
};

// DecisionSeries(...).run().
UntilDecidedOutcome run_until_decided(const Fixture& fixture,
                                      const std::vector<Scenario>& scenarios,
                                      const drivers::DriverRegistry& registry, Journal& journal,
                                      const RunOptions& base, const UntilDecidedOptions& options,
                                      RunObserver& observer, std::FILE* out,
                                      const std::atomic<bool>& stop);

// The fixed-sample comparator for the same alpha/power: sessions per version of a one-sided
// two-proportion test of no difference at alpha with `power` at baseline_rate vs
// baseline_rate - margin (R power.prop.test(p1, p2, sig.level = 2 alpha, power), rounded up).
long long fixed_sample_per_version(double baseline_rate, double margin, double alpha, double power);

}  // namespace lockrig
