// `lockrig report --history --format markdown`: GitHub/GitLab-flavoured tables, labels escaped.
#include <sstream>

#include "reports/format.hpp"
#include "reports/history.hpp"

namespace lockrig::reports {

std::string render_history_markdown(const History& h) {
  std::ostringstream out;
  out << "# lockrig history by " << escape_markdown(h.options.key) << "\n\n";
  out << "**" << escape_markdown(h.verdict) << "**\n\n";
  for (const auto& w : h.warnings) out << "> warning: " << escape_markdown(w) << "\n\n";
  for (const auto& t : history_tables(h)) {
    out << "## " << escape_markdown(t.title) << "\n\n|";
    for (const auto& c : t.header) out << ' ' << escape_markdown(c) << " |";
    out << "\n|";
    for (std::size_t i = 0; i < t.header.size(); ++i) out << (t.numeric[i] ? " ---: |" : " --- |");
    out << '\n';
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
      const bool marked = t.marked_row && *t.marked_row == r;
      out << '|';
      for (const auto& c : t.rows[r]) {
        const std::string cell = escape_markdown(c);
        out << ' ' << (marked && !cell.empty() ? "**" + cell + "**" : cell) << " |";
      }
      out << '\n';
    }
    out << '\n';
  }
  out << escape_markdown(history_method(h)) << '\n';
  return out.str();
}

}  // namespace lockrig::reports
