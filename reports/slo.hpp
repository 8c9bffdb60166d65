// `lockrig slo`: the session SLI per night against a target SLO, the error budget over a window
// counted in sessions, multi-window burn rates, per rig / lock / material (docs/slo.md).
#pragma once

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "reports/dataset.hpp"
#include "rig/journal/journal.hpp"

namespace lockrig::reports {

// Exit 0 when written; 2 usage or journal error.
int cmd_slo(const std::vector<std::string>& args);
int cmd_slo(const std::vector<std::string>& args, std::ostream& out);

struct SloCounts {
  long long sessions = 0;  // SLI sessions (rig faults excluded)
  long long successes = 0;
  long long failures() const { return sessions - successes; }
};

// The figures of one population (everything, or one rig / lock / material) over the window.
struct SloFigures {
  std::string dimension;            // "all", "rig", "lock", "material", ...
  std::string value;                // "all" or the stratum value
  std::map<int, SloCounts> nights;  // night (days since 1970-01-01, UTC run start) -> counts
  SloCounts window, last_night, last_7_nights;
  double allowed_failures = 0.0;  // (1 - target) * window.sessions
  double budget_remaining = 0.0;  // allowed - failures, in sessions (negative: overspent)
  std::optional<double> budget_remaining_share;  // remaining / allowed
  std::optional<double> burn_last_night, burn_7_nights, burn_window;
  std::string status;  // "ok", "burning", "exhausted", "no data"
};

struct SloOptions {
  double target = 0.995;
  int window_days = 28;
  std::optional<int> as_of;  // last night of the window (days since epoch); default: latest night
  std::vector<std::string> by = {"material", "lock"};
};

struct SloReport {
  std::string journal, generated_at;
  SloOptions options;
  int as_of = 0, window_from = 0;  // nights, inclusive
  std::size_t runs_selected = 0;
  long long sessions_outside_window = 0;  // SLI sessions of selected runs outside the window
  SloFigures overall;
  std::vector<std::pair<std::string, std::vector<SloFigures>>> groups;  // per --by dimension
};

SloReport compute_slo(Journal& journal, const RunSelection& selection, const SloOptions& options);

// "2026-11-20" <-> days since 1970-01-01 (proleptic Gregorian, UTC).
std::optional<int> parse_night(const std::string& date);
std::string night_text(int days);

}  // namespace lockrig::reports
