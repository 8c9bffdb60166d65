// `lockrig export --format csv`: RFC 4180, a header line of the column names, CRLF line ends,
// NULL as an empty field, text quoted only when it must be. A text cell a spreadsheet would run
// as a formula is neutralised (issue 17 item 7, see formula_trigger).
#include "reports/export.hpp"
#include "reports/format.hpp"

namespace lockrig::reports {

namespace {

// OWASP, "CSV Injection" (owasp.org/www-community/attacks/CSV_Injection): a cell that begins
// with = + - @, a tab (0x09) or a carriage return (0x0D) may be evaluated as a formula by Excel,
// LibreOffice or Sheets ("=2+5|cmd"); prefix it with a single quote and wrap it in double quotes,
// doubling the quotes inside. Applied to text cells only: numbers are written as numbers.
bool formula_trigger(std::string_view s) {
  return !s.empty() && std::string_view("=+-@\t\r").find(s.front()) != std::string_view::npos;
}

void append_csv_field(std::string& out, std::string_view s) {
  if (is_plain_ascii(s) && s.find_first_of(",\"") == std::string_view::npos && !formula_trigger(s))
    out += s;
  else
    out += csv_field(s);
}

class CsvRows : public RowWriter {
 public:
  void begin(std::string& out, const std::vector<std::string_view>& names) override {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (i) out += ',';
      append_csv_field(out, names[i]);
    }
    out += "\r\n";
  }

  void row(std::string& out, const std::vector<RowValue>& values) override {
    for (std::size_t i = 0; i < values.size(); ++i) {
      const RowValue& v = values[i];
      if (i) out += ',';
      switch (v.kind) {
        case RowValue::Kind::null:
          break;  // an empty field, loaded as NULL
        case RowValue::Kind::integer:
          out += std::to_string(v.integer);
          break;
        case RowValue::Kind::real:
          out += shortest_number(v.real);
          break;
        case RowValue::Kind::boolean:
          out += v.integer ? "true" : "false";
          break;
        case RowValue::Kind::text:
          append_csv_field(out, v.text);
          break;
      }
    }
    out += "\r\n";
  }
};

}  // namespace

std::unique_ptr<RowWriter> csv_rows() {
  return std::make_unique<CsvRows>();
}

std::string csv_field(std::string_view s) {
  const bool formula = formula_trigger(s);
  const std::string clean = sanitize_utf8(s);
  if (!formula && clean.find_first_of(",\"\r\n") == std::string::npos) return clean;
  std::string out = formula ? "\"'" : "\"";
  for (char c : clean) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace lockrig::reports
