// Issue 15, item 2: per-run external captures (`lockrig run --capture 'btmon -w {dir}/hci.log'`):
// programs started before the run and stopped after it, whose files sit next to the journal's
// evidence. Exec'd without a shell (the command is split on spaces; `{dir}` is the run's evidence
// directory), each in its own process group with stdout and stderr in {dir}/capture-N.log.
// Evidence is best-effort: a capture that is missing, fails or hangs is a warning naming it, never
// a lock outcome; stopping sends SIGINT (btmon and tcpdump flush on it), then SIGKILL to the
// whole group after a timeout.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace lockrig {

class RunCaptures {
 public:
  // Starts every command; `dir` is created if missing. Never throws for a command's own failure.
  RunCaptures(const std::vector<std::string>& commands, std::string dir,
              std::chrono::milliseconds stop_timeout = std::chrono::seconds(5));
  ~RunCaptures();
  RunCaptures(const RunCaptures&) = delete;
  RunCaptures& operator=(const RunCaptures&) = delete;

  // Stops the captures still running (idempotent). Returns the warnings of the whole life.
  std::vector<std::string> stop();
  // What the journal keeps per capture, as run labels: ("capture.N", "argv; log; started/stopped
  // at UTC; how it ended"), so each session's window (runs.started_at + started_ns) can be found
  // in the capture's own timestamps.
  std::vector<std::pair<std::string, std::string>> labels() const;
  const std::string& dir() const { return dir_; }

 private:
  struct Capture {
    std::vector<std::string> argv;
    std::string log, started_at, stopped_at, ended;
    pid_t pid = -1;
    bool running = false;
  };
  std::string dir_;
  std::chrono::milliseconds stop_timeout_;
  std::vector<Capture> captures_;
  std::vector<std::string> warnings_;
};

}  // namespace lockrig
