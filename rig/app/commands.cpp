#include "rig/app/commands.hpp"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "drivers/rig_fault.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/log.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/journal.hpp"
#include "rig/journal/resume.hpp"  // BusyError

namespace po = boost::program_options;

namespace lockrig {

const std::vector<Command>& commands() {
  using S = Command::Section;
  static const std::vector<Command> table = {
      {"run", S::rig,
       "run scenarios on a rig and journal every attempt (no options: the built-in\n"
       "simulated rig and the nightly scenarios, journal ./lockrig.db)",
       run_command},
      {"check", S::rig, "validate fixture and scenario files without running anything",
       check_command},
      {"runs", S::rig, "list the runs in a journal", runs_command},
      {"show", S::rig, "a run's failed sessions, or one session's timeline with its evidence",
       show_command},  // issue 15
      {"annotate", S::journals,
       "triage notes on a run, lock or session; mute a known-flaky lock until a date",
       annotate_command},  // issue 16 item 6
      {"drivers", S::setup, "list the drivers this build knows", drivers_command},
      {"probe", S::setup, "list BLE adapters, visible locks and serial ports, to wire up a new rig",
       probe_command},
      {"report", S::journals,
       "compare success rates between versions, per door material, with intervals", report_command},
      {"gate", S::journals,
       "release gate: is the candidate non-inferior to the baseline? (exit 0/1/4)", gate_command},
      {"plan", S::journals, "sessions per version needed to detect a given drop", plan_command},
      {"slo", S::journals,
       "SLI per night against a target SLO: error budget, burn rates, trend charts", slo_command},
      {"export", S::journals, "sessions/attempts as NDJSON or CSV, or an OpenMetrics textfile",
       export_command},
      {"merge", S::journals, "combine the journals of several rigs into one (idempotent)",
       merge_command},
      {"serve", S::journals, "read-only web view of journals: live runs, nights, locks, reports, SLO",
       serve_command},
  };
  return table;
}

namespace {

std::string overview() {
  std::string s =
      "lockrig: hardware-in-the-loop reliability runs for smart locks.\n"
      "\n"
      "Usage: lockrig <command> [options]\n"
      "\n"
      "Commands:\n";
  for (auto section : {Command::Section::rig, Command::Section::journals, Command::Section::setup})
    for (const auto& c : commands()) {
      if (c.section != section) continue;
      std::string name = c.name;
      name.resize(std::max<std::size_t>(name.size() + 1, 9), ' ');
      s += "  " + name;
      for (const char* p = c.summary; *p; ++p)
        s += *p == '\n' ? "\n           " : std::string(1, *p);
      s += '\n';
    }
  s += "\n"
       "`lockrig <command> --help` explains each command's options.\n"
       "Exit codes of run: 0 ok, 1 run finished with failed assertions, 2 usage or configuration\n"
       "error, 3 a rig fault stopped (part of) the run, 75 the rig (--lock-file) or the run to\n"
       "resume is held by another lockrig, 130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP.\n"
       "Exit codes of gate: 0 pass, 1 fail (candidate shown worse), 4 inconclusive, 2 usage.\n";
  return s;
}

std::string command_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    if (i) s += ' ';
    std::string a = argv[i];
    s += a.find_first_of(" \t\"'") == std::string::npos ? a : quote(a);
  }
  return s;
}

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

}  // namespace

void print_help(const char* usage, const po::options_description& desc, const char* extra) {
  std::cout << usage << "\n" << desc << extra;
}

std::optional<FileLock> take_run_lock(const std::string& db_path, const RunRecord& run,
                                      const std::string& purpose) {
  LockHolder holder;
  auto lock = FileLock::try_acquire(run_lock_path(db_path, run.uuid), purpose, &holder);
  if (!lock)
    std::fprintf(stderr, "%slockrig: run %lld is being written by %s\n", log_prefix(log_level::err),
                 static_cast<long long>(run.id), holder.describe().c_str());
  return lock;
}

RunLockHolder run_lock_holder(const std::string& db_path) {
  return [db_path](const std::string& uuid) -> std::optional<std::string> {
    const auto holder = FileLock::holder_of(run_lock_path(db_path, uuid));
    if (!holder) return std::nullopt;
    return holder->describe();
  };
}

StopSignals install_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A closed terminal or ssh session (SIGHUP) stops the run like SIGTERM, with the bench made
  // safe; a closed output pipe (`lockrig run | head`) must not kill the run mid-session.
  sigaction(SIGHUP, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return {g_stop, g_signal};
}

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
      std::fputs(overview().c_str(), cmd.empty() ? stderr : stdout);
      return cmd.empty() ? exit_code::usage : exit_code::ok;
    }
    if (cmd == "--version") {
      std::printf("lockrig %s (journal schema %d, %s build)\n", LOCKRIG_VERSION,
                  kJournalSchemaVersion, LOCKRIG_BUILD_TYPE);
      return exit_code::ok;
    }
    std::vector<std::string> names;
    for (const auto& c : commands()) {
      if (cmd == c.name) return c.run({args, command_line(argc, argv)});
      names.push_back(c.name);
    }
    names.push_back("help");
    throw UsageError("unknown command " + quote(cmd) + did_you_mean(cmd, names) +
                     "; see lockrig --help");
  } catch (const po::error& e) {
    std::fprintf(stderr, "%slockrig %s: %s (see lockrig %s --help)\n", log_prefix(log_level::err),
                 cmd.c_str(), e.what(), cmd.c_str());
    return exit_code::usage;
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "%slockrig: error: %s\n", log_prefix(log_level::err), e.what());
    return exit_code::usage;
  } catch (const BusyError& e) {
    std::fprintf(stderr, "%slockrig: error: %s\n", log_prefix(log_level::err), e.what());
    return exit_code::busy;
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
