// Advisory file locks held with flock(2) for as long as a process runs, released by the kernel
// however it ends (kill -9 included), so a stale lock can never block the next run.
//
// Two uses (docs/operations.md):
//  - the run lock `<journal>.run-<uuid>.lock`: held by the `lockrig run` that is writing a run.
//    A run still `running` in the journal whose run lock nobody holds was interrupted (crash,
//    kill -9, power loss) and can be resumed. The file also carries one slot per lock group with
//    the plan item the group is working on, rewritten (pwrite, no fsync) as each item starts, so
//    a resume knows exactly which items were in flight when the controller died.
//  - the rig lock (`lockrig run --lock-file PATH`): one run per rig, whichever journal it uses.
// Both files start with a text header naming the holder (pid, host, start time, what).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rig/engine/item_tracker.hpp"

namespace lockrig {

struct LockHolder {
  std::string pid, host, started_at, what;
  std::string describe() const;  // "pid 123 on host lab-1 since 2026-11-22T01:30:00.000Z (run ...)"
};

class FileLock {
 public:
  // Creates `path` if needed and takes an exclusive flock without waiting. Returns nullopt if
  // another process holds it, with the holder (as its header says) in *holder. Throws
  // std::runtime_error naming the path when the file cannot be created or opened.
  static std::optional<FileLock> try_acquire(const std::string& path, const std::string& what,
                                             LockHolder* holder);
  // Who holds `path`: nullopt if the file does not exist or nobody holds its lock.
  static std::optional<LockHolder> holder_of(const std::string& path);

  FileLock(FileLock&& o) noexcept;
  FileLock& operator=(FileLock&& o) noexcept;
  FileLock(const FileLock&) = delete;
  ~FileLock();  // releases the lock (the file stays unless remove_on_release)

  // Removes the file when the lock is released (the run lock of a run that ended).
  void remove_on_release() { remove_ = true; }

  // The slots as the previous holder left them (read when the lock was taken), for a resume.
  const std::vector<ItemSlot>& previous_slots() const { return previous_; }
  // How the previous holder died, if it crashed: the fatal signal and the lock group whose
  // worker thread raised it (-1: another thread). Written by the crash handler below.
  using Crash = ItemCrash;
  const std::optional<Crash>& previous_crash() const { return previous_crash_; }
  // Installs handlers for fatal signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGSYS) that
  // note the signal and the crashing thread's group in this file, then die as before (core
  // dump and all). kill -9 and power loss leave no note: a resume tells crashes from kills.
  void record_crashes();
  // Records what group `group` is doing. Cheap (one pwrite to the page cache), thread-safe for
  // distinct groups; survives kill -9 but not necessarily a power cut.
  void set_slot(std::size_t group, const ItemSlot& slot);
  void clear_slots(std::size_t groups);

  const std::string& path() const { return path_; }

 private:
  FileLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  void release() noexcept;
  int fd_ = -1;
  std::string path_;
  bool remove_ = false;
  std::vector<ItemSlot> previous_;
  std::optional<Crash> previous_crash_;
};

// The lock group the calling thread works on, for the crash note (-1: none).
void set_crash_context(int group);

// The run lock as the engine sees it (RunOptions::items): the slots and the crash context of
// each worker thread go into the lock file.
class RunLockItems final : public ItemTracker {
 public:
  explicit RunLockItems(FileLock& lock) : lock_(lock) {}
  void enter_group(int group) override;
  void set_slot(std::size_t group, const ItemSlot& slot) override;
  const std::vector<ItemSlot>& previous_slots() const override;
  std::optional<ItemCrash> previous_crash() const override;

 private:
  FileLock& lock_;
};

// `<journal>.run-<uuid>.lock`, beside the journal.
std::string run_lock_path(const std::string& journal_path, const std::string& run_uuid);

}  // namespace lockrig
