// Issue 14: the Range section of the report and gate documents (reports/range_section.hpp has the
// figures; every cell here is finished text, so text, Markdown and HTML agree).
#include <cmath>

#include "reports/format.hpp"
#include "reports/layout.hpp"
#include "rig/base/text.hpp"

namespace lockrig::reports {

namespace {

Block text_block(Block::Kind kind, std::string text) {
  Block b;
  b.kind = kind;
  b.text = std::move(text);
  return b;
}

Block table_of(Table t) {
  Block b;
  b.kind = Block::Kind::table;
  if (t.highlight.size() < t.rows.size()) t.highlight.resize(t.rows.size(), false);
  b.table = std::move(t);
  return b;
}

std::string p_text(double p) { return std::isfinite(p) ? pval(p) : "-"; }

std::string fit_text(const RangeCurve& c) {
  if (!c.fit) return "-";
  return num(c.fit->intercept) + " + " + num(c.fit->slope) + " x dB";
}

}  // namespace

Section range_section(const Report& r) {
  const RangeSection& s = *r.range;
  Section sec{"range", "Range", {}};
  const std::string conf = pct(s.confidence, 0);
  sec.blocks.push_back(text_block(
      Block::Kind::paragraph,
      with_commas(s.sessions) + " sweep sessions (success = unlocked; " +
          with_commas(s.rig_faults) + " rig faults left out" +
          (s.unmatched_sessions > 0
               ? "; " + with_commas(s.unmatched_sessions) + " in neither version"
               : std::string()) +
          "). Range margin: the attenuation at which the fitted success rate falls to " +
          pct(s.target, 1) + " (binomial regression on attenuation, " +
          stats::to_string(s.link) + " link; " + conf +
          " profile-likelihood interval). See docs/range.md."));
  if (s.gate)
    sec.blocks.push_back([&] {
      Block b = text_block(Block::Kind::verdict, s.gate->sentence);
      b.verdict_class = s.gate->verdict;
      return b;
    }());
  if (!s.findings.empty()) {
    Block b;
    b.kind = Block::Kind::bullets;
    b.items = s.findings;
    sec.blocks.push_back(std::move(b));
  }
  if (s.compare) {
    Table t;
    t.header = {r.options.strata, "baseline margin", "candidate margin",
                "candidate - baseline (" + conf + ")", "note"};
    t.numeric = {false, true, true, true, false};
    for (const auto& row : s.strata) {
      if (row.result)
        t.rows.push_back({row.label, db_text(row.result->baseline_margin.level) + " dB",
                          db_text(row.result->candidate_margin.level) + " dB",
                          range_difference_text(row.result->difference, row.result->interval),
                          ""});
      else
        t.rows.push_back({row.label, "-", "-", "-", row.reason});
      t.highlight.push_back(false);
    }
    if (s.comparison) {
      const auto& c = *s.comparison;
      t.rows.push_back({"pooled (inverse variance)", "", "",
                        range_difference_text(c.difference, c.interval),
                        c.strata.size() > 1 ? "heterogeneity Q " + num(c.heterogeneity_q) +
                                                  ", p " + p_text(c.heterogeneity_p)
                                            : ""});
      t.highlight.push_back(true);
      t.highlight_is_bad = false;
    } else {
      sec.blocks.push_back(text_block(Block::Kind::warning,
                                      "No range comparison: " + s.comparison_reason + "."));
    }
    t.drop_order = {0, 0, 0, 0, 1};
    sec.blocks.push_back(table_of(std::move(t)));
  }
  {
    Table t;
    t.header = {"version",  r.options.strata, "sessions", "levels", "fit (" + std::string(stats::to_string(s.link)) + ")",
                "deviance (df, p)", "range margin", "profile " + conf, "Wald " + conf, "note"};
    t.numeric = {false, false, true, true, false, true, true, true, true, false};
    for (const auto& c : s.curves) {
      std::vector<std::string> row = {c.arm, c.stratum, with_commas(c.sessions),
                                      std::to_string(c.points.size()), fit_text(c)};
      row.push_back(c.fit ? num(c.fit->deviance) + " (" + std::to_string(c.fit->df_residual) +
                                ", " + p_text(c.fit->deviance_p) + ")"
                          : "-");
      if (c.margin) {
        row.push_back(db_text(c.margin->level) + " dB");
        row.push_back(dose_interval_text(c.margin->profile));
        row.push_back("[" + db_text(c.margin->wald.lower) + ", " + db_text(c.margin->wald.upper) +
                      "]");
      } else {
        row.insert(row.end(), {"-", "-", "-"});
      }
      std::string note = c.reason;
      if (c.extrapolated) note = "outside the levels swept (extrapolated)";
      if (c.rig_faults > 0)
        note += (note.empty() ? "" : "; ") + with_commas(c.rig_faults) + " rig faults left out";
      row.push_back(note);
      t.rows.push_back(std::move(row));
    }
    t.drop_order = {0, 0, 0, 3, 2, 1, 0, 0, 4, 0};
    sec.blocks.push_back(table_of(std::move(t)));
  }
  {
    Block b;
    b.kind = Block::Kind::chart;
    b.chart = ChartKind::range;
    sec.blocks.push_back(std::move(b));
  }
  {
    Table t;
    t.header = {"version", r.options.strata, "attenuation", "unlocked / sessions", "success",
                "Wilson " + conf, "rig faults"};
    t.numeric = {false, false, true, true, true, true, true};
    for (const auto& c : s.curves)
      for (const auto& p : c.points)
        t.rows.push_back({c.arm, c.stratum, db_text(p.level_db) + " dB",
                          with_commas(p.counts.successes) + " / " + with_commas(p.counts.trials),
                          p.counts.trials ? pct(p.counts.rate(), 1) : "-",
                          p.counts.trials ? pct_interval(p.wilson, 1) : "-",
                          with_commas(p.rig_faults)});
    t.drop_order = {0, 0, 0, 0, 0, 1, 2};
    sec.blocks.push_back(table_of(std::move(t)));
  }
  return sec;
}

}  // namespace lockrig::reports
