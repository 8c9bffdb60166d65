// Number and text formatting shared by the report renderers. Every renderer prints the same
// figures the same way, so a rate read in the terminal matches the one in the HTML or Markdown.
// And the one table of output formats (--format) every command that writes one chooses from.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reports/stats/types.hpp"

namespace lockrig::reports {

// 4673 -> "4,673".
std::string with_commas(long long n);
// 0.99523 -> "99.52%".
std::string pct(double rate, int decimals = 2);
// "99.31-99.67%" for an interval of rates.
std::string pct_interval(const stats::Interval& i, int decimals = 2);
// A difference of rates in percentage points with its sign: -0.0012 -> "-0.12 pts".
std::string pts(double difference, int decimals = 2);
// "[-0.40, +0.16] pts".
std::string pts_interval(const stats::Interval& i, int decimals = 2);
// "-0.85 pts [-1.32, -0.39]": a difference with its interval, the unit said once.
std::string pts_with_interval(double difference, const stats::Interval& i, int decimals = 2);
// A probability that may sit at the edge: "0.637", ">0.999", "<0.001".
std::string probability(double p);
// "4,976/5,000".
std::string counts(const stats::Counts& c);
// A p-value: "0.0387", "0.5", "3.2e-06" below 1e-4.
std::string pval(double p);
// Milliseconds: "812 ms", "1.25 s" from 1000 ms on.
std::string ms(double value);
// A plain number with up to `significant` significant digits, no exponent for ordinary values.
std::string num(double v, int significant = 4);
// The shortest form that reads back as the same double ("0.1", "1e-05", "12"); "NaN" when not
// finite (what the exports write; JSON writes null, see reports/json_writer.hpp).
std::string shortest_number(double v);

// True when every byte is printable ASCII (0x20-0x7E): such text needs no sanitizing.
bool is_plain_ascii(std::string_view s);
// Replaces invalid UTF-8 and the control characters XML 1.0 forbids with U+FFFD, so labels taken
// from the journal can never break an XML or JSON document.
std::string sanitize_utf8(std::string_view s);
std::string escape_html(std::string_view s);  // also valid for XML text and attributes
std::string escape_markdown(std::string_view s);

// How terminal text is laid out (render_text; issue 16 item 4): at most `width` display columns
// (nullopt: unbounded, paragraphs wrap at 100 as always and no column is left out) and, with
// `color`, verdicts and flagged rows in SGR colours. Only the text format uses it.
struct TextStyle {
  std::optional<int> width;
  bool color = false;
};

// Current UTC time as ISO 8601 ("2026-11-22T08:00:00Z").
std::string utc_now_iso();

// ---- --format: the output formats of every command (the table is in format.cpp) ----

struct Document;      // reports/layout.hpp
struct Report;        // reports/comparison.hpp
struct SloReport;     // reports/slo_compute.hpp
struct PlanFigures;   // reports/plan.hpp
struct RenderInput;   // below
class RowWriter;      // reports/export.hpp
struct MetricFamily;  // reports/export.hpp

// The commands that take --format.
enum class FormatCommand { report, gate, slo, plan, export_ };

// One output format: its --format name and a renderer for each kind of result it can render
// (null where it cannot). A command offers, in table order, every format that renders a kind of
// result the command produces: report and gate a Document and a Report, slo a Document and an
// SloReport, plan PlanFigures, export rows and metric families.
struct OutputFormat {
  std::string_view name;
  // A document (layout.hpp); `in.report` is the Report whose charts HTML draws (null for slo),
  // `in.text` the terminal layout of the text format.
  std::string (*document)(const Document& doc, const RenderInput& in) = nullptr;
  std::string (*report)(const Report& r) = nullptr;
  std::string (*slo)(const SloReport& r) = nullptr;
  std::string (*plan)(const PlanFigures& p) = nullptr;
  std::unique_ptr<RowWriter> (*rows)() = nullptr;  // export: a line per session or attempt
  std::string (*metrics)(const std::vector<MetricFamily>& families) = nullptr;  // export
};

// The format `name` of `command`. Throws UsageError otherwise:
// "--format must be text, markdown, html, json, junit; got "pdf"" (with a did-you-mean).
const OutputFormat& output_format(FormatCommand command, const std::string& name);
// The names of the formats of `command`, in table order, joined by `separator` (help texts use
// " | "); format_list joins them as the command's messages say ("ndjson, csv or openmetrics").
std::string format_choices(FormatCommand command, std::string_view separator = " | ");
std::string format_list(FormatCommand command);

// What a command hands to its format: the results it has.
struct RenderInput {
  std::function<Document()> document;  // report, gate, slo (built only for a document format)
  const Report* report = nullptr;      // report, gate; also draws their documents' charts
  const SloReport* slo = nullptr;
  const PlanFigures* plan = nullptr;
  TextStyle text;  // --width, --color: the text format only
};
// `in` rendered in `format`: a renderer of the command's own result first, else its document.
std::string render(const OutputFormat& format, const RenderInput& in);

}  // namespace lockrig::reports
