// Running an external program for the `command` lock link: exec'd directly from an argument
// vector (no shell, so arguments with spaces or quotes arrive intact), in its own process group
// so a timeout can stop everything it started, with stdout and stderr captured.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

#include "rig/base/clock.hpp"

namespace lockrig::drivers::command {

struct ProcessOptions {
  Duration timeout = std::chrono::seconds(10);
  // After the timeout the group gets SIGTERM, then SIGKILL once this has passed.
  Duration term_grace = std::chrono::milliseconds(500);
  std::size_t max_stdout = 64 * 1024;  // beyond this stdout is cut (and flagged)
  std::size_t max_stderr = 16 * 1024;  // only the last bytes of stderr are kept
};

struct ProcessResult {
  bool started = false;  // false: exec failed, see exec_errno
  int exec_errno = 0;
  pid_t pid = -1;  // also the process group id
  bool exited = false;
  int exit_code = -1;
  bool signaled = false;  // ended by a signal it did not get from us
  int signal = 0;
  bool timed_out = false;  // we stopped it at the timeout
  std::string out;
  bool out_truncated = false;
  std::string err_tail;
  Duration elapsed{0};
};

// argv[0] is looked up in PATH unless it contains a slash. Never throws for the program's own
// failures; std::system_error only when the rig cannot create pipes or processes.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options);

// Environment variables no program started by run_process inherits: lock secrets named by a
// fixture's `key_env` (registered while the fixture is validated, before any program runs). The
// rig keeps them in its own environment. Thread-safe.
void withhold_from_children(const std::string& variable);

// "SIGSEGV", "SIGKILL", or "signal 42".
std::string signal_name(int signal);

}  // namespace lockrig::drivers::command
