#include "rig/app/capture.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "rig/base/text.hpp"
#include "rig/engine/runner.hpp"

namespace lockrig {

namespace {

std::vector<std::string> split_words(const std::string& command, const std::string& dir) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while ((at = command.find_first_not_of(" \t", at)) != std::string::npos) {
    const std::size_t end = command.find_first_of(" \t", at);
    std::string word = command.substr(at, end == std::string::npos ? end : end - at);
    for (std::size_t p = word.find("{dir}"); p != std::string::npos; p = word.find("{dir}", p))
      word.replace(p, 5, dir);
    out.push_back(std::move(word));
    at = end;
  }
  return out;
}

std::string how_it_ended(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "ended";
}

}  // namespace

RunCaptures::RunCaptures(const std::vector<std::string>& commands, std::string dir,
                         std::chrono::milliseconds stop_timeout)
    : dir_(std::move(dir)), stop_timeout_(stop_timeout) {
  // Absolute, so the journal's capture.N labels name files a report made elsewhere (JUnit's
  // [[ATTACHMENT|path]] lines) can find whatever the current directory.
  {
    std::error_code abs_ec;
    const auto abs = std::filesystem::absolute(dir_, abs_ec);
    if (!abs_ec) dir_ = abs.lexically_normal().string();
  }
  if (commands.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) {
    warnings_.push_back("capture: cannot create the evidence directory " + quote(dir_) + " (" +
                        ec.message() + "); no capture runs");
    return;
  }
  for (std::size_t i = 0; i < commands.size(); ++i) {
    Capture c;
    c.argv = split_words(commands[i], dir_);
    c.log = dir_ + "/capture-" + std::to_string(i + 1) + ".log";
    const std::string name = quote(commands[i]);
    if (c.argv.empty()) {
      warnings_.push_back("capture " + name + " is empty; skipped");
      continue;
    }
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) {
      warnings_.push_back("capture " + name + ": cannot create a pipe (" +
                          std::strerror(errno) + ")");
      continue;
    }
    const int log = ::open(c.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    std::vector<char*> args;
    for (auto& a : c.argv) args.push_back(a.data());
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::setpgid(0, 0);
      const int null = ::open("/dev/null", O_RDONLY);
      if (null >= 0) ::dup2(null, 0);
      if (log >= 0) {
        ::dup2(log, 1);
        ::dup2(log, 2);
      }
      ::execvp(args[0], args.data());
      const int err = errno;
      (void)!::write(report[1], &err, sizeof err);
      ::_exit(127);
    }
    ::close(report[1]);
    if (log >= 0) ::close(log);
    if (pid < 0) {
      ::close(report[0]);
      warnings_.push_back("capture " + name + ": cannot fork (" + std::strerror(errno) + ")");
      continue;
    }
    ::setpgid(pid, pid);
    int err = 0;
    const ssize_t got = ::read(report[0], &err, sizeof err);
    ::close(report[0]);
    c.pid = pid;
    c.started_at = utc_now_iso8601();
    if (got == static_cast<ssize_t>(sizeof err)) {
      ::waitpid(pid, nullptr, 0);
      c.ended = std::string("not started: ") + std::strerror(err);
      warnings_.push_back("capture " + name + " could not be started (" + std::strerror(err) +
                          "); the run goes on without it");
    } else {
      c.running = true;
    }
    captures_.push_back(std::move(c));
  }
}

RunCaptures::~RunCaptures() {
  stop();
}

std::vector<std::string> RunCaptures::stop() {
  for (auto& c : captures_) {
    if (!c.running) continue;
    c.running = false;
    c.stopped_at = utc_now_iso8601();
    const std::string name = quote(join(c.argv, " "));
    int status = 0;
    // Ended on its own during the run (a capture that failed): say so.
    if (::waitpid(c.pid, &status, WNOHANG) == c.pid) {
      c.ended = "ended during the run: " + how_it_ended(status);
      warnings_.push_back("capture " + name + " " + c.ended + " (its output: " + c.log + ")");
      continue;
    }
    ::kill(-c.pid, SIGINT);
    const auto give_up = std::chrono::steady_clock::now() + stop_timeout_;
    bool done = false;
    while (std::chrono::steady_clock::now() < give_up) {
      if (::waitpid(c.pid, &status, WNOHANG) == c.pid) {
        done = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (done) {
      c.ended = "stopped: " + how_it_ended(status);
      ::kill(-c.pid, SIGKILL);  // anything it left behind in its group
      continue;
    }
    ::kill(-c.pid, SIGKILL);
    ::waitpid(c.pid, &status, 0);
    c.ended = "hung on SIGINT; its process group was killed after " +
              format_duration(std::chrono::duration_cast<Duration>(stop_timeout_));
    warnings_.push_back("capture " + name + " " + c.ended);
  }
  return warnings_;
}

std::vector<std::pair<std::string, std::string>> RunCaptures::labels() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i < captures_.size(); ++i) {
    const Capture& c = captures_[i];
    out.emplace_back("capture." + std::to_string(i + 1),
                     join(c.argv, " ") + "; log " + c.log + "; started " + c.started_at +
                         (c.stopped_at.empty() ? "" : "; stopped " + c.stopped_at) + "; " +
                         c.ended);
  }
  return out;
}

}  // namespace lockrig
