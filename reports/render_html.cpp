// One self-contained HTML file: inline CSS and inline SVG charts drawn here, no scripts, no
// external fonts, images or style sheets, so it can be mailed, archived by CI or opened offline.
// Every label from the journal goes through escape_html.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "reports/evidence_links.hpp"
#include "reports/format.hpp"
#include "reports/layout.hpp"

namespace lockrig::reports {

namespace {

const char* kStyle = R"css(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1200px;
padding:1rem 1.5rem;color:#1d2430;line-height:1.45}
h1{margin-bottom:.2rem}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}
.sub{color:#57606a;margin-top:0}
nav{font-size:.9rem;margin:.5rem 0 1rem}nav a{margin-right:.8rem;color:#0969da;text-decoration:none}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0 1rem;display:block;overflow-x:auto}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;vertical-align:top}
th{background:#f6f8fa;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.hl td{background:#fff8c5;font-weight:600}
.verdict{font-size:1.1rem;font-weight:600;padding:.7rem 1rem;border-radius:6px;border:1px solid}
.verdict.pass{background:#dafbe1;border-color:#4ac26b}.verdict.fail{background:#ffebe9;border-color:#ff8182}
.verdict.inconclusive{background:#fff8c5;border-color:#d4a72c}.verdict.info{background:#ddf4ff;border-color:#54aeff}
.warning{background:#fff8c5;border-left:4px solid #d4a72c;padding:.4rem .8rem}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}
figure{margin:1rem 0}figcaption{font-size:.85rem;color:#57606a}
svg text{font-family:inherit;font-size:12px;fill:#1d2430}
)css";

// Printing (issue 16 item 4): A4 or Letter portrait without losing a column or a flag.
//  - Wide tables wrap instead of scrolling: the screen rule `display:block;overflow-x:auto` would
//    clip them on paper, so tables are laid out as tables, as wide as the page, in a smaller font,
//    and cells may break long figures (overflow-wrap, MDN "overflow-wrap": anywhere).
//  - A heading stays with what follows it and a row, a verdict, a chart stays whole: CSS
//    Fragmentation Module Level 3, section 3.1 (break-before/break-after: avoid) and 3.2
//    (break-inside: avoid), with its legacy page-break-* aliases for older engines.
//    The table header repeats on each page (CSS 2.1 section 17.2, table-header-group).
//  - Verdict colours and highlighted rows print: browsers drop backgrounds when printing unless
//    told not to (CSS Color Adjustment Module Level 1, the print-color-adjust property: exact;
//    MDN "print-color-adjust", which lists the -webkit- prefix Chromium needs). Colour is never the only
//    sign: the verdict text starts with PASS/FAIL/INCONCLUSIVE and a flagged lock's row says
//    WORSE, and a highlighted row keeps a thick left border that prints in black and white.
//  - Nothing interactive on paper: the section links and the disclosure markers are hidden.
// The page box is left to the printer's paper (no `size`: A4 or Letter as chosen), with
// margins (@page, CSS Paged Media Level 3).
const char* kPrintStyle = R"css(
@media print{
@page{margin:12mm}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{max-width:none;margin:0;padding:0;font-size:9pt;line-height:1.3}
nav{display:none}
a{color:inherit;text-decoration:none}
summary{list-style:none}summary::-webkit-details-marker{display:none}
h1,h2,h3{break-after:avoid;page-break-after:avoid}
section>p.sub,section>h2+p{break-after:avoid;page-break-after:avoid}
table{display:table;width:100%;max-width:100%;table-layout:auto;font-size:7pt;overflow:visible}
thead{display:table-header-group}
tr,.verdict,.warning,figure,dl{break-inside:avoid;page-break-inside:avoid}
th,td{padding:.1rem .2rem;overflow-wrap:anywhere;word-break:break-word}
td.num{white-space:normal}
tr.hl td:first-child{border-left:3px solid #1d2430}
figure svg{max-width:100%;height:auto}
}
)css";

std::string f1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `target` ticks over span.
double nice_step(double span, int target) {
  if (!(span > 0.0)) return 1.0;
  const double raw = span / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double r = raw / mag;
  return (r < 1.5 ? 1.0 : r < 3.5 ? 2.0 : r < 7.5 ? 5.0 : 10.0) * mag;
}

std::string tick_label(double v, double step, const char* unit) {
  const int decimals = step >= 1.0 ? 0 : static_cast<int>(std::ceil(-std::log10(step)));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f%s", decimals, std::fabs(v) < step / 1e6 ? 0.0 : v, unit);
  return buf;
}

struct Axis {
  double lo, hi;  // data range
  double x0, x1;  // pixel range
  double at(double v) const { return x0 + (v - lo) / (hi - lo) * (x1 - x0); }
};

std::string svg_open(int w, int h, const std::string& label) {
  return "<svg viewBox=\"0 0 " + std::to_string(w) + " " + std::to_string(h) + "\" width=\"" +
         std::to_string(w) + "\" height=\"" + std::to_string(h) + "\" role=\"img\" aria-label=\"" +
         escape_html(label) + "\"><title>" + escape_html(label) + "</title>";
}

std::string x_ticks(const Axis& ax, double y_top, double y_bottom, const char* unit) {
  std::string out;
  const double step = nice_step(ax.hi - ax.lo, 6);
  for (double t = std::ceil(ax.lo / step) * step; t <= ax.hi + step * 1e-9; t += step) {
    const double x = ax.at(t);
    out += "<line x1=\"" + f1(x) + "\" y1=\"" + f1(y_top) + "\" x2=\"" + f1(x) + "\" y2=\"" +
           f1(y_bottom) + "\" stroke=\"#eaeef2\"/>";
    out += "<text x=\"" + f1(x) + "\" y=\"" + f1(y_bottom + 14) + "\" text-anchor=\"middle\">" +
           escape_html(tick_label(t, step, unit)) + "</text>";
  }
  return out;
}

const char* arm_colour(const std::string& arm) {
  if (arm == "candidate") return "#d4680f";
  if (arm == "other") return "#6e7781";
  return "#0969da";
}

void table(std::ostringstream& out, const Table& t) {
  out << "<table><thead><tr>";
  for (const auto& h : t.header) out << "<th>" << escape_html(h) << "</th>";
  out << "</tr></thead><tbody>";
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    out << (r < t.highlight.size() && t.highlight[r] ? "<tr class=\"hl\">" : "<tr>");
    for (std::size_t i = 0; i < t.rows[r].size(); ++i)
      out << (i < t.numeric.size() && t.numeric[i] ? "<td class=\"num\">" : "<td>")
          << escape_html(t.rows[r][i]) << "</td>";
    out << "</tr>";
  }
  out << "</tbody></table>\n";
}

}  // namespace

std::string svg_forest_plot(const Report& r) {
  if (!r.comparison) return "";
  const Comparison& c = *r.comparison;
  struct Row {
    std::string label, figure;
    std::optional<stats::Interval> ci;
    double point = 0.0;
    bool pooled = false;
  };
  std::vector<Row> rows;
  for (const auto& sc : c.strata) {
    Row row{sc.label, "", std::nullopt, 0.0, false};
    if (sc.difference) {
      row.ci = sc.difference->interval;
      row.point = sc.difference->difference;
      row.figure = pts_with_interval(row.point, *row.ci);
    } else {
      row.figure = sc.reason.empty() ? "no comparison" : sc.reason;
    }
    rows.push_back(row);
  }
  if (c.risk_difference.informative)
    rows.push_back({"stratified (MH)",
                    pts_with_interval(c.risk_difference.difference, c.risk_difference.interval),
                    c.risk_difference.interval, c.risk_difference.difference, true});
  if (rows.empty()) return "";
  double lo = -r.options.margin, hi = 0.0;
  for (const auto& row : rows)
    if (row.ci) {
      lo = std::min(lo, row.ci->lower);
      hi = std::max(hi, row.ci->upper);
    }
  const double span = std::max(hi - lo, 1e-4);
  lo -= span * 0.08;
  hi += span * 0.08;
  const int w = 900, row_h = 26, top = 30;
  const int h = top + row_h * static_cast<int>(rows.size()) + 40;
  // Percentage points on the axis, as in the tables.
  const Axis ax{100.0 * lo, 100.0 * hi, 190.0, 620.0};
  std::string s = svg_open(w, h, "Forest plot: candidate - baseline per " + r.options.strata);
  const double y_bottom = top + row_h * static_cast<double>(rows.size());
  s += x_ticks(ax, top - 8, y_bottom, "");
  s += "<text x=\"" + f1((ax.x0 + ax.x1) / 2) + "\" y=\"" + f1(y_bottom + 32) +
       "\" text-anchor=\"middle\">candidate - baseline (percentage points)</text>";
  const double zero = ax.at(0.0), margin = ax.at(-100.0 * r.options.margin);
  s += "<line x1=\"" + f1(zero) + "\" y1=\"" + f1(top - 8) + "\" x2=\"" + f1(zero) + "\" y2=\"" +
       f1(y_bottom) + "\" stroke=\"#57606a\"/>";
  s += "<line x1=\"" + f1(margin) + "\" y1=\"" + f1(top - 8) + "\" x2=\"" + f1(margin) +
       "\" y2=\"" + f1(y_bottom) + "\" stroke=\"#cf222e\" stroke-dasharray=\"5 4\"/>";
  s += "<text x=\"" + f1(margin) + "\" y=\"" + f1(top - 12) +
       "\" text-anchor=\"middle\" fill=\"#cf222e\">-margin</text>";
  s += "<text x=\"" + f1(zero) + "\" y=\"" + f1(top - 12) + "\" text-anchor=\"middle\">0</text>";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    const double y = top + row_h * (static_cast<double>(i) + 0.5);
    s += "<text x=\"180\" y=\"" + f1(y + 4) + "\" text-anchor=\"end\"" +
         (row.pooled ? " font-weight=\"bold\"" : "") + ">" + escape_html(row.label) + "</text>";
    s += "<text x=\"632\" y=\"" + f1(y + 4) + "\">" + escape_html(row.figure) + "</text>";
    if (!row.ci) continue;
    const double x_lo = ax.at(100.0 * row.ci->lower), x_hi = ax.at(100.0 * row.ci->upper);
    const double x = ax.at(100.0 * row.point);
    if (row.pooled) {
      s += "<polygon points=\"" + f1(x_lo) + "," + f1(y) + " " + f1(x) + "," + f1(y - 7) + " " +
           f1(x_hi) + "," + f1(y) + " " + f1(x) + "," + f1(y + 7) + "\" fill=\"#1d2430\"/>";
    } else {
      s += "<line x1=\"" + f1(x_lo) + "\" y1=\"" + f1(y) + "\" x2=\"" + f1(x_hi) + "\" y2=\"" +
           f1(y) + "\" stroke=\"#1d2430\" stroke-width=\"1.5\"/>";
      s += "<rect x=\"" + f1(x - 4) + "\" y=\"" + f1(y - 4) +
           "\" width=\"8\" height=\"8\" fill=\"#0969da\"/>";
    }
  }
  return s + "</svg>";
}

std::string svg_latency_cdf(const Report& r) {
  std::vector<const Arm*> arms;
  for (const auto& a : r.arms)
    if (!a.latency.cdf.empty()) arms.push_back(&a);
  if (arms.empty()) return "";
  // The long tail would squeeze the body of the curve: the axis ends past the 99th percentile
  // (and past the SLO); the curves run off the right edge beyond it.
  double hi = r.options.latency_slo_ms;
  for (const Arm* a : arms) {
    double p99 = a->latency.cdf.back().first;
    for (const auto& [v, f] : a->latency.cdf)
      if (f >= 0.99) {
        p99 = v;
        break;
      }
    hi = std::max(hi, p99);
  }
  hi *= 1.1;
  const int w = 900, h = 320;
  const Axis ax{0.0, hi, 60.0, 860.0};
  const double y0 = 270.0, y1 = 20.0;
  auto y_at = [&](double f) { return y0 + f * (y1 - y0); };
  std::string s = svg_open(w, h, "Latency CDF of successful SLI sessions per version");
  s += "<defs><clipPath id=\"cdf-area\"><rect x=\"" + f1(ax.x0) + "\" y=\"" + f1(y1 - 2) +
       "\" width=\"" + f1(ax.x1 - ax.x0) + "\" height=\"" + f1(y0 - y1 + 4) +
       "\"/></clipPath></defs>";
  s += x_ticks(ax, y1, y0, " ms");
  for (double f : {0.0, 0.25, 0.5, 0.75, 0.9, 1.0}) {
    s += "<line x1=\"" + f1(ax.x0) + "\" y1=\"" + f1(y_at(f)) + "\" x2=\"" + f1(ax.x1) +
         "\" y2=\"" + f1(y_at(f)) + "\" stroke=\"#eaeef2\"/>";
    s += "<text x=\"" + f1(ax.x0 - 6) + "\" y=\"" + f1(y_at(f) + 4) + "\" text-anchor=\"end\">" +
         pct(f, 0) + "</text>";
  }
  const double slo = ax.at(r.options.latency_slo_ms);
  s += "<line x1=\"" + f1(slo) + "\" y1=\"" + f1(y1) + "\" x2=\"" + f1(slo) + "\" y2=\"" + f1(y0) +
       "\" stroke=\"#cf222e\" stroke-dasharray=\"5 4\"/>";
  s += "<text x=\"" + f1(slo + 4) + "\" y=\"" + f1(y0 - 6) + "\" fill=\"#cf222e\">SLO " +
       escape_html(ms(r.options.latency_slo_ms)) + "</text>";
  s += "<text x=\"" + f1((ax.x0 + ax.x1) / 2) + "\" y=\"" + f1(y0 + 34) +
       "\" text-anchor=\"middle\">session duration (unlock requested to unlocked)</text>";
  double legend_y = y0 - 40.0 - 16.0 * static_cast<double>(arms.size() - 1);
  for (const Arm* a : arms) {
    std::string d = "M" + f1(ax.at(0.0)) + "," + f1(y_at(0.0));
    for (const auto& [v, f] : a->latency.cdf) {
      // A step function: across at the previous height, then up.
      d += " H" + f1(ax.at(v)) + " V" + f1(y_at(f));
    }
    d += " H" + f1(ax.x1 + 10);
    s += "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + arm_colour(a->name) +
         "\" stroke-width=\"2\" clip-path=\"url(#cdf-area)\"/>";
    s += "<rect x=\"" + f1(ax.x1 - 230) + "\" y=\"" + f1(legend_y - 9) +
         "\" width=\"12\" height=\"3\" fill=\"" + arm_colour(a->name) + "\"/>";
    s += "<text x=\"" + f1(ax.x1 - 212) + "\" y=\"" + f1(legend_y - 4) + "\">" +
         escape_html(a->name + " (" + with_commas(static_cast<long long>(a->latency.n)) +
                     " sessions)") +
         "</text>";
    legend_y += 16.0;
  }
  return s + "</svg>";
}

std::string svg_lock_dots(const Report& r) {
  if (r.locks.empty()) return "";
  double lo = 1.0;
  for (const auto& l : r.locks)
    if (l.sli) lo = std::min(lo, l.sli->interval.lower);
  for (const auto& a : r.arms)
    if (a.sli) lo = std::min(lo, a.sli->interval.lower);
  lo = std::max(0.0, lo - (1.0 - lo) * 0.1 - 1e-4);
  const int w = 900, row_h = 20, top = 24;
  const int h = top + row_h * static_cast<int>(r.locks.size()) + 40;
  const Axis ax{100.0 * lo, 100.0, 230.0, 860.0};
  const double y_bottom = top + row_h * static_cast<double>(r.locks.size());
  std::string s = svg_open(w, h, "Session SLI per lock with confidence intervals");
  s += x_ticks(ax, top - 6, y_bottom, "%");
  s += "<text x=\"" + f1((ax.x0 + ax.x1) / 2) + "\" y=\"" + f1(y_bottom + 32) +
       "\" text-anchor=\"middle\">session SLI (red: significantly worse than its peers; dashed: "
       "the version's SLI)</text>";
  for (const auto& a : r.arms) {
    if (!a.sli) continue;
    const double x = ax.at(100.0 * a.sli->rate);
    s += "<line x1=\"" + f1(x) + "\" y1=\"" + f1(top - 6) + "\" x2=\"" + f1(x) + "\" y2=\"" +
         f1(y_bottom) + "\" stroke=\"" + arm_colour(a.name) + "\" stroke-dasharray=\"4 3\"/>";
  }
  for (std::size_t i = 0; i < r.locks.size(); ++i) {
    const LockSli& l = r.locks[i];
    const double y = top + row_h * (static_cast<double>(i) + 0.5);
    const std::string colour = l.flagged ? "#cf222e" : arm_colour(l.arm);
    s += "<text x=\"220\" y=\"" + f1(y + 4) + "\" text-anchor=\"end\"" +
         (l.flagged ? " fill=\"#cf222e\" font-weight=\"bold\"" : "") + ">" +
         escape_html(l.lock_id + " (" + l.arm + ")") + "</text>";
    if (!l.sli) continue;
    s += "<line x1=\"" + f1(ax.at(100.0 * l.sli->interval.lower)) + "\" y1=\"" + f1(y) +
         "\" x2=\"" + f1(ax.at(100.0 * l.sli->interval.upper)) + "\" y2=\"" + f1(y) +
         "\" stroke=\"" + colour + "\" stroke-width=\"1.5\"/>";
    s += "<circle cx=\"" + f1(ax.at(100.0 * l.sli->rate)) + "\" cy=\"" + f1(y) +
         "\" r=\"4\" fill=\"" + colour + "\"><title>" +
         escape_html(l.lock_id + ": " + pct(l.sli->rate) + " (" + counts(l.counts) + ")") +
         "</title></circle>";
  }
  return s + "</svg>";
}

// Issue 14: one panel per stratum, success against attenuation: each version's points with their
// Wilson intervals, its fitted curve, a dashed marker at its range margin and a dotted line at the
// target rate.
std::string svg_range_chart(const RangeSection& rs) {
  std::vector<std::string> strata;
  double lo = 1e300, hi = -1e300;
  for (const auto& c : rs.curves) {
    if (std::find(strata.begin(), strata.end(), c.stratum) == strata.end())
      strata.push_back(c.stratum);
    for (const auto& p : c.points) {
      lo = std::min(lo, p.level_db);
      hi = std::max(hi, p.level_db);
    }
    if (c.margin && std::isfinite(c.margin->level)) {
      lo = std::min(lo, c.margin->level);
      hi = std::max(hi, c.margin->level);
    }
  }
  if (strata.empty() || !(hi >= lo)) return "";
  if (hi - lo < 1.0) {
    lo -= 1.0;
    hi += 1.0;
  }
  const double pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const int w = 900, panel_h = 220, top = 30, gap = 50;
  const int h = top + static_cast<int>(strata.size()) * (panel_h + gap) + 10;
  const Axis ax{lo, hi, 80.0, 860.0};
  std::string s = svg_open(w, h, "Unlock success against attenuation per version");
  for (std::size_t k = 0; k < strata.size(); ++k) {
    const double y0 = top + static_cast<double>(k) * (panel_h + gap);
    const double y1 = y0 + panel_h;
    auto y_at = [&](double rate) { return y1 - rate * (y1 - y0); };
    s += "<text x=\"" + f1(ax.x0) + "\" y=\"" + f1(y0 - 8) + "\" font-weight=\"bold\">" +
         escape_html(rs.strata_key + " " + strata[k]) + "</text>";
    s += "<rect x=\"" + f1(ax.x0) + "\" y=\"" + f1(y0) + "\" width=\"" + f1(ax.x1 - ax.x0) +
         "\" height=\"" + f1(y1 - y0) + "\" fill=\"none\" stroke=\"#d0d7de\"/>";
    for (double r : {0.0, 0.5, 1.0}) {
      s += "<text x=\"" + f1(ax.x0 - 6) + "\" y=\"" + f1(y_at(r) + 4) +
           "\" text-anchor=\"end\">" + tick_label(100.0 * r, 10.0, "%") + "</text>";
    }
    // The target rate.
    s += "<line x1=\"" + f1(ax.x0) + "\" y1=\"" + f1(y_at(rs.target)) + "\" x2=\"" +
         f1(ax.x1) + "\" y2=\"" + f1(y_at(rs.target)) +
         "\" stroke=\"#6e7781\" stroke-dasharray=\"1 3\"/>";
    const double step = nice_step(hi - lo, 8);
    for (double t = std::ceil(lo / step) * step; t <= hi + 1e-9; t += step)
      s += "<text x=\"" + f1(ax.at(t)) + "\" y=\"" + f1(y1 + 14) +
           "\" text-anchor=\"middle\">" + tick_label(t, step, "") + "</text>";
    s += "<text x=\"" + f1((ax.x0 + ax.x1) / 2) + "\" y=\"" + f1(y1 + 30) +
         "\" text-anchor=\"middle\">attenuation (dB)</text>";
    for (const auto& c : rs.curves) {
      if (c.stratum != strata[k]) continue;
      const std::string colour = arm_colour(c.arm);
      if (c.fit) {
        std::string pts_attr;
        for (int i = 0; i <= 120; ++i) {
          const double x = lo + (hi - lo) * i / 120.0;
          const double p = c.fit->probability(x);
          if (!std::isfinite(p)) continue;
          pts_attr += (pts_attr.empty() ? "" : " ") + f1(ax.at(x)) + "," + f1(y_at(p));
        }
        s += "<polyline points=\"" + pts_attr + "\" fill=\"none\" stroke=\"" + colour +
             "\" stroke-width=\"1.5\"/>";
      }
      if (c.margin) {
        const double x = ax.at(c.margin->level);
        s += "<line x1=\"" + f1(x) + "\" y1=\"" + f1(y0) + "\" x2=\"" + f1(x) + "\" y2=\"" +
             f1(y1) + "\" stroke=\"" + colour + "\" stroke-dasharray=\"5 3\"><title>" +
             escape_html(c.arm + " range margin " + db_text(c.margin->level) + " dB") +
             "</title></line>";
      }
      for (const auto& p : c.points) {
        if (p.counts.trials == 0) continue;
        const double x = ax.at(p.level_db) + (c.arm == "candidate" ? 3.0 : 0.0);
        s += "<line x1=\"" + f1(x) + "\" y1=\"" + f1(y_at(p.wilson.lower)) + "\" x2=\"" +
             f1(x) + "\" y2=\"" + f1(y_at(p.wilson.upper)) + "\" stroke=\"" + colour + "\"/>";
        s += "<circle cx=\"" + f1(x) + "\" cy=\"" + f1(y_at(p.counts.rate())) +
             "\" r=\"3\" fill=\"" + colour + "\"><title>" +
             escape_html(c.arm + " " + c.stratum + " at " + db_text(p.level_db) + " dB: " +
                         counts(p.counts)) +
             "</title></circle>";
      }
    }
  }
  return s + "</svg>";
}

std::string render_html(const Document& doc, const Report* report) {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<title>" << escape_html(doc.title + ": " + doc.subtitle) << "</title>\n<style>" << kStyle
      << kPrintStyle << "</style>\n</head>\n<body>\n<header><h1>" << escape_html(doc.title)
      << "</h1><p class=\"sub\">" << escape_html(doc.subtitle) << "</p></header>\n<nav>";
  for (const auto& s : doc.sections)
    out << "<a href=\"#" << escape_html(s.id) << "\">" << escape_html(s.title) << "</a>";
  out << "</nav>\n";
  for (const auto& s : doc.sections) {
    out << "<section id=\"" << escape_html(s.id) << "\">\n<h2>" << escape_html(s.title)
        << "</h2>\n";
    for (const auto& b : s.blocks) {
      switch (b.kind) {
        case Block::Kind::verdict:
          out << "<p class=\"verdict " << escape_html(b.verdict_class) << "\">"
              << escape_html(b.text) << "</p>\n";
          break;
        case Block::Kind::paragraph:
          out << "<p>" << escape_html(b.text) << "</p>\n";
          break;
        case Block::Kind::warning:
          out << "<p class=\"warning\">" << escape_html(b.text) << "</p>\n";
          break;
        case Block::Kind::bullets:
          out << "<ul>";
          for (const auto& item : b.items) out << "<li>" << escape_html(item) << "</li>";
          out << "</ul>\n";
          break;
        case Block::Kind::definitions:
          out << "<dl>";
          for (const auto& [k, v] : b.defs)
            out << "<dt>" << escape_html(k) << "</dt><dd>" << escape_html(v) << "</dd>";
          out << "</dl>\n";
          break;
        case Block::Kind::table:
          table(out, b.table);
          break;
        case Block::Kind::chart: {
          std::string svg, caption;
          if (b.chart == ChartKind::inline_svg) {
            svg = b.svg;
            caption = b.caption;
          }
          // Without a Report (lockrig slo) only inline_svg charts exist.
          static const Report kNoReport{};
          const Report& r = report ? *report : kNoReport;
          switch (report ? b.chart : ChartKind::inline_svg) {
            case ChartKind::forest:
              svg = svg_forest_plot(r);
              caption = "Candidate - baseline per " + r.options.strata + " (Newcombe " +
                        pct(r.options.confidence, 0) +
                        " intervals) and the stratified Mantel-Haenszel estimate (diamond); the "
                        "dashed line is -margin.";
              break;
            case ChartKind::latency_cdf:
              svg = svg_latency_cdf(r);
              caption =
                  "Share of successful SLI sessions unlocked within a given time, per "
                  "version; the dashed line is the latency SLO.";
              break;
            case ChartKind::lock_dots:
              svg = svg_lock_dots(r);
              caption = "Session SLI per lock with Wilson " + pct(r.options.confidence, 0) +
                        " intervals.";
              break;
            case ChartKind::range:
              if (r.range) svg = svg_range_chart(*r.range);
              caption = "Unlock success per attenuation level with Wilson intervals, the fitted "
                        "curves, the target rate (dotted) and each version's range margin "
                        "(dashed).";
              break;
            case ChartKind::inline_svg:
              break;
          }
          if (!svg.empty())
            out << "<figure>" << svg << "<figcaption>" << escape_html(caption)
                << "</figcaption></figure>\n";
          break;
        }
      }
    }
    out << "</section>\n";
  }
  // Issue 15, item 4 (report --format html --evidence): the failed sessions' timelines, collapsed,
  // so this one file is enough to send to a firmware engineer.
  if (report && report->evidence) {
    std::string body;
    for (const auto& [key, c] : report->evidence->cases)
      for (const auto& f : c.failed) {
        if (f.timeline.empty()) continue;
        body += "<details><summary>" + escape_html(key.first + "/" + key.second) + ": session " +
                std::to_string(f.run_id) + "/" + std::to_string(f.session_id) + " (" +
                escape_html(f.result + ": " + f.outcome + ", expected " + f.expect) +
                ")</summary><pre>" + escape_html(f.timeline) + "</pre></details>\n";
      }
    if (!body.empty())
      out << "<section><h2>Evidence: failed sessions</h2>\n<p class=\"sub\">Each failed "
             "session's attempts, bench events and driver transcript (lockrig show RUN/SESSION); "
             "the first three of each scenario and lock.</p>\n"
          << body << "</section>\n";
  }
  out << "<footer><p class=\"sub\">Generated by lockrig " << escape_html(LOCKRIG_VERSION) << " at "
      << escape_html(doc.generated_at) << ". How to read this report: " << escape_html(doc.guide)
      << ".</p></footer>\n"
      << "</body>\n</html>\n";
  return out.str();
}

}  // namespace lockrig::reports
