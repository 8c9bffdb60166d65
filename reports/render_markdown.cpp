// Markdown for pull requests and wikis (GitHub/GitLab flavoured tables). Every label is escaped:
// a label can neither break a table (|) nor inject HTML (<script>).
#include <sstream>

#include "reports/format.hpp"
#include "reports/layout.hpp"

namespace lockrig::reports {

namespace {

void table(std::ostringstream& out, const Table& t) {
  out << '|';
  for (const auto& h : t.header) out << ' ' << escape_markdown(h) << " |";
  out << "\n|";
  for (std::size_t i = 0; i < t.header.size(); ++i)
    out << (i < t.numeric.size() && t.numeric[i] ? " ---: |" : " --- |");
  out << '\n';
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const bool strong = r < t.highlight.size() && t.highlight[r];
    out << '|';
    for (const auto& c : t.rows[r]) {
      const std::string cell = escape_markdown(c);
      out << ' ' << (strong && !cell.empty() ? "**" + cell + "**" : cell) << " |";
    }
    out << '\n';
  }
  out << '\n';
}

}  // namespace

std::string render_markdown(const Document& doc) {
  std::ostringstream out;
  out << "# " << escape_markdown(doc.title) << "\n\n_" << escape_markdown(doc.subtitle) << "_\n\n";
  for (const auto& s : doc.sections) {
    out << "## " << escape_markdown(s.title) << "\n\n";
    for (const auto& b : s.blocks) {
      switch (b.kind) {
        case Block::Kind::verdict:
          out << "**" << escape_markdown(b.text) << "**\n\n";
          break;
        case Block::Kind::paragraph:
          out << escape_markdown(b.text) << "\n\n";
          break;
        case Block::Kind::warning:
          out << "> **Warning:** " << escape_markdown(b.text) << "\n\n";
          break;
        case Block::Kind::bullets:
          for (const auto& item : b.items) out << "- " << escape_markdown(item) << '\n';
          out << '\n';
          break;
        case Block::Kind::definitions:
          for (const auto& [k, v] : b.defs)
            out << "- **" << escape_markdown(k) << ":** " << escape_markdown(v) << '\n';
          out << '\n';
          break;
        case Block::Kind::table:
          table(out, b.table);
          break;
        case Block::Kind::chart:
          break;  // Markdown has no inline drawing; the HTML report has charts
      }
    }
  }
  return out.str();
}

}  // namespace lockrig::reports
