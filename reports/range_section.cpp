#include "reports/range_section.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <utility>

#include "reports/comparison.hpp"
#include "reports/format.hpp"
#include "reports/stats/proportion.hpp"
#include "rig/base/text.hpp"

namespace lockrig::reports {

namespace {

// The statistics library's reasons start "range fit: "; the section says which fit it is.
std::string reason_of(const std::exception& e) {
  std::string s = e.what();
  for (const std::string prefix : {"range fit: ", "range comparison: "})
    if (s.compare(0, prefix.size(), prefix) == 0) s.erase(0, prefix.size());
  return s;
}

bool finite_fit(const stats::BinomialFit& f) {
  return std::isfinite(f.intercept) && std::isfinite(f.slope) && std::isfinite(f.var_slope) &&
         std::isfinite(f.deviance);
}

// Per (level): successes, trials (rig faults apart).
struct LevelAcc {
  long successes = 0, trials = 0, rig_faults = 0;
};
using Levels = std::map<double, LevelAcc>;

std::vector<stats::DosePoint> dose_points(const Levels& levels) {
  std::vector<stats::DosePoint> out;
  for (const auto& [level, acc] : levels)
    if (acc.trials > 0) out.push_back({level, {acc.successes, acc.trials}});
  return out;
}

RangeCurve curve_of(const std::string& arm, const std::string& stratum, const Levels& levels,
                    const ReportOptions& o) {
  RangeCurve c;
  c.arm = arm;
  c.stratum = stratum;
  for (const auto& [level, acc] : levels) {
    RangePoint p;
    p.level_db = level;
    p.counts = {acc.successes, acc.trials};
    p.rig_faults = acc.rig_faults;
    if (acc.trials > 0) p.wilson = stats::wilson_interval(p.counts, o.confidence);
    c.points.push_back(p);
    c.sessions += acc.trials;
    c.successes += acc.successes;
    c.rig_faults += acc.rig_faults;
  }
  const std::vector<stats::DosePoint> points = dose_points(levels);
  if (points.empty()) {
    c.reason = "every session at every level ended in a rig fault";
    return c;
  }
  try {
    stats::BinomialFit fit = stats::fit_binomial_dose(points, o.range_link);
    if (!finite_fit(fit)) {
      c.reason = "the fit did not give finite coefficients";
      return c;
    }
    stats::DoseEstimate m = stats::dose_at(fit, o.range_target, o.confidence);
    c.fit = std::move(fit);
    if (!std::isfinite(m.level) || !std::isfinite(m.se)) {
      c.reason = "the fitted curve does not reach " + pct(o.range_target, 1) +
                 " at a finite level (slope " + num(c.fit->slope) + ")";
      return c;
    }
    c.extrapolated = m.level < points.front().level || m.level > points.back().level;
    c.margin = m;
  } catch (const std::invalid_argument& e) {
    c.reason = reason_of(e);
  }
  return c;
}

std::string interval_db(const stats::Interval& i) {
  return "[" + db_text(i.lower) + ", " + db_text(i.upper) + "]";
}

std::string material_phrase(const std::string& key, const std::string& label) {
  if (key == "material") return "on " + label + " doors";
  return "on " + key + " " + label;
}

RangeGate decide_range_gate(const RangeSection& s, double margin_db, double alpha) {
  RangeGate g;
  g.margin_db = margin_db;
  g.alpha = alpha;
  g.interval_level = 1.0 - 2.0 * alpha;
  const std::string rule_margin = num(margin_db) + " dB";
  if (!s.comparison) {
    g.reason = s.comparison_reason.empty() ? "no range comparison" : s.comparison_reason;
    g.sentence = "RANGE INCONCLUSIVE: no range comparison (" + g.reason + "); margin " +
                 rule_margin;
    return g;
  }
  const stats::RangeComparison& c = *s.comparison;
  g.difference = c.difference;
  g.lower = c.interval.lower;
  g.upper = c.interval.upper;
  const std::string figure = "candidate " + range_difference_text(c.difference, c.interval) +
                             " of range at " + pct(s.target, 1) + " (" +
                             num(100.0 * g.interval_level, 3) + "% interval, " +
                             std::to_string(c.strata.size()) +
                             (c.strata.size() == 1 ? " stratum" : " strata") + ")";
  if (c.interval.lower >= -margin_db) {
    g.verdict = "pass";
    g.sentence = "RANGE PASS: " + figure + "; shown to lose at most " + rule_margin;
  } else if (c.interval.upper < -margin_db) {
    g.verdict = "fail";
    g.sentence = "RANGE FAIL: " + figure + "; shown to lose more than " + rule_margin;
  } else {
    g.verdict = "inconclusive";
    g.sentence = "RANGE INCONCLUSIVE: " + figure + "; neither shown within nor beyond " +
                 rule_margin;
  }
  return g;
}

}  // namespace

std::string db_text(double v) {
  if (std::isinf(v)) return v < 0 ? "-inf" : "+inf";
  if (!std::isfinite(v)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  if (std::string(buf) == "-0.0") return "0.0";
  return buf;
}

std::string dose_interval_text(const stats::DoseInterval& i) {
  return "[" + db_text(i.interval.lower) + ", " + db_text(i.interval.upper) + "]" +
         (i.bounded ? "" : " (open)");
}

std::string range_difference_text(double difference, const stats::Interval& interval) {
  // As a loss: positive when the candidate's margin is below the baseline's.
  const double loss = -difference;
  const stats::Interval li{-interval.upper, -interval.lower};
  if (loss >= 0)
    return "loses " + db_text(loss) + " dB " + interval_db(li);
  return "gains " + db_text(-loss) + " dB " + interval_db(interval);
}

std::optional<RangeSection> compute_range(const Dataset& d, const ReportOptions& o) {
  if (d.sweeps.empty()) return std::nullopt;
  RangeSection s;
  s.target = o.range_target;
  s.confidence = o.confidence;
  s.link = o.range_link;
  s.strata_key = o.strata;
  s.compare = !o.baseline.empty() && !o.candidate.empty();

  // Strata per lock entry (or per scenario), as the SLI comparison groups them.
  std::optional<AttributeView> view;
  if (o.strata != "none") view.emplace(d, o.strata, "--strata");
  auto stratum_of = [&](const SweepRow& w) -> std::string {
    if (!view) return "all";
    SessionRow probe;
    probe.lock = w.lock;
    probe.scenario = w.scenario;
    const std::string* v = view->value(probe);
    return v ? *v : "(unknown)";
  };
  std::optional<FilterSet> base, cand;
  if (s.compare) {
    base.emplace(d, o.baseline, "--baseline");
    cand.emplace(d, o.candidate, "--candidate");
  }
  // arm -> stratum -> level -> counts
  std::map<std::string, std::map<std::string, Levels>> acc;
  for (const SweepRow& w : d.sweeps) {
    s.sessions += w.n;
    if (w.result == Result::rig_fault) s.rig_faults += w.n;
    std::string arm = "all";
    if (s.compare) {
      SessionRow probe;
      probe.lock = w.lock;
      probe.scenario = w.scenario;
      const bool b = base->matches(probe), c = cand->matches(probe);
      if (b == c) {  // neither (or, only if the filters overlap, both): not compared
        s.unmatched_sessions += w.n;
        continue;
      }
      arm = b ? "baseline" : "candidate";
      (b ? s.baseline_sessions : s.candidate_sessions) += w.n;
    }
    LevelAcc& a = acc[arm][stratum_of(w)][w.level_db];
    if (w.result == Result::rig_fault) {
      a.rig_faults += w.n;
    } else {
      a.trials += w.n;
      if (w.result == Result::pass) a.successes += w.n;
    }
  }
  const std::vector<std::string> arms =
      s.compare ? std::vector<std::string>{"baseline", "candidate"} : std::vector<std::string>{"all"};
  for (const auto& arm : arms)
    for (const auto& [stratum, levels] : acc[arm]) s.curves.push_back(curve_of(arm, stratum, levels, o));

  if (s.compare) {
    auto find = [&](const std::string& arm, const std::string& stratum) -> const RangeCurve* {
      for (const auto& c : s.curves)
        if (c.arm == arm && c.stratum == stratum) return &c;
      return nullptr;
    };
    std::vector<std::string> labels;
    for (const auto& [stratum, l] : acc["baseline"]) labels.push_back(stratum);
    for (const auto& [stratum, l] : acc["candidate"])
      if (std::find(labels.begin(), labels.end(), stratum) == labels.end()) labels.push_back(stratum);
    std::sort(labels.begin(), labels.end());
    std::vector<stats::RangeStratumInput> inputs;
    for (const auto& label : labels) {
      RangeStratumRow row;
      row.label = label;
      const RangeCurve* b = find("baseline", label);
      const RangeCurve* c = find("candidate", label);
      if (!b || !c)
        row.reason = std::string("only the ") + (b ? "baseline" : "candidate") + " swept it";
      else if (!b->margin)
        row.reason = "baseline: " + b->reason;
      else if (!c->margin)
        row.reason = "candidate: " + c->reason;
      if (row.reason.empty()) {
        try {
          const stats::RangeStratumInput in{label, dose_points(acc["candidate"][label]),
                                            dose_points(acc["baseline"][label])};
          const stats::RangeComparison one =
              stats::compare_range({&in, 1}, o.range_link, o.range_target, o.confidence);
          if (std::isfinite(one.difference) && std::isfinite(one.se) && one.se > 0) {
            row.result = one.strata.front();
            inputs.push_back(in);
          } else {
            row.reason = "the difference has no finite standard error";
          }
        } catch (const std::invalid_argument& e) {
          row.reason = reason_of(e);
        }
      }
      s.strata.push_back(std::move(row));
    }
    if (inputs.empty()) {
      // A version without any sweep session is named with its filter (issue 14).
      const std::string none =
          s.baseline_sessions == 0 && s.candidate_sessions == 0 ? "either version"
          : s.baseline_sessions == 0 ? "the baseline (" + filters_text(o.baseline) + ")"
          : s.candidate_sessions == 0 ? "the candidate (" + filters_text(o.candidate) + ")"
                                      : "";
      s.comparison_reason = !none.empty() ? "no sweep session of " + none + " in the selection"
                            : s.strata.empty() ? "no stratum was swept on both versions"
                                               : "no stratum gives both versions a range margin";
    } else {
      s.comparison = stats::compare_range(inputs, o.range_link, o.range_target, o.confidence);
      for (const auto& row : s.strata)
        if (row.result)
          s.findings.push_back("candidate " +
                               range_difference_text(row.result->difference, row.result->interval) +
                               " of range " + material_phrase(s.strata_key, row.label));
      if (inputs.size() > 1)
        s.findings.push_back("pooled over " + std::to_string(inputs.size()) + " strata: candidate " +
                             range_difference_text(s.comparison->difference,
                                                   s.comparison->interval) +
                             " of range");
    }
    if (o.range_margin_db) {
      // The gate's interval: two-sided 1 - 2 alpha (one-sided 1 - alpha bounds), as the SLI gate.
      RangeSection at_gate_level = s;
      if (s.comparison) {
        at_gate_level.comparison =
            stats::compare_range(inputs, o.range_link, o.range_target, 1.0 - 2.0 * o.alpha);
      }
      s.gate = decide_range_gate(at_gate_level, *o.range_margin_db, o.alpha);
    }
  }
  return s;
}

}  // namespace lockrig::reports
