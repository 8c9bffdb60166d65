// The flock-based locks: exclusive across open file descriptions (so also within one process),
// the holder named from the file's header, in-flight slots carried to the next holder.
#include "rig/app/run_lock.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace lockrig {
namespace {

// A scratch directory removed with what is in it.
struct Scratch {
  std::filesystem::path dir;
  Scratch() {
    char tmpl[] = "/tmp/lockrig-run-lock-XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  ~Scratch() { std::filesystem::remove_all(dir); }
  std::string operator()(const std::string& name) const { return (dir / name).string(); }
};

TEST(FileLock, ASecondHolderIsRefusedAndToldWhoHoldsIt) {
  Scratch scratch;
  const std::string path = scratch("a.lock");
  LockHolder holder;
  auto first = FileLock::try_acquire(path, "first run", &holder);
  ASSERT_TRUE(first);
  auto second = FileLock::try_acquire(path, "second run", &holder);
  EXPECT_FALSE(second);
  EXPECT_EQ(holder.pid, std::to_string(::getpid()));
  EXPECT_EQ(holder.what, "first run");
  EXPECT_FALSE(holder.started_at.empty());
  EXPECT_NE(holder.describe().find("pid " + holder.pid), std::string::npos);
  auto seen = FileLock::holder_of(path);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->what, "first run");
}

TEST(FileLock, ReleasedLocksCanBeTakenAndRemovedOnesVanish) {
  Scratch scratch;
  const std::string path = scratch("b.lock");
  {
    auto first = FileLock::try_acquire(path, "x", nullptr);
    ASSERT_TRUE(first);
  }
  EXPECT_FALSE(FileLock::holder_of(path)) << "nobody holds a released lock";
  auto again = FileLock::try_acquire(path, "y", nullptr);
  ASSERT_TRUE(again);
  again->remove_on_release();
  again.reset();
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(FileLock::holder_of(path));
}

TEST(FileLock, TheNextHolderReadsTheSlotsThePreviousOneLeft) {
  Scratch scratch;
  const std::string path = scratch("c.lock");
  {
    auto lock = FileLock::try_acquire(path, "run", nullptr);
    ASSERT_TRUE(lock);
    EXPECT_TRUE(lock->previous_slots().empty());
    EXPECT_FALSE(lock->previous_crash());
    lock->set_slot(0, ItemSlot{ItemSlot::finished, 0, 0, 0});
    lock->set_slot(2, ItemSlot{ItemSlot::running, 3, 17, 5});
  }
  auto next = FileLock::try_acquire(path, "resume", nullptr);
  ASSERT_TRUE(next);
  const auto& slots = next->previous_slots();
  ASSERT_EQ(slots.size(), 3u);
  EXPECT_EQ(slots[0].state, ItemSlot::finished);
  EXPECT_EQ(slots[1].state, ItemSlot::idle);
  EXPECT_EQ(slots[2].state, ItemSlot::running);
  EXPECT_EQ(slots[2].scenario, 3u);
  EXPECT_EQ(slots[2].repetition, 17);
  EXPECT_EQ(slots[2].lock, 5u);
  EXPECT_FALSE(next->previous_crash()) << "no crash note without a crash";
}

TEST(FileLock, UnwritableLocationIsAnErrorNamingThePath) {
  try {
    (void)FileLock::try_acquire("/nonexistent-dir/x.lock", "x", nullptr);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.lock"), std::string::npos) << e.what();
  }
}

TEST(FileLock, RunLockSitsBesideTheJournal) {
  EXPECT_EQ(run_lock_path("/var/lib/lockrig/lockrig.db", "abc"),
            "/var/lib/lockrig/lockrig.db.run-abc.lock");
}

}  // namespace
}  // namespace lockrig
