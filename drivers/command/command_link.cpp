// The `command` lock link: settings, argv expansion, and the outcome rules.
#include "drivers/command/command_link.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "drivers/command/process.hpp"
#include "drivers/command/result_json.hpp"
#include "drivers/rig_fault.hpp"
#include "drivers/transcript.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::command {

namespace {

constexpr const char* kKeys[] = {"program",        "version_command", "advertising_command",
                                 "overrun_grace",  "on_overrun",      "term_grace",
                                 "version_timeout"};

// For a program written as one string with spaces (`program: "./harness.sh unlock"`): how to
// write it as the list it must be, since there is no shell to split it.
std::string list_hint(const Settings& s, const std::string& key, const std::string& name) {
  const YAML::Node node = s.node()[key];
  if (!node.IsScalar() || name.find_first_of(" \t") == std::string::npos) return "";
  std::vector<std::string> words;
  std::size_t at = 0;
  while ((at = name.find_first_not_of(" \t", at)) != std::string::npos) {
    const std::size_t end = name.find_first_of(" \t", at);
    words.push_back(name.substr(at, end == std::string::npos ? end : end - at));
    at = end;
  }
  return "; " + key + " is one string here, but it is run without a shell: write it as a list, " +
         "e.g. " + key + ": [" + join(words, ", ") + "]";
}

// A program is named by path (relative paths are relative to the fixture) or looked up in PATH.
std::string resolve_program(const std::string& name, const Settings& s, const std::string& key) {
  namespace fs = std::filesystem;
  if (name.find('/') != std::string::npos) {
    fs::path p = name;
    if (p.is_relative() && !s.file().empty()) p = fs::path(s.file()).parent_path() / p;
    if (::access(p.c_str(), X_OK) != 0)
      throw ConfigError(s.where(key), key + ": " + quote(p.string()) +
                                          " is not an executable file (" + std::strerror(errno) +
                                          ")" + list_hint(s, key, name));
    return p.string();
  }
  const char* path_env = std::getenv("PATH");
  std::string path = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    fs::path candidate =
        fs::path(path.substr(start, end - start).empty() ? "." : path.substr(start, end - start)) /
        name;
    if (::access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate)) return name;
    start = end + 1;
  }
  throw ConfigError(s.where(key),
                    key + ": " + quote(name) + " is not in PATH" + list_hint(s, key, name));
}

std::optional<std::vector<std::string>> argv_from(const Settings& lock, const Settings& shared,
                                                  const std::string& key) {
  const Settings& s = lock.has(key) ? lock : shared;
  if (!s.has(key)) return std::nullopt;
  std::vector<std::string> argv = s.get_string_list(key);
  if (argv.empty())
    throw ConfigError(s.where(key), key + " must list the program and its arguments");
  argv[0] = resolve_program(argv[0], s, key);
  return argv;
}

Duration duration_from(const Settings& lock, const Settings& shared, const std::string& key,
                       Duration fallback) {
  const Settings& s = lock.has(key) ? lock : shared;
  Duration d = s.get_duration(key, fallback);
  if (d < Duration(0) || d > std::chrono::hours(1))
    throw ConfigError(s.where(key), key + " must be between 0s and 1h, got " + format_duration(d));
  return d;
}

std::string stderr_hint(const ProcessResult& r) {
  std::string tail = redact(r.err_tail);  // issue 15: a lock key never reaches an error message
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
  if (tail.size() > 200) tail = tail.substr(tail.size() - 200);
  return tail.empty() ? "" : "; stderr ends: " + quote(sanitize_detail(tail, 200));
}

// The rig itself could not create a pipe or a process: a fault of the rig, not of the harness.
// Evidence (issue 15): the program's argv, its stdout and stderr and how it ended go to the
// calling thread's transcript (drivers/transcript.hpp), redacted there.
void record(const std::vector<std::string>& argv, const ProcessResult& p,
            const std::string& lock_id) {
  if (!current_transcript()) return;
  transcript_text(TranscriptDirection::to_device, lock_id + " exec", join(argv, " "));
  if (!p.out.empty())
    transcript_text(TranscriptDirection::from_device, lock_id + " stdout",
                    p.out + (p.out_truncated ? " [cut]" : ""));
  if (!p.err_tail.empty())
    transcript_text(TranscriptDirection::from_device, lock_id + " stderr", p.err_tail);
  std::string end;
  if (!p.started)
    end = std::string("not started: ") + std::strerror(p.exec_errno);
  else if (p.timed_out)
    end = "timed out; process group killed";
  else if (p.signaled)
    end = "killed by " + signal_name(p.signal);
  else
    end = "exit code " + std::to_string(p.exit_code);
  transcript_text(TranscriptDirection::note, lock_id + " exec",
                  end + " after " + format_duration(p.elapsed));
}

ProcessResult run_or_fault(const std::vector<std::string>& argv, const ProcessOptions& opts,
                           const std::string& lock_id) {
  try {
    ProcessResult p = run_process(argv, opts);
    record(argv, p, lock_id);
    return p;
  } catch (const std::system_error& e) {
    throw RigFault("command", "lock " + lock_id + ": cannot start " +
                                  quote(argv.empty() ? "" : argv[0]) + ": " + e.what());
  }
}

std::string describe(const std::vector<std::string>& argv) {
  return quote(argv.empty() ? "" : argv[0]);
}

}  // namespace

CommandConfig parse_command_config(const LockSpec& spec) {
  const Settings& s = spec.settings;
  const Settings& shared = spec.shared;
  shared.require_known_keys({kKeys[0], kKeys[1], kKeys[2], kKeys[3], kKeys[4], kKeys[5], kKeys[6]},
                            "the fixture's drivers.command block");
  s.require_known_keys({kKeys[0], kKeys[1], kKeys[2], kKeys[3], kKeys[4], kKeys[5], kKeys[6]},
                       "the settings of command lock " + quote(spec.id));
  CommandConfig c;
  auto program = argv_from(s, shared, "program");
  if (!program)
    throw ConfigError(s.where(), "command lock " + quote(spec.id) +
                                     " needs program: [the harness, its arguments…]");
  c.program = *program;
  c.version_command = argv_from(s, shared, "version_command").value_or(std::vector<std::string>{});
  c.advertising_command =
      argv_from(s, shared, "advertising_command").value_or(std::vector<std::string>{});
  c.overrun_grace = duration_from(s, shared, "overrun_grace", c.overrun_grace);
  c.term_grace = duration_from(s, shared, "term_grace", c.term_grace);
  c.version_timeout = duration_from(s, shared, "version_timeout", c.version_timeout);
  const Settings& o = s.has("on_overrun") ? s : shared;
  const std::string overrun = o.get_string("on_overrun", "rig_fault");
  if (overrun != "rig_fault" && overrun != "timeout")
    throw ConfigError(o.where("on_overrun"),
                      "on_overrun must be rig_fault or timeout, got " + quote(overrun));
  c.overrun_is_timeout = overrun == "timeout";
  return c;
}

CommandLockLink::CommandLockLink(std::string lock_id, CommandConfig config)
    : lock_id_(std::move(lock_id)), config_(std::move(config)) {}

std::vector<std::string> CommandLockLink::expand(const std::vector<std::string>& templ,
                                                 Duration timeout) const {
  const std::pair<std::string, std::string> subs[] = {
      {"{lock_id}", lock_id_},
      {"{timeout_ms}",
       std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count())},
      {"{attempt}", std::to_string(attempt_)},
  };
  std::vector<std::string> argv;
  for (std::string arg : templ) {
    for (const auto& [from, to] : subs)
      for (auto at = arg.find(from); at != std::string::npos; at = arg.find(from, at + to.size()))
        arg.replace(at, from.size(), to);
    argv.push_back(std::move(arg));
  }
  return argv;
}

ConnectResult CommandLockLink::connect(Duration) {
  connected_ = true;
  ConnectResult r;
  r.detail = "app-driven: the app manages its own connection";
  return r;
}

UnlockResult CommandLockLink::unlock(Duration timeout) {
  ++attempt_;
  const std::vector<std::string> argv = expand(config_.program, timeout);
  ProcessOptions opts;
  opts.timeout = timeout + config_.overrun_grace;
  opts.term_grace = config_.term_grace;
  const ProcessResult p = run_or_fault(argv, opts, lock_id_);
  const std::string who = "lock " + lock_id_ + ": app harness " + describe(argv);
  if (!p.started)
    throw RigFault("command", who + " could not be run (" + std::strerror(p.exec_errno) + ")");
  if (p.timed_out) {
    const std::string what = "reported nothing within the budget of " + format_duration(timeout) +
                             " plus " + format_duration(config_.overrun_grace) +
                             " grace; its process group was killed";
    if (!config_.overrun_is_timeout)
      throw RigFault("command", who + " hung: it " + what + stderr_hint(p));
    UnlockResult r;
    r.outcome = LockOutcome::timeout;
    r.latency = p.elapsed;
    r.detail = "the app harness " + what;
    return r;
  }
  if (p.signaled)
    throw RigFault("command", who + " crashed (" + signal_name(p.signal) + ")" + stderr_hint(p));

  Interpretation in = interpret_result_output(p.out);
  if (in.malformed || p.out_truncated)
    throw RigFault(
        "command",
        who + " broke the result contract: it " +
            (p.out_truncated ? std::string("printed more than 64 KiB on stdout") : in.problem) +
            " (exit code " + std::to_string(p.exit_code) + ")" + stderr_hint(p));
  UnlockResult r;
  if (!in.report) {
    r.outcome = LockOutcome::protocol_error;
    r.latency = p.elapsed;
    r.detail = "the app harness reported something lockrig cannot interpret: " + in.problem;
    return r;
  }
  r.outcome = in.report->outcome;
  r.latency = in.report->latency.value_or(p.elapsed);
  r.rssi_dbm = in.report->rssi_dbm;
  r.detail = redact(in.report->detail);  // issue 15: the journal never gets a lock key
  if (p.exit_code != 0)
    r.detail += (r.detail.empty() ? "" : "; ") + std::string("harness exit code ") +
                std::to_string(p.exit_code);
  return r;
}

std::optional<LockIdentity> CommandLockLink::identity(Duration timeout) {
  LockIdentity id;
  if (config_.version_command.empty()) return id;
  ProcessOptions opts;
  opts.timeout = std::min(timeout, config_.version_timeout);
  opts.term_grace = config_.term_grace;
  const std::vector<std::string> argv = expand(config_.version_command, timeout);
  const ProcessResult p = run_or_fault(argv, opts, lock_id_);
  const std::string who = "lock " + lock_id_ + ": version command " + describe(argv);
  if (!p.started)
    throw RigFault("command", who + " could not be run (" + std::strerror(p.exec_errno) + ")");
  if (p.timed_out)
    throw RigFault("command", who + " did not finish within " + format_duration(opts.timeout));
  if (p.signaled)
    throw RigFault("command", who + " crashed (" + signal_name(p.signal) + ")" + stderr_hint(p));
  if (p.exit_code != 0)
    throw RigFault("command",
                   who + " failed with exit code " + std::to_string(p.exit_code) + stderr_hint(p));
  std::string version;
  std::size_t start = 0;
  while (start < p.out.size() && version.empty()) {
    std::size_t end = p.out.find('\n', start);
    if (end == std::string::npos) end = p.out.size();
    std::string line = p.out.substr(start, end - start);
    const auto first = line.find_first_not_of(" \t\r");
    const auto last = line.find_last_not_of(" \t\r");
    if (first != std::string::npos) version = line.substr(first, last - first + 1);
    start = end + 1;
  }
  if (version.empty()) throw RigFault("command", who + " printed no version");
  id.client_version = sanitize_detail(version, 120);
  return id;
}

bool CommandLockLink::advertising(Duration window) {
  if (config_.advertising_command.empty()) return true;
  ProcessOptions opts;
  opts.timeout = window + config_.overrun_grace;
  opts.term_grace = config_.term_grace;
  const std::vector<std::string> argv = expand(config_.advertising_command, window);
  const ProcessResult p = run_or_fault(argv, opts, lock_id_);
  const std::string who = "lock " + lock_id_ + ": advertising command " + describe(argv);
  if (!p.started)
    throw RigFault("command", who + " could not be run (" + std::strerror(p.exec_errno) + ")");
  if (p.timed_out) throw RigFault("command", who + " hung past " + format_duration(opts.timeout));
  if (p.signaled)
    throw RigFault("command", who + " crashed (" + signal_name(p.signal) + ")" + stderr_hint(p));
  if (p.exit_code == 0) return true;
  if (p.exit_code == 1) return false;
  throw RigFault("command",
                 who + " failed with exit code " + std::to_string(p.exit_code) + stderr_hint(p));
}

}  // namespace lockrig::drivers::command
