#include "reports/slo_compute.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include "reports/format.hpp"
#include "reports/stats/proportion.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/slo_reader.hpp"

namespace lockrig::reports {

namespace {

// Howard Hinnant's days_from_civil / civil_from_days.
int days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int>(doe) - 719468;
}

// A journal row with its night, and the value of each --by dimension.
struct Row {
  int night = 0;
  std::string rig, lock, material, model, firmware, scenario;
  std::string app;  // the run's app label (build-change marks only)
  SloCounts c;
  const std::string& field(const std::string& dim) const {
    if (dim == "rig") return rig;
    if (dim == "lock") return lock;
    if (dim == "material") return material;
    if (dim == "model") return model;
    if (dim == "firmware") return firmware;
    return scenario;
  }
};

void add(SloCounts& a, const SloCounts& b) {
  a.sessions += b.sessions;
  a.successes += b.successes;
}

// Nights, SLI sessions and the budget of the journal's rows; throws for what the SLO cannot use.
std::vector<Row> nightly_rows(const std::string& journal, const std::vector<SloRow>& in,
                              const std::vector<std::string>& scenarios) {
  std::vector<Row> rows;
  std::set<std::string> scenarios_seen, rigs;
  // Rows come ordered by night: each date is parsed once, not once per row (parsing it for each
  // of 16,560 rows was an eighth of `slo`'s instructions at 460 runs, callgrind).
  const std::string* last_date = nullptr;
  int last_night = 0;
  for (const auto& r : in) {
    Row row;
    if (!last_date || r.date != *last_date) {
      const auto night = parse_night(r.date);
      if (!night)
        throw JournalError("journal " + quote(journal) + " has a run started at " +
                           quote(r.date) + ", not an ISO 8601 date");
      last_date = &r.date;
      last_night = *night;
    }
    row.night = last_night;
    row.rig = r.rig;
    row.lock = r.lock;
    row.material = r.material;
    row.model = r.model;
    row.firmware = r.firmware;
    row.app = r.app;
    row.scenario = r.scenario;
    row.c.sessions = r.sli_sessions;
    row.c.successes = r.sli_successes;
    scenarios_seen.insert(row.scenario);
    rigs.insert(row.rig);
    rows.push_back(std::move(row));
  }
  for (const auto& s : scenarios)
    if (!scenarios_seen.count(s))
      throw UsageError("--scenario " + quote(s) + " has no sessions in the selected runs");
  // Lock ids are only unique within a rig; name them rig/lock when several rigs are merged.
  if (rigs.size() > 1)
    for (auto& row : rows) row.lock = row.rig + "/" + row.lock;
  return rows;
}

// The last night of the window: --as-of, or the latest night with SLI sessions.
int last_night(const std::vector<Row>& rows, const SloOptions& options, std::size_t runs) {
  if (options.as_of) return *options.as_of;
  int latest = 0;
  bool any = false;
  for (const auto& row : rows)
    if (row.c.sessions > 0) {
      latest = any ? std::max(latest, row.night) : row.night;
      any = true;
    }
  if (!any)
    throw UsageError("the " + std::to_string(runs) +
                     " selected run(s) have no SLI sessions; nothing to measure against an SLO");
  return latest;
}

// Window totals, the budget, burn rates and status from the nightly counts.
void finish(SloFigures& f, const SloReport& r) {
  const double t = r.options.target;
  for (const auto& [night, c] : f.nights) {
    add(f.window, c);
    if (night == r.as_of) add(f.last_night, c);
    if (night > r.as_of - 7) add(f.last_7_nights, c);
  }
  if (f.window.sessions > 0)
    f.window_interval = stats::wilson_interval({f.window.successes, f.window.sessions}, 0.95);
  f.allowed_failures = (1.0 - t) * static_cast<double>(f.window.sessions);
  f.budget_remaining = f.allowed_failures - static_cast<double>(f.window.failures());
  if (f.allowed_failures > 0) f.budget_remaining_share = f.budget_remaining / f.allowed_failures;
  f.burn_last_night = burn_rate(f.last_night, t);
  f.burn_7_nights = burn_rate(f.last_7_nights, t);
  f.burn_window = burn_rate(f.window, t);
  if (f.window.sessions == 0)
    f.status = "no data";
  else if (f.budget_remaining < 0)
    f.status = "exhausted";
  else if (f.burn_last_night && f.burn_7_nights && *f.burn_last_night > 1.0 &&
           *f.burn_7_nights > 1.0)
    f.status = "burning";
  else
    f.status = "ok";
}

}  // namespace

const std::vector<std::string>& slo_dimensions() {
  static const std::vector<std::string> d = {"rig",   "lock",     "material",
                                             "model", "firmware", "scenario"};
  return d;
}

std::optional<double> burn_rate(const SloCounts& c, double target) {
  if (c.sessions == 0) return std::nullopt;
  return (static_cast<double>(c.failures()) / static_cast<double>(c.sessions)) / (1.0 - target);
}

SloReport compute_slo(const std::string& journal, std::size_t runs_selected,
                      const std::vector<SloRow>& journal_rows,
                      const std::vector<std::string>& scenarios, const SloOptions& options) {
  SloReport r;
  r.journal = journal;
  r.options = options;
  r.generated_at = utc_now_iso();
  r.runs_selected = runs_selected;
  const std::vector<Row> rows = nightly_rows(journal, journal_rows, scenarios);
  r.as_of = last_night(rows, options, runs_selected);
  r.window_from = r.as_of - options.window_days + 1;

  r.overall.dimension = "all";
  r.overall.value = "all";
  std::vector<std::map<std::string, SloFigures>> by(options.by.size());
  for (const auto& row : rows) {
    if (row.night < r.window_from || row.night > r.as_of) {
      r.sessions_outside_window += row.c.sessions;
      continue;
    }
    add(r.overall.nights[row.night], row.c);
    if (row.firmware != "(unknown)" && !row.firmware.empty())
      r.builds_by_night[row.night].insert("firmware " + row.firmware);
    if (!row.app.empty()) r.builds_by_night[row.night].insert("app " + row.app);
    for (std::size_t i = 0; i < options.by.size(); ++i) {
      SloFigures& g = by[i][row.field(options.by[i])];
      add(g.nights[row.night], row.c);
    }
  }
  finish(r.overall, r);
  for (std::size_t i = 0; i < options.by.size(); ++i) {
    std::vector<SloFigures> list;
    for (auto& [value, g] : by[i]) {
      g.dimension = options.by[i];
      g.value = value;
      finish(g, r);
      list.push_back(std::move(g));
    }
    // Worst first: the least budget left, then the most failures.
    std::stable_sort(list.begin(), list.end(), [](const SloFigures& a, const SloFigures& b) {
      const double ra = a.budget_remaining_share.value_or(1e300);
      const double rb = b.budget_remaining_share.value_or(1e300);
      return ra != rb ? ra < rb : a.window.failures() > b.window.failures();
    });
    r.groups.emplace_back(options.by[i], std::move(list));
  }
  return r;
}

std::optional<int> parse_night(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  const int y = std::stoi(s.substr(0, 4));
  const unsigned m = static_cast<unsigned>(std::stoi(s.substr(5, 2)));
  const unsigned d = static_cast<unsigned>(std::stoi(s.substr(8, 2)));
  if (m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  const int days = days_from_civil(y, m, d);
  if (night_text(days) != s) return std::nullopt;  // 2026-02-30
  return days;
}

std::string night_text(int z) {
  z += 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int y = static_cast<int>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y + (m <= 2), m, d);
  return buf;
}

}  // namespace lockrig::reports
