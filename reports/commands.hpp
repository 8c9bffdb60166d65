// `lockrig report`, `lockrig gate` and `lockrig plan` (docs/reports.md). `args` is everything
// after the command word; `--help` is handled inside. Bad input throws UsageError or
// JournalError, which the caller maps to exit code 2.
#pragma once

#include <cstdio>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace boost::program_options {
class options_description;
class variables_map;
}  // namespace boost::program_options

namespace lockrig::reports {

struct RunSelection;  // reports/dataset.hpp

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

// A file written next to its final path and renamed over it on commit(), after an fsync, so a
// reader (or node_exporter's textfile collector) never sees half of it and a failure leaves the
// old file as it was. Without commit() the temporary file is removed.
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  void write(std::string_view bytes);
  void commit();

 private:
  [[noreturn]] void fail(const std::string& what, int err);
  std::string path_, tmp_;
  std::FILE* f_ = nullptr;
};


// The journal and run-selection options shared by every command that reads a journal (report,
// gate, export, slo): --db, --last, --since, --run, --where, --scenario.
struct SelectionOptions {
  std::string db = "lockrig.db";
  int last = 0;
  std::string since;
  std::vector<std::string> runs, where, scenarios;
};
// "0.995", "99.5%" (percent) or, for differences, "0.5pts" / "0.5pp" (percentage points) as a
// fraction; throws UsageError quoting the text and naming `option` otherwise. No range check.
double parse_fraction(const std::string& text, const std::string& option);
// The one syntax of a *difference* between two rates (--margin of gate, plan and run
// --until-decided, plan's --drop): percentage points "0.5pp" (also "0.5pts", "0.5pt", "0.5%")
// or a fraction "0.005". A bare number >= 0.1 is refused with a hint ("did you mean 0.3pp?"):
// "--margin 0.3" would otherwise be read as 30 points. The result must be in (0, 1).
double parse_difference(const std::string& text, const std::string& option);
// The syntax of a *rate* (--baseline-rate of plan and run --until-decided): a fraction "0.995"
// or a percentage "99.5%". A bare number above 1 is refused with a hint ("did you mean 99.5%?").
// The result must be in (0, 1).
double parse_rate(const std::string& text, const std::string& option);

void add_selection_options(boost::program_options::options_description& desc, SelectionOptions& o);

// --width and --color of the commands with a text format (report, gate, slo; issue 16 item 4).
struct TerminalOptions {
  std::string width;  // empty: the terminal's, unbounded when stdout is not one
  std::string color = "auto";
};
void add_terminal_options(boost::program_options::options_description& desc, TerminalOptions& o);
// The text layout for output to `out` (stdout when it is std::cout and `output` is empty):
// rig/base/terminal.hpp's width and colour rules; never colour in a file. Throws UsageError for
// a bad --width or --color.
struct TextStyle;  // reports/format.hpp
TextStyle text_style(const TerminalOptions& o, const std::string& output, const std::ostream& out);
// Validates what add_selection_options parsed; throws UsageError naming the bad value.
RunSelection run_selection_of(const SelectionOptions& o,
                              const boost::program_options::variables_map& vm);
// Refuses an --output that is a directory or lies in a missing directory.
void check_output_path(const std::string& path);
// Refuses an --output that is the journal being read (or its -wal/-shm/-journal file).
void check_output_is_not_journal(const std::string& output, const std::string& db);

}  // namespace lockrig::reports
