#include "rig/engine/session.hpp"

#include <cmath>

#include "drivers/rig_fault.hpp"

namespace lockrig {

using drivers::LockOutcome;

namespace {
bool matches(const Expectation& e, const std::string& outcome) {
  if (outcome == "rig_fault") return false;
  if (!e.outcome) return outcome != "success";
  return outcome == drivers::outcome_name(*e.outcome);
}
}  // namespace

void classify(SessionRecord& s, const UnlockStep& step) {
  s.expect = step.expect.name();
  s.within = step.within;
  const bool any_rig_fault = [&] {
    for (const auto& a : s.attempts)
      if (a.cls == AttemptClass::rig_fault) return true;
    return false;
  }();
  s.outcome = s.attempts.empty() ? "timeout" : s.attempts.back().outcome;
  s.first_attempt_success = !s.attempts.empty() && s.attempts.front().outcome == "success";

  if (any_rig_fault) {
    // The rig failed, so this session says nothing about the lock.
    s.result = SessionResult::rig_fault;
    s.sli_eligible = false;
    s.sli_success = false;
    return;
  }
  // A session ends when the driver returns, which for a failure found at the deadline includes
  // its clean-up (stopping discovery, dropping the link); allow that much past the budget.
  const bool in_budget = (s.ended - s.started) <= step.within + kBudgetGrace;
  s.result = matches(step.expect, s.outcome) && in_budget ? SessionResult::pass : SessionResult::fail;
  if (!step.expect.expects_success())
    for (auto& a : s.attempts)
      if (matches(step.expect, a.outcome)) a.cls = AttemptClass::expected;
  s.sli_eligible = step.sli;
  s.sli_success = step.sli && s.result == SessionResult::pass;
}

std::optional<SessionRecord> run_session(drivers::LockLink& link, Clock& clock,
                                         const UnlockStep& step, const std::atomic<bool>& stop) {
  SessionRecord s;
  s.started = clock.now();
  const TimePoint deadline = s.started + step.within;
  Duration backoff = step.retry.backoff;
  const Duration per_attempt =
      step.retry.attempt_timeout.value_or(step.within / step.retry.max_attempts);

  for (int n = 1; n <= step.retry.max_attempts; ++n) {
    if (stop.load(std::memory_order_relaxed)) return std::nullopt;
    if (n > 1) {
      if (clock.now() + backoff >= deadline) break;  // no budget left for another try
      if (!clock.sleep_for(backoff)) return std::nullopt;
      backoff = Duration(static_cast<std::int64_t>(
          std::llround(static_cast<double>(backoff.count()) * step.retry.backoff_factor)));
    }
    AttemptRecord a;
    a.number = n;
    a.started = clock.now();
    const TimePoint attempt_deadline = std::min(deadline, a.started + per_attempt);
    const char* phase = "connect";
    try {
      if (!link.connected()) {
        drivers::ConnectResult c = link.connect(attempt_deadline - clock.now());
        a.rssi_dbm = c.rssi_dbm;
        if (c.outcome != LockOutcome::success) {
          a.phase = "connect";
          a.outcome = std::string(drivers::outcome_name(c.outcome));
          a.detail = std::move(c.detail);
        }
      }
      if (a.outcome.empty()) {
        phase = "unlock";
        drivers::UnlockResult u = link.unlock(attempt_deadline - clock.now());
        a.phase = "unlock";
        a.outcome = std::string(drivers::outcome_name(u.outcome));
        a.latency = u.latency;
        if (u.rssi_dbm) a.rssi_dbm = u.rssi_dbm;
        a.detail = std::move(u.detail);
      }
    } catch (const drivers::RigFault& e) {
      a.phase = phase;
      a.outcome = "rig_fault";
      a.cls = AttemptClass::rig_fault;
      a.detail = e.what();
    }
    a.ended = clock.now();
    if (stop.load(std::memory_order_relaxed)) return std::nullopt;
    const std::string outcome = a.outcome;
    const bool rig_fault = a.cls == AttemptClass::rig_fault;
    s.attempts.push_back(std::move(a));
    // Stop retrying once the session is decided: success, a rig fault, or (for an expected
    // failure) the failure it was looking for.
    if (outcome == "success" || rig_fault) break;
    if (!step.expect.expects_success() && matches(step.expect, outcome)) break;
    if (clock.now() >= deadline) break;
  }
  s.ended = clock.now();
  if (step.connection == ConnectionPolicy::per_session && link.connected()) link.disconnect();
  classify(s, step);
  return s;
}

std::optional<Duration> session_stall(const SessionRecord& session, const Clock& clock) {
  return clock.stall_between(session.started, session.ended);
}

std::string stall_detail(const SessionRecord& session, Duration gap) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(gap).count();
  return "controller_stall: the controller did not run for " + std::to_string(ms) +
         " ms during this session (the lock's answer: " + session.outcome + ")";
}

void mark_stalled(SessionRecord& session, Duration gap) {
  std::string detail = stall_detail(session, gap);
  if (session.attempts.empty()) {  // the stall left no time for an attempt
    AttemptRecord a;
    a.started = session.started;
    a.ended = session.ended;
    a.phase = "connect";
    session.attempts.push_back(std::move(a));
  }
  AttemptRecord& last = session.attempts.back();
  last.outcome = "rig_fault";
  last.cls = AttemptClass::rig_fault;
  last.detail = std::move(detail);
  last.latency.reset();
  session.outcome = "rig_fault";
  session.result = SessionResult::rig_fault;
  session.sli_eligible = false;
  session.sli_success = false;
}

}  // namespace lockrig
