// Terminal text: plain ASCII layout, labels sanitised so a hostile label cannot inject terminal
// escape sequences. Colour only when TextStyle::color says so (a terminal, --color; never in a
// file). Fitted to TextStyle::width when there is one (issue 16 item 4): paragraphs wrap, a table
// too wide leaves out its optional columns in their documented order and says which, and a table
// still too wide is printed a row at a time; nothing is cut, so a flag or verdict is never
// truncated. Also the plan's text.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "reports/format.hpp"
#include "reports/layout.hpp"
#include "reports/plan.hpp"
#include "rig/base/terminal.hpp"
#include "rig/base/text.hpp"

namespace lockrig::reports {

namespace {

// Paragraphs wrap here when the output has no width (a pipe or a file), as before issue 16.
constexpr std::size_t kUnboundedWrap = 100;

std::size_t display_width(const std::string& s) {
  return visible_width(s);
}

std::string pad(const std::string& s, std::size_t width, bool right) {
  const std::size_t w = display_width(s);
  if (w >= width) return s;
  const std::string fill(width - w, ' ');
  return right ? fill + s : s + fill;
}

// The first `n` code points of `s` and the rest.
std::pair<std::string, std::string> split_at(const std::string& s, std::size_t n) {
  std::size_t i = 0, seen = 0;
  while (i < s.size()) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (seen == n) break;
      ++seen;
    }
    ++i;
  }
  return {s.substr(0, i), s.substr(i)};
}

class Writer {
 public:
  explicit Writer(const TextStyle& style) : style_(style) {}

  std::size_t limit() const {
    return style_.width ? static_cast<std::size_t>(*style_.width) : kUnboundedWrap;
  }
  bool bounded() const { return style_.width.has_value(); }

  void line(const std::string& text, std::optional<Colour> colour = std::nullopt) {
    if (colour && style_.color && !text.empty())
      out_ << paint(text, *colour) << '\n';
    else
      out_ << text << '\n';
  }

  // `text` wrapped at the limit: the first line starts with `first`, the others with `rest`. A
  // word longer than a line is split (never cut) when the output has a width.
  void wrap(const std::string& text, const std::string& first, const std::string& rest,
            std::optional<Colour> colour = std::nullopt) {
    std::istringstream words(text);
    std::string word, current = first;
    bool empty = true;
    const std::size_t max = limit();
    while (words >> word) {
      if (!empty && display_width(current) + 1 + display_width(word) > max) {
        line(current, colour);
        current = rest;
        empty = true;
      }
      if (!empty) current += ' ';
      // A word that cannot fit even on a line of its own is split across lines.
      while (bounded() && display_width(current) + display_width(word) > max &&
             display_width(current) < max) {
        auto [head, tail] = split_at(word, max - display_width(current));
        line(current + head, colour);
        current = rest;
        word = tail;
      }
      current += word;
      empty = false;
    }
    line(current, colour);
  }

  void table(const Table& t);
  void blank() { out_ << '\n'; }
  std::string str() const { return out_.str(); }

 private:
  void records(const Table& t, const std::vector<std::vector<std::string>>& cells,
               const std::vector<bool>& used);

  TextStyle style_;
  std::ostringstream out_;
};

void Writer::table(const Table& t) {
  std::vector<std::vector<std::string>> cells;
  cells.push_back({});
  for (const auto& h : t.header) cells.back().push_back(sanitize_utf8(h));
  for (const auto& row : t.rows) {
    cells.push_back({});
    for (const auto& c : row) cells.back().push_back(sanitize_utf8(c));
  }
  const std::size_t n = t.header.size();
  std::vector<std::size_t> widths(n, 0);
  // A column that is empty in every row (e.g. no notes) is left out.
  std::vector<bool> used(n, false);
  for (std::size_t r = 1; r < cells.size(); ++r)
    for (std::size_t i = 0; i < cells[r].size() && i < n; ++i)
      if (!cells[r][i].empty()) used[i] = true;
  for (const auto& row : cells)
    for (std::size_t i = 0; i < row.size() && i < n; ++i)
      widths[i] = std::max(widths[i], display_width(row[i]));
  const auto total = [&](const std::vector<bool>& shown) {
    std::size_t w = 2, k = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (shown[i]) w += (k++ ? 2 : 0) + widths[i];
    return w;
  };
  std::vector<bool> shown = used;
  std::vector<std::string> dropped;
  if (bounded() && total(shown) > limit()) {
    // The optional columns in their order, first to go first.
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < n && i < t.drop_order.size(); ++i)
      if (shown[i] && t.drop_order[i] > 0) order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return t.drop_order[a] < t.drop_order[b];
    });
    for (std::size_t i : order) {
      if (total(shown) <= limit()) break;
      shown[i] = false;
      dropped.push_back(cells[0][i]);
    }
    if (total(shown) > limit()) {
      // Even the needed columns do not fit: every column, one row at a time.
      records(t, cells, used);
      return;
    }
  }
  for (std::size_t r = 0; r < cells.size(); ++r) {
    std::string text = "  ";
    bool first = true;
    for (std::size_t i = 0; i < cells[r].size() && i < n; ++i) {
      if (!shown[i]) continue;
      if (!first) text += "  ";
      first = false;
      const bool right = r > 0 && i < t.numeric.size() && t.numeric[i];
      text += pad(cells[r][i], widths[i], right);
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    const bool flagged =
        r > 0 && t.highlight_is_bad && r - 1 < t.highlight.size() && t.highlight[r - 1];
    line(text, flagged ? std::optional<Colour>(Colour::red) : std::nullopt);
    if (r == 0) {
      std::string rule = "  ";
      bool f = true;
      for (std::size_t i = 0; i < n; ++i) {
        if (!shown[i]) continue;
        if (!f) rule += "  ";
        f = false;
        rule += std::string(widths[i], '-');
      }
      line(rule);
    }
  }
  if (!dropped.empty())
    wrap("(left out to fit " + std::to_string(limit()) + " columns: " + join(dropped, ", ") +
             "; --width " + std::to_string(total(used)) + " or --format html shows them)",
         "  ", "   ");
}

// A table as one block per row: "  - first cell" then "    header: value" for the others.
void Writer::records(const Table& t, const std::vector<std::vector<std::string>>& cells,
                     const std::vector<bool>& used) {
  const std::size_t n = t.header.size();
  for (std::size_t r = 1; r < cells.size(); ++r) {
    const bool flagged = t.highlight_is_bad && r - 1 < t.highlight.size() && t.highlight[r - 1];
    const std::optional<Colour> colour =
        flagged ? std::optional<Colour>(Colour::red) : std::nullopt;
    bool first = true;
    for (std::size_t i = 0; i < cells[r].size() && i < n; ++i) {
      if (!used[i] || cells[r][i].empty()) continue;
      if (first)
        wrap(cells[0][i] + ": " + cells[r][i], "  - ", "      ", colour);
      else
        wrap(cells[0][i] + ": " + cells[r][i], "    ", "      ", colour);
      first = false;
    }
  }
}

std::optional<Colour> verdict_colour(const std::string& verdict_class) {
  if (verdict_class == "pass") return Colour::green;
  if (verdict_class == "fail") return Colour::red;
  if (verdict_class == "inconclusive") return Colour::yellow;
  return std::nullopt;
}

}  // namespace

std::string render_text(const Document& doc, const TextStyle& style) {
  Writer w(style);
  const std::string title = sanitize_utf8(doc.title + ": " + doc.subtitle);
  if (w.bounded() && display_width(title) > w.limit()) {
    w.wrap(title, "", "");
    w.line(std::string(w.limit(), '='));
  } else {
    w.line(title);
    w.line(std::string(display_width(title), '='));
  }
  for (const auto& s : doc.sections) {
    std::string heading = s.title;
    std::transform(heading.begin(), heading.end(), heading.begin(), ::toupper);
    w.blank();
    w.wrap(sanitize_utf8(heading), "", "");
    for (const auto& b : s.blocks) {
      switch (b.kind) {
        case Block::Kind::verdict:
          w.wrap(sanitize_utf8(b.text), "  ", "  ", verdict_colour(b.verdict_class));
          break;
        case Block::Kind::paragraph:
          w.wrap(sanitize_utf8(b.text), "  ", "  ");
          break;
        case Block::Kind::warning:
          w.wrap(sanitize_utf8("WARNING: " + b.text), "  ", "    ");
          break;
        case Block::Kind::bullets:
          for (const auto& item : b.items) w.wrap(sanitize_utf8(item), "  - ", "    ");
          break;
        case Block::Kind::definitions: {
          std::size_t kw = 0;
          for (const auto& [k, v] : b.defs) kw = std::max(kw, display_width(sanitize_utf8(k)));
          // Keys beside their values while that leaves the values half the line; otherwise
          // each key on its own line.
          const bool beside = !w.bounded() || kw + 4 <= w.limit() / 2;
          for (const auto& [k, v] : b.defs) {
            if (beside) {
              w.wrap(sanitize_utf8(v), "  " + pad(sanitize_utf8(k) + ":", kw + 1, false) + " ",
                     "  " + std::string(kw + 2, ' '));
            } else {
              w.wrap(sanitize_utf8(k) + ":", "  ", "    ");
              w.wrap(sanitize_utf8(v), "    ", "    ");
            }
          }
          break;
        }
        case Block::Kind::table:
          w.table(b.table);
          break;
        case Block::Kind::chart:
          break;  // charts are drawn in HTML only
      }
    }
  }
  return w.str();
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
          << " when both versions are equal (one look: " << with_commas(p.fixed_sessions) << ")\n";
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
    // How the power at that size was computed (issue 11 item 8): a simulated figure says so,
    // with its Monte Carlo standard error, so a reader can tell it from an exact one.
    if (p.gate_power_method == "simulated")
      out << "    power " << pct(p.gate_power) << " simulated through the gate's rule ("
          << with_commas(p.gate_replicates) << " campaigns, Monte Carlo standard error "
          << pts(p.gate_power_se).substr(1) << ")\n";
    else if (!p.gate_power_method.empty())
      out << "    power " << pct(p.gate_power) << " by "
          << (p.gate_power_method == "exact-enumeration" ? "exact enumeration of every outcome"
                                                         : "the normal approximation")
          << "\n";
  }
  out << "  - equal numbers of sessions per version, sessions independent of each other; the gate\n"
         "    compares within door materials, so spread the sessions over the same mix of doors\n";
  return out.str();
}

}  // namespace lockrig::reports
