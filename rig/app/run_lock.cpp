#include "rig/app/run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "rig/engine/runner.hpp"
#include "rig/base/text.hpp"

namespace lockrig {

namespace {

// The text header takes the first 3 KiB, the crash note the next 16 bytes (zero = none), the
// slots follow from 4 KiB, 16 bytes each.
constexpr off_t kCrashOffset = 3072;
constexpr off_t kSlotsOffset = 4096;
constexpr std::int32_t kCrashMagic = 0x48535243;  // "CRSH"
static_assert(sizeof(ItemSlot) == 16);

struct CrashNote {
  std::int32_t magic, signal, group, reserved;
};

thread_local int tl_group = -1;
std::atomic<int> g_crash_fd{-1};

extern "C" void on_fatal_signal(int sig) {
  const int fd = g_crash_fd.load();
  if (fd >= 0) {
    const CrashNote note{kCrashMagic, sig, tl_group, 0};
    (void)!::pwrite(fd, &note, sizeof note, kCrashOffset);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

std::string hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string errno_text() {
  return std::strerror(errno);
}

LockHolder read_holder(int fd) {
  char buf[kCrashOffset] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  LockHolder h;
  if (n <= 0) return h;
  std::string text(buf, static_cast<std::size_t>(n));
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(at, end - at);
    at = end + 1;
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "pid")
      h.pid = value;
    else if (key == "host")
      h.host = value;
    else if (key == "started")
      h.started_at = value;
    else if (key == "what")
      h.what = value;
  }
  return h;
}

}  // namespace

std::string LockHolder::describe() const {
  if (pid.empty()) return "another process (its lock file names no holder yet)";
  std::string s = "pid " + pid + " on host " + (host.empty() ? "?" : host);
  if (!started_at.empty()) s += " since " + started_at;
  if (!what.empty()) s += " (" + what + ")";
  return s;
}

std::optional<FileLock> FileLock::try_acquire(const std::string& path, const std::string& what,
                                              LockHolder* holder) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error("cannot open lock file " + quote(path) + ": " + errno_text());
  FileLock lock(fd, path);
  // A reader (`lockrig runs`) may hold a shared lock for an instant while it looks: try a few
  // times before calling the lock taken.
  for (int tries = 0;; ++tries) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) break;
    if (errno != EWOULDBLOCK && errno != EINTR)
      throw std::runtime_error("cannot lock " + quote(path) + ": " + errno_text());
    if (tries == 10) {
      if (holder) *holder = read_holder(fd);
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // What the previous holder (a process that died) was doing, and whether it crashed.
  CrashNote note{};
  if (::pread(fd, &note, sizeof note, kCrashOffset) == sizeof note && note.magic == kCrashMagic)
    lock.previous_crash_ = Crash{note.signal, note.group};
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > kSlotsOffset) {
    const std::size_t n = static_cast<std::size_t>(st.st_size - kSlotsOffset) / sizeof(ItemSlot);
    lock.previous_.resize(n);
    const ssize_t got = ::pread(fd, lock.previous_.data(), n * sizeof(ItemSlot), kSlotsOffset);
    if (got < 0)
      lock.previous_.clear();
    else
      lock.previous_.resize(static_cast<std::size_t>(got) / sizeof(ItemSlot));
  }
  std::string header =
      "lockrig lock: held while the process below runs; released by the kernel "
      "when it ends\npid=" +
      std::to_string(::getpid()) + "\nhost=" + hostname() + "\nstarted=" + utc_now_iso8601() +
      "\nwhat=" + what + "\n";
  if (header.size() >= static_cast<std::size_t>(kCrashOffset)) header.resize(kCrashOffset - 1);
  header.resize(kSlotsOffset, '\0');  // also clears the crash note
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, header.data(), header.size(), 0) != static_cast<ssize_t>(header.size()))
    throw std::runtime_error("cannot write lock file " + quote(path) + ": " + errno_text());
  return lock;
}

std::optional<LockHolder> FileLock::holder_of(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<LockHolder> out;
  if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
    ::flock(fd, LOCK_UN);
  } else {
    out = read_holder(fd);
  }
  ::close(fd);
  return out;
}

FileLock::FileLock(FileLock&& o) noexcept
    : fd_(o.fd_),
      path_(std::move(o.path_)),
      remove_(o.remove_),
      previous_(std::move(o.previous_)),
      previous_crash_(o.previous_crash_) {
  o.fd_ = -1;
}

FileLock& FileLock::operator=(FileLock&& o) noexcept {
  if (this != &o) {
    release();
    fd_ = o.fd_;
    path_ = std::move(o.path_);
    remove_ = o.remove_;
    previous_ = std::move(o.previous_);
    previous_crash_ = o.previous_crash_;
    o.fd_ = -1;
  }
  return *this;
}

FileLock::~FileLock() {
  release();
}

void FileLock::release() noexcept {
  if (fd_ < 0) return;
  int mine = fd_;
  g_crash_fd.compare_exchange_strong(mine, -1);
  // Unlink while still holding the lock, so nobody can take a lock on a file about to vanish
  // and believe they hold it.
  if (remove_) ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

void FileLock::set_slot(std::size_t group, const ItemSlot& slot) {
  // Best effort: losing this only makes a later resume count crashes less precisely.
  (void)!::pwrite(fd_, &slot, sizeof slot,
                  kSlotsOffset + static_cast<off_t>(group * sizeof(ItemSlot)));
}

void FileLock::clear_slots(std::size_t groups) {
  for (std::size_t g = 0; g < groups; ++g) set_slot(g, ItemSlot{});
}

void FileLock::record_crashes() {
  g_crash_fd = fd_;
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGSYS}) sigaction(sig, &sa, nullptr);
}

void set_crash_context(int group) {
  tl_group = group;
}

void RunLockItems::enter_group(int group) {
  set_crash_context(group);
}
void RunLockItems::set_slot(std::size_t group, const ItemSlot& slot) {
  lock_.set_slot(group, slot);
}
const std::vector<ItemSlot>& RunLockItems::previous_slots() const {
  return lock_.previous_slots();
}
std::optional<ItemCrash> RunLockItems::previous_crash() const {
  return lock_.previous_crash();
}

std::string run_lock_path(const std::string& journal_path, const std::string& run_uuid) {
  return journal_path + ".run-" + run_uuid + ".lock";
}

}  // namespace lockrig
