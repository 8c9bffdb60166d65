// `lockrig report --history` as terminal text: plain ASCII layout, every label sanitised
// (sanitize_utf8 replaces control characters, so a label cannot carry terminal escapes).
#include <sstream>

#include "reports/format.hpp"
#include "reports/history.hpp"

namespace lockrig::reports {

namespace {

std::size_t width_of(const std::string& s) {
  std::size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

std::string pad(const std::string& s, std::size_t width, bool right) {
  const std::size_t w = width_of(s);
  if (w >= width) return s;
  const std::string fill(width - w, ' ');
  return right ? fill + s : s + fill;
}

void wrap(std::ostringstream& out, const std::string& text, const std::string& indent) {
  std::istringstream words(text);
  std::string word, line = indent;
  bool empty = true;
  while (words >> word) {
    if (!empty && width_of(line) + 1 + width_of(word) > 100) {
      out << line << '\n';
      line = indent;
      empty = true;
    }
    if (!empty) line += ' ';
    line += word;
    empty = false;
  }
  out << line << '\n';
}

void table(std::ostringstream& out, const HistoryTable& t) {
  std::vector<std::vector<std::string>> cells{{}};
  for (const auto& h : t.header) cells.back().push_back(sanitize_utf8(h));
  for (const auto& row : t.rows) {
    cells.push_back({});
    for (const auto& c : row) cells.back().push_back(sanitize_utf8(c));
  }
  std::vector<std::size_t> widths(t.header.size(), 0);
  for (const auto& row : cells)
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], width_of(row[i]));
  out << t.title << ":\n";
  for (const auto& row : cells) {
    std::string line = " ";
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      if (widths[i] == 0) continue;
      line += ' ' + pad(row[i], widths[i], t.numeric[i]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
  out << '\n';
}

}  // namespace

std::string render_history_text(const History& h) {
  std::ostringstream out;
  out << "lockrig report --history " << sanitize_utf8(h.options.key) << ": "
      << h.versions.size() << " build" << (h.versions.size() == 1 ? "" : "s") << ", "
      << h.runs.size() << " run" << (h.runs.size() == 1 ? "" : "s") << ", "
      << with_commas(h.sessions) << " sessions (" << sanitize_utf8(h.journal) << ")\n\n";
  wrap(out, sanitize_utf8(h.verdict), "");
  out << '\n';
  for (const auto& w : h.warnings) wrap(out, "warning: " + sanitize_utf8(w), "");
  if (!h.warnings.empty()) out << '\n';
  for (const auto& t : history_tables(h)) table(out, t);
  wrap(out, history_method(h), "");
  return out.str();
}

}  // namespace lockrig::reports
