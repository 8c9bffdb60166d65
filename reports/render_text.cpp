// Terminal text: plain ASCII layout (no colours: reports are piped into logs and mails), labels
// sanitised so a hostile label cannot inject terminal escape sequences. Also the plan's text.
#include <algorithm>
#include <cstdio>
#include <cmath>
#include <sstream>

#include "reports/format.hpp"
#include "reports/layout.hpp"
#include "reports/plan.hpp"

namespace lockrig::reports {

namespace {

constexpr std::size_t kWidth = 100;

std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

std::string pad(const std::string& s, std::size_t width, bool right) {
  const std::size_t w = display_width(s);
  if (w >= width) return s;
  const std::string fill(width - w, ' ');
  return right ? fill + s : s + fill;
}

void wrap(std::ostringstream& out, const std::string& text, const std::string& first,
          const std::string& rest) {
  std::istringstream words(text);
  std::string word, line = first;
  bool empty = true;
  while (words >> word) {
    if (!empty && display_width(line) + 1 + display_width(word) > kWidth) {
      out << line << '\n';
      line = rest;
      empty = true;
    }
    if (!empty) line += ' ';
    line += word;
    empty = false;
  }
  out << line << '\n';
}

void table(std::ostringstream& out, const Table& t) {
  std::vector<std::size_t> widths(t.header.size(), 0);
  std::vector<std::vector<std::string>> cells;
  cells.push_back({});
  for (const auto& h : t.header) cells.back().push_back(sanitize_utf8(h));
  for (const auto& row : t.rows) {
    cells.push_back({});
    for (const auto& c : row) cells.back().push_back(sanitize_utf8(c));
  }
  // A column that is empty in every row (e.g. no notes) is left out.
  std::vector<bool> used(t.header.size(), false);
  for (std::size_t r = 1; r < cells.size(); ++r)
    for (std::size_t i = 0; i < cells[r].size() && i < used.size(); ++i)
      if (!cells[r][i].empty()) used[i] = true;
  for (const auto& row : cells)
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], display_width(row[i]));
  for (std::size_t r = 0; r < cells.size(); ++r) {
    std::string line = "  ";
    bool first = true;
    for (std::size_t i = 0; i < cells[r].size() && i < widths.size(); ++i) {
      if (!used[i]) continue;
      if (!first) line += "  ";
      first = false;
      const bool right = r > 0 && i < t.numeric.size() && t.numeric[i];
      line += pad(cells[r][i], widths[i], right);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
    if (r == 0) {
      std::string rule = "  ";
      bool f = true;
      for (std::size_t i = 0; i < widths.size(); ++i) {
        if (!used[i]) continue;
        if (!f) rule += "  ";
        f = false;
        rule += std::string(widths[i], '-');
      }
      out << rule << '\n';
    }
  }
}

}  // namespace

std::string render_text(const Document& doc) {
  std::ostringstream out;
  const std::string title = sanitize_utf8(doc.title + ": " + doc.subtitle);
  out << title << '\n' << std::string(display_width(title), '=') << '\n';
  for (const auto& s : doc.sections) {
    std::string heading = s.title;
    std::transform(heading.begin(), heading.end(), heading.begin(), ::toupper);
    out << '\n' << sanitize_utf8(heading) << '\n';
    for (const auto& b : s.blocks) {
      switch (b.kind) {
        case Block::Kind::verdict:
          wrap(out, sanitize_utf8(b.text), "  ", "  ");
          break;
        case Block::Kind::paragraph:
          wrap(out, sanitize_utf8(b.text), "  ", "  ");
          break;
        case Block::Kind::warning:
          wrap(out, sanitize_utf8("WARNING: " + b.text), "  ", "    ");
          break;
        case Block::Kind::bullets:
          for (const auto& item : b.items) wrap(out, sanitize_utf8(item), "  - ", "    ");
          break;
        case Block::Kind::definitions: {
          std::size_t w = 0;
          for (const auto& [k, v] : b.defs) w = std::max(w, display_width(k));
          for (const auto& [k, v] : b.defs)
            wrap(out, sanitize_utf8(v), "  " + pad(sanitize_utf8(k) + ":", w + 1, false) + " ",
                 "  " + std::string(w + 2, ' '));
          break;
        }
        case Block::Kind::table:
          table(out, b.table);
          break;
        case Block::Kind::chart:
          break;  // charts are drawn in HTML only
      }
    }
  }
  return out.str();
}

std::string render_text(const PlanFigures& p) {
  std::ostringstream out;
  out << "Sessions per version (SLI sessions: the sessions that count toward the unlock success "
         "rate)\n\n";
  char line[256];
  std::snprintf(line, sizeof line, "  %-52s %10s per version\n",
                ("detect a drop from " + pct(p.baseline_rate) + " to " + pct(p.candidate_rate) +
                 " (" + pts(p.drop).substr(1) + ")")
                    .c_str(),
                with_commas(p.sessions).c_str());
  out << line;
  if (p.margin) {
    std::snprintf(line, sizeof line, "  %-52s %10s per version\n",
                  ("release gate with margin " + pts(*p.margin).substr(1) +
                   (p.looks > 1 ? ", " + std::to_string(p.looks) + " looks" : ""))
                      .c_str(),
                  with_commas(p.gate_sessions).c_str());
    out << line;
    if (p.looks > 1) {
      std::string at;
      for (std::size_t k = 0; k < p.look_sessions.size(); ++k)
        at += (k ? ", " : "") + with_commas(p.look_sessions[k]);
      out << "    looks at " << at << " sessions per version; expected "
          << with_commas(static_cast<long long>(std::ceil(p.expected_sessions)))
          << " when both versions are equal (one look: " << with_commas(p.fixed_sessions)
          << ")\n";
    }
  }
  out << "\nAssumptions:\n"
      << "  - detecting the drop: two-sided test of two proportions at alpha " << num(p.alpha)
      << " with power " << num(p.power) << "\n    (normal approximation, as R power.prop.test; "
      << num(p.sessions_exact, 7) << " rounded up)\n";
  if (p.margin) {
    std::string strata;
    if (p.strata.size() > 1)
      for (std::size_t k = 0; k < p.strata.size(); ++k)
        strata += (k ? ", " : "") + p.strata[k].name + " " + pct(p.strata[k].rate) + " (" +
                  num(p.strata[k].share) + " of the sessions)";
    out << "  - release gate: the gate's test, the stratified score test of H0: candidate - "
           "baseline <= -"
        << pts(*p.margin).substr(1) << "\n    at alpha " << num(p.alpha) << " with power "
        << num(p.power) << ", both versions truly at "
        << (strata.empty() ? pct(p.baseline_rate) : "each door's rate: " + strata)
        << (p.looks > 1 ? "; " + std::to_string(p.looks) +
                              " looks with O'Brien-Fleming-type spending, as gate --looks"
                        : "; one look")
        << "\n    (a truly worse candidate needs more)\n";
  }
  out << "  - equal numbers of sessions per version, sessions independent of each other; the gate\n"
         "    compares within door materials, so spread the sessions over the same mix of doors\n";
  return out.str();
}

}  // namespace lockrig::reports
