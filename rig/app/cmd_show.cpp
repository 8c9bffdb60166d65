// lockrig show RUN | RUN/SESSION (issue 15): a run's failed sessions with their ids, or one
// session's timeline: its attempts, the bench events that led up to it, and the transcript the
// drivers recorded (serial bytes, harness output), in relative ms. docs/evidence.md.
#include <cstdio>

#include "reports/evidence_view.hpp"
#include "rig/app/commands.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/options.hpp"
#include "rig/base/text.hpp"

namespace po = boost::program_options;

namespace lockrig {

using reports::failed_sessions_json;
using reports::failed_sessions_text;
using reports::session_timeline_json;
using reports::session_timeline_text;

int show_command(const CommandLine& cl) {
  std::string db_path, target, format;
  po::options_description desc("Options");
  desc.add_options()("help,h", "explain the options")(
      "db", po::value(&db_path)->default_value("lockrig.db"), "journal to read")(
      "format", po::value(&format)->default_value("text"), "text | json")(
      "target", po::value(&target), "RUN or RUN/SESSION");
  po::positional_options_description pos;
  pos.add("target", 1);
  po::variables_map vm = parse_options("show", cl.args, desc, &pos);
  if (vm.count("help")) {
    print_help(
        "Usage: lockrig show [--db FILE] [--format text|json] RUN[/SESSION]\n\n"
        "RUN (id or uuid) lists the run's failed and rig-faulted sessions with their ids;\n"
        "RUN/SESSION prints that session's timeline: attempts, the bench events since the\n"
        "lock's previous session, and the transcript its drivers recorded (serial bytes,\n"
        "harness output; kept per run --keep-evidence), times in ms from the session's start.\n",
        desc);
    return exit_code::ok;
  }
  if (target.empty()) throw UsageError("lockrig show wants RUN or RUN/SESSION (see lockrig runs)");
  if (format != "text" && format != "json")
    throw UsageError("--format must be text or json, got " + quote(format));
  const auto slash = target.find('/');
  const std::string run_sel = target.substr(0, slash);
  Journal j = Journal::open_readonly(db_path);
  const RunRecord run = find_run(j, run_sel);
  if (slash == std::string::npos) {
    std::fputs((format == "json" ? failed_sessions_json(j, run) : failed_sessions_text(j, run)).c_str(),
               stdout);
    return exit_code::ok;
  }
  const std::string session_sel = target.substr(slash + 1);
  if (session_sel.empty() || session_sel.size() > 18 ||
      session_sel.find_first_not_of("0123456789") != std::string::npos)
    throw UsageError("lockrig show: " + quote(session_sel) +
                     " is not a session id (a number, as lockrig show " + run_sel + " lists them)");
  const SessionEvidence s = read_session_evidence(j, run.id, std::stoll(session_sel));
  std::fputs((format == "json" ? session_timeline_json(s) : session_timeline_text(s)).c_str(),
             stdout);
  return exit_code::ok;
}

}  // namespace lockrig
