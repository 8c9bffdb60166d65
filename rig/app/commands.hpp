// The `lockrig` command line: the one table of commands (name, section, summary, run) that drives
// the dispatch, the overview of `lockrig --help` and the did-you-mean of a misspelt command, and
// what the commands share. One file per command (or family): rig/app/cmd_*.cpp. Adding a command
// is a cmd_*.cpp with its run function declared below, and a row in commands() (commands.cpp).
#pragma once

#include <boost/program_options.hpp>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "rig/app/run_lock.hpp"
#include "rig/journal/resume.hpp"

namespace lockrig {

// What a command is given.
struct CommandLine {
  std::vector<std::string> args;  // after the command's name
  std::string text;               // the whole command line, quoted where needed (journaled)
};

struct Command {
  // Where the overview lists the command: working a rig, reading journals, wiring up a rig.
  enum class Section { rig, journals, setup };
  const char* name;
  Section section;
  const char* summary;             // for the overview; a line break continues under the first line
  int (*run)(const CommandLine&);  // returns the exit code; throws UsageError etc.
};

// The commands. Their order is the one did-you-mean prefers among equally close names; the
// overview lists them section by section in this order.
const std::vector<Command>& commands();

// main(): dispatches argv[1] through the table and turns exceptions into messages and exit codes.
int lockrig_main(int argc, char** argv);

// The commands (cmd_<name>.cpp).
int run_command(const CommandLine& cl);      // run
int check_command(const CommandLine& cl);    // check
int runs_command(const CommandLine& cl);     // runs
int show_command(const CommandLine& cl);     // show (cmd_show.cpp, issue 15)
int report_command(const CommandLine& cl);   // report     } cmd_reports.cpp: entries into
int gate_command(const CommandLine& cl);     // gate       } reports/ and rig/journal/merge
int plan_command(const CommandLine& cl);     // plan       }
int slo_command(const CommandLine& cl);      // slo        }
int export_command(const CommandLine& cl);   // export     }
int merge_command(const CommandLine& cl);    // merge      }
int serve_command(const CommandLine& cl);    // serve (issue 16)
int annotate_command(const CommandLine& cl); // annotate (cmd_annotate.cpp, issue 16 item 6)
int drivers_command(const CommandLine& cl);  // drivers
int probe_command(const CommandLine& cl);    // probe

// ---- shared by the commands ------------------------------------------------------------------

// `lockrig <command> --help`: the usage text, the options, then `extra`.
void print_help(const char* usage, const boost::program_options::options_description& desc,
                const char* extra = "");

// The run lock of an interrupted run, so that only one lockrig resumes or abandons it; when
// another lockrig holds it, says who and returns nothing (the caller exits 75).
// Who holds a run's lock next to the journal at `db_path` (find_run_to_resume asks).
RunLockHolder run_lock_holder(const std::string& db_path);
std::optional<FileLock> take_run_lock(const std::string& db_path, const RunRecord& run,
                                      const std::string& purpose);

// SIGINT, SIGTERM and SIGHUP ask a run to stop (a second one says why stopping takes a while);
// SIGPIPE is ignored, so `lockrig run | head` does not kill a run mid-session.
struct StopSignals {
  const std::atomic<bool>& stop;  // set by the first signal
  std::atomic<int>& signal;       // which one
};
StopSignals install_stop_signals();

}  // namespace lockrig
