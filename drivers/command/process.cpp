// fork/execvp with pipes and a deadline. Everything the child needs is prepared before fork(), so
// the child only calls async-signal-safe functions (the caller may be multi-threaded).
#include "drivers/command/process.hpp"

#include "drivers/transcript.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>

extern char** environ;

namespace lockrig::drivers::command {

namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
  int read = -1;
  int write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      throw std::system_error(errno, std::generic_category(), "pipe2");
    read = fds[0];
    write = fds[1];
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  void close_read() {
    if (read >= 0) ::close(read);
    read = -1;
  }
  void close_write() {
    if (write >= 0) ::close(write);
    write = -1;
  }
};

std::mutex withheld_mutex;
std::set<std::string>& withheld() {
  static std::set<std::string> names;
  return names;
}

// The rig's environment minus the withheld variables, as execvpe wants it. The pointers refer to
// `environ`'s strings, which live as long as nobody calls setenv/unsetenv (the rig does not while
// programs run).
std::vector<char*> child_environment() {
  std::lock_guard<std::mutex> lock(withheld_mutex);
  std::vector<char*> env;
  for (char** e = environ; e && *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    const std::string name =
        eq ? std::string(*e, static_cast<std::size_t>(eq - *e)) : std::string(*e);
    if (!withheld().count(name)) env.push_back(*e);
  }
  env.push_back(nullptr);
  return env;
}

[[noreturn]] void exec_child(char* const* argv, char* const* envp, int out_fd, int err_fd,
                             int report_fd) {
  ::setpgid(0, 0);
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd >= 0) ::dup2(null_fd, 0);
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  // Dispositions and masks survive exec: give the program the defaults the rig may have changed.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD}) ::sigaction(s, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Descriptors the rig holds (journal, sockets) must not leak into the harness.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  ::execvpe(argv[0], argv, envp);
  int e = errno;
  ssize_t ignored = ::write(report_fd, &e, sizeof e);
  (void)ignored;
  ::_exit(127);
}

bool drain(int& fd, std::string& sink, std::size_t limit, bool keep_tail, bool* truncated) {
  char buf[4096];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) {
    ::close(fd);
    fd = -1;
    return false;
  }
  sink.append(buf, static_cast<std::size_t>(n));
  if (sink.size() > limit) {
    if (keep_tail)
      sink.erase(0, sink.size() - limit);
    else
      sink.resize(limit);
    if (truncated) *truncated = true;
  }
  return true;
}

}  // namespace

void withhold_from_children(const std::string& variable) {
  std::lock_guard<std::mutex> lock(withheld_mutex);
  withheld().insert(variable);
  // The variable holds a lock secret: no transcript may store its value (issue 15).
  if (const char* value = std::getenv(variable.c_str())) register_secret(value);
}

std::string signal_name(int signal) {
  const char* abbrev = ::sigabbrev_np(signal);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
}

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  ProcessResult result;
  if (argv.empty()) {
    result.exec_errno = EINVAL;
    return result;
  }
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::vector<char*> envp = child_environment();

  Pipe out, err, report;
  const auto start = Clock::now();
  const auto deadline = start + options.timeout;
  pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid == 0) exec_child(cargv.data(), envp.data(), out.write, err.write, report.write);

  ::setpgid(pid, pid);  // also here: the parent may signal the group before the child ran setpgid
  result.pid = pid;
  out.close_write();
  err.close_write();
  report.close_write();

  int exec_errno = 0;
  ssize_t got;
  do got = ::read(report.read, &exec_errno, sizeof exec_errno);
  while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof exec_errno)) {
    ::waitpid(pid, nullptr, 0);
    result.exec_errno = exec_errno;
    result.elapsed = std::chrono::duration_cast<Duration>(Clock::now() - start);
    return result;
  }
  result.started = true;

  int status = 0;
  bool reaped = false;
  Clock::time_point reaped_at{};
  Clock::time_point term_sent_at{};
  for (;;) {
    if (!reaped && ::waitpid(pid, &status, WNOHANG) == pid) {
      reaped = true;
      reaped_at = Clock::now();
    }
    const bool pipes_open = out.read >= 0 || err.read >= 0;
    const auto now = Clock::now();
    if (reaped && !pipes_open) break;
    if (reaped && now - reaped_at > std::chrono::milliseconds(200)) {
      // The program exited but something it started still holds its output open.
      ::kill(-pid, SIGKILL);
      break;
    }
    if (!result.timed_out && now >= deadline) {
      result.timed_out = true;
      term_sent_at = now;
      ::kill(-pid, SIGTERM);
    }
    if (result.timed_out && now - term_sent_at >= options.term_grace) {
      ::kill(-pid, SIGKILL);
      if (!reaped) ::waitpid(pid, &status, 0);
      reaped = true;
      break;
    }

    auto until = result.timed_out ? term_sent_at + options.term_grace : deadline;
    if (reaped) until = std::min(until, reaped_at + std::chrono::milliseconds(200));
    int wait_ms =
        static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(until - now).count());
    // Without pipes to wake us, exit is noticed by polling waitpid.
    if (!pipes_open || reaped) wait_ms = std::min(wait_ms, 5);
    wait_ms = std::max(wait_ms, 0);
    pollfd fds[2];
    nfds_t n = 0;
    if (out.read >= 0) fds[n++] = {out.read, POLLIN, 0};
    if (err.read >= 0) fds[n++] = {err.read, POLLIN, 0};
    if (n == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
      continue;
    }
    if (::poll(fds, n, wait_ms) < 0 && errno != EINTR)
      throw std::system_error(errno, std::generic_category(), "poll");
    for (nfds_t i = 0; i < n; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      if (fds[i].fd == out.read)
        drain(out.read, result.out, options.max_stdout, false, &result.out_truncated);
      else
        drain(err.read, result.err_tail, options.max_stderr, true, nullptr);
    }
  }
  // Read what is already buffered; anything still open belongs to a killed straggler.
  for (int i = 0; i < 64 && out.read >= 0; ++i) {
    pollfd p{out.read, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0 ||
        !drain(out.read, result.out, options.max_stdout, false, &result.out_truncated))
      break;
  }
  for (int i = 0; i < 64 && err.read >= 0; ++i) {
    pollfd p{err.read, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0 ||
        !drain(err.read, result.err_tail, options.max_stderr, true, nullptr))
      break;
  }

  if (WIFEXITED(status)) {
    result.exited = true;
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signaled = !result.timed_out;
    result.signal = WTERMSIG(status);
  }
  result.elapsed = std::chrono::duration_cast<Duration>(Clock::now() - start);
  return result;
}

}  // namespace lockrig::drivers::command
