// The adaptive design of a range sweep (issue 14): a transformed up-down staircase after
// Levitt, H. (1971) "Transformed up-down methods in psychoacoustics", J. Acoust. Soc. Am.
// 49(2B):467-477. With `down` = k, k successes in a row make the task one step harder (more
// attenuation) and one failure one step easier; the level then wanders around the point where
// the chance of k successes in a row is one half, P(success)^k = 0.5 (Levitt's Table I:
// k = 1 -> 50%, 2 -> 70.7%, 3 -> 79.4%, 4 -> 84.1%), so the sessions gather on the transition
// instead of being spread over levels where the lock always or never answers.
//
// Stopping rule: after `reversals` changes of direction or `budget` sessions, whichever comes
// first. Levels stay on the ladder min, min + spacing, ..., max (a move past an end stays at the
// end). Pure: no I/O, no randomness; the sweep step (steps/sweep.cpp) and bench/range_sweep_bench
// drive it with real or simulated outcomes.
#pragma once

#include <algorithm>
#include <cmath>

namespace lockrig {

class Staircase {
 public:
  struct Rule {
    double start_db = 0, step_db = 1;
    double min_db = 0, max_db = 0;
    int down = 3;
    int reversals = 12;
    long long budget = 50;
  };

  explicit Staircase(const Rule& rule) : rule_(rule), level_(rule.start_db) {}

  bool done() const { return sessions_ >= rule_.budget || reversals_ >= rule_.reversals; }
  double level() const { return level_; }  // where the next session runs
  long long sessions() const { return sessions_; }
  int reversals() const { return reversals_; }

  // The outcome of the session run at level(); moves the level.
  void record(bool success) {
    ++sessions_;
    int dir = 0;
    if (success) {
      if (++run_ >= rule_.down) {
        run_ = 0;
        dir = +1;  // harder: more attenuation
      }
    } else {
      run_ = 0;
      dir = -1;  // easier
    }
    if (dir == 0) return;
    if (last_dir_ != 0 && dir != last_dir_) ++reversals_;
    last_dir_ = dir;
    // Rounded to a micro-dB so that a level reached by many steps is the level written.
    const double next = std::round((level_ + dir * rule_.step_db) * 1e6) / 1e6;
    level_ = std::clamp(next, rule_.min_db, rule_.max_db);
  }

 private:
  Rule rule_;
  double level_;
  long long sessions_ = 0;
  int run_ = 0;       // successes in a row at the present level
  int last_dir_ = 0;  // +1 up (harder), -1 down, 0 before the first move
  int reversals_ = 0;
};

}  // namespace lockrig
