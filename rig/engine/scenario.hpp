// Scenario files: an ordered script of bench actions and unlock sessions, repeated.
// See README.md "Scenario files" for the format.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drivers/outcome.hpp"
#include "rig/base/clock.hpp"
#include "rig/base/errors.hpp"
#include "rig/engine/fixture.hpp"

namespace YAML {
class Node;
}

namespace lockrig {

enum class ConnectionPolicy {
  per_session,  // connect for each session and disconnect after it, as the app does
  keep,         // stay connected between sessions (reconnect only when dropped)
};

struct Expectation {
  // nullopt = any failure ("failure"); otherwise the outcome required.
  std::optional<drivers::LockOutcome> outcome = drivers::LockOutcome::success;
  bool expects_success() const { return outcome == drivers::LockOutcome::success; }
  std::string name() const;
};

struct RetryPolicy {
  int max_attempts = 1;
  Duration backoff = std::chrono::seconds(1);
  double backoff_factor = 1.0;  // each further wait is multiplied by this
  // Longest a single attempt may take (connect + command); nullopt = the session budget split
  // evenly over the attempts, so a lost command still leaves time to retry, as apps do.
  std::optional<Duration> attempt_timeout;
};

struct UnlockStep {
  Expectation expect;
  Duration within = std::chrono::seconds(10);  // the session's time budget, retries included
  RetryPolicy retry;
  bool sli = true;  // counts toward the SLI (never for expected failures)
  ConnectionPolicy connection = ConnectionPolicy::per_session;
};

enum class Condition { advertising, not_advertising };

struct StepKind;  // a row of the step table: rig/engine/steps/step_kind.hpp
struct Step;

// Issue 14: a `sweep` step, a block of steps repeated over levels of one attenuator
// (rig/engine/steps/sweep.cpp; docs/range.md "Sweeps").
enum class SweepDesign { grid, staircase, quantile };

struct SweepSpec {
  std::string name;  // the sweep's name in the journal; empty: the scenario's
  std::vector<double> levels;              // in the order written (a staircase sorts them)
  std::vector<SourceLocation> level_where;  // one per level (a range: all at the range)
  SweepDesign design = SweepDesign::grid;
  // grid: sessions per level; staircase: the session budget (it stops earlier at `reversals`);
  // quantile: the session budget (it stops earlier at `width`).
  int sessions = 1;
  // Staircase (Levitt 1971): start level, step in dB (a multiple of the levels' spacing), `down`
  // successes in a row make it one step harder (more attenuation), one failure one step easier.
  double start_db = 0, step_db = 0;
  SourceLocation start_where, step_where;
  int down = 3;
  int reversals = 12;  // stop after this many reversals of direction
  // Quantile (Wu 1985, rig/engine/quantile_design.hpp): the success rate whose level the sweep
  // measures, and the interval half-width at which it stops early (0: run the budget). Its
  // start-up uses start_db (default: the lowest level) and step_db (default: one rung).
  double target = 0.99, width_db = 0;
  std::vector<Step> steps;  // the block: exactly one unlock step, no attenuate or sweep
  // Sessions the sweep runs at most: levels x sessions (grid) or the budget (adaptive designs).
  long long max_sessions() const;
};

struct Step {
  // What the step is: a row of the step table (rig/engine/steps/step_table.cpp), the one list of
  // step kinds, which parses, describes and runs it. Step::Kind names the rows that code
  // outside the step files asks about ("is this an unlock step?").
  struct Kind {
    static const StepKind* const set_switch;  // `switch`
    static const StepKind* const set_supply;  // `supply`
    static const StepKind* const wait;
    static const StepKind* const wait_until;
    static const StepKind* const unlock;
    static const StepKind* const disconnect;
    static const StepKind* const attenuate;  // issue 14
    static const StepKind* const sweep;      // issue 14
  };
  const StepKind* kind = Kind::wait;
  SourceLocation where;

  // The settings of the kinds (each kind's file in rig/engine/steps/ says which it uses).
  std::string target;                 // switch: the channel's name; supply: the supply's name
  bool on = false;                    // switch
  std::optional<double> volts, amps;  // supply
  std::optional<bool> output;         // supply
  std::optional<double> ramp_to;      // supply: move from the present voltage to this...
  int ramp_steps = 10;                // ...in this many equal steps spread over `duration`
  Duration duration{0};               // wait; wait_until: its timeout; supply: a ramp's length
  Condition condition = Condition::advertising;    // wait_until
  Duration poll = std::chrono::milliseconds(500);  // wait_until
  UnlockStep unlock;                               // unlock
  // supply: where volts, amps and ramp_to were written, for an error about the value itself.
  SourceLocation volts_where, amps_where, ramp_to_where;
  std::optional<double> db;  // attenuate: the level; db_where: where it was written
  SourceLocation db_where;
  std::shared_ptr<const SweepSpec> sweep;  // sweep: its levels, design and block (target: part)

  std::string describe() const;  // "switch battery off", "unlock expect success within 5s"
};

struct Scenario {
  std::string name;
  std::string description;
  int repeat = 1;
  std::vector<Step> steps;
  std::string source;  // file it came from
  std::string sha256;  // of that file's bytes
  SourceLocation where;

  std::vector<std::string> channels_used() const;
  std::vector<std::string> supplies_used() const;
  std::vector<std::string> attenuators_used() const;
  // Unlock sessions one repetition runs: each unlock step once, a sweep its max_sessions().
  int unlock_steps() const;
};

// One step as written in a scenario file (`- wait: 5s`), parsed by its kind. A sweep parses its
// block with it.
Step parse_step(const YAML::Node& node, const std::string& file);

// A scenario file holds one scenario (name/steps) or a suite (suite/scenarios: [...]).
std::vector<Scenario> parse_scenarios(const std::string& text, const std::string& source);
std::vector<Scenario> load_scenarios(const std::string& path);

// Checks that every channel and supply a scenario names exists in the fixture.
void validate_against_fixture(const Scenario& scenario, const Fixture& fixture);

}  // namespace lockrig
