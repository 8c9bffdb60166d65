// `lockrig export`: the journal's sessions or attempts as NDJSON or CSV rows a warehouse loads as
// is, and an OpenMetrics textfile for node_exporter's textfile collector (docs/exports.md).
// Rows are streamed from SQLite to the output, so memory does not grow with the journal.
#pragma once

#include <cstdio>
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

// Text escaping for the export formats (exposed for tests; json_string: reports/json_writer.hpp).
std::string csv_field(std::string_view s);                // RFC 4180: quoted when needed
std::string openmetrics_label_value(std::string_view s);  // \\, \", \n escaped, valid UTF-8

}  // namespace lockrig::reports
