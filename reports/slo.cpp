#include "reports/slo.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <set>
#include <sstream>

#include "reports/commands.hpp"
#include "reports/export.hpp"
#include "reports/format.hpp"
#include "reports/layout.hpp"
#include "reports/stats/proportion.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"
#include "rig/base/options.hpp"

namespace po = boost::program_options;

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

// The dimensions --by accepts, and the row field each reads.
const std::vector<std::string>& dimensions() {
  static const std::vector<std::string> d = {"rig",   "lock",     "material",
                                             "model", "firmware", "scenario"};
  return d;
}

struct Row {
  int night = 0;
  std::string rig, lock, material, model, firmware, scenario;
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

std::optional<double> burn(const SloCounts& c, double target) {
  if (c.sessions == 0) return std::nullopt;
  return (static_cast<double>(c.failures()) / static_cast<double>(c.sessions)) / (1.0 - target);
}

void finish(SloFigures& f, const SloReport& r) {
  const double t = r.options.target;
  for (const auto& [night, c] : f.nights) {
    add(f.window, c);
    if (night == r.as_of) add(f.last_night, c);
    if (night > r.as_of - 7) add(f.last_7_nights, c);
  }
  f.allowed_failures = (1.0 - t) * static_cast<double>(f.window.sessions);
  f.budget_remaining = f.allowed_failures - static_cast<double>(f.window.failures());
  if (f.allowed_failures > 0) f.budget_remaining_share = f.budget_remaining / f.allowed_failures;
  f.burn_last_night = burn(f.last_night, t);
  f.burn_7_nights = burn(f.last_7_nights, t);
  f.burn_window = burn(f.window, t);
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

double parse_target(const std::string& text) {
  std::string s = text;
  double scale = 1.0;
  if (!s.empty() && s.back() == '%') {
    s.pop_back();
    scale = 0.01;
  }
  double v = 0.0;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || res.ec != std::errc() || res.ptr != s.data() + s.size() || !std::isfinite(v))
    throw UsageError("--target wants the SLO as 0.995 or 99.5%, got " + quote(text));
  v *= scale;
  if (!(v > 0.0 && v < 1.0))
    throw UsageError("--target must be above 0% and below 100%, got " + quote(text));
  return v;
}

int parse_window(const std::string& text) {
  const std::string bad =
      "--window wants a number of nights such as 28d, 4w or 28, got " + quote(text);
  if (text.empty()) throw UsageError(bad);
  std::string digits = text;
  int scale = 1;
  if (text.back() == 'd' || text.back() == 'w') {
    scale = text.back() == 'w' ? 7 : 1;
    digits.pop_back();
  }
  int n = 0;
  const auto res = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || res.ec != std::errc() || res.ptr != digits.data() + digits.size() ||
      n < 1 || n > 3660 / scale)
    throw UsageError(bad);
  return n * scale;
}

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
std::string interval_text(const SloCounts& c) {
  if (c.sessions == 0) return "-";
  return pct_interval(stats::wilson_interval({c.successes, c.sessions}, 0.95));
}
std::string budget_text(const SloFigures& f) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f of %.2f", f.budget_remaining, f.allowed_failures);
  return std::string(buf) + " (" + opt_pct(f.budget_remaining_share) + ")";
}

std::string status_sentence(const SloFigures& f, const SloReport& r) {
  if (f.window.sessions == 0) return "No SLI sessions in the window.";
  std::string s = "SLI " + sli_text(f.window) + " [" + interval_text(f.window) + "] over " +
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
          interval_text(f.window),
          budget_text(f),
          opt_num(f.burn_last_night),
          opt_num(f.burn_7_nights),
          opt_num(f.burn_window),
          f.status};
}

Document slo_document(const SloReport& r) {
  Document doc;
  const std::string window = night_text(r.window_from) + " .. " + night_text(r.as_of);
  doc.title = "lockrig SLO";
  doc.subtitle = "target " + pct(r.options.target) + " over " +
                 std::to_string(r.options.window_days) + " nights (" + window +
                 ", UTC run dates), " + r.journal;
  const SloFigures& f = r.overall;
  {
    Section s{"budget", "Error budget", {}};
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
              {"SLI", sli_text(f.window) + " [" + interval_text(f.window) + "] (Wilson 95%)"},
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
                        sli_text(c), opt_num(burn(c, r.options.target)), remaining});
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

std::string jnum(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}
std::string jopt(const std::optional<double>& v) {
  return v ? jnum(*v) : "null";
}

std::string json_counts(const SloCounts& c) {
  return "{\"sli_sessions\": " + std::to_string(c.sessions) +
         ", \"successes\": " + std::to_string(c.successes) +
         ", \"failures\": " + std::to_string(c.failures()) + ", \"sli\": " +
         (c.sessions ? jnum(static_cast<double>(c.successes) / static_cast<double>(c.sessions))
                     : "null") +
         "}";
}

std::string json_figures(const SloFigures& f, const std::string& indent) {
  std::ostringstream o;
  o << "{\n"
    << indent << "  \"dimension\": " << json_string(f.dimension) << ",\n"
    << indent << "  \"value\": " << json_string(f.value) << ",\n"
    << indent << "  \"window\": " << json_counts(f.window) << ",\n"
    << indent << "  \"last_night\": " << json_counts(f.last_night) << ",\n"
    << indent << "  \"last_7_nights\": " << json_counts(f.last_7_nights) << ",\n";
  if (f.window.sessions) {
    const auto ci = stats::wilson_interval({f.window.successes, f.window.sessions}, 0.95);
    o << indent << "  \"sli_interval_95\": [" << jnum(ci.lower) << ", " << jnum(ci.upper) << "],\n";
  } else {
    o << indent << "  \"sli_interval_95\": null,\n";
  }
  o << indent << "  \"allowed_failures\": " << jnum(f.allowed_failures) << ",\n"
    << indent << "  \"budget_remaining\": " << jnum(f.budget_remaining) << ",\n"
    << indent << "  \"budget_remaining_share\": " << jopt(f.budget_remaining_share) << ",\n"
    << indent << "  \"burn_rate\": {\"last_night\": " << jopt(f.burn_last_night)
    << ", \"last_7_nights\": " << jopt(f.burn_7_nights) << ", \"window\": " << jopt(f.burn_window)
    << "},\n"
    << indent << "  \"status\": " << json_string(f.status) << ",\n"
    << indent << "  \"nights\": [";
  bool first = true;
  for (const auto& [n, c] : f.nights) {
    o << (first ? "\n" : ",\n") << indent << "    {\"night\": \"" << night_text(n)
      << "\", \"sli_sessions\": " << c.sessions << ", \"successes\": " << c.successes
      << ", \"failures\": " << c.failures() << "}";
    first = false;
  }
  o << (first ? "]\n" : "\n" + indent + "  ]\n") << indent << "}";
  return o.str();
}

std::string render_slo_json(const SloReport& r) {
  std::ostringstream o;
  o << "{\n  \"schema\": \"lockrig.slo/1\",\n  \"journal\": " << json_string(r.journal)
    << ",\n  \"generated_at\": " << json_string(r.generated_at)
    << ",\n  \"target\": " << jnum(r.options.target)
    << ",\n  \"window_nights\": " << r.options.window_days << ",\n  \"window_from\": \""
    << night_text(r.window_from) << "\",\n  \"as_of\": \"" << night_text(r.as_of)
    << "\",\n  \"runs_selected\": " << r.runs_selected
    << ",\n  \"sli_sessions_outside_window\": " << r.sessions_outside_window
    << ",\n  \"overall\": " << json_figures(r.overall, "  ") << ",\n  \"groups\": {";
  for (std::size_t g = 0; g < r.groups.size(); ++g) {
    o << (g ? ",\n" : "\n") << "    " << json_string(r.groups[g].first) << ": [";
    for (std::size_t i = 0; i < r.groups[g].second.size(); ++i)
      o << (i ? ", " : "") << json_figures(r.groups[g].second[i], "      ");
    o << "]";
  }
  o << (r.groups.empty() ? "}\n" : "\n  }\n") << "}\n";
  return o.str();
}

}  // namespace

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

SloReport compute_slo(Journal& journal, const RunSelection& selection, const SloOptions& options) {
  SloReport r;
  r.journal = journal.path();
  r.options = options;
  r.generated_at = utc_now_iso();
  sqlite3* db = journal.db();
  Transaction snapshot(db, "BEGIN");
  const std::vector<RunRow> runs = select_runs(journal, selection);
  r.runs_selected = runs.size();
  std::string ids;
  for (const auto& run : runs) ids += (ids.empty() ? "" : ",") + std::to_string(run.id);
  std::string sql =
      "SELECT substr(r.started_at, 1, 10), r.rig, s.lock_id, COALESCE(l.material, '(unknown)'), "
      "COALESCE(l.model, '(unknown)'), COALESCE(l.firmware, '(unknown)'), s.scenario, "
      "sum(s.sli_eligible AND s.result <> 'rig_fault'), "
      "sum(s.sli_success AND s.sli_eligible AND s.result <> 'rig_fault') "
      "FROM sessions s JOIN runs r ON r.id = s.run_id LEFT JOIN run_locks l ON l.run_id = "
      "s.run_id AND l.lock_id = s.lock_id WHERE s.run_id IN (" +
      ids + ")";
  if (!selection.scenarios.empty()) {
    sql += " AND s.scenario IN (";
    for (std::size_t i = 0; i < selection.scenarios.size(); ++i) sql += i ? ",?" : "?";
    sql += ")";
  }
  sql += " GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1";
  sqlite3_stmt* st = nullptr;
  sqlite_check(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), db, "prepare slo query");
  std::vector<Row> rows;
  std::set<std::string> scenarios_seen, rigs;
  try {
    for (std::size_t i = 0; i < selection.scenarios.size(); ++i)
      sqlite3_bind_text(st, static_cast<int>(i + 1), selection.scenarios[i].c_str(), -1,
                        SQLITE_TRANSIENT);
    auto text = [&](int c) {
      const auto* p = sqlite3_column_text(st, c);
      return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
    };
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      Row row;
      const std::string date = text(0);
      const auto night = parse_night(date);
      if (!night)
        throw JournalError("journal " + quote(r.journal) + " has a run started at " + quote(date) +
                           ", not an ISO 8601 date");
      row.night = *night;
      row.rig = text(1);
      row.lock = text(2);
      row.material = text(3);
      row.model = text(4);
      row.firmware = text(5);
      row.scenario = text(6);
      row.c.sessions = sqlite3_column_int64(st, 7);
      row.c.successes = sqlite3_column_int64(st, 8);
      scenarios_seen.insert(row.scenario);
      rigs.insert(row.rig);
      rows.push_back(std::move(row));
    }
    sqlite_check(rc, db, "read");
  } catch (...) {
    sqlite3_finalize(st);
    throw;
  }
  sqlite3_finalize(st);
  for (const auto& s : selection.scenarios)
    if (!scenarios_seen.count(s))
      throw UsageError("--scenario " + quote(s) + " has no sessions in the selected runs");

  // Lock ids are only unique within a rig; name them rig/lock when several rigs are merged.
  if (rigs.size() > 1)
    for (auto& row : rows) row.lock = row.rig + "/" + row.lock;

  int latest = 0;
  bool any = false;
  for (const auto& row : rows)
    if (row.c.sessions > 0) {
      latest = any ? std::max(latest, row.night) : row.night;
      any = true;
    }
  if (options.as_of) {
    r.as_of = *options.as_of;
  } else if (any) {
    r.as_of = latest;
  } else {
    throw UsageError("the " + std::to_string(runs.size()) +
                     " selected run(s) have no SLI sessions; nothing to measure against an SLO");
  }
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

int cmd_slo(const std::vector<std::string>& args) {
  return cmd_slo(args, std::cout);
}

int cmd_slo(const std::vector<std::string>& args, std::ostream& out) {
  SelectionOptions sel_opts;
  std::string target = "99.5%", window = "28d", as_of, format = "text", output;
  std::vector<std::string> by_raw;
  po::options_description desc("Options");
  desc.add_options()("help,h", "explain the options")(
      "target", po::value(&target)->default_value(target),
      "the SLO: target session SLI (99.5% or 0.995)")(
      "window", po::value(&window)->default_value(window),
      "error-budget window in nights (28d, 4w, 28), ending at --as-of")(
      "as-of", po::value(&as_of),
      "last night of the window: YYYY-MM-DD or today (default: the latest night with runs)")(
      "by", po::value(&by_raw)->composing(),
      "per-stratum tables: rig, lock, material, model, firmware, scenario (comma-separated; "
      "default material,lock, plus rig when the journal has several rigs)");
  add_selection_options(desc, sel_opts);
  desc.add_options()("format", po::value(&format)->default_value(format),
                     "text | markdown | html | json")(
      "output,o", po::value(&output),
      "write to FILE instead of stdout (atomically: a temporary file renamed into place)");
  const po::variables_map vm = parse_options("slo", args, desc);
  if (vm.count("help")) {
    out << "Usage: lockrig slo [--target 99.5%] [--window 28d] [--by material,lock] [options]\n\n"
           "The session SLI per night (UTC date each run started) against a target SLO, the\n"
           "error budget over the window counted in SLI sessions (allowed failures = (1 - SLO)\n"
           "x SLI sessions; remaining = allowed - failures), and burn rates (failure ratio /\n"
           "(1 - SLO)) over the last night, the last 7 nights and the window; overall and per\n"
           "rig, lock or material. Rig faults and assertions are excluded, as in lockrig report.\n"
           "HTML adds trend charts of the nightly SLI with the SLO line and the budget "
           "burn-down.\n\n"
        << desc
        << "\nExamples:\n"
           "  lockrig slo --target 99.5% --window 28d\n"
           "  lockrig slo --where build=nightly --by material --format html -o slo.html\n"
           "  lockrig slo --db lab.db --by rig,lock --format json\n\n"
           "Status: ok; burning (the last night and the last 7 nights both burn above 1);\n"
           "exhausted (more failures than the window allows). Exit codes: 0 written, 2 usage\n"
           "or journal error. See docs/slo.md.\n";
    return 0;
  }
  const std::vector<std::string> formats = {"text", "markdown", "html", "json"};
  if (std::find(formats.begin(), formats.end(), format) == formats.end())
    throw UsageError("--format must be " + join(formats, ", ") + "; got " + quote(format) +
                     did_you_mean(format, formats));
  SloOptions opts;
  opts.target = parse_target(target);
  opts.window_days = parse_window(window);
  if (vm.count("as-of")) {
    if (as_of == "today") {
      const std::time_t t = std::time(nullptr);
      opts.as_of = static_cast<int>(t / 86400);
    } else {
      opts.as_of = parse_night(as_of);
      if (!opts.as_of)
        throw UsageError("--as-of wants a date such as 2026-11-20 or today, got " + quote(as_of));
    }
  }
  if (!by_raw.empty()) {
    opts.by.clear();
    for (const auto& d : split_commas(by_raw)) {
      if (std::find(dimensions().begin(), dimensions().end(), d) == dimensions().end())
        throw UsageError("--by " + quote(d) + " is not a dimension" +
                         did_you_mean(d, dimensions()) + "; use " + join(dimensions(), ", "));
      if (std::find(opts.by.begin(), opts.by.end(), d) == opts.by.end()) opts.by.push_back(d);
    }
  }
  check_output_path(output);
  check_output_is_not_journal(output, sel_opts.db);
  const RunSelection sel = run_selection_of(sel_opts, vm);
  Journal journal = Journal::open_readonly(sel_opts.db);
  if (by_raw.empty()) {
    // A merged lab journal: show the rigs too.
    sqlite3_stmt* st = nullptr;
    sqlite_check(
        sqlite3_prepare_v2(journal.db(), "SELECT count(DISTINCT rig) FROM runs", -1, &st, nullptr),
        journal.db(), "prepare");
    const bool several = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 1;
    sqlite3_finalize(st);
    if (several) opts.by.insert(opts.by.begin(), "rig");
  }
  const SloReport r = compute_slo(journal, sel, opts);
  std::string content;
  if (format == "json")
    content = render_slo_json(r);
  else if (format == "text")
    content = render_text(slo_document(r));
  else if (format == "markdown")
    content = render_markdown(slo_document(r));
  else
    content = render_html(slo_document(r), r.generated_at);
  if (output.empty())
    out << content;
  else
    write_file_atomically(output, content);
  return 0;
}

}  // namespace lockrig::reports
