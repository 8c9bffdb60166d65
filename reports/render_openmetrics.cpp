// `lockrig export --format openmetrics`: a textfile for node_exporter's textfile collector.
#include "reports/export.hpp"
#include "reports/format.hpp"

namespace lockrig::reports {

std::string render_openmetrics(const std::vector<MetricFamily>& families) {
  std::string out;
  for (const MetricFamily& f : families) {
    out += "# HELP " + f.name + " " + f.help + "\n";
    out += "# TYPE " + f.name + " " + f.type + "\n";
    if (!f.unit.empty()) out += "# UNIT " + f.name + " " + f.unit + "\n";
    for (const auto& s : f.samples) out += f.name + s + "\n";
  }
  return out + "# EOF\n";
}

std::string openmetrics_label_value(std::string_view s) {
  std::string out;
  for (char c : sanitize_utf8(s)) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

}  // namespace lockrig::reports
