// lockrig run: runs scenarios on a rig and journals every attempt; --resume continues an
// interrupted run, --until-decided runs a stop-when-decided campaign of many runs.
// run_command() is the steps in order: parse the options, take the rig lock, load the inputs
// (or, with --resume, select the run and rebuild its inputs), take the run lock, run, print the
// summary; the exit code is the run's.
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <optional>
#include <random>

#include "drivers/registry.hpp"
#include "drivers/rig_fault.hpp"
#include "reports/summary.hpp"
#include "rig/app/commands.hpp"
#include "rig/app/progress.hpp"
#include "rig/app/run_lock.hpp"
#include "rig/app/capture.hpp"
#include "rig/app/until_decided_options.hpp"
#include "rig/base/clock.hpp"
#include "rig/base/embedded.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/log.hpp"
#include "rig/base/name_table.hpp"
#include "rig/base/options.hpp"
#include "rig/base/text.hpp"
#include "rig/engine/decision_series.hpp"
#include "rig/engine/fixture.hpp"
#include "rig/engine/plan.hpp"
#include "rig/engine/runner.hpp"
#include "rig/engine/scenario.hpp"
#include "rig/journal/journal.hpp"
#include "rig/journal/resume.hpp"

namespace po = boost::program_options;

namespace lockrig {

namespace {

// The value of a choice option, or a UsageError listing the words it takes:
// "--clock must be auto, virtual or real, got "x"".
template <typename Enum, std::size_t N>
Enum option_choice(const NameTable<Enum, N>& table, const std::string& word, const char* option) {
  if (const auto v = value_of(table, word)) return *v;
  throw UsageError(std::string(option) + " must be " + words_of(table) + ", got " + quote(word));
}

// ---- 1. the options ---------------------------------------------------------------------------

// What the command line asks for, checked.
struct RunRequest {
  std::string fixture_path, db_path, lock_file;
  std::vector<std::string> scenario_paths;
  bool resume = false;
  std::string resume_selector;  // --resume[=RUN]; empty: the latest interrupted run
  std::optional<UntilDecidedOptions> until_decided;
  ProgressMode progress = ProgressMode::automatic;
  ColorMode color = ColorMode::automatic;  // --color (issue 16)
  SyncMode sync = SyncMode::normal;
  bool quiet = false;
  RunOptions opt;  // what the runner takes from the command line (seed, labels, locks...)
  std::vector<std::string> captures;  // issue 15: --capture commands
  std::string evidence_dir;           // issue 15: --evidence-dir (default <db>.evidence)
};

std::map<std::string, std::string> parse_labels(const std::vector<std::string>& raw) {
  std::map<std::string, std::string> labels;
  for (const auto& l : raw) {
    auto eq = l.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == l.size())
      throw UsageError("--label wants key=value (e.g. app=5.3.0), got " + quote(l));
    std::string key = l.substr(0, eq);
    if (!is_identifier(key))
      throw UsageError("--label key " + quote(key) +
                       " may only contain letters, digits, '-', '_', '.'");
    if (l.size() - eq - 1 > kMaxNameLength)  // issue 17 item 8: bounded like fixture names
      throw UsageError("--label " + quote(key) + " value must be at most " +
                       std::to_string(kMaxNameLength) + " bytes, got " +
                       std::to_string(l.size() - eq - 1));
    if (!labels.emplace(key, l.substr(eq + 1)).second)
      throw UsageError("--label " + quote(key) + " given twice");
  }
  return labels;
}

// Parses and checks every option, in the order the first mistake is reported; sets the log
// format. nullopt: --help was asked for, and printed.
std::optional<RunRequest> parse_run_options(const CommandLine& cl) {
  RunRequest req;
  std::string clock_name, progress_name, sync_name, log_format_name, color_name;
  std::string evidence_name;  // issue 15
  int quarantine_after = 2;
  std::vector<std::string> labels_raw, locks_raw;
  std::string seed_text;
  int repeat = 0, jobs = 0;
  po::options_description desc("Options");
  // One option per line:
  // clang-format off
  desc.add_options()
      ("help,h", "explain the options")
      ("fixture,f", po::value(&req.fixture_path)->default_value(kDefaultFixture),
       "fixture file describing the rig (default: the built-in simulated lab)")
      ("scenario,s", po::value(&req.scenario_paths)->composing(),
       "scenario or suite file; repeatable (default: the built-in nightly suite)")
      ("db", po::value(&req.db_path)->default_value("lockrig.db"), "journal (SQLite) to append the run to")
      ("label,l", po::value(&labels_raw)->composing(),
       "key=value label for the run, repeatable (e.g. app=5.3.0, build=nightly)")
      ("seed", po::value(&seed_text), "seed for simulated randomness (default: random, journaled)")
      ("locks", po::value(&locks_raw)->composing(), "only these lock ids (comma-separated)")
      ("repeat", po::value(&repeat), "override every scenario's repeat count")
      ("clock", po::value(&clock_name)->default_value("auto"),
       "auto | virtual | real; auto = virtual when every lock is simulated")
      ("jobs,j", po::value(&jobs)->default_value(0), "parallel lock groups (0 = automatic)")
      ("progress", po::value(&progress_name)->default_value("auto"),
       "auto | bar | lines | off (auto: a bar on a terminal, periodic lines otherwise)")
      ("color", po::value(&color_name)->default_value("auto"),
       "never | auto | always: colour in the progress bar (auto: on a terminal, unless NO_COLOR)")
      ("sync", po::value(&sync_name)->default_value("normal"),
       "normal | full: full also survives power loss at some speed cost")
      ("resume", po::value(&req.resume_selector)->implicit_value(""),
       "[=RUN] continue an interrupted run (id or uuid; alone: the latest interrupted run in --db) "
       "with the fixture, scenarios, seed and locks it started with")
      ("quarantine-after", po::value(&quarantine_after)->default_value(2),
       "skip a plan item once it has crashed the controller this many times (resume)")
      ("lock-file", po::value(&req.lock_file),
       "rig lock: refuse to start (exit 75) while another lockrig run holds this file")
      ("log-format", po::value(&log_format_name)->default_value("auto"),
       "auto | plain | journal: journal prefixes lines with syslog priorities for journald; "
       "auto = journal when stderr is connected to the journal (JOURNAL_STREAM)")
      ("keep-evidence", po::value(&evidence_name)->default_value("failures"),
       "failures | all | none: which sessions keep their transcript (bytes, harness output, "
       "bench events) in the journal; failures = failed, rig-faulted and expected-failure "
       "sessions (docs/evidence.md)")
      ("capture", po::value(&req.captures)->composing(),
       "a program to run beside the run, e.g. 'btmon -w {dir}/hci.log' (repeatable; no shell: "
       "split on spaces; {dir} = the run's evidence directory); stopped with SIGINT after the "
       "run; a failing one is a warning, never a lock outcome")
      ("evidence-dir", po::value(&req.evidence_dir),
       "where --capture files go, one directory per run (default: <db>.evidence)")
      ("quiet,q", "no summary at the end");
  // clang-format on
  UntilDecidedArgs until_decided_args;
  add_until_decided_options(desc, until_decided_args);
  po::variables_map vm = parse_options("run", cl.args, desc);
  if (vm.count("help")) {
    print_help(
        "Usage: lockrig run [options]\n\nRuns the scenarios against every lock of the rig "
        "that has the channels they need,\nin parallel where locks share no switched "
        "hardware, and journals every attempt.\n",
        desc,
        "\nThe embedded defaults are readable as files: --fixture "
        "'<embedded>/fixtures/sim-lab.yaml'.\n"
        "Stop with Ctrl-C/SIGTERM/SIGHUP: the session in flight is discarded, the run is\n"
        "marked aborted with everything finished kept, and the bench returns to its safe\n"
        "state (exit 130/143/129).\n"
        "After a crash, kill -9 or power loss the run stays `running` in the journal and\n"
        "`lockrig runs` shows it as interrupted; `lockrig run --resume` continues it: the\n"
        "bench goes to its safe state first, finished sessions are kept (never repeated),\n"
        "the item in flight runs again from its first step, and an item that crashed the\n"
        "controller --quarantine-after times is skipped. See docs/operations.md.\n");
    return std::nullopt;
  }
  req.resume = vm.count("resume") > 0;
  req.quiet = vm.count("quiet") > 0;
  if (req.resume)
    for (const char* o : {"fixture", "scenario", "seed", "repeat", "locks", "label", "clock"})
      if (vm.count(o) && !vm[o].defaulted())
        throw UsageError(
            std::string("--resume continues a run with the inputs it started with; --") + o +
            " cannot be given with it");
  if (quarantine_after < 1)
    throw UsageError("--quarantine-after must be at least 1, got " +
                     std::to_string(quarantine_after));
  if (log_format_name == "journal" || (log_format_name == "auto" && stderr_is_journal()))
    set_log_format(LogFormat::journal);
  else if (log_format_name == "auto" || log_format_name == "plain")
    set_log_format(LogFormat::plain);
  else
    throw UsageError("--log-format must be auto, plain or journal, got " + quote(log_format_name));
  // A stop-when-decided campaign needs SLI sessions: its default is the door-materials unlock.
  req.until_decided = parse_until_decided(until_decided_args, vm);
  if (req.until_decided && !req.captures.empty())
    throw UsageError("--capture runs beside one run; a --until-decided campaign is many runs "
                     "(capture each block's run separately)");
  if (req.until_decided && req.resume)
    throw UsageError(
        "--resume continues one interrupted run; a --until-decided campaign is many "
        "runs and cannot be resumed (start a new campaign)");
  if (req.scenario_paths.empty())
    req.scenario_paths.push_back(req.until_decided ? "<embedded>/scenarios/door-materials.yaml"
                                                   : kDefaultScenarios);

  RunOptions& opt = req.opt;
  opt.quarantine_after_crashes = quarantine_after;
  opt.labels = parse_labels(labels_raw);
  opt.plan.lock_filter = split_commas(locks_raw);
  if (vm.count("locks") && opt.plan.lock_filter.empty())
    throw UsageError("--locks needs at least one lock id (comma-separated)");
  std::uint64_t seed = 0;
  if (vm.count("seed")) {
    const char* end = seed_text.data() + seed_text.size();
    const auto [ptr, ec] = std::from_chars(seed_text.data(), end, seed);
    if (ec != std::errc() || ptr != end || seed > static_cast<std::uint64_t>(INT64_MAX))
      throw UsageError("--seed must be a whole number between 0 and " + std::to_string(INT64_MAX) +
                       ", got " + quote(seed_text));
  }
  if (vm.count("repeat")) {
    if (repeat < 1) throw UsageError("--repeat must be at least 1, got " + std::to_string(repeat));
    opt.plan.repeat_override = repeat;
  }
  if (jobs < 0) throw UsageError("--jobs must not be negative");
  opt.jobs = jobs;
  static constexpr NameTable<ClockMode, 3> kClocks{{{ClockMode::automatic, "auto"},
                                                    {ClockMode::virtual_time, "virtual"},
                                                    {ClockMode::real_time, "real"}}};
  static constexpr NameTable<ProgressMode, 4> kProgress{{{ProgressMode::automatic, "auto"},
                                                         {ProgressMode::bar, "bar"},
                                                         {ProgressMode::lines, "lines"},
                                                         {ProgressMode::off, "off"}}};
  static constexpr NameTable<SyncMode, 2> kSync{{{SyncMode::normal, "normal"},
                                                 {SyncMode::full, "full"}}};
  opt.clock = option_choice(kClocks, clock_name, "--clock");
  opt.keep_evidence = parse_evidence_policy(evidence_name);  // issue 15
  req.progress = option_choice(kProgress, progress_name, "--progress");
  req.color = parse_color_mode(color_name, "--color");
  req.sync = option_choice(kSync, sync_name, "--sync");
  opt.seed = vm.count("seed") ? seed : std::random_device{}() & 0x7fffffff;
  opt.command_line = cl.text;
  opt.scenario_files = req.scenario_paths;
  return req;
}

// ---- 2. the rig lock --------------------------------------------------------------------------

// --lock-file: one run per rig; the kernel drops the lock however this process ends. False when
// another lockrig holds it (said on stderr; the run exits 75).
bool take_rig_lock(const RunRequest& req, std::optional<FileLock>& rig_lock) {
  if (req.lock_file.empty()) return true;
  LockHolder holder;
  try {
    rig_lock = FileLock::try_acquire(req.lock_file, "lockrig run --db " + req.db_path, &holder);
  } catch (const std::runtime_error& e) {
    throw UsageError(std::string("--lock-file: ") + e.what());
  }
  if (!rig_lock) {
    std::fprintf(stderr,
                 "%slockrig: rig lock %s is held by %s; not starting a second run on the same "
                 "rig\n",
                 log_prefix(log_level::err), quote(req.lock_file).c_str(),
                 holder.describe().c_str());
    return false;
  }
  return true;
}

// ---- 3. the inputs: loaded, or those of the run to resume ------------------------------------

// Loads and cross-checks everything a run needs; any mistake is reported before the journal
// is touched.
struct Inputs {
  Fixture fixture;
  std::vector<Scenario> scenarios;
};

Inputs load_inputs(const std::string& fixture_path, const std::vector<std::string>& scenario_paths,
                   const drivers::DriverRegistry& registry) {
  Inputs in;
  in.fixture = load_fixture(fixture_path);
  validate_fixture_drivers(in.fixture, registry);
  for (const auto& p : scenario_paths)
    for (auto& s : load_scenarios(p)) {
      for (const auto& prev : in.scenarios)
        if (prev.name == s.name)
          throw ConfigError(s.where,
                            "scenario " + quote(s.name) + " is also defined in " + prev.source);
      validate_against_fixture(s, in.fixture);
      in.scenarios.push_back(std::move(s));
    }
  return in;
}

// `--resume`: rebuilds the inputs of a run from what it recorded, refusing files that changed.
Inputs load_recorded_inputs(const RunRecord& run, const drivers::DriverRegistry& registry) {
  const std::string name = "run " + std::to_string(run.id);
  Inputs in;
  try {
    in = load_inputs(run.fixture_source, run.scenario_files, registry);
  } catch (const ConfigError& e) {
    throw UsageError("--resume: cannot load the files " + name + " was started with: " + e.what());
  }
  auto changed = [&](const std::string& file, const std::string& then, const std::string& now) {
    return UsageError("--resume: " + quote(file) + " changed since " + name + " started (sha256 " +
                      then.substr(0, 12) + "... then, " + now.substr(0, 12) +
                      "... now); a resumed run must use the files it started with (restore them, "
                      "or start a new run)");
  };
  if (in.fixture.sha256 != run.fixture_sha256)
    throw changed(run.fixture_source, run.fixture_sha256, in.fixture.sha256);
  if (in.scenarios.size() != run.scenarios.size())
    throw UsageError("--resume: the scenario files of " + name + " now define " +
                     std::to_string(in.scenarios.size()) + " scenarios, " +
                     std::to_string(run.scenarios.size()) + " when it started");
  for (auto& s : in.scenarios) {
    auto it = std::find_if(run.scenarios.begin(), run.scenarios.end(),
                           [&](const RunRecord::ScenarioRow& r) { return r.name == s.name; });
    if (it == run.scenarios.end())
      throw UsageError("--resume: scenario " + quote(s.name) + " in " + quote(s.source) +
                       " was not part of " + name);
    if (it->sha256 != s.sha256) throw changed(s.source, it->sha256, s.sha256);
    s.repeat = it->repeat;  // the repeat count the run used (after any --repeat)
  }
  return in;
}

// What a run works on: its inputs, the open journal and, with --resume, the run it continues;
// the run lock once taken.
struct Prepared {
  Inputs in;
  std::optional<Journal> journal;
  std::optional<RunRecord> stored;
  std::optional<FileLock> run_lock;
  std::optional<RunLockItems> run_lock_items;  // the run lock as the engine's ItemTracker
};

// A new run (or campaign): inputs and plan are checked before the journal is opened.
void prepare_new_run(RunRequest& req, const drivers::DriverRegistry& registry, Prepared& p) {
  p.in = load_inputs(req.fixture_path, req.scenario_paths, registry);
  // Plan errors before the journal is opened.
  (void)make_plan(p.in.fixture, p.in.scenarios, req.opt.plan);
  if (req.until_decided)
    (void)validate_until_decided(p.in.fixture, p.in.scenarios, registry, *req.until_decided);
  p.journal.emplace(Journal::open(req.db_path, req.sync));
  // A campaign's blocks are runs of their own, each with a fresh uuid and no run lock.
  if (!req.until_decided) req.opt.uuid = make_uuid_v4();
}

// --resume: selects the run and takes its run lock (false: another lockrig holds it, said on
// stderr), then rebuilds its inputs and options from what it recorded.
bool prepare_resume(RunRequest& req, const drivers::DriverRegistry& registry, Prepared& p) {
  // Never create a journal just to find nothing in it.
  struct stat st {};
  if (::stat(req.db_path.c_str(), &st) != 0)
    throw UsageError("--resume: journal " + quote(req.db_path) + " does not exist");
  // issue 17, item 8: nothing to resume, and no schema written into it just to find that out.
  if (Journal::has_no_schema(req.db_path))
    throw UsageError("--resume: journal " + quote(req.db_path) + " is empty: " +
                     kEmptyJournalNote);
  p.journal.emplace(Journal::open(req.db_path, req.sync));
  const RunRecord found = find_run_to_resume(*p.journal, req.resume_selector, run_lock_holder(req.db_path));
  p.run_lock = take_run_lock(req.db_path, found, "lockrig run --resume");
  if (!p.run_lock) return false;
  // Look again now that the run is ours: another resume may have finished it meanwhile.
  try {
    p.stored = find_run_to_resume(*p.journal, std::to_string(found.id),
                                  run_lock_holder(req.db_path), true);
  } catch (const UsageError& e) {
    // issue 17, item 8: the loser of two concurrent resumes finds the run finished by the
    // winner: that is "busy, try again" (75), not a usage error.
    throw BusyError(std::string(e.what()) + " (another lockrig resumed it meanwhile)");
  }
  if (!p.stored->has_plan) {
    // Killed between journaling the run and its plan: nothing ran. Close it for good.
    p.journal->finish_run(p.stored->id, RunStatus::aborted, exit_code::usage, utc_now_iso8601(), 0);
    throw UsageError("--resume: run " + std::to_string(p.stored->id) +
                     " stopped before its plan was journaled (nothing ran); closed it as "
                     "aborted; start a new run");
  }
  p.in = load_recorded_inputs(*p.stored, registry);
  RunOptions& opt = req.opt;
  opt.seed = p.stored->seed;
  opt.plan.lock_filter = p.stored->locks;
  opt.clock = p.stored->clock == "virtual" ? ClockMode::virtual_time : ClockMode::real_time;
  opt.resume = &*p.stored;
  opt.scenario_files = p.stored->scenario_files;
  (void)make_plan(p.in.fixture, p.in.scenarios, opt.plan);
  return true;
}

// ---- 4. the run lock --------------------------------------------------------------------------

// A new run's lock (a resume took its run's already; a campaign's blocks have none). It goes
// with the run once the run has ended; a crash leaves it for --resume.
void take_new_run_lock(RunRequest& req, Prepared& p) {
  RunOptions& opt = req.opt;
  if (!p.run_lock && !req.until_decided) {
    try {
      p.run_lock = FileLock::try_acquire(run_lock_path(req.db_path, opt.uuid),
                                         "lockrig run " + opt.uuid, nullptr);
    } catch (const std::runtime_error& e) {
      throw JournalError(e.what());
    }
    if (!p.run_lock)
      throw JournalError("run lock " + quote(run_lock_path(req.db_path, opt.uuid)) + " is taken");
  }
  if (p.run_lock) {
    p.run_lock->remove_on_release();
    p.run_lock->record_crashes();
    opt.items = &p.run_lock_items.emplace(*p.run_lock);
  }
}

// ---- 5. the run -------------------------------------------------------------------------------

// How the run ended: a run's outcome, or a campaign's.
struct Ended {
  RunOutcome out;
  std::optional<UntilDecidedOutcome> decided;
};

// Runs with the progress display, which is finished (its line ended) when this returns or
// throws. A JournalError is the rig's storage failing mid-run.
Ended run_with_progress(RunRequest& req, Prepared& p, const drivers::DriverRegistry& registry,
                        const StopSignals& signals) {
  req.opt.stop_signal = &signals.signal;
  ProgressPrinter progress(stderr, req.progress, req.color);
  Ended ended;
  try {
    if (req.until_decided)
      ended.decided = run_until_decided(p.in.fixture, p.in.scenarios, registry, *p.journal, req.opt,
                                        *req.until_decided, progress, req.quiet ? nullptr : stdout,
                                        signals.stop);
    else {
      // Issue 15, item 2: external captures around the run (rig/app/capture.hpp).
      std::optional<RunCaptures> captures;
      if (!req.captures.empty())
        captures.emplace(req.captures,
                         (req.evidence_dir.empty() ? req.db_path + ".evidence" : req.evidence_dir) +
                             "/" + (req.opt.uuid.empty() ? utc_now_iso8601() : req.opt.uuid));
      ended.out = run_plan(p.in.fixture, p.in.scenarios, registry, *p.journal, req.opt,
                               progress, signals.stop);
      if (captures) {
        for (const auto& w : captures->stop()) ended.out.warnings.push_back(w);
        for (const auto& [key, value] : captures->labels())
          p.journal->set_label(ended.out.run_id, key, value);
      }
    }
  } catch (...) {
    progress.finish();
    throw;
  }
  progress.finish();
  return ended;
}

// ---- 6. the summary and the exit code ---------------------------------------------------------

int finish_campaign(const UntilDecidedOutcome& decided) {
  if (decided.exit_code == exit_code::rig_fault || decided.exit_code >= 128)
    std::fprintf(stderr, "%slockrig: campaign %s stopped undecided: %s\n",
                 log_prefix(log_level::err), decided.campaign.c_str(), decided.stop_reason.c_str());
  return decided.exit_code;
}

int finish_run(const RunRequest& req, Prepared& p, const RunOutcome& out) {
  const RunOptions& opt = req.opt;
  Journal& journal = *p.journal;
  for (const auto& n : out.resume_notes)
    std::fprintf(stderr, "%slockrig: resume: %s\n", log_prefix(log_level::warning), n.c_str());
  for (const auto& w : out.warnings)
    std::fprintf(stderr, "%slockrig: warning: %s\n", log_prefix(log_level::warning),
                 printable(w).c_str());  // may quote what a lock reported (issue 17 item 7)

  if (!req.quiet) {
    if (out.part > 1)
      std::printf(
          "\nrun %s resumed (part %d): %lld sessions kept from earlier parts, %lld run "
          "now\n",
          out.uuid.c_str(), out.part, out.sessions_before,
          out.counters.sessions - out.sessions_before);
    std::printf("\nrun %s (%s) on rig %s, seed %llu, journal %s\n", out.uuid.c_str(),
                out.status.c_str(), p.in.fixture.rig.c_str(),
                static_cast<unsigned long long>(opt.seed), req.db_path.c_str());
    std::printf("%lld sessions, %lld attempts, %.1f s of campaign time\n\n", out.counters.sessions,
                out.counters.attempts, out.campaign_seconds);
    std::fputs(reports::run_summary(journal, out.run_id).c_str(), stdout);
  }
  if (!out.abort_reason.empty())
    std::fprintf(stderr, "%slockrig: run %s: %s\n", log_prefix(log_level::err), out.status.c_str(),
                 printable(out.abort_reason).c_str());
  if (out.counters.failed_assertions > 0) {
    std::fprintf(
        stderr,
        "%slockrig: %lld assertion(s) failed (expected-failure, recovery or wait_until checks)\n",
        log_prefix(log_level::warning), out.counters.failed_assertions);
    // Issue 15, item 6: which ones, with what was expected and what happened.
    for (const auto& line : reports::failed_assertion_lines(journal, out.run_id, 10))
      std::fprintf(stderr, "%slockrig:   %s\n", log_prefix(log_level::warning), line.c_str());
  }
  if (!out.safe_state_restored)
    std::fprintf(stderr,
                 "%slockrig: WARNING: the bench could not be returned to its safe state; "
                 "see the journal's events (kind safe_state)\n",
                 log_prefix(log_level::err));
  std::fflush(stdout);
  return out.exit_code;
}

}  // namespace

int run_command(const CommandLine& cl) {
  std::optional<RunRequest> req = parse_run_options(cl);
  if (!req) return exit_code::ok;  // --help
  std::optional<FileLock> rig_lock;
  if (!take_rig_lock(*req, rig_lock)) return exit_code::busy;
  const auto& registry = drivers::builtin_drivers();
  Prepared p;
  if (!req->resume)
    prepare_new_run(*req, registry, p);
  else if (!prepare_resume(*req, registry, p))
    return exit_code::busy;
  take_new_run_lock(*req, p);
  const StopSignals signals = install_stop_signals();
  Ended ended;
  try {
    ended = run_with_progress(*req, p, registry, signals);
  } catch (const JournalError& e) {
    // The journal was fine when the run started, so this is the rig's storage failing mid-run.
    std::fprintf(stderr, "%slockrig: rig fault: journal failed during the run: %s\n",
                 log_prefix(log_level::err), e.what());
    return exit_code::rig_fault;
  }
  if (ended.decided) return finish_campaign(*ended.decided);
  return finish_run(*req, p, ended.out);
}

}  // namespace lockrig
