#include "reports/format.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "reports/export.hpp"
#include "reports/layout.hpp"
#include "reports/markdown_summary.hpp"  // issue 15
#include "reports/plan.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"

namespace lockrig::reports {

std::string with_commas(long long n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  // "-0.00" reads as a regression that is not there.
  if (s.find_first_not_of("-0.") == std::string::npos && s[0] == '-') s.erase(0, 1);
  return s;
}

std::string signed_fixed(double v, int decimals) {
  std::string s = fixed(v, decimals);
  if (s[0] != '-' && s.find_first_not_of("0.") != std::string::npos) s = "+" + s;
  return s;
}

}  // namespace

std::string pct(double rate, int decimals) {
  if (!std::isfinite(rate)) return "-";
  return fixed(100.0 * rate, decimals) + "%";
}

std::string pct_interval(const stats::Interval& i, int decimals) {
  return fixed(100.0 * i.lower, decimals) + "-" + fixed(100.0 * i.upper, decimals) + "%";
}

std::string pts(double difference, int decimals) {
  if (!std::isfinite(difference)) return "-";
  return signed_fixed(100.0 * difference, decimals) + " pts";
}

std::string pts_interval(const stats::Interval& i, int decimals) {
  return "[" + signed_fixed(100.0 * i.lower, decimals) + ", " +
         signed_fixed(100.0 * i.upper, decimals) + "] pts";
}

std::string pts_with_interval(double difference, const stats::Interval& i, int decimals) {
  return pts(difference, decimals) + " [" + signed_fixed(100.0 * i.lower, decimals) + ", " +
         signed_fixed(100.0 * i.upper, decimals) + "]";
}

std::string probability(double p) {
  if (!std::isfinite(p)) return "-";
  if (p > 0.999) return ">0.999";
  if (p < 0.001) return "<0.001";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", p);
  return buf;
}

std::string counts(const stats::Counts& c) {
  return with_commas(c.successes) + "/" + with_commas(c.trials);
}

std::string pval(double p) {
  if (!std::isfinite(p)) return "-";
  char buf[32];
  if (p < 1e-4)
    std::snprintf(buf, sizeof buf, "%.1e", p);
  else if (p >= 0.9995)
    std::snprintf(buf, sizeof buf, "1");
  else
    std::snprintf(buf, sizeof buf, "%.4f", p);
  std::string s = buf;
  if (s.find('.') != std::string::npos && s.find('e') == std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

std::string ms(double value) {
  if (!std::isfinite(value)) return "-";
  char buf[32];
  if (std::fabs(value) >= 1000.0)
    std::snprintf(buf, sizeof buf, "%.2f s", value / 1000.0);
  else if (std::fabs(value) >= 10.0)
    std::snprintf(buf, sizeof buf, "%.0f ms", value);
  else
    std::snprintf(buf, sizeof buf, "%.2f ms", value);
  return buf;
}

std::string num(double v, int significant) {
  if (std::isnan(v)) return "-";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", significant, v);
  return buf;
}

std::string shortest_number(double v) {
  if (!std::isfinite(v)) return "NaN";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  return std::string(buf, res.ptr);
}

bool is_plain_ascii(std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7F) return false;
  }
  return true;
}

// The one rule for journal strings is printable() (rig/base/text.hpp); documents keep their own
// line breaks.
std::string sanitize_utf8(std::string_view s) {
  return printable(s, true);
}

namespace {

// The markup characters both escapers replace with entities (valid in HTML, XML and Markdown).
std::string_view entity(char c) {
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    default:
      return {};
  }
}

}  // namespace

std::string escape_html(std::string_view s) {
  std::string out;
  for (char c : sanitize_utf8(s)) {
    if (const auto e = entity(c); !e.empty())
      out += e;
    else if (c == '"')
      out += "&quot;";
    else if (c == '\'')
      out += "&#39;";
    else
      out += c;
  }
  return out;
}

std::string escape_markdown(std::string_view s) {
  constexpr std::string_view kMarkdownSyntax = "\\`*_[]|#";  // escaped with a backslash
  std::string out;
  for (char c : sanitize_utf8(s)) {
    if (const auto e = entity(c); !e.empty()) {
      out += e;
    } else if (c == '\n' || c == '\r') {
      out += ' ';  // a table cell is one line
    } else {
      if (kMarkdownSyntax.find(c) != std::string_view::npos) out += '\\';
      out += c;
    }
  }
  return out;
}

std::string utc_now_iso() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// ---- --format ----

namespace {

// Every output format, in the order commands list them. A new format is its renderer file
// (render_<name>.cpp) and one row here (with the renderer's declaration above the table when no
// header declares it); every command whose kind of result it renders offers it from then on, in
// its --format help, its error messages and its dispatch.
const OutputFormat kFormats[] = {
    {.name = "text",
     .document = [](const Document& doc, const RenderInput& in) { return render_text(doc, in.text); },
     .plan = render_text},
    {.name = "markdown",
     .document = [](const Document& doc, const RenderInput&) { return render_markdown(doc); }},
    {.name = "html",
     .document = [](const Document& doc, const RenderInput& in) { return render_html(doc, in.report); }},
    {.name = "json", .report = render_json, .slo = render_json, .plan = render_json},
    {.name = "junit", .report = render_junit},
    {.name = "markdown-summary", .report = render_markdown_summary},  // issue 15
    {.name = "ndjson", .rows = ndjson_rows},
    {.name = "csv", .rows = csv_rows},
    {.name = "openmetrics", .metrics = render_openmetrics},
};

// The kinds of result a command produces, and how its messages list the formats.
constexpr unsigned kDocument = 1, kReport = 2, kSlo = 4, kPlan = 8, kRows = 16, kMetrics = 32;

struct CommandFormats {
  unsigned kinds;
  const char* last_separator;  // before the last name in messages: ", " or " or "
};

CommandFormats command_formats(FormatCommand c) {
  switch (c) {
    case FormatCommand::report:
    case FormatCommand::gate:
      return {kDocument | kReport, ", "};
    case FormatCommand::slo:
      return {kDocument | kSlo, ", "};
    case FormatCommand::plan:
      return {kPlan, ", "};
    case FormatCommand::export_:
      break;
  }
  return {kRows | kMetrics, " or "};
}

unsigned kinds_of(const OutputFormat& f) {
  return (f.document ? kDocument : 0) | (f.report ? kReport : 0) | (f.slo ? kSlo : 0) |
         (f.plan ? kPlan : 0) | (f.rows ? kRows : 0) | (f.metrics ? kMetrics : 0);
}

std::vector<std::string> names_of(FormatCommand command) {
  std::vector<std::string> names;
  for (const auto& f : kFormats)
    if (kinds_of(f) & command_formats(command).kinds) names.emplace_back(f.name);
  return names;
}

}  // namespace

std::string format_choices(FormatCommand command, std::string_view separator) {
  return join(names_of(command), separator);
}

std::string format_list(FormatCommand command) {
  std::vector<std::string> names = names_of(command);
  const std::string last = names.back();
  names.pop_back();
  return names.empty() ? last : join(names, ", ") + command_formats(command).last_separator + last;
}

const OutputFormat& output_format(FormatCommand command, const std::string& name) {
  for (const auto& f : kFormats)
    if (f.name == name && (kinds_of(f) & command_formats(command).kinds)) return f;
  throw UsageError("--format must be " + format_list(command) + "; got " + quote(name) +
                   did_you_mean(name, names_of(command)));
}

std::string render(const OutputFormat& format, const RenderInput& in) {
  if (in.report && format.report) return format.report(*in.report);
  if (in.slo && format.slo) return format.slo(*in.slo);
  if (in.plan && format.plan) return format.plan(*in.plan);
  if (in.document && format.document) return format.document(in.document(), in);
  throw std::logic_error("--format " + std::string(format.name) +
                         " has no renderer for this command's result");
}

}  // namespace lockrig::reports
