// Plain value types shared by the statistics library (lockrig::stats).
//
// Every figure the library returns travels with the counts it came from, so a report can print
// "99.2% (992/1000)" and anyone can recompute the number. Rates are success rates: a session that
// unlocked is a success. Comparisons are always "candidate versus baseline".
#pragma once

#include <string>
#include <vector>

namespace lockrig::stats {

// x successes out of n trials (sessions or attempts).
struct Counts {
  long successes = 0;
  long trials = 0;

  long failures() const { return trials - successes; }
  // successes / trials; the caller must make sure trials > 0 (all library entry points check).
  double rate() const { return static_cast<double>(successes) / static_cast<double>(trials); }
  friend bool operator==(const Counts&, const Counts&) = default;
};

// A closed interval [lower, upper].
struct Interval {
  double lower = 0.0;
  double upper = 0.0;

  bool contains(double v) const { return lower <= v && v <= upper; }
  friend bool operator==(const Interval&, const Interval&) = default;
};

// The direction of an alternative hypothesis, always read as "candidate <relation> baseline" (or
// "x <relation> y" for two samples): `less` means the candidate's success rate (or x's location)
// is lower.
enum class Alternative { two_sided, less, greater };

// One stratum (door material, lock model, ...) of a stratified comparison.
struct Stratum {
  std::string label;
  Counts candidate;
  Counts baseline;
};

// How a stratum entered a stratified computation. Strata are never dropped silently: each result
// lists every input stratum with its role and, unless it contributed, the reason.
enum class StratumRole {
  contributes,    // carries information and is part of the figure
  uninformative,  // kept, but its table is fixed by its margins (e.g. no failures at all), so it
                  // adds nothing; including or excluding it gives the same figure
  dropped,        // left out (e.g. one arm has no sessions)
};

struct StratumUse {
  std::string label;
  Counts candidate;
  Counts baseline;
  StratumRole role = StratumRole::contributes;
  std::string reason;  // empty when role == contributes
};

const char* to_string(StratumRole role);
const char* to_string(Alternative alternative);

}  // namespace lockrig::stats
