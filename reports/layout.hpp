// The report as a document: sections of sentences, definition lists and tables, built once from
// a Report and rendered as terminal text, Markdown or HTML. Cells hold finished text (formatted
// by reports/format.hpp) so the three formats always agree on every figure.
#pragma once

#include <string>
#include <vector>

#include "reports/comparison.hpp"
#include "reports/format.hpp"

namespace lockrig::reports {

struct SloReport;    // reports/slo_compute.hpp
struct PlanFigures;  // reports/plan.hpp

struct Table {
  std::vector<std::string> header;
  std::vector<bool> numeric;  // right-aligned columns
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> highlight;  // per row: a flagged lock, a failed assertion, the pooled row
  // Whether a highlighted row is bad news (a flagged lock, a failed assertion, an exhausted
  // stratum: red on a colour terminal) or only emphasis (the pooled row).
  bool highlight_is_bad = true;
  // Terminal text narrower than the table (docs/reports.md, "Narrow terminals"), per column:
  // 0 = always shown, k > 0 = the k-th to be left out. Empty: every column is needed, and a
  // table too wide is printed a row at a time instead.
  std::vector<int> drop_order;
};

enum class ChartKind { forest, latency_cdf, lock_dots, range, inline_svg };

struct Block {
  enum class Kind { verdict, paragraph, warning, bullets, definitions, table, chart };
  Kind kind = Kind::paragraph;
  std::string text;                                       // verdict, paragraph, warning
  std::vector<std::string> items;                         // bullets
  std::vector<std::pair<std::string, std::string>> defs;  // definitions
  Table table;
  ChartKind chart = ChartKind::forest;
  std::string verdict_class;  // "pass", "fail", "inconclusive" or "info" for a verdict block
  std::string svg, caption;   // ChartKind::inline_svg: a chart the caller drew (labels escaped)
};

struct Section {
  std::string id;  // stable anchor ("verdict", "comparison", ...)
  std::string title;
  std::vector<Block> blocks;
};

struct Document {
  std::string title;
  std::string subtitle;
  std::vector<Section> sections;
  std::string generated_at;  // ISO 8601 UTC, for the HTML footer
  std::string guide;         // how to read it, named in the HTML footer ("docs/reports.md")
};

Document report_document(const Report& r);
// The gate's own, shorter document: verdict, the rule and figures, the strata, the selection.
Document gate_document(const Report& r);
// `lockrig slo` (slo_document.cpp): budget, burn rates, nights, per-stratum tables, trend charts.
Document slo_document(const SloReport& r);

// Renderers (render_<format>.cpp; the --format table in format.cpp picks them): of a Document,
// of the Report itself, of the SLO and of the plan.
std::string render_text(const Document& doc, const TextStyle& style = {});
std::string render_markdown(const Document& doc);
// `charts`: the Report whose forest, latency and lock charts are drawn; null draws only the
// document's inline_svg charts (lockrig slo).
std::string render_html(const Document& doc, const Report* charts);
std::string render_json(const Report& r);
std::string render_json(const SloReport& r);
std::string render_junit(const Report& r);
std::string render_text(const PlanFigures& p);
std::string render_json(const PlanFigures& p);

// The inline SVG charts of the HTML report (render_html.cpp); empty when there is nothing to draw.
std::string svg_forest_plot(const Report& r);
std::string svg_latency_cdf(const Report& r);
std::string svg_lock_dots(const Report& r);
std::string svg_range_chart(const RangeSection& r);  // issue 14

// Issue 14: the Range section (reports/range_layout.cpp); report_document and gate_document add
// it when the Report has one.
Section range_section(const Report& r);

}  // namespace lockrig::reports
