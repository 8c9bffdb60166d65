// `lockrig slo` as a document (reports/layout.hpp): the error budget, burn rates, the nights and
// the per-stratum tables, with inline SVG trend charts for HTML. Rendered by the shared text,
// Markdown and HTML renderers.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <sstream>

#include "reports/format.hpp"
#include "reports/history.hpp"
#include "reports/layout.hpp"
#include "reports/slo_compute.hpp"

namespace lockrig::reports {

namespace {

// ---- Formatting ----

std::string opt_num(const std::optional<double>& v, int digits = 3) {
  return v ? num(*v, digits) : "-";
}
std::string opt_pct(const std::optional<double>& v, int decimals = 0) {
  return v ? pct(*v, decimals) : "-";
}
std::string sli_text(const SloCounts& c) {
  if (c.sessions == 0) return "-";
  return pct(static_cast<double>(c.successes) / static_cast<double>(c.sessions));
}
std::string interval_text(const SloFigures& f) {
  return f.window_interval ? pct_interval(*f.window_interval) : "-";
}
std::string budget_text(const SloFigures& f) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f of %.2f", f.budget_remaining, f.allowed_failures);
  return std::string(buf) + " (" + opt_pct(f.budget_remaining_share) + ")";
}

std::string status_sentence(const SloFigures& f, const SloReport& r) {
  if (f.window.sessions == 0) return "No SLI sessions in the window.";
  std::string s = "SLI " + sli_text(f.window) + " [" + interval_text(f) + "] over " +
                  with_commas(f.window.sessions) + " SLI sessions against a target of " +
                  pct(r.options.target) + ": " + with_commas(f.window.failures()) +
                  " failures of " + num(f.allowed_failures, 4) + " allowed; ";
  if (f.status == "exhausted")
    return s + "the error budget is exhausted (" + opt_pct(f.budget_remaining_share) +
           " remaining).";
  s += opt_pct(f.budget_remaining_share) + " of the error budget remains";
  if (f.status == "burning")
    s += ", but the last night and the last 7 nights burn it faster than the SLO allows";
  return s + ".";
}

// Issue 16 item 3, headlines that do not hide: the strata (material, lock, rig, ...) whose status
// is `status`, worst first (least budget remaining), as "material steel (SLI 98.60%, -133% of
// its budget remains)". The overall figure pools every stratum, so an ample overall budget can
// sit on top of an exhausted material or lock; these go first, in red.
std::string worst_groups(const SloReport& r, const std::string& status) {
  std::vector<const SloFigures*> hit;
  for (const auto& [dimension, groups] : r.groups)
    for (const auto& g : groups)
      if (g.status == status) hit.push_back(&g);
  std::stable_sort(hit.begin(), hit.end(), [](const SloFigures* a, const SloFigures* b) {
    return a->budget_remaining_share.value_or(0.0) < b->budget_remaining_share.value_or(0.0);
  });
  std::string s;
  for (const SloFigures* g : hit)
    s += (s.empty() ? "" : ", ") + g->dimension + " " + g->value + " (SLI " + sli_text(g->window) +
         ", " + opt_pct(g->budget_remaining_share) + " of its budget remains)";
  return s;
}

const char* verdict_class(const std::string& status) {
  if (status == "ok") return "pass";
  if (status == "exhausted") return "fail";
  if (status == "burning") return "inconclusive";
  return "info";
}

// ---- Charts (inline SVG, every label escaped) ----

std::string f1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

const char* kPalette[] = {"#0969da", "#d4680f", "#1a7f37", "#8250df",
                          "#cf222e", "#6e7781", "#bf8700", "#0a3069"};

struct Series {
  std::string name;
  std::vector<std::pair<int, double>> points;  // night, value
};

// A line chart over the nights of the window, with a dashed reference line at `ref`.
std::string line_chart(const SloReport& r, const std::vector<Series>& series, double ref,
                       const std::string& ref_label, const std::string& title, bool percent_axis,
                       std::optional<double> include = std::nullopt) {
  double lo = ref, hi = ref;
  bool any = false;
  for (const auto& s : series)
    for (const auto& [n, v] : s.points) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      any = true;
    }
  if (!any) return "";
  if (include) {
    lo = std::min(lo, *include);
    hi = std::max(hi, *include);
  }
  // Round the range out to "nice" ticks (1, 2 or 5 times a power of ten); a value on a tick stays
  // on the edge, so an SLI axis tops out at 100%.
  const double raw = std::max((hi - lo) / 4.0, 1e-4);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double m = raw / mag;
  const double step = (m < 1.5 ? 1.0 : m < 3.5 ? 2.0 : m < 7.5 ? 5.0 : 10.0) * mag;
  lo = std::floor(lo / step + 1e-9) * step;
  hi = std::ceil(hi / step - 1e-9) * step;
  if (hi - lo < step * 0.5) lo -= step;
  const int w = 900, h = 300, left = 70, right = 160, top = 20, bottom = 40;
  const double x0 = left, x1 = w - right, y0 = h - bottom, y1 = top;
  const int n0 = r.window_from, n1 = r.as_of;
  auto x_at = [&](int night) {
    return n1 == n0 ? (x0 + x1) / 2 : x0 + (night - n0) * (x1 - x0) / (n1 - n0);
  };
  auto y_at = [&](double v) { return y0 + (v - lo) / (hi - lo) * (y1 - y0); };
  std::ostringstream o;
  o << "<svg viewBox=\"0 0 " << w << " " << h << "\" width=\"" << w << "\" height=\"" << h
    << "\" role=\"img\" aria-label=\"" << escape_html(title) << "\"><title>" << escape_html(title)
    << "</title>";
  const int decimals = step >= 0.01 ? 0 : step >= 0.001 ? 1 : 2;
  for (double v = lo; v <= hi + step * 1e-6; v += step) {
    const double y = y_at(v);
    o << "<line x1=\"" << f1(x0) << "\" y1=\"" << f1(y) << "\" x2=\"" << f1(x1) << "\" y2=\""
      << f1(y) << "\" stroke=\"#eaeef2\"/><text x=\"" << f1(x0 - 6) << "\" y=\"" << f1(y + 4)
      << "\" text-anchor=\"end\">" << escape_html(percent_axis ? pct(v, decimals) : num(v, 3))
      << "</text>";
  }
  // X labels: first, last and about 6 in between.
  const int span = std::max(1, n1 - n0);
  const int night_step = std::max(1, span / 6);
  for (int n = n0; n <= n1; n += night_step)
    o << "<text x=\"" << f1(x_at(n)) << "\" y=\"" << f1(y0 + 16) << "\" text-anchor=\"middle\">"
      << escape_html(night_text(n).substr(5)) << "</text>";
  o << "<line x1=\"" << f1(x0) << "\" y1=\"" << f1(y0) << "\" x2=\"" << f1(x1) << "\" y2=\""
    << f1(y0) << "\" stroke=\"#57606a\"/>";
  o << "<line x1=\"" << f1(x0) << "\" y1=\"" << f1(y_at(ref)) << "\" x2=\"" << f1(x1) << "\" y2=\""
    << f1(y_at(ref)) << "\" stroke=\"#cf222e\" stroke-dasharray=\"6 4\"/><text x=\"" << f1(x0 + 6)
    << "\" y=\"" << f1(y_at(ref) - 5) << "\" fill=\"#cf222e\">" << escape_html(ref_label)
    << "</text>";
  // Issue 16 item 2: the nights the firmware or app build changed, as report --history marks them (one code:
  // build_marks and svg_build_mark, reports/render_history_html.cpp), half-way to the night before.
  {
    std::vector<int> nights;
    std::vector<std::set<std::string>> builds;
    for (const auto& [night, fw] : r.builds_by_night)
      if (night >= n0 && night <= n1) {
        nights.push_back(night);
        builds.push_back(fw);
      }
    for (const auto& m : build_marks(builds))
      o << svg_build_mark((x_at(nights[m.at - 1]) + x_at(nights[m.at])) / 2, y1, y0, m);
  }
  for (std::size_t i = 0; i < series.size(); ++i) {
    const char* colour = kPalette[i % (sizeof kPalette / sizeof kPalette[0])];
    std::string path;
    for (const auto& [n, v] : series[i].points)
      path += (path.empty() ? "M" : " L") + f1(x_at(n)) + " " + f1(y_at(v));
    o << "<path d=\"" << path << "\" fill=\"none\" stroke=\"" << colour
      << "\" stroke-width=\"2\"/>";
    for (const auto& [n, v] : series[i].points)
      o << "<circle cx=\"" << f1(x_at(n)) << "\" cy=\"" << f1(y_at(v)) << "\" r=\"3\" fill=\""
        << colour << "\"><title>"
        << escape_html(series[i].name + " " + night_text(n) + ": " +
                       (percent_axis ? pct(v, 2) : num(v, 3)))
        << "</title></circle>";
    if (series.size() > 1)
      o << "<text x=\"" << f1(x1 + 6) << "\" y=\"" << f1(top + 16 + 16 * static_cast<double>(i))
        << "\" fill=\"" << colour << "\">" << escape_html(series[i].name) << "</text>";
  }
  o << "</svg>";
  return o.str();
}

Series sli_series(const SloFigures& f) {
  Series s{f.value, {}};
  for (const auto& [n, c] : f.nights)
    if (c.sessions > 0)
      s.points.emplace_back(n, static_cast<double>(c.successes) / static_cast<double>(c.sessions));
  return s;
}

// Share of the window's error budget left after each night (1 = untouched, below 0 = overspent).
Series burndown_series(const SloFigures& f, const SloReport& r) {
  Series s{"budget remaining", {}};
  if (!(f.allowed_failures > 0)) return s;
  long long failures = 0;
  // Untouched before the first night with runs (drawn the night before it).
  if (!f.nights.empty() && f.nights.begin()->first > r.window_from)
    s.points.emplace_back(f.nights.begin()->first - 1, 1.0);
  for (const auto& [n, c] : f.nights) {
    failures += c.failures();
    s.points.emplace_back(n, 1.0 - static_cast<double>(failures) / f.allowed_failures);
  }
  return s;
}

Block chart(std::string svg, std::string caption) {
  Block b;
  b.kind = Block::Kind::chart;
  b.chart = ChartKind::inline_svg;
  b.svg = std::move(svg);
  b.caption = std::move(caption);
  return b;
}

Block table_block(Table t) {
  Block b;
  b.kind = Block::Kind::table;
  b.table = std::move(t);
  return b;
}

std::vector<std::string> figure_cells(const SloFigures& f) {
  return {f.value,
          with_commas(f.window.sessions),
          with_commas(f.window.failures()),
          sli_text(f.window),
          interval_text(f),
          budget_text(f),
          opt_num(f.burn_last_night),
          opt_num(f.burn_7_nights),
          opt_num(f.burn_window),
          f.status};
}

}  // namespace

Document slo_document(const SloReport& r) {
  Document doc;
  doc.generated_at = r.generated_at;
  doc.guide = "docs/slo.md";
  const std::string window = night_text(r.window_from) + " .. " + night_text(r.as_of);
  doc.title = "lockrig SLO";
  doc.subtitle = "target " + pct(r.options.target) + " over " +
                 std::to_string(r.options.window_days) + " nights (" + window +
                 ", UTC run dates), " + r.journal;
  const SloFigures& f = r.overall;
  {
    Section s{"budget", "Error budget", {}};
    // The worst strata first (issue 16 item 3): exhausted ones in red, else burning ones.
    if (const std::string exhausted = worst_groups(r, "exhausted"); !exhausted.empty()) {
      Block w;
      w.kind = Block::Kind::verdict;
      w.verdict_class = "fail";
      w.text = "Error budget exhausted: " + exhausted + ".";
      s.blocks.push_back(w);
    } else if (const std::string burning = worst_groups(r, "burning"); !burning.empty()) {
      Block w;
      w.kind = Block::Kind::verdict;
      w.verdict_class = "inconclusive";
      w.text = "Burning faster than the SLO allows: " + burning + ".";
      s.blocks.push_back(w);
    }
    Block v;
    v.kind = Block::Kind::verdict;
    v.verdict_class = verdict_class(f.status);
    v.text = status_sentence(f, r);
    s.blocks.push_back(v);
    Block d;
    d.kind = Block::Kind::definitions;
    d.defs = {{"target (SLO)", pct(r.options.target)},
              {"window", window + " (" + std::to_string(r.options.window_days) + " nights)"},
              {"nights with runs", std::to_string(f.nights.size())},
              {"SLI sessions", with_commas(f.window.sessions)},
              {"failures", with_commas(f.window.failures())},
              {"SLI", sli_text(f.window) + " [" + interval_text(f) + "] (Wilson 95%)"},
              {"allowed failures", num(f.allowed_failures, 4) + " = (1 - " + pct(r.options.target) +
                                       ") x " + with_commas(f.window.sessions)},
              {"budget remaining", budget_text(f)},
              {"status", f.status}};
    s.blocks.push_back(d);
    doc.sections.push_back(std::move(s));
  }
  {
    Section s{"burn", "Burn rates", {}};
    Block p;
    p.text =
        "Burn rate = failure ratio / (1 - SLO), counted in SLI sessions: 1 spends the budget "
        "exactly over the window, above 1 faster. Status \"burning\" when both the last night and "
        "the last 7 nights burn above 1.";
    s.blocks.push_back(p);
    Table t;
    t.header = {"window", "nights", "SLI sessions", "failures", "SLI", "burn rate"};
    t.numeric = {false, false, true, true, true, true};
    auto row = [&](const std::string& name, const std::string& nights, const SloCounts& c,
                   const std::optional<double>& b) {
      t.rows.push_back({name, nights, with_commas(c.sessions), with_commas(c.failures()),
                        sli_text(c), opt_num(b)});
    };
    row("last night", night_text(r.as_of), f.last_night, f.burn_last_night);
    row("last 7 nights",
        night_text(std::max(r.window_from, r.as_of - 6)) + " .. " + night_text(r.as_of),
        f.last_7_nights, f.burn_7_nights);
    row("window", window, f.window, f.burn_window);
    s.blocks.push_back(table_block(std::move(t)));
    doc.sections.push_back(std::move(s));
  }
  {
    Section s{"nights", "Nights", {}};
    s.blocks.push_back(
        chart(line_chart(r, {sli_series(f)}, r.options.target, "SLO " + pct(r.options.target),
                         "Session SLI per night", true),
              "Session SLI per night (UTC run date); the dashed line is the SLO."));
    s.blocks.push_back(chart(line_chart(r, {burndown_series(f, r)}, 0.0, "budget spent",
                                        "Error budget remaining", true, 1.0),
                             "Share of the window's error budget left after each night; below "
                             "the dashed line the budget is overspent."));
    Table t;
    t.header = {"night", "SLI sessions", "failures", "SLI", "burn rate", "budget remaining"};
    t.numeric = {false, true, true, true, true, true};
    std::map<int, double> left;  // night -> share of the budget left after it
    for (const auto& [n, v] : burndown_series(f, r).points) left[n] = v;
    for (const auto& [n, c] : f.nights) {
      const auto at = left.find(n);
      const std::string remaining = at == left.end() ? "-" : pct(at->second, 0);
      t.rows.push_back({night_text(n), with_commas(c.sessions), with_commas(c.failures()),
                        sli_text(c), opt_num(burn_rate(c, r.options.target)), remaining});
      t.highlight.push_back(c.sessions > 0 &&
                            static_cast<double>(c.successes) / static_cast<double>(c.sessions) <
                                r.options.target);
    }
    s.blocks.push_back(table_block(std::move(t)));
    doc.sections.push_back(std::move(s));
  }
  for (const auto& [dim, figures] : r.groups) {
    Section s{"by-" + dim, "By " + dim, {}};
    Table t;
    t.header = {dim,           "SLI sessions", "failures",      "SLI",         "95% interval",
                "budget left", "burn 1 night", "burn 7 nights", "burn window", "status"};
    t.numeric = {false, true, true, true, true, true, true, true, true, false};
    std::vector<Series> series;
    for (const auto& g : figures) {
      t.rows.push_back(figure_cells(g));
      t.highlight.push_back(g.status == "exhausted" || g.status == "burning");
      if (series.size() < 8) series.push_back(sli_series(g));
    }
    s.blocks.push_back(table_block(std::move(t)));
    s.blocks.push_back(chart(
        line_chart(r, series, r.options.target, "SLO " + pct(r.options.target),
                   "Session SLI per night by " + dim, true),
        "Session SLI per night by " + dim +
            (figures.size() > 8 ? " (the first 8 of " + std::to_string(figures.size()) + ")" : "") +
            "; the dashed line is the SLO."));
    doc.sections.push_back(std::move(s));
  }
  {
    Section s{"selection", "Selection", {}};
    Block d;
    d.kind = Block::Kind::definitions;
    d.defs = {{"journal", r.journal},
              {"runs selected", std::to_string(r.runs_selected)},
              {"night", "the UTC date a run started; all its sessions count for that night"},
              {"SLI sessions outside the window", with_commas(r.sessions_outside_window)},
              {"excluded", "rig-fault sessions and assertions (expected failures)"},
              {"generated", r.generated_at}};
    s.blocks.push_back(d);
    doc.sections.push_back(std::move(s));
  }
  return doc;
}

}  // namespace lockrig::reports
