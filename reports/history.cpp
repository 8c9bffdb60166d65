// History across builds: per version in order of first appearance, its SLI per stratum, lock and
// run, and the change point (reports/history.hpp).
#include "reports/history.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "reports/format.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"

namespace lockrig::reports {

namespace {

constexpr const char* kUnknown = "(unknown)";

std::optional<stats::ProportionEstimate> wilson(const stats::Counts& c, double confidence) {
  if (c.trials <= 0) return std::nullopt;
  return stats::estimate_proportion(c, stats::ProportionMethod::wilson, confidence);
}

void add(stats::Counts& c, const SessionRow& s) {
  c.trials += s.n;
  if (s.sli_success) c.successes += s.n;
}

struct Accumulator {
  std::size_t first_run = 0, last_run = 0;
  bool seen = false;
  long sessions = 0, rig_faults = 0, assertions = 0;
  stats::Counts counts;
  std::map<std::string, stats::Counts> strata;
  std::map<std::string, std::pair<std::string, stats::Counts>> locks;  // id -> (material, counts)
  std::map<std::size_t, stats::Counts> runs;
};

// Strata alphabetically, "(unknown)" last (as the report orders them).
bool stratum_before(const std::string& a, const std::string& b) {
  const bool ua = a == kUnknown, ub = b == kUnknown;
  if (ua != ub) return ub;
  return a < b;
}

std::string rate_text(const HistoryVersion& v) {
  return v.sli ? pct(v.sli->rate) + " (" + counts(v.counts) + ")" : "no SLI session";
}

}  // namespace

History compute_history(const Dataset& d, const HistoryOptions& o) {
  if (o.key == o.strata)
    throw UsageError("--history " + quote(o.key) + " cannot be stratified by itself: every build "
                     "would be its own stratum; give --strata none or another attribute");
  const AttributeView version_of(d, o.key, "--history");
  std::optional<AttributeView> stratum_of;
  if (o.strata != "none") stratum_of.emplace(d, o.strata, "--strata");

  History h;
  h.journal = d.journal;
  h.generated_at = utc_now_iso();
  h.selection = d.selection;
  h.runs = d.runs;
  h.options = o;

  std::map<std::string, Accumulator> acc;
  for (const SessionRow& s : d.sessions) {
    h.sessions += s.n;
    const std::string* v = version_of.value(s);
    if (!v) {
      h.sessions_without_version += s.n;
      continue;
    }
    Accumulator& a = acc[*v];
    const LockEntry& lock = d.locks[s.lock];
    if (!a.seen || lock.run < a.first_run) a.first_run = lock.run;
    if (!a.seen || lock.run > a.last_run) a.last_run = lock.run;
    a.seen = true;
    a.sessions += s.n;
    if (s.result == Result::rig_fault) a.rig_faults += s.n;
    if (s.is_assertion()) a.assertions += s.n;
    if (!s.in_sli()) {
      a.runs.try_emplace(lock.run);
      continue;
    }
    add(a.counts, s);
    std::string stratum = "all";
    if (stratum_of) {
      const std::string* sv = stratum_of->value(s);
      stratum = sv ? *sv : kUnknown;
    }
    add(a.strata[stratum], s);
    auto& l = a.locks[lock.lock_id];
    l.first = lock.material;
    add(l.second, s);
    add(a.runs[lock.run], s);
  }
  if (acc.empty())
    throw UsageError("--history " + quote(o.key) + ": no selected session has a " + o.key +
                     (o.key == "firmware" ? " (the locks' firmware could not be read)"
                                          : " value") +
                     "; " + with_commas(h.sessions) + " sessions selected");

  for (auto& [name, a] : acc) {
    HistoryVersion v;
    v.version = name;
    v.first_run = a.first_run;
    v.first_seen = d.runs[a.first_run].started_at;
    v.last_seen = d.runs[a.last_run].started_at;
    v.runs = static_cast<long>(a.runs.size());
    v.sessions = a.sessions;
    v.rig_fault_sessions = a.rig_faults;
    v.assertions = a.assertions;
    v.counts = a.counts;
    v.sli = wilson(a.counts, o.confidence);
    for (const auto& [k, c] : a.strata) v.by_stratum.push_back({k, "", c, wilson(c, o.confidence)});
    std::sort(v.by_stratum.begin(), v.by_stratum.end(),
              [](const HistoryGroup& x, const HistoryGroup& y) { return stratum_before(x.key, y.key); });
    for (const auto& [id, l] : a.locks)
      v.by_lock.push_back({id, l.first, l.second, wilson(l.second, o.confidence)});
    for (const auto& [run, c] : a.runs)
      v.by_run.push_back({d.runs[run].uuid, d.runs[run].started_at, c, wilson(c, o.confidence)});
    h.versions.push_back(std::move(v));
  }
  // Order of first appearance: the first selected run (oldest first) with a session of the
  // version; two versions first seen in the same run by name.
  std::stable_sort(h.versions.begin(), h.versions.end(),
                   [](const HistoryVersion& x, const HistoryVersion& y) {
                     return std::tie(x.first_run, x.version) < std::tie(y.first_run, y.version);
                   });

  std::vector<stats::BuildCounts> builds;
  for (const auto& v : h.versions) {
    stats::BuildCounts b{v.version, {}};
    for (const auto& g : v.by_stratum) b.strata.push_back({g.key, g.counts});
    builds.push_back(std::move(b));
  }
  h.change = stats::find_change_point(builds, o.alpha);

  const std::string& key = o.key;
  if (h.versions.size() < 2) {
    h.verdict = "Only one " + key + " (" + h.versions[0].version + ", SLI " +
                rate_text(h.versions[0]) + ") in the selection: no history to compare.";
  } else if (h.change.first) {
    const auto& step = h.change.steps[*h.change.first - 1];
    const HistoryVersion& v = h.versions[*h.change.first];
    h.verdict = key + " " + v.version + " is the first build whose SLI is significantly below its "
                "predecessors': " + rate_text(v) + " against " + pct(step.predecessors.rate()) +
                " (" + counts(step.predecessors) + ") before it" +
                (o.strata == "none" ? "" : ", compared within each " + o.strata) +
                " (one-sided CMH p = " + pval(step.p) + ", Holm-adjusted over " +
                std::to_string(h.change.steps.size()) + " builds p = " + pval(step.p_holm) + ").";
  } else {
    h.verdict = "No " + key + " build's SLI is significantly below its predecessors' (" +
                std::to_string(h.versions.size()) + " builds; each against the pooled builds "
                "before it, Holm over " + std::to_string(h.change.steps.size()) +
                " comparisons at alpha " + num(o.alpha) + ").";
  }
  if (h.sessions_without_version > 0)
    h.warnings.push_back(with_commas(h.sessions_without_version) + " of " +
                         with_commas(h.sessions) + " sessions have no " + key +
                         (key == "firmware" ? " (firmware unread)" : "") +
                         " and are left out of the history.");
  for (const auto& v : h.versions)
    if (v.counts.trials == 0)
      h.warnings.push_back(key + " " + v.version +
                           " has no SLI session (rig faults or assertions only); it is listed but "
                           "compares as no evidence.");
  // A version that comes back after another was run is listed once, at its first appearance.
  for (std::size_t i = 0; i + 1 < h.versions.size(); ++i)
    for (std::size_t j = i + 1; j < h.versions.size(); ++j)
      if (h.versions[i].last_seen > h.versions[j].first_seen &&
          h.versions[i].by_run.size() > 1) {
        h.warnings.push_back(key + " " + h.versions[i].version + " was run again after " +
                             h.versions[j].version + " appeared (last on " +
                             h.versions[i].last_seen + "); it is ordered by its first run.");
        break;
      }
  return h;
}

void check_history_format(const std::string& name) {
  if (name != "text" && name != "markdown" && name != "html" && name != "json")
    throw UsageError("--history writes --format text, markdown, html or json; got " + quote(name));
}

std::string render_history(const History& h, const std::string& format) {
  check_history_format(format);
  if (format == "text") return render_history_text(h);
  if (format == "markdown") return render_history_markdown(h);
  if (format == "html") return render_history_html(h);
  return render_history_json(h);
}

}  // namespace lockrig::reports

namespace lockrig::reports {

namespace {

std::string interval_text(const std::optional<stats::ProportionEstimate>& e) {
  return e ? pct_interval(e->interval) : "-";
}
std::string sli_text(const std::optional<stats::ProportionEstimate>& e) {
  return e ? pct(e->rate) : "-";
}

}  // namespace

std::vector<HistoryTable> history_tables(const History& h) {
  const std::string& key = h.options.key;
  const std::string level = num(h.options.confidence * 100.0) + "% interval";
  std::vector<HistoryTable> out;

  HistoryTable builds;
  builds.title = "Builds in order of first appearance";
  builds.header = {"#", key, "first run", "runs", "SLI sessions", "SLI", level,
                   "vs before", "p (one-sided)", "Holm p", ""};
  builds.numeric = {true, false, false, true, true, true, false, true, true, true, false};
  for (std::size_t i = 0; i < h.versions.size(); ++i) {
    const HistoryVersion& v = h.versions[i];
    // "2026-11-20 08:00" (the minute; the JSON has the full time).
    std::string when = v.first_seen.substr(0, 16);
    if (when.size() > 10 && when[10] == 'T') when[10] = ' ';
    std::vector<std::string> row = {std::to_string(i + 1), v.version, when,
                                    std::to_string(v.runs), counts(v.counts), sli_text(v.sli),
                                    interval_text(v.sli)};
    if (i == 0) {
      row.insert(row.end(), {"-", "-", "-", ""});
    } else {
      const stats::ChangePointStep& s = h.change.steps[i - 1];
      row.push_back(s.risk_difference.informative ? pts(s.risk_difference.difference) : "-");
      row.push_back(s.cmh.informative ? pval(s.p) : "n/a");
      row.push_back(pval(s.p_holm));
      row.push_back(h.change.first && *h.change.first == i
                        ? "CHANGE POINT"
                        : (s.significant ? "below" : ""));
      if (h.change.first && *h.change.first == i) builds.marked_row = i;
    }
    builds.rows.push_back(std::move(row));
  }
  out.push_back(std::move(builds));

  if (h.options.strata != "none") {
    HistoryTable t;
    t.title = "Per " + h.options.strata;
    t.header = {key, h.options.strata, "SLI sessions", "SLI", level};
    t.numeric = {false, false, true, true, false};
    for (const auto& v : h.versions)
      for (const auto& g : v.by_stratum)
        t.rows.push_back({v.version, g.key, counts(g.counts), sli_text(g.sli), interval_text(g.sli)});
    out.push_back(std::move(t));
  }

  HistoryTable locks;
  locks.title = "Per lock";
  locks.header = {key, "lock", "material", "SLI sessions", "SLI", level};
  locks.numeric = {false, false, false, true, true, false};
  for (const auto& v : h.versions)
    for (const auto& g : v.by_lock)
      locks.rows.push_back(
          {v.version, g.key, g.detail, counts(g.counts), sli_text(g.sli), interval_text(g.sli)});
  out.push_back(std::move(locks));

  HistoryTable runs;
  runs.title = "Per run (night)";
  runs.header = {key, "run", "started", "SLI sessions", "SLI", level};
  runs.numeric = {false, false, false, true, true, false};
  for (const auto& v : h.versions)
    for (const auto& g : v.by_run)
      runs.rows.push_back({v.version, g.key.substr(0, 8), g.detail, counts(g.counts),
                           sli_text(g.sli), interval_text(g.sli)});
  out.push_back(std::move(runs));
  return out;
}

std::string history_method(const History& h) {
  return "Session SLI with Wilson " + num(h.options.confidence * 100.0) +
         "% intervals; rig faults are excluded, assertions are not SLI sessions. Change point: "
         "each build against the pooled builds before it" +
         (h.options.strata == "none" ? std::string()
                                     : ", within each " + h.options.strata) +
         " (one-sided Cochran-Mantel-Haenszel test, as R mantelhaen.test alternative = \"less\"); "
         "the p-values of the " +
         std::to_string(h.change.steps.size()) +
         " comparisons are Holm-adjusted (Holm 1979), so on a history without any change a build "
         "is named with probability at most alpha = " +
         num(h.options.alpha) +
         ". The first build (in order of first appearance) with a Holm p below alpha is the "
         "change point. \"vs before\" is the Mantel-Haenszel risk difference. See docs/reports.md "
         "(History).";
}

}  // namespace lockrig::reports
