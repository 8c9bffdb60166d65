// `lockrig slo`, the figures: the session SLI per night against a target SLO, the error budget
// over a window counted in sessions, multi-window burn rates, per rig / lock / material
// (docs/slo.md). Computed from the journal's rows (rig/journal/slo_reader.hpp); nothing here reads
// the journal or prints.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "reports/stats/types.hpp"

namespace lockrig {
struct SloRow;  // rig/journal/slo_reader.hpp
}

namespace lockrig::reports {

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
  std::optional<stats::Interval> window_interval;  // Wilson 95% of the window's SLI (sessions > 0)
  double allowed_failures = 0.0;                   // (1 - target) * window.sessions
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
  // Issue 16 item 2: the builds seen on each night of the window, "firmware X" as the locks
  // reported it (unread firmware left out) and "app Y" from the runs' app label, for the
  // build-change marks on the time charts.
  std::map<int, std::set<std::string>> builds_by_night;
};

// The dimensions --by accepts.
const std::vector<std::string>& slo_dimensions();

// The figures of the rows read from `journal` for `runs_selected` runs. Throws UsageError for a
// --scenario without sessions or a selection without SLI sessions (and no --as-of), JournalError
// for a run start that is not an ISO 8601 date.
SloReport compute_slo(const std::string& journal, std::size_t runs_selected,
                      const std::vector<SloRow>& rows, const std::vector<std::string>& scenarios,
                      const SloOptions& options);

// Failure ratio / (1 - target); nullopt without sessions.
std::optional<double> burn_rate(const SloCounts& c, double target);

// "2026-11-20" <-> days since 1970-01-01 (proleptic Gregorian, UTC).
std::optional<int> parse_night(const std::string& date);
std::string night_text(int days);

}  // namespace lockrig::reports
