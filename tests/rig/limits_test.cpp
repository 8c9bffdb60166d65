// Issue 17 item 8 (limits): durations that fit the clocks, bounded free text in fixtures and
// scenarios, and a VirtualClock that saturates instead of wrapping into negative time.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "rig/base/clock.hpp"
#include "rig/base/embedded.hpp"
#include "rig/base/yaml_util.hpp"
#include "rig/engine/fixture.hpp"
#include "rig/engine/scenario.hpp"

using namespace lockrig;
using namespace std::chrono_literals;

namespace {

std::string scenario_error(const std::string& yaml) {
  try {
    auto s = parse_scenarios(yaml, "sc.yaml");
    Fixture f = load_fixture(kDefaultFixture);
    for (const auto& one : s) validate_against_fixture(one, f);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string fixture_error(const std::string& yaml) {
  try {
    parse_fixture(yaml, "rig.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

const std::string kLock = "locks:\n  - {id: a-1, material: wood, driver: sim}\n";

}  // namespace

// The case: `wait: 270000h` was accepted by `check` and overflowed the virtual clock.
TEST(DurationLimits, AWaitLongerThanThirtyDaysIsRefusedAtItsValueNamingTheMaximum) {
  EXPECT_EQ(scenario_error("name: t\nsteps:\n  - wait: 270000h\n  - unlock:\n"),
            "sc.yaml:3:11: wait must be at most 720h00m00s (30 days), got \"270000h\"");
  // Beyond what parse_duration can hold at all: still named as too long, not as malformed.
  EXPECT_EQ(scenario_error("name: t\nsteps:\n  - wait: 99999999999999999999h\n  - unlock:\n"),
            "sc.yaml:3:11: wait must be at most 720h00m00s (30 days), got "
            "\"99999999999999999999h\"");
  EXPECT_EQ(scenario_error("name: t\nsteps:\n  - wait: 720h\n  - unlock:\n"), "(no error)");
}

TEST(DurationLimits, WithinBackoffAndTimeoutsHaveTheSameMaximum) {
  EXPECT_EQ(scenario_error("name: t\nsteps:\n  - unlock: {within: 721h}\n"),
            "sc.yaml:3:22: within must be at most 720h00m00s (30 days), got \"721h\"");
  EXPECT_NE(scenario_error("name: t\nsteps:\n  - unlock: {retry: {backoff: 50000h}}\n")
                .find("backoff must be at most 720h00m00s (30 days), got \"50000h\""),
            std::string::npos);
  EXPECT_NE(scenario_error("name: t\nsteps:\n  - unlock:\n"
                           "  - wait_until: {condition: advertising, timeout: 100000h}\n")
                .find("timeout must be at most 720h00m00s"),
            std::string::npos);
  // A malformed duration keeps its own message.
  EXPECT_NE(scenario_error("name: t\nsteps:\n  - wait: soon\n  - unlock:\n")
                .find("wait must be a duration such as"),
            std::string::npos);
}

TEST(TextLimits, AFixtureModelOrDescriptionPastItsBoundIsRefusedWithItsLocation) {
  const std::string big_model(kMaxNameLength + 1, 'M');
  EXPECT_EQ(fixture_error("rig: r\nlocks:\n  - {id: a-1, model: " + big_model +
                          ", material: wood, driver: sim}\n"),
            "rig.yaml:3:22: model must be at most 256 bytes, got 257 bytes starting \"" +
                std::string(40, 'M') + "\"");
  const std::string big_text(kMaxDescriptionLength + 1, 'd');
  EXPECT_NE(fixture_error("rig: r\ndescription: " + big_text + "\n" + kLock)
                .find("rig.yaml:2:14: description must be at most 4096 bytes, got 4097 bytes"),
            std::string::npos);
  const std::string big_id(kMaxNameLength + 1, 'i');
  EXPECT_NE(fixture_error("rig: r\nlocks:\n  - {id: " + big_id + ", material: wood, driver: sim}\n")
                .find("lock id must be at most 256 bytes"),
            std::string::npos);
  // At the bound it is accepted.
  EXPECT_EQ(fixture_error("rig: r\nlocks:\n  - {id: a-1, model: " +
                          std::string(kMaxNameLength, 'M') + ", material: wood, driver: sim}\n"),
            "(no error)");
}

TEST(TextLimits, AScenarioDescriptionPastItsBoundIsRefused) {
  EXPECT_NE(scenario_error("name: t\ndescription: " + std::string(kMaxDescriptionLength + 1, 'x') +
                           "\nsteps:\n  - unlock:\n")
                .find("sc.yaml:2:14: description must be at most 4096 bytes"),
            std::string::npos);
}

TEST(VirtualClock, SaturatesAtTheEndOfTimeInsteadOfWrappingNegative) {
  VirtualClock c(TimePoint(kClockMax.count() - 10));
  c.sleep_for(std::chrono::hours(270000));
  EXPECT_EQ(c.now(), kClockMax);
  c.sleep_for(1ns);
  EXPECT_EQ(c.now(), kClockMax);
  EXPECT_GT(c.now().count(), 0);
  // Ordinary sleeps still add exactly.
  VirtualClock d;
  d.sleep_for(1500ms);
  d.sleep_for(0ns);
  d.sleep_for(-5s);
  EXPECT_EQ(d.now(), TimePoint(1500ms));
}

TEST(VirtualClock, SaturatingAddHoldsBothEnds) {
  EXPECT_EQ(saturating_add(TimePoint(5), Duration(7)), TimePoint(12));
  EXPECT_EQ(saturating_add(TimePoint::max(), Duration(1)), TimePoint::max());
  EXPECT_EQ(saturating_add(TimePoint::min(), Duration(-1)), TimePoint::min());
}

TEST(StallWatch, AVirtualClockNeverStallsAndARealOneSeesNoStallWhenRunning) {
  VirtualClock v;
  EXPECT_FALSE(v.stall_between(TimePoint(0), TimePoint(std::chrono::hours(1))));
  RealClock r;
  const TimePoint a = r.now();
  std::this_thread::sleep_for(500ms);  // a sleeping thread is not a stalled controller
  EXPECT_FALSE(r.stall_between(a, r.now()));
}

// The whole process stopped (as SIGSTOP, a paused VM or a frozen cgroup stops it): the watch
// sees the gap, with its length, once the process runs again.
TEST(StallWatch, SeesTheWholeProcessStoppedAndHowLong) {
  RealClock r;
  std::this_thread::sleep_for(30ms);
  const TimePoint before = r.now();
  const pid_t waker = ::fork();
  ASSERT_GE(waker, 0);
  if (waker == 0) {
    ::usleep(600'000);
    ::kill(::getppid(), SIGCONT);
    ::_exit(0);
  }
  ::raise(SIGSTOP);
  const TimePoint after = r.now();
  int status = 0;
  ::waitpid(waker, &status, 0);
  const auto gap = r.stall_between(before, after);
  ASSERT_TRUE(gap) << "a 600 ms stop went unnoticed";
  EXPECT_GE(*gap, 400ms);
  EXPECT_LT(*gap, 5s);
  // A span that ends before the stop does not overlap it.
  EXPECT_FALSE(r.stall_between(before - 20ms, before - 10ms));
}
