// `lockrig report --history --format html`: one self-contained page (no external assets, no
// script), the SLI per build drawn as inline SVG with its interval bars and the change point
// marked, then the tables. Every label is HTML-escaped.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "reports/format.hpp"
#include "reports/history.hpp"
#include "rig/base/text.hpp"

namespace lockrig::reports {

namespace {

std::string fixed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string short_label(const std::string& s) {
  // At most 14 characters (code points) under a point of the chart; the table has the full name.
  std::string out;
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && ++n > 14) return out + "...";
    out += s[i];
  }
  return out;
}

// SLI per build (x: order of first appearance) with the interval as a bar; the change point in
// red with a dashed line before it, and its predecessors' pooled SLI as a dashed level.
std::string chart(const History& h) {
  const double w = 720, ht = 300, left = 64, right = 16, top = 24, bottom = 56;
  double lo = 1.0;
  for (const auto& v : h.versions)
    if (v.sli) lo = std::min(lo, v.sli->interval.lower);
  if (lo >= 1.0) lo = 0.99;
  const double span = std::max(1.0 - lo, 0.002);
  lo = std::max(0.0, 1.0 - span * 1.1);
  const std::size_t n = h.versions.size();
  const double step = (w - left - right) / static_cast<double>(std::max<std::size_t>(n, 1));
  auto x = [&](std::size_t i) { return left + step * (static_cast<double>(i) + 0.5); };
  auto y = [&](double rate) { return top + (1.0 - rate) / (1.0 - lo) * (ht - top - bottom); };
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"history-chart\" width=\"" << w
    << "\" height=\"" << ht << "\" viewBox=\"0 0 " << w << ' ' << ht
    << "\" role=\"img\" aria-label=\"session SLI per " << escape_html(h.options.key)
    << " build with " << escape_html(num(h.options.confidence * 100.0))
    << "% intervals\">\n";
  for (int t = 0; t <= 4; ++t) {
    const double rate = lo + (1.0 - lo) * t / 4.0;
    s << "<line x1=\"" << left << "\" x2=\"" << w - right << "\" y1=\"" << fixed(y(rate))
      << "\" y2=\"" << fixed(y(rate)) << "\" stroke=\"#ddd\"/>"
      << "<text x=\"" << left - 6 << "\" y=\"" << fixed(y(rate) + 4)
      << "\" text-anchor=\"end\" font-size=\"11\">" << escape_html(pct(rate, 2)) << "</text>\n";
  }
  if (h.change.first) {
    const std::size_t k = *h.change.first;
    const auto& st = h.change.steps[k - 1];
    const double xb = x(k) - step / 2;
    s << "<line class=\"build-change\" x1=\"" << fixed(xb) << "\" x2=\"" << fixed(xb) << "\" y1=\""
      << top << "\" y2=\"" << ht - bottom << "\" stroke=\"#c00\" stroke-dasharray=\"4 3\"/>"
      << "<text x=\"" << fixed(xb + 4) << "\" y=\"" << top - 8
      << "\" font-size=\"11\" fill=\"#c00\">change point</text>\n";
    if (st.predecessors.trials > 0) {
      const double yp = y(std::max(lo, st.predecessors.rate()));
      s << "<line x1=\"" << left << "\" x2=\"" << fixed(xb) << "\" y1=\"" << fixed(yp)
        << "\" y2=\"" << fixed(yp) << "\" stroke=\"#888\" stroke-dasharray=\"2 3\"><title>"
        << "builds before: " << escape_html(pct(st.predecessors.rate())) << " ("
        << escape_html(counts(st.predecessors)) << ")</title></line>\n";
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    const HistoryVersion& v = h.versions[i];
    const bool marked = h.change.first && *h.change.first == i;
    const char* colour = marked ? "#c00" : "#1f5fa8";
    s << "<g class=\"build" << (marked ? " change-point" : "") << "\">";
    if (v.sli) {
      s << "<line x1=\"" << fixed(x(i)) << "\" x2=\"" << fixed(x(i)) << "\" y1=\""
        << fixed(y(v.sli->interval.lower)) << "\" y2=\"" << fixed(y(v.sli->interval.upper))
        << "\" stroke=\"" << colour << "\" stroke-width=\"2\"/>"
        << "<circle cx=\"" << fixed(x(i)) << "\" cy=\"" << fixed(y(v.sli->rate))
        << "\" r=\"4\" fill=\"" << colour << "\"><title>" << escape_html(v.version) << ": "
        << escape_html(pct(v.sli->rate)) << " (" << escape_html(counts(v.counts)) << "), "
        << escape_html(pct_interval(v.sli->interval)) << "</title></circle>";
    }
    s << "<text x=\"" << fixed(x(i)) << "\" y=\"" << ht - bottom + 16
      << "\" text-anchor=\"middle\" font-size=\"11\"" << (marked ? " fill=\"#c00\"" : "") << ">"
      << escape_html(short_label(v.version)) << "</text></g>\n";
  }
  s << "<text x=\"" << (left + w - right) / 2 << "\" y=\"" << ht - 12
    << "\" text-anchor=\"middle\" font-size=\"12\">" << escape_html(h.options.key)
    << " builds in order of first appearance</text>\n</svg>\n";
  return s.str();
}

// SLI per night (x: the selected runs, oldest first), one point per build run that night, with
// a dashed line and the build's name where the builds run change from the night before.
std::string night_chart(const History& h) {
  const std::size_t runs = h.runs.size();
  if (runs < 2) return "";
  std::map<std::string, std::size_t> run_index;
  for (std::size_t i = 0; i < runs; ++i) run_index[h.runs[i].uuid] = i;
  std::vector<std::vector<std::pair<std::size_t, const HistoryGroup*>>> per_run(runs);
  double lo = 1.0;
  for (std::size_t v = 0; v < h.versions.size(); ++v)
    for (const auto& g : h.versions[v].by_run) {
      per_run[run_index.at(g.key)].push_back({v, &g});
      if (g.sli) lo = std::min(lo, g.sli->interval.lower);
    }
  if (lo >= 1.0) lo = 0.99;
  lo = std::max(0.0, 1.0 - std::max(1.0 - lo, 0.002) * 1.1);
  const double w = 720, ht = 260, left = 64, right = 16, top = 28, bottom = 40;
  const double step = (w - left - right) / static_cast<double>(runs);
  auto x = [&](std::size_t i) { return left + step * (static_cast<double>(i) + 0.5); };
  auto y = [&](double rate) { return top + (1.0 - rate) / (1.0 - lo) * (ht - top - bottom); };
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"night-chart\" width=\"" << w
    << "\" height=\"" << ht << "\" viewBox=\"0 0 " << w << ' ' << ht
    << "\" role=\"img\" aria-label=\"session SLI per night with build changes marked\">\n";
  for (int t = 0; t <= 4; ++t) {
    const double rate = lo + (1.0 - lo) * t / 4.0;
    s << "<line x1=\"" << left << "\" x2=\"" << w - right << "\" y1=\"" << fixed(y(rate))
      << "\" y2=\"" << fixed(y(rate)) << "\" stroke=\"#ddd\"/><text x=\"" << left - 6
      << "\" y=\"" << fixed(y(rate) + 4) << "\" text-anchor=\"end\" font-size=\"11\">"
      << escape_html(pct(rate, 2)) << "</text>\n";
  }
  std::vector<std::set<std::string>> builds(runs);
  for (std::size_t r = 0; r < runs; ++r)
    for (const auto& [v, g] : per_run[r]) builds[r].insert(h.versions[v].version);
  for (const auto& m : build_marks(builds))
    s << svg_build_mark(x(m.at) - step / 2, top, ht - bottom, m);
  for (std::size_t r = 0; r < runs; ++r) {
    for (const auto& [v, g] : per_run[r]) {
      if (!g->sli) continue;
      const bool marked = h.change.first && *h.change.first == v;
      const char* colour = marked ? "#c00" : "#1f5fa8";
      s << "<line x1=\"" << fixed(x(r)) << "\" x2=\"" << fixed(x(r)) << "\" y1=\""
        << fixed(y(g->sli->interval.lower)) << "\" y2=\"" << fixed(y(g->sli->interval.upper))
        << "\" stroke=\"" << colour << "\"/><circle cx=\"" << fixed(x(r)) << "\" cy=\""
        << fixed(y(g->sli->rate)) << "\" r=\"3\" fill=\"" << colour << "\"><title>"
        << escape_html(h.runs[r].started_at) << " " << escape_html(h.versions[v].version) << ": "
        << escape_html(pct(g->sli->rate)) << " (" << escape_html(counts(g->counts))
        << ")</title></circle>\n";
    }
  }
  s << "<text x=\"" << (left + w - right) / 2 << "\" y=\"" << ht - 12
    << "\" text-anchor=\"middle\" font-size=\"12\">nights (runs), oldest first; dashed: the "
    << escape_html(h.options.key) << " build changes</text>\n</svg>\n";
  return s.str();
}

}  // namespace

std::vector<BuildMark> build_marks(const std::vector<std::set<std::string>>& builds) {
  std::vector<BuildMark> marks;
  const std::set<std::string>* before = nullptr;
  for (std::size_t i = 0; i < builds.size(); ++i) {
    const auto& now = builds[i];
    if (now.empty()) continue;
    if (before && now != *before) {
      BuildMark m{i, {}};
      for (const auto& b : now)
        if (!before->count(b)) m.added.push_back(b);
      marks.push_back(std::move(m));
    }
    before = &now;
  }
  return marks;
}

std::string svg_build_mark(double x, double y_top, double y_bottom, const BuildMark& mark) {
  std::ostringstream s;
  s << "<line class=\"build-change\" x1=\"" << fixed(x) << "\" x2=\"" << fixed(x) << "\" y1=\""
    << fixed(y_top) << "\" y2=\"" << fixed(y_bottom)
    << "\" stroke=\"#777\" stroke-dasharray=\"4 3\"/><text x=\"" << fixed(x + 3) << "\" y=\""
    << fixed(y_top - 6) << "\" font-size=\"10\" fill=\"#555\">"
    << escape_html(short_label(mark.added.empty() ? std::string("build change")
                                                  : join(mark.added, ", ")))
    << "</text>\n";
  return s.str();
}

std::string render_history_html(const History& h) {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<title>lockrig history by "
      << escape_html(h.options.key)
      << "</title>\n<style>\n"
         "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:72em}\n"
         "table{border-collapse:collapse;margin:.5em 0 1.5em}\n"
         "th,td{border:1px solid #ccc;padding:.2em .5em;font-size:.9em}\n"
         "td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
         "tr.change-point td{background:#fde8e8;font-weight:bold;color:#900}\n"
         ".verdict{font-size:1.1em;font-weight:bold}\n.warning{color:#8a5a00}\n"
         ".method{font-size:.85em;color:#555}\n"
         "svg{max-width:100%;height:auto}\n"
         "@media print{table{page-break-inside:auto}tr{page-break-inside:avoid}"
         "h2{page-break-after:avoid}}\n"
         "</style></head><body>\n";
  out << "<h1>History by " << escape_html(h.options.key) << "</h1>\n";
  out << "<p>" << h.versions.size() << " builds, " << h.runs.size() << " runs, "
      << escape_html(with_commas(h.sessions)) << " sessions; journal "
      << escape_html(h.journal) << "; generated " << escape_html(h.generated_at) << "</p>\n";
  out << "<p class=\"verdict\">" << escape_html(h.verdict) << "</p>\n";
  for (const auto& w : h.warnings)
    out << "<p class=\"warning\">warning: " << escape_html(w) << "</p>\n";
  out << "<figure>" << chart(h) << "<figcaption>Session SLI per build, with "
      << escape_html(num(h.options.confidence * 100.0))
      << "% Wilson intervals; the change point in red.</figcaption></figure>\n";
  if (const std::string nights = night_chart(h); !nights.empty())
    out << "<figure>" << nights << "<figcaption>Session SLI per night and build, with its "
        << "interval; a dashed line where the builds run change.</figcaption></figure>\n";
  for (const auto& t : history_tables(h)) {
    out << "<h2>" << escape_html(t.title) << "</h2>\n<table><thead><tr>";
    for (const auto& c : t.header) out << "<th>" << escape_html(c) << "</th>";
    out << "</tr></thead><tbody>\n";
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
      out << "<tr" << (t.marked_row && *t.marked_row == r ? " class=\"change-point\"" : "") << ">";
      for (std::size_t i = 0; i < t.rows[r].size(); ++i)
        out << "<td" << (t.numeric[i] ? " class=\"num\"" : "") << ">"
            << escape_html(t.rows[r][i]) << "</td>";
      out << "</tr>\n";
    }
    out << "</tbody></table>\n";
  }
  out << "<p class=\"method\">" << escape_html(history_method(h)) << "</p>\n</body></html>\n";
  return out.str();
}

}  // namespace lockrig::reports
