// lockrig runs: the runs in a journal, which of them were interrupted, and --abandon.
#include <cstdio>
#include <map>

#include "rig/app/commands.hpp"
#include "reports/evidence_view.hpp"
#include "rig/app/run_lock.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/options.hpp"
#include "rig/base/text.hpp"
#include "rig/engine/runner.hpp"
#include "rig/journal/journal.hpp"
#include "rig/journal/resume.hpp"
#include "rig/journal/run_records.hpp"

namespace po = boost::program_options;

namespace lockrig {

int runs_command(const CommandLine& cl) {
  std::string db_path;
  po::options_description desc("Options");
  desc.add_options()("help,h", "explain the options")(
      "db", po::value(&db_path)->default_value("lockrig.db"), "journal to read")(
      "interrupted", "print only the ids of interrupted runs, one per line (for scripts)")(
      "abandon", po::value<std::string>(),
      "close interrupted run RUN (id or uuid) as aborted instead of resuming it, e.g. when its "
      "files are gone")(
      "failures", "with RUN: list the run's failed and rig-faulted sessions with their ids")(
      "run", po::value<std::string>(), "RUN (id or uuid), for --failures");
  po::positional_options_description pos;  // issue 15: lockrig runs RUN --failures
  pos.add("run", 1);
  po::variables_map vm = parse_options("runs", cl.args, desc, &pos);
  if (vm.count("help")) {
    print_help(
        "Usage: lockrig runs [--db FILE] [--interrupted | --abandon RUN | RUN --failures]\n\nLists the "
        "runs in a journal, oldest first. A run shown as `interrupted` is `running`\nin the "
        "journal but no "
        "lockrig process holds its run lock any more (crash, kill -9,\npower loss): "
        "continue it with lockrig run --resume RUN.\nA run shown as `running elsewhere` is `running` in a journal merged from another\nhost; only that host can resume it.\n",
        desc);
    return exit_code::ok;
  }
  if (vm.count("failures") || vm.count("run")) {  // issue 15
    // A bare argument without --failures is still refused, never ignored (`lockrig runs a.db`).
    if (!vm.count("failures"))
      throw UsageError("unexpected argument " + quote(vm["run"].as<std::string>()) +
                       ": lockrig runs takes a run only with --failures; the journal goes with "
                       "--db FILE (see lockrig runs --help)");
    if (!vm.count("run"))
      throw UsageError("--failures wants a run: lockrig runs RUN --failures");
    Journal j = Journal::open_readonly(db_path, Journal::CountChecks::when_read);
    std::fputs(reports::failed_sessions_text(j, find_run(j, vm["run"].as<std::string>())).c_str(), stdout);
    return exit_code::ok;
  }
  if (vm.count("abandon")) {
    const std::string selector = vm["abandon"].as<std::string>();
    if (selector.empty()) throw UsageError("--abandon wants a run id or uuid");
    Journal j = Journal::open(db_path);
    const RunRecord found = find_run_to_resume(j, selector, run_lock_holder(db_path));
    if (found.status != name(RunStatus::running))
      throw UsageError("--abandon: run " + std::to_string(found.id) + " is " + found.status +
                       ", not interrupted");
    auto lock = take_run_lock(db_path, found, "lockrig runs --abandon");
    if (!lock) return exit_code::busy;
    abandon_run(j, found.id, "interrupted run closed by lockrig runs --abandon",
                utc_now_iso8601());
    lock->remove_on_release();
    std::printf("run %lld (%s) closed as aborted; its journaled sessions stay\n",
                static_cast<long long>(found.id), found.uuid.c_str());
    return exit_code::ok;
  }
  // issue 17, item 8: a file a run created but was cut off before writing the schema into.
  if (Journal::has_no_schema(db_path)) {
    if (!vm.count("interrupted"))
      std::printf("no runs in %s (%s)\n", db_path.c_str(), kEmptyJournalNote);
    return exit_code::ok;
  }
  Journal j = Journal::open_readonly(db_path, Journal::CountChecks::when_read);
  auto runs = j.list_runs();
  // issue 17: a `running` run of another host (a merged journal) is not interrupted here.
  std::map<std::int64_t, std::string> elsewhere;
  for (const auto& r : read_runs(j))
    if (r.status == name(RunStatus::running))
      if (const auto where = run_elsewhere(r)) elsewhere[r.id] = *where;
  std::vector<std::int64_t> interrupted;
  for (auto& r : runs)
    if (elsewhere.count(r.id)) {
      r.status = "running elsewhere";
    } else if (r.status == name(RunStatus::running) &&
               !FileLock::holder_of(run_lock_path(db_path, r.uuid))) {
      // The lock may have been released because the run just finished: look again.
      Journal again = Journal::open_readonly(db_path, Journal::CountChecks::when_read);
      for (const auto& now : again.list_runs())
        if (now.id == r.id && now.status == name(RunStatus::running)) {
          r.status = "interrupted";
          interrupted.push_back(r.id);
        }
    }
  if (vm.count("interrupted")) {
    for (auto id : interrupted) std::printf("%lld\n", static_cast<long long>(id));
    return exit_code::ok;
  }
  if (runs.empty()) {
    std::printf("no runs in %s\n", db_path.c_str());
    return exit_code::ok;
  }
  std::printf("%-4s %-36s %-12s %-24s %-10s %8s %8s %5s %7s  %s\n", "id", "uuid", "rig", "started",
              "status", "sessions", "SLI", "rigf", "assert", "labels");
  for (const auto& r : runs) {
    char sli[16] = "-";
    if (r.sli_sessions > 0)
      std::snprintf(sli, sizeof sli, "%.2f%%", 100.0 * r.sli_success / r.sli_sessions);
    // Journal strings (a merged or foreign journal's too) through printable() (issue 17 item 7).
    std::printf("%-4lld %-36s %-12s %-24s %-10s %8lld %8s %5lld %7lld  %s\n",
                static_cast<long long>(r.id), printable(r.uuid).c_str(), printable(r.rig).c_str(),
                printable(r.started_at).c_str(), printable(r.status).c_str(), r.sessions, sli,
                r.rig_faults, r.failed_assertions, printable(labels_text(r.labels)).c_str());
  }
  for (const auto& [id, where] : elsewhere)
    std::printf("run %lld is running elsewhere: it ran on %s (a merged journal); only that rig "
                "can resume it\n",
                static_cast<long long>(id), where.c_str());
  for (auto id : interrupted)
    std::printf(
        "run %lld was interrupted (no lockrig process holds it); continue it with: "
        "lockrig run --resume %lld --db %s (or give up on it: lockrig runs --abandon "
        "%lld)\n",
        static_cast<long long>(id), static_cast<long long>(id), quote(db_path).c_str(),
        static_cast<long long>(id));
  return exit_code::ok;
}

}  // namespace lockrig
