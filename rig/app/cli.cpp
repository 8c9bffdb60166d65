#include "rig/app/cli.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>

#include <boost/program_options.hpp>

#include "drivers/bluez/probe.hpp"
#include "drivers/registry.hpp"
#include "drivers/serial/transport.hpp"
#include "drivers/rig_fault.hpp"
#include "reports/commands.hpp"
#include "reports/export.hpp"
#include "reports/slo.hpp"
#include "reports/format.hpp"
#include "reports/summary.hpp"
#include "rig/engine/campaign_until_decided.hpp"
#include "rig/base/embedded.hpp"
#include "rig/base/errors.hpp"
#include "rig/engine/fixture.hpp"
#include "rig/journal/journal.hpp"
#include "rig/journal/merge.hpp"
#include "rig/base/options.hpp"
#include "rig/base/log.hpp"
#include "rig/app/progress.hpp"
#include "rig/journal/resume.hpp"
#include "rig/app/run_lock.hpp"
#include "rig/app/until_decided_options.hpp"
#include "rig/engine/runner.hpp"
#include "rig/engine/scenario.hpp"
#include "rig/base/text.hpp"
#include "rig/base/yaml_util.hpp"

namespace po = boost::program_options;

namespace lockrig {

namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

extern "C" void on_stop_signal(int sig) {
  if (g_stop.load()) {
    // A second signal: the run is already stopping, most likely waiting for hardware to take
    // its safe state. Say so (write() is async-signal-safe) rather than die with the bench unsafe.
    static const char msg[] =
        "\nlockrig: stopping; returning the bench to its safe state first (kill -9 abandons that; "
        "the run can then be resumed)\n";
    [[maybe_unused]] const auto n = ::write(2, msg, sizeof msg - 1);
    return;
  }
  g_signal.store(sig);
  g_stop.store(true);
}

const char* kOverview =
    "lockrig: hardware-in-the-loop reliability runs for smart locks.\n"
    "\n"
    "Usage: lockrig <command> [options]\n"
    "\n"
    "Commands:\n"
    "  run      run scenarios on a rig and journal every attempt (no options: the built-in\n"
    "           simulated rig and the nightly scenarios, journal ./lockrig.db)\n"
    "  check    validate fixture and scenario files without running anything\n"
    "  runs     list the runs in a journal\n"
    "  report   compare success rates between versions, per door material, with intervals\n"
    "  gate     release gate: is the candidate non-inferior to the baseline? (exit 0/1/4)\n"
    "  plan     sessions per version needed to detect a given drop\n"
    "  slo      SLI per night against a target SLO: error budget, burn rates, trend charts\n"
    "  export   sessions/attempts as NDJSON or CSV, or an OpenMetrics textfile\n"
    "  merge    combine the journals of several rigs into one (idempotent)\n"
    "  drivers  list the drivers this build knows\n"
    "  probe    list BLE adapters, visible locks and serial ports, to wire up a new rig\n"
    "\n"
    "`lockrig <command> --help` explains each command's options.\n"
    "Exit codes of run: 0 ok, 1 run finished with failed assertions, 2 usage or configuration\n"
    "error, 3 a rig fault stopped (part of) the run, 75 the rig (--lock-file) or the run to\n"
    "resume is held by another lockrig, 130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP.\n"
    "Exit codes of gate: 0 pass, 1 fail (candidate shown worse), 4 inconclusive, 2 usage.\n";

std::string command_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    if (i) s += ' ';
    std::string a = argv[i];
    s += a.find_first_of(" \t\"'") == std::string::npos ? a : quote(a);
  }
  return s;
}

void print_help(const char* usage, const po::options_description& desc, const char* extra = "") {
  std::cout << usage << "\n" << desc << extra;
}


// The run lock of an interrupted run, so that only one lockrig resumes or abandons it; when
// another lockrig holds it, says who and returns nothing (the caller exits 75).
std::optional<FileLock> take_run_lock(const std::string& db_path, const StoredRun& run,
                                      const std::string& purpose) {
  LockHolder holder;
  auto lock = FileLock::try_acquire(run_lock_path(db_path, run.uuid), purpose, &holder);
  if (!lock)
    std::fprintf(stderr, "%slockrig: run %lld is being written by %s\n",
                 log_prefix(log_level::err), static_cast<long long>(run.id),
                 holder.describe().c_str());
  return lock;
}

std::map<std::string, std::string> parse_labels(const std::vector<std::string>& raw) {
  std::map<std::string, std::string> labels;
  for (const auto& l : raw) {
    auto eq = l.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == l.size())
      throw UsageError("--label wants key=value (e.g. app=5.3.0), got " + quote(l));
    std::string key = l.substr(0, eq);
    if (!is_identifier(key))
      throw UsageError("--label key " + quote(key) + " may only contain letters, digits, '-', '_', '.'");
    if (!labels.emplace(key, l.substr(eq + 1)).second)
      throw UsageError("--label " + quote(key) + " given twice");
  }
  return labels;
}

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
          throw ConfigError(s.where, "scenario " + quote(s.name) + " is also defined in " + prev.source);
      validate_against_fixture(s, in.fixture);
      in.scenarios.push_back(std::move(s));
    }
  return in;
}

// `--resume`: rebuilds the inputs of a run from what it recorded, refusing files that changed.
Inputs load_recorded_inputs(const StoredRun& run, const drivers::DriverRegistry& registry) {
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
                           [&](const StoredRun::ScenarioRow& r) { return r.name == s.name; });
    if (it == run.scenarios.end())
      throw UsageError("--resume: scenario " + quote(s.name) + " in " + quote(s.source) +
                       " was not part of " + name);
    if (it->sha256 != s.sha256) throw changed(s.source, it->sha256, s.sha256);
    s.repeat = it->repeat;  // the repeat count the run used (after any --repeat)
  }
  return in;
}

int cmd_run(const std::vector<std::string>& args, const std::string& cmdline) {
  std::string fixture_path, db_path, clock_name, progress_name, sync_name;
  std::string resume_selector, lock_file, log_format_name;
  int quarantine_after = 2;
  std::vector<std::string> scenario_paths, labels_raw, locks_raw;
  std::string seed_text;
  int repeat = 0, jobs = 0;
  po::options_description desc("Options");
  desc.add_options()
      ("help,h", "explain the options")
      ("fixture,f", po::value(&fixture_path)->default_value(kDefaultFixture),
       "fixture file describing the rig (default: the built-in simulated lab)")
      ("scenario,s", po::value(&scenario_paths)->composing(),
       "scenario or suite file; repeatable (default: the built-in nightly suite)")
      ("db", po::value(&db_path)->default_value("lockrig.db"), "journal (SQLite) to append the run to")
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
      ("sync", po::value(&sync_name)->default_value("normal"),
       "normal | full: full also survives power loss at some speed cost")
      ("resume", po::value(&resume_selector)->implicit_value(""),
       "[=RUN] continue an interrupted run (id or uuid; alone: the latest interrupted run in --db) "
       "with the fixture, scenarios, seed and locks it started with")
      ("quarantine-after", po::value(&quarantine_after)->default_value(2),
       "skip a plan item once it has crashed the controller this many times (resume)")
      ("lock-file", po::value(&lock_file),
       "rig lock: refuse to start (exit 75) while another lockrig run holds this file")
      ("log-format", po::value(&log_format_name)->default_value("auto"),
       "auto | plain | journal: journal prefixes lines with syslog priorities for journald; "
       "auto = journal when stderr is connected to the journal (JOURNAL_STREAM)")
      ("quiet,q", "no summary at the end");
  UntilDecidedArgs until_decided_args;
  add_until_decided_options(desc, until_decided_args);
  po::variables_map vm = parse_options("run", args, desc);
  if (vm.count("help")) {
    print_help("Usage: lockrig run [options]\n\nRuns the scenarios against every lock of the rig "
               "that has the channels they need,\nin parallel where locks share no switched "
               "hardware, and journals every attempt.\n",
               desc,
               "\nThe embedded defaults are readable as files: --fixture '<embedded>/fixtures/sim-lab.yaml'.\n"
               "Stop with Ctrl-C/SIGTERM/SIGHUP: the session in flight is discarded, the run is\n"
               "marked aborted with everything finished kept, and the bench returns to its safe\n"
               "state (exit 130/143/129).\n"
               "After a crash, kill -9 or power loss the run stays `running` in the journal and\n"
               "`lockrig runs` shows it as interrupted; `lockrig run --resume` continues it: the\n"
               "bench goes to its safe state first, finished sessions are kept (never repeated),\n"
               "the item in flight runs again from its first step, and an item that crashed the\n"
               "controller --quarantine-after times is skipped. See docs/operations.md.\n");
    return exit_code::ok;
  }
  const bool resume = vm.count("resume") > 0;
  if (resume)
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
  const auto until_decided = parse_until_decided(until_decided_args, vm);
  if (until_decided && resume)
    throw UsageError("--resume continues one interrupted run; a --until-decided campaign is many "
                     "runs and cannot be resumed (start a new campaign)");
  if (scenario_paths.empty())
    scenario_paths.push_back(until_decided ? "<embedded>/scenarios/door-materials.yaml"
                                           : kDefaultScenarios);

  RunOptions opt;
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
  if (clock_name == "auto") opt.clock = ClockMode::automatic;
  else if (clock_name == "virtual") opt.clock = ClockMode::virtual_time;
  else if (clock_name == "real") opt.clock = ClockMode::real_time;
  else throw UsageError("--clock must be auto, virtual or real, got " + quote(clock_name));
  ProgressMode pmode;
  if (progress_name == "auto") pmode = ProgressMode::automatic;
  else if (progress_name == "bar") pmode = ProgressMode::bar;
  else if (progress_name == "lines") pmode = ProgressMode::lines;
  else if (progress_name == "off") pmode = ProgressMode::off;
  else throw UsageError("--progress must be auto, bar, lines or off, got " + quote(progress_name));
  SyncMode sync;
  if (sync_name == "normal") sync = SyncMode::normal;
  else if (sync_name == "full") sync = SyncMode::full;
  else throw UsageError("--sync must be normal or full, got " + quote(sync_name));
  opt.seed = vm.count("seed") ? seed : std::random_device{}() & 0x7fffffff;
  opt.command_line = cmdline;
  opt.stop_signal = &g_signal;
  opt.scenario_files = scenario_paths;

  // One run per rig: the kernel drops the lock however this process ends.
  std::optional<FileLock> rig_lock;
  if (!lock_file.empty()) {
    LockHolder holder;
    try {
      rig_lock = FileLock::try_acquire(lock_file, "lockrig run --db " + db_path, &holder);
    } catch (const std::runtime_error& e) {
      throw UsageError(std::string("--lock-file: ") + e.what());
    }
    if (!rig_lock) {
      std::fprintf(stderr,
                   "%slockrig: rig lock %s is held by %s; not starting a second run on the same "
                   "rig\n",
                   log_prefix(log_level::err), quote(lock_file).c_str(), holder.describe().c_str());
      return exit_code::busy;
    }
  }

  const auto& registry = drivers::builtin_drivers();
  Inputs in;
  std::optional<Journal> journal_slot;
  std::optional<StoredRun> stored;
  std::optional<FileLock> run_lock;
  if (!resume) {
    in = load_inputs(fixture_path, scenario_paths, registry);
    // Plan errors before the journal is opened.
    (void)make_plan(in.fixture, in.scenarios, opt.plan);
    if (until_decided)
      (void)validate_until_decided(in.fixture, in.scenarios, registry, *until_decided);
    journal_slot.emplace(Journal::open(db_path, sync));
    // A campaign's blocks are runs of their own, each with a fresh uuid and no run lock.
    if (!until_decided) opt.uuid = make_uuid_v4();
  } else {
    // Never create a journal just to find nothing in it.
    struct stat st {};
    if (::stat(db_path.c_str(), &st) != 0)
      throw UsageError("--resume: journal " + quote(db_path) + " does not exist");
    journal_slot.emplace(Journal::open(db_path, sync));
    const StoredRun found = find_run_to_resume(*journal_slot, resume_selector);
    run_lock = take_run_lock(db_path, found, "lockrig run --resume");
    if (!run_lock) return exit_code::busy;
    // Look again now that the run is ours: another resume may have finished it meanwhile.
    stored = find_run_to_resume(*journal_slot, std::to_string(found.id), true);
    if (!stored->has_plan) {
      // Killed between journaling the run and its plan: nothing ran. Close it for good.
      journal_slot->finish_run(stored->id, "aborted", exit_code::usage, utc_now_iso8601(), 0);
      throw UsageError("--resume: run " + std::to_string(stored->id) +
                       " stopped before its plan was journaled (nothing ran); closed it as "
                       "aborted; start a new run");
    }
    in = load_recorded_inputs(*stored, registry);
    opt.seed = stored->seed;
    opt.plan.lock_filter = stored->locks;
    opt.clock = stored->clock == "virtual" ? ClockMode::virtual_time : ClockMode::real_time;
    opt.resume = &*stored;
    opt.scenario_files = stored->scenario_files;
    (void)make_plan(in.fixture, in.scenarios, opt.plan);
  }
  Journal& journal = *journal_slot;
  if (!run_lock && !until_decided) {
    try {
      run_lock = FileLock::try_acquire(run_lock_path(db_path, opt.uuid),
                                       "lockrig run " + opt.uuid, nullptr);
    } catch (const std::runtime_error& e) {
      throw JournalError(e.what());
    }
    if (!run_lock)
      throw JournalError("run lock " + quote(run_lock_path(db_path, opt.uuid)) + " is taken");
  }
  // The run lock goes with the run once it has ended; a crash leaves it for --resume.
  if (run_lock) {
    run_lock->remove_on_release();
    run_lock->record_crashes();
    opt.run_lock = &*run_lock;
  }

  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A closed terminal or ssh session (SIGHUP) stops the run like SIGTERM, with the bench made
  // safe; a closed output pipe (`lockrig run | head`) must not kill the run mid-session.
  sigaction(SIGHUP, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  ProgressPrinter progress(stderr, pmode);
  RunOutcome out;
  std::optional<UntilDecidedOutcome> decided;
  try {
    if (until_decided)
      decided = run_until_decided(in.fixture, in.scenarios, registry, journal, opt,
                                  *until_decided, progress,
                                  vm.count("quiet") ? nullptr : stdout, g_stop);
    else
      out = run_campaign(in.fixture, in.scenarios, registry, journal, opt, progress, g_stop);
  } catch (const JournalError& e) {
    // The journal was fine when the run started, so this is the rig's storage failing mid-run.
    progress.finish();
    std::fprintf(stderr, "%slockrig: rig fault: journal failed during the run: %s\n",
                 log_prefix(log_level::err), e.what());
    return exit_code::rig_fault;
  } catch (...) {
    progress.finish();
    throw;
  }
  if (decided) {
    progress.finish();
    if (decided->exit_code == exit_code::rig_fault || decided->exit_code >= 128)
      std::fprintf(stderr, "%slockrig: campaign %s stopped undecided: %s\n",
                   log_prefix(log_level::err), decided->campaign.c_str(),
                   decided->stop_reason.c_str());
    return decided->exit_code;
  }
  progress.finish();
  for (const auto& n : out.resume_notes)
    std::fprintf(stderr, "%slockrig: resume: %s\n", log_prefix(log_level::warning), n.c_str());
  for (const auto& w : out.warnings)
    std::fprintf(stderr, "%slockrig: warning: %s\n", log_prefix(log_level::warning), w.c_str());

  if (!vm.count("quiet")) {
    if (out.part > 1)
      std::printf("\nrun %s resumed (part %d): %lld sessions kept from earlier parts, %lld run "
                  "now\n",
                  out.uuid.c_str(), out.part, out.sessions_before,
                  out.counters.sessions - out.sessions_before);
    std::printf("\nrun %s (%s) on rig %s, seed %llu, journal %s\n", out.uuid.c_str(),
                out.status.c_str(), in.fixture.rig.c_str(), static_cast<unsigned long long>(opt.seed),
                db_path.c_str());
    std::printf("%lld sessions, %lld attempts, %.1f s of campaign time\n\n", out.counters.sessions,
                out.counters.attempts, out.campaign_seconds);
    std::fputs(reports::run_summary(journal.db(), out.run_id).c_str(), stdout);
  }
  if (!out.abort_reason.empty())
    std::fprintf(stderr, "%slockrig: run %s: %s\n", log_prefix(log_level::err), out.status.c_str(),
                 out.abort_reason.c_str());
  if (out.counters.failed_assertions > 0)
    std::fprintf(stderr,
                 "%slockrig: %lld assertion(s) failed (expected-failure, recovery or wait_until checks)\n",
                 log_prefix(log_level::warning), out.counters.failed_assertions);
  if (!out.safe_state_restored)
    std::fprintf(stderr,
                 "%slockrig: WARNING: the bench could not be returned to its safe state; "
                 "see the journal's events (kind safe_state)\n",
                 log_prefix(log_level::err));
  std::fflush(stdout);
  return out.exit_code;
}

// lockrig check --journal: the aggregate tables against the raw rows they summarize.
int check_journal(const std::string& path, bool upgrade) {
  // A missing file is an error, not a new journal, also with --upgrade.
  if (upgrade) Journal::open_readonly(path);
  Journal j = upgrade ? Journal::open(path) : Journal::open_readonly(path);
  if (!j.has_aggregates()) {
    std::fprintf(stderr,
                 "error: journal %s has schema version %d, without aggregates (reports compute "
                 "them on the fly); build them with: lockrig check --journal %s --upgrade\n",
                 quote(path).c_str(), j.schema_version(), path.c_str());
    return exit_code::usage;
  }
  const auto mismatches = j.check_aggregates();
  if (mismatches.empty()) {
    long long sessions = 0, attempts = 0, groups = 0;
    sqlite3_stmt* st = nullptr;
    sqlite_check(sqlite3_prepare_v2(j.db(),
                                    "SELECT (SELECT COALESCE(sum(sessions), 0) FROM agg_sessions), "
                                    "(SELECT COALESCE(sum(attempts), 0) FROM agg_attempts), "
                                    "(SELECT count(*) FROM agg_sessions)",
                                    -1, &st, nullptr),
                 j.db(), "count aggregates");
    if (sqlite3_step(st) == SQLITE_ROW) {
      sessions = sqlite3_column_int64(st, 0);
      attempts = sqlite3_column_int64(st, 1);
      groups = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    std::printf(
        "ok  journal %s: schema version %d, aggregates agree with the raw rows (%s "
        "sessions in %s groups, %s attempts)\n",
        path.c_str(), j.schema_version(), reports::with_commas(sessions).c_str(),
        reports::with_commas(groups).c_str(), reports::with_commas(attempts).c_str());
    return exit_code::ok;
  }
  for (const auto& m : mismatches)
    std::fprintf(stderr, "mismatch %s: %s\n", m.table.c_str(), m.detail.c_str());
  std::fprintf(stderr,
               "error: journal %s: the aggregate tables disagree with the sessions/attempts rows "
               "(first %zu differences above); reports from it would be wrong\n",
               quote(path).c_str(), mismatches.size());
  return 1;
}

int cmd_check(const std::vector<std::string>& args) {
  std::vector<std::string> files;
  std::string fixture_path, journal_path;
  po::options_description desc("Options");
  desc.add_options()("help,h", "explain the options")(
      "fixture,f", po::value(&fixture_path)->default_value(kDefaultFixture),
      "fixture that scenario files are checked against (channel and supply names)")(
      "journal", po::value(&journal_path),
      "check a journal instead: recompute its aggregate tables from the sessions and attempts "
      "rows and compare (exit 0 when they agree, 1 when they do not)")(
      "upgrade",
      "with --journal: open it for writing first, upgrading a schema-1 journal (builds "
      "the aggregates from its rows)")("file", po::value(&files)->composing(),
                                       "fixture or scenario files");
  po::positional_options_description pos;
  pos.add("file", -1);
  po::variables_map vm = parse_options("check", args, desc, &pos);
  if (vm.count("upgrade") && journal_path.empty())
    throw UsageError("--upgrade goes with --journal PATH");
  if (!journal_path.empty()) {
    if (!files.empty())
      throw UsageError("--journal checks a journal; check " + quote(files.front()) +
                       " in a separate lockrig check");
    return check_journal(journal_path, vm.count("upgrade") > 0);
  }
  if (vm.count("help") || files.empty()) {
    print_help(
        "Usage: lockrig check [--fixture F] FILE...\n"
        "       lockrig check --journal PATH [--upgrade]\n\nValidates fixture and "
        "scenario files (strictly: unknown keys, wrong types, bad durations,\nunknown "
        "channels) and reports the first mistake in each file with file:line:col.\n"
        "Scenarios are checked against --fixture, or else against the first fixture among\n"
        "the FILEs, or else against the built-in simulated lab.\n\nWith --journal, "
        "checks that the journal's aggregate tables (what reports read) equal\nthe same "
        "aggregates recomputed from its sessions and attempts rows.\n",
        desc);
    return files.empty() && !vm.count("help") ? exit_code::usage : exit_code::ok;
  }
  const auto& registry = drivers::builtin_drivers();
  // A file is a fixture when its top level has any fixture key (a typo in one of them, such
  // as `rigg:`, is then reported against the fixture's keys, not the scenario's).
  auto is_fixture = [](const YAML::Node& root) {
    if (!root.IsMap()) return false;
    for (const char* key : {"rig", "locks", "switches", "supplies", "on_rig_fault", "drivers"})
      if (root[key]) return true;
    return false;
  };
  // Without --fixture, scenarios are checked against the first fixture given with them.
  if (vm["fixture"].defaulted())
    for (const auto& f : files) try {
        const std::string text = read_source_file(f);
        if (is_fixture(yaml::parse(text, f))) {
          fixture_path = f;
          break;
        }
      } catch (const ConfigError&) {
        // reported in the loop below
      }
  std::optional<Fixture> fixture;
  auto reference = [&]() -> const Fixture& {
    if (!fixture) {
      fixture = load_fixture(fixture_path);
      validate_fixture_drivers(*fixture, registry);
    }
    return *fixture;
  };
  int bad = 0;
  for (const auto& f : files) {
    try {
      const std::string text = read_source_file(f);
      const YAML::Node root = yaml::parse(text, f);
      if (is_fixture(root)) {
        Fixture fx = parse_fixture(text, f);
        validate_fixture_drivers(fx, registry);
        std::size_t channels = 0;
        for (const auto& b : fx.switches) channels += b.channels.size();
        auto n = [](std::size_t count, const char* one, const char* many) {
          return std::to_string(count) + " " + (count == 1 ? one : many);
        };
        std::printf("ok  %s: rig %s, %s, %s, %s\n", f.c_str(), fx.rig.c_str(),
                    n(fx.locks.size(), "lock", "locks").c_str(),
                    n(channels, "switch channel", "switch channels").c_str(),
                    n(fx.supplies.size(), "supply", "supplies").c_str());
      } else {
        auto scenarios = parse_scenarios(text, f);
        const Fixture& fx = reference();
        std::vector<std::string> names;
        for (const auto& s : scenarios) {
          validate_against_fixture(s, fx);
          names.push_back(s.name + " x" + std::to_string(s.repeat));
        }
        (void)make_plan(fx, scenarios, PlanOptions{});
        std::printf("ok  %s: %s (checked against rig %s)\n", f.c_str(), join(names, ", ").c_str(),
                    fx.rig.c_str());
      }
    } catch (const ConfigError& e) {
      ++bad;
      std::fprintf(stderr, "error: %s\n", e.what());
    }
  }
  return bad ? exit_code::usage : exit_code::ok;
}

int cmd_runs(const std::vector<std::string>& args) {
  std::string db_path;
  po::options_description desc("Options");
  desc.add_options()("help,h", "explain the options")(
      "db", po::value(&db_path)->default_value("lockrig.db"), "journal to read")(
      "interrupted", "print only the ids of interrupted runs, one per line (for scripts)")(
      "abandon", po::value<std::string>(),
      "close interrupted run RUN (id or uuid) as aborted instead of resuming it, e.g. when its "
      "files are gone");
  po::variables_map vm = parse_options("runs", args, desc);
  if (vm.count("help")) {
    print_help("Usage: lockrig runs [--db FILE] [--interrupted | --abandon RUN]\n\nLists the "
               "runs in a journal, oldest first. A run shown as `interrupted` is `running`\nin the journal but no "
               "lockrig process holds its run lock any more (crash, kill -9,\npower loss): "
               "continue it with lockrig run --resume RUN.\n",
               desc);
    return exit_code::ok;
  }
  if (vm.count("abandon")) {
    const std::string selector = vm["abandon"].as<std::string>();
    if (selector.empty()) throw UsageError("--abandon wants a run id or uuid");
    Journal j = Journal::open(db_path);
    const StoredRun found = find_run_to_resume(j, selector);
    if (found.status != "running")
      throw UsageError("--abandon: run " + std::to_string(found.id) + " is " + found.status +
                       ", not interrupted");
    auto lock = take_run_lock(db_path, found, "lockrig runs --abandon");
    if (!lock) return exit_code::busy;
    abandon_run(j.db(), found.id, "interrupted run closed by lockrig runs --abandon");
    lock->remove_on_release();
    std::printf("run %lld (%s) closed as aborted; its journaled sessions stay\n",
                static_cast<long long>(found.id), found.uuid.c_str());
    return exit_code::ok;
  }
  Journal j = Journal::open_readonly(db_path);
  auto runs = j.list_runs();
  std::vector<std::int64_t> interrupted;
  for (auto& r : runs)
    if (r.status == "running" && is_interrupted(db_path, r.status, r.uuid)) {
      // The lock may have been released because the run just finished: look again.
      Journal again = Journal::open_readonly(db_path);
      for (const auto& now : again.list_runs())
        if (now.id == r.id && now.status == "running") {
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
    std::printf("%-4lld %-36s %-12s %-24s %-10s %8lld %8s %5lld %7lld  %s\n",
                static_cast<long long>(r.id), r.uuid.c_str(), r.rig.c_str(), r.started_at.c_str(),
                r.status.c_str(), r.sessions, sli, r.rig_faults, r.failed_assertions, r.labels.c_str());
  }
  for (auto id : interrupted)
    std::printf("run %lld was interrupted (no lockrig process holds it); continue it with: "
                "lockrig run --resume %lld --db %s (or give up on it: lockrig runs --abandon "
                "%lld)\n",
                static_cast<long long>(id), static_cast<long long>(id), quote(db_path).c_str(),
                static_cast<long long>(id));
  return exit_code::ok;
}

int cmd_probe(const std::vector<std::string>& args) {
  std::string scan_text, adapter;
  po::options_description desc("Options");
  desc.add_options()("help,h", "explain the options")(
      "scan", po::value(&scan_text)->default_value("5s"), "how long to scan for BLE devices (0s: no scan)")(
      "adapter", po::value(&adapter), "BLE adapter to scan with (default: every powered adapter)")(
      "no-ble", "skip BLE")("no-serial", "skip serial ports");
  po::variables_map vm = parse_options("probe", args, desc);
  if (vm.count("help")) {
    print_help("Usage: lockrig probe [options]\n\nLists what a new rig can reach: BLE adapters and "
               "the devices they see (address, name,\nRSSI, services) through BlueZ, and serial "
               "ports with their stable USB identities\n(for fixture settings such as usb: "
               "\"1a86:7523\" or port: /dev/serial/by-id/...).\n",
               desc);
    return exit_code::ok;
  }
  auto scan = parse_duration(scan_text);
  if (!scan) throw UsageError("--scan must be a duration such as 5s, got " + quote(scan_text));
  bool failed = false;
  if (!vm.count("no-ble")) {
    try {
      auto adapters = drivers::bluez::list_ble_adapters();
      const auto named = [&](const drivers::bluez::BleAdapterInfo& a) {
        return adapter.empty() || drivers::bluez::names_adapter(a, adapter);
      };
      if (!adapter.empty() && std::none_of(adapters.begin(), adapters.end(), named)) {
        std::vector<std::string> have;
        for (const auto& a : adapters) have.push_back(a.name + " (" + a.address + ")");
        throw UsageError("--adapter " + quote(adapter) + ": BlueZ has no such adapter; it has: " +
                         (have.empty() ? "none" : join(have, ", ")));
      }
      std::printf("BLE adapters (%zu):\n", adapters.size());
      for (const auto& a : adapters)
        std::printf("  %-6s %s  %s%s%s\n", a.name.c_str(), a.address.c_str(), a.alias.c_str(),
                    a.powered ? "  powered" : "  NOT powered", a.discovering ? ", discovering" : "");
      for (const auto& a : adapters) {
        if (!named(a) || scan->count() == 0) continue;
        if (!a.powered) {
          if (!adapter.empty())
            std::fprintf(stderr, "%s is not powered: not scanned\n", a.name.c_str());
          continue;
        }
        std::fprintf(stderr, "scanning with %s for %s...\n", a.name.c_str(),
                     format_duration(*scan).c_str());
        auto devices = drivers::bluez::scan_ble_devices(a.name, *scan);
        std::printf("BLE devices seen by %s (%zu):\n", a.name.c_str(), devices.size());
        for (const auto& d : devices)
          std::printf("  %s  %-24s %5s dBm  %s%s\n", d.address.c_str(), d.name.c_str(),
                      d.rssi_dbm ? std::to_string(*d.rssi_dbm).c_str() : "?",
                      join(d.service_uuids, " ").c_str(), d.connected ? "  (connected)" : "");
      }
    } catch (const drivers::RigFault& e) {
      failed = true;
      std::fprintf(stderr, "BLE: unavailable: %s\n", e.what());
    }
  }
  if (!vm.count("no-serial")) {
    try {
      auto ports = drivers::serial::list_serial_ports();
      std::printf("serial ports (%zu):\n", ports.size());
      for (const auto& p : ports) {
        char usb[64] = "";
        if (p.usb_vid && p.usb_pid)
          std::snprintf(usb, sizeof usb, "usb %04x:%04x%s%s", *p.usb_vid, *p.usb_pid,
                        p.usb_serial.empty() ? "" : ":", p.usb_serial.c_str());
        std::printf("  %-14s %-8s %-28s %s %s\n", p.name.c_str(), p.transport.c_str(), usb,
                    p.description.c_str(), p.by_id.c_str());
      }
    } catch (const drivers::RigFault& e) {
      failed = true;
      std::fprintf(stderr, "serial: unavailable: %s\n", e.what());
    }
  }
  return failed ? exit_code::rig_fault : exit_code::ok;
}

int cmd_drivers() {
  const auto& r = drivers::builtin_drivers();
  std::printf("lock drivers:   %s\n", join(r.lock_driver_names(), ", ").c_str());
  std::printf("switch drivers: %s\n", join(r.switch_driver_names(), ", ").c_str());
  std::printf("supply drivers: %s\n", join(r.supply_driver_names(), ", ").c_str());
  return exit_code::ok;
}

}  // namespace

int lockrig_main(int argc, char** argv) {
  std::string cmd = argc >= 2 ? argv[1] : "";
  std::vector<std::string> args(argv + std::min(argc, 2), argv + argc);
  if (cmd == "help" && !args.empty()) {  // `lockrig help run` = `lockrig run --help`
    cmd = args.front();
    args = {"--help"};
  }
  // Errors from any command carry syslog priorities when stderr goes to the journal
  // (`lockrig run --log-format` overrides this for runs).
  if (stderr_is_journal()) set_log_format(LogFormat::journal);
  try {
    if (cmd.empty() || cmd == "--help" || cmd == "-h" || cmd == "help") {
      std::fputs(kOverview, cmd.empty() ? stderr : stdout);
      return cmd.empty() ? exit_code::usage : exit_code::ok;
    }
    if (cmd == "--version") {
      std::printf("lockrig %s (journal schema %d)\n", LOCKRIG_VERSION, kJournalSchemaVersion);
      return exit_code::ok;
    }
    if (cmd == "run") return cmd_run(args, command_line(argc, argv));
    if (cmd == "check") return cmd_check(args);
    if (cmd == "runs") return cmd_runs(args);
    if (cmd == "drivers") return cmd_drivers();
    if (cmd == "probe") return cmd_probe(args);
    if (cmd == "report") return reports::cmd_report(args);
    if (cmd == "gate") return reports::cmd_gate(args);
    if (cmd == "plan") return reports::cmd_plan(args);
    if (cmd == "slo") return reports::cmd_slo(args);
    if (cmd == "export") return reports::cmd_export(args);
    if (cmd == "merge") return cmd_merge(args, std::cout);
    throw UsageError("unknown command " + quote(cmd) +
                     did_you_mean(cmd, {"run", "check", "runs", "drivers", "probe", "report",
                                        "gate", "plan", "slo", "export", "merge", "help"}) +
                     "; see lockrig --help");
  } catch (const po::error& e) {
    std::fprintf(stderr, "%slockrig %s: %s (see lockrig %s --help)\n", log_prefix(log_level::err),
                 cmd.c_str(), e.what(), cmd.c_str());
    return exit_code::usage;
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "%slockrig: error: %s\n", log_prefix(log_level::err), e.what());
    return exit_code::usage;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%slockrig: error: %s\n", log_prefix(log_level::err), e.what());
    return exit_code::usage;
  } catch (const JournalError& e) {
    std::fprintf(stderr, "%slockrig: error: %s\n", log_prefix(log_level::err), e.what());
    return exit_code::usage;
  } catch (const drivers::RigFault& e) {
    std::fprintf(stderr, "%slockrig: rig fault: %s\n", log_prefix(log_level::err), e.what());
    return exit_code::rig_fault;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%slockrig: internal error: %s\n", log_prefix(log_level::err), e.what());
    return exit_code::rig_fault;
  }
}

}  // namespace lockrig
