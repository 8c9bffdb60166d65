// `lockrig report`, `lockrig gate` and `lockrig plan` (docs/reports.md). `args` is everything
// after the command word; `--help` is handled inside. Bad input throws UsageError or
// JournalError, which the caller maps to exit code 2.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace lockrig::reports {

// Exit 0 when the report was written.
int cmd_report(const std::vector<std::string>& args);
// Exit 0 pass, 1 fail, 4 inconclusive (gate_exit in reports/comparison.hpp).
int cmd_gate(const std::vector<std::string>& args);
// Exit 0.
int cmd_plan(const std::vector<std::string>& args);

// The same, writing what would go to stdout to `out` (for tests and embedding).
int cmd_report(const std::vector<std::string>& args, std::ostream& out);
int cmd_gate(const std::vector<std::string>& args, std::ostream& out);
int cmd_plan(const std::vector<std::string>& args, std::ostream& out);

// Writes `content` to a temporary file next to `path`, flushes it to disk and renames it over
// `path`, so readers never see a half-written report and a failure leaves `path` as it was.
// Throws UsageError naming the path when it cannot.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace lockrig::reports
