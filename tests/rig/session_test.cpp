#include "rig/engine/session.hpp"

#include <gtest/gtest.h>

#include <deque>

#include "drivers/rig_fault.hpp"

using namespace lockrig;
using namespace std::chrono_literals;
using drivers::LockOutcome;

namespace {

// A lock link that replays a script of outcomes, charging fixed times to a virtual clock.
class ScriptedLink : public drivers::LockLink {
 public:
  struct Step {
    LockOutcome connect = LockOutcome::success;
    LockOutcome unlock = LockOutcome::success;
    Duration took = 500ms;
    bool rig_fault = false;
  };
  ScriptedLink(Clock& c, std::deque<Step> script) : clock_(c), script_(std::move(script)) {}

  drivers::ConnectResult connect(Duration timeout) override {
    ++connects;
    const Step& s = script_.front();
    if (s.rig_fault) {
      script_.pop_front();
      throw drivers::RigFault("adapter", "vanished");
    }
    drivers::ConnectResult r;
    r.outcome = s.connect;
    r.elapsed = std::min(timeout, Duration(100ms));
    clock_.sleep_for(r.elapsed);
    if (s.connect != LockOutcome::success) script_.pop_front();
    else connected_ = true;
    return r;
  }
  bool connected() const override { return connected_; }
  drivers::UnlockResult unlock(Duration timeout) override {
    last_timeout = timeout;
    Step s = script_.front();
    script_.pop_front();
    drivers::UnlockResult r;
    r.outcome = s.took > timeout ? LockOutcome::timeout : s.unlock;
    r.latency = std::min(s.took, timeout);
    r.rssi_dbm = -60;
    clock_.sleep_for(r.latency);
    return r;
  }
  void disconnect() override {
    ++disconnects;
    connected_ = false;
  }
  std::optional<drivers::LockIdentity> identity(Duration) override { return std::nullopt; }
  bool advertising(Duration) override { return true; }

  int connects = 0, disconnects = 0;
  Duration last_timeout{0};

 private:
  Clock& clock_;
  std::deque<Step> script_;
  bool connected_ = false;
};

UnlockStep success_step(int attempts, Duration within = 10s) {
  UnlockStep u;
  u.within = within;
  u.retry.max_attempts = attempts;
  u.retry.backoff = 1s;
  return u;
}

std::atomic<bool> no_stop{false};

}  // namespace

TEST(Session, SucceedsOnTheFirstAttempt) {
  VirtualClock clock;
  ScriptedLink link(clock, {{}});
  auto s = run_session(link, clock, success_step(3), no_stop);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->result, SessionResult::pass);
  EXPECT_EQ(s->attempts.size(), 1u);
  EXPECT_TRUE(s->first_attempt_success);
  EXPECT_TRUE(s->sli_eligible);
  EXPECT_TRUE(s->sli_success);
  EXPECT_EQ(link.disconnects, 1) << "per_session policy disconnects after the session";
}

TEST(Session, SucceedsAfterARetryButNotOnTheFirstAttempt) {
  VirtualClock clock;
  ScriptedLink link(clock, {{LockOutcome::not_found}, {}});
  auto s = run_session(link, clock, success_step(3), no_stop);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->result, SessionResult::pass);
  ASSERT_EQ(s->attempts.size(), 2u);
  EXPECT_EQ(s->attempts[0].outcome, "not_found");
  EXPECT_EQ(s->attempts[0].phase, "connect");
  EXPECT_FALSE(s->first_attempt_success);
  EXPECT_TRUE(s->sli_success);
  // 100 ms failed connect + 1 s backoff before the second attempt started.
  EXPECT_EQ(s->attempts[1].started - s->attempts[0].started, Duration(1100ms));
}

TEST(Session, FailsWhenEveryAttemptFailsAndKeepsTheLastOutcome) {
  VirtualClock clock;
  ScriptedLink link(clock, {{LockOutcome::success, LockOutcome::rejected},
                            {LockOutcome::success, LockOutcome::rejected}});
  auto s = run_session(link, clock, success_step(2), no_stop);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->result, SessionResult::fail);
  EXPECT_EQ(s->outcome, "rejected");
  EXPECT_TRUE(s->sli_eligible);
  EXPECT_FALSE(s->sli_success);
  for (const auto& a : s->attempts) EXPECT_EQ(a.cls, AttemptClass::lock);
}

TEST(Session, EachAttemptGetsItsShareOfTheBudgetSoALostCommandLeavesTimeToRetry) {
  VirtualClock clock;
  ScriptedLink link(clock, {{LockOutcome::success, LockOutcome::success, 60s}, {}});
  auto s = run_session(link, clock, success_step(2, 10s), no_stop);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->attempts.size(), 2u);
  EXPECT_EQ(s->attempts[0].outcome, "timeout");
  EXPECT_EQ(s->result, SessionResult::pass);
  EXPECT_LE(s->ended - s->started, Duration(10s));
}

TEST(Session, NoRetryStartsOnceTheBudgetIsSpent) {
  VirtualClock clock;
  UnlockStep u = success_step(5, 3s);
  u.retry.attempt_timeout = 3s;
  ScriptedLink link(clock, {{LockOutcome::success, LockOutcome::success, 60s}, {}, {}});
  auto s = run_session(link, clock, u, no_stop);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->attempts.size(), 1u);
  EXPECT_EQ(s->result, SessionResult::fail);
  EXPECT_EQ(s->outcome, "timeout");
}

TEST(Session, ExpectedNotFoundPassesAndIsNeverAnSliEvent) {
  VirtualClock clock;
  UnlockStep u;
  u.expect.outcome = LockOutcome::not_found;
  u.sli = false;
  u.retry.max_attempts = 3;
  ScriptedLink link(clock, {{LockOutcome::not_found}});
  auto s = run_session(link, clock, u, no_stop);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->result, SessionResult::pass);
  EXPECT_EQ(s->attempts.size(), 1u) << "the expected failure ends the session";
  EXPECT_EQ(s->attempts[0].cls, AttemptClass::expected);
  EXPECT_FALSE(s->sli_eligible);
  EXPECT_FALSE(s->sli_success);
}

TEST(Session, UnexpectedSuccessFailsAnExpectedFailureAssertion) {
  VirtualClock clock;
  UnlockStep u;
  u.expect.outcome = LockOutcome::not_found;
  u.sli = false;
  ScriptedLink link(clock, {{}});
  auto s = run_session(link, clock, u, no_stop);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->result, SessionResult::fail);
  EXPECT_EQ(s->attempts[0].cls, AttemptClass::lock);
}

TEST(Session, ARigFaultVoidsTheSessionAndExcludesItFromTheSli) {
  VirtualClock clock;
  ScriptedLink::Step fault;
  fault.rig_fault = true;
  ScriptedLink link(clock, {fault, {}});
  auto s = run_session(link, clock, success_step(3), no_stop);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->result, SessionResult::rig_fault);
  ASSERT_EQ(s->attempts.size(), 1u) << "a rig fault is not retried as if the lock failed";
  EXPECT_EQ(s->attempts[0].cls, AttemptClass::rig_fault);
  EXPECT_EQ(s->attempts[0].outcome, "rig_fault");
  EXPECT_FALSE(s->sli_eligible);
}

TEST(Session, KeepPolicyStaysConnectedBetweenSessions) {
  VirtualClock clock;
  UnlockStep u = success_step(1);
  u.connection = ConnectionPolicy::keep;
  ScriptedLink link(clock, {{}, {}});
  ASSERT_TRUE(run_session(link, clock, u, no_stop));
  ASSERT_TRUE(run_session(link, clock, u, no_stop));
  EXPECT_EQ(link.connects, 1);
  EXPECT_EQ(link.disconnects, 0);
}

TEST(Session, AStopRequestDiscardsTheSessionInFlight) {
  VirtualClock clock;
  std::atomic<bool> stop{true};
  ScriptedLink link(clock, {{}});
  EXPECT_FALSE(run_session(link, clock, success_step(1), stop).has_value());
}

TEST(Session, BackoffGrowsByItsFactor) {
  VirtualClock clock;
  UnlockStep u = success_step(4, 60s);
  u.retry.backoff_factor = 2;
  ScriptedLink link(clock, {{LockOutcome::not_found}, {LockOutcome::not_found}, {LockOutcome::not_found}, {}});
  auto s = run_session(link, clock, u, no_stop);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->attempts.size(), 4u);
  EXPECT_EQ(s->attempts[1].started - s->attempts[0].ended, Duration(1s));
  EXPECT_EQ(s->attempts[2].started - s->attempts[1].ended, Duration(2s));
  EXPECT_EQ(s->attempts[3].started - s->attempts[2].ended, Duration(4s));
}

TEST(Session, AFailureFoundAtTheDeadlineStillCountsAsWithinTheBudget) {
  // A real driver waits out the deadline, then stops discovery before it reports not_found.
  struct LateNotFound : ScriptedLink {
    using ScriptedLink::ScriptedLink;
    drivers::ConnectResult connect(Duration timeout) override {
      clock_ref().sleep_for(timeout + 5ms);
      return {LockOutcome::not_found, timeout + 5ms, std::nullopt, "not found"};
    }
    Clock& clock_ref() { return *clock; }
    Clock* clock = nullptr;
  };
  VirtualClock clock;
  LateNotFound link(clock, {});
  link.clock = &clock;
  UnlockStep u;
  u.expect.outcome = LockOutcome::not_found;
  u.sli = false;
  u.within = 2s;
  auto s = run_session(link, clock, u, no_stop);
  ASSERT_TRUE(s);
  EXPECT_GT(s->ended - s->started, Duration(2s));
  EXPECT_EQ(s->result, SessionResult::pass);
}

TEST(Session, ARigFaultAttemptRecordsThePhaseItHappenedIn) {
  VirtualClock clock;
  ScriptedLink::Step fault;
  fault.rig_fault = true;
  ScriptedLink link(clock, {fault});
  auto s = run_session(link, clock, success_step(1), no_stop);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->attempts[0].phase, "connect");
}
