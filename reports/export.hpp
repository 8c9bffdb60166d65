// `lockrig export`: the journal's sessions or attempts as NDJSON or CSV rows a warehouse loads as
// is, and an OpenMetrics textfile for node_exporter's textfile collector (docs/exports.md).
// Rows are streamed from SQLite to the output, so memory does not grow with the journal.
#pragma once

#include <cstdio>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "reports/commands.hpp"
#include "reports/dataset.hpp"
#include "reports/json_writer.hpp"
#include "rig/journal/journal.hpp"

namespace lockrig::reports {

// Exit 0 when the export was written. Bad input throws UsageError / JournalError (exit 2).
int cmd_export(const std::vector<std::string>& args);
int cmd_export(const std::vector<std::string>& args, std::ostream& out);

// ---- The export formats (rows: render_ndjson.cpp, render_csv.cpp; metrics:
// render_openmetrics.cpp), chosen by --format from the table in reports/format.cpp ----

// One value of an exported row.
struct RowValue {
  enum class Kind { null, integer, real, boolean, text };
  Kind kind = Kind::null;
  long long integer = 0;  // integer; boolean (0 or 1)
  double real = 0.0;
  std::string_view text;  // text and timestamps; valid until the next row is read
};

// A row format: the header (the column names, in row order), then one line per row.
class RowWriter {
 public:
  virtual ~RowWriter() = default;
  virtual void begin(std::string& out, const std::vector<std::string_view>& names) = 0;
  virtual void row(std::string& out, const std::vector<RowValue>& values) = 0;
};
std::unique_ptr<RowWriter> ndjson_rows();  // one JSON object per line
std::unique_ptr<RowWriter> csv_rows();     // RFC 4180 with a header line, CRLF

// One metric family of the textfile: its samples as "{labels} value" lines.
struct MetricFamily {
  std::string name, type = "gauge", unit, help;
  std::vector<std::string> samples;
};
// The OpenMetrics text of `families` in order, ending with "# EOF".
std::string render_openmetrics(const std::vector<MetricFamily>& families);

// The `le` boundaries (in ms, as the report's latency_slo_ms) of lockrig_unlock_latency_seconds:
// the fixed list in docs/exports.md, with the latency SLO `slo_ms` added when not one of them.
std::vector<double> latency_bucket_bounds_ms(double slo_ms);
// A boundary as the `le` label value, in seconds: shortest round-trip form, integers as "1.0".
std::string openmetrics_le(double bound_ms);

// Text escaping for the export formats (exposed for tests; json_string: reports/json_writer.hpp).
std::string csv_field(std::string_view s);                // RFC 4180: quoted when needed
std::string openmetrics_label_value(std::string_view s);  // \\, \", \n escaped, valid UTF-8

}  // namespace lockrig::reports
