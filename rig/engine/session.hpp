// One unlock session as field practice defines it: the app's retries happen inside it, and it
// succeeds if its last attempt succeeds within the session's budget. Every attempt is
// classified as a lock outcome, an expected failure or a rig fault.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "drivers/lock_link.hpp"
#include "rig/engine/scenario.hpp"

namespace lockrig {

enum class AttemptClass { lock, expected, rig_fault };

// How far past its budget a session may end and still count as within it: the time a driver
// needs to clean up after a deadline it waited out (documented in docs/journal.md).
inline constexpr Duration kBudgetGrace = std::chrono::milliseconds(250);
enum class SessionResult { pass, fail, rig_fault };

std::string_view class_name(AttemptClass c);
std::string_view result_name(SessionResult r);

struct AttemptRecord {
  int number = 1;
  TimePoint started{0}, ended{0};  // on the worker's monotonic clock, from run start
  std::optional<Duration> latency;  // command → confirmation; nullopt if never sent
  std::optional<int> rssi_dbm;
  std::string outcome;  // a LockOutcome name, or "rig_fault"
  AttemptClass cls = AttemptClass::lock;
  std::string phase;  // "connect" or "unlock": where the attempt ended
  std::string detail;
};

struct SessionRecord {
  std::string lock_id;
  std::string scenario;
  int repetition = 0;
  int step_index = 0;  // 0-based index of the unlock step in the scenario
  std::string expect;
  Duration within{0};
  TimePoint started{0}, ended{0};
  std::vector<AttemptRecord> attempts;

  // Derived by classify():
  SessionResult result = SessionResult::fail;
  std::string outcome;  // final attempt's outcome
  bool sli_eligible = false;
  bool sli_success = false;
  bool first_attempt_success = false;
};

// Fills the derived fields from the attempts and the step's expectation. Pure.
void classify(SessionRecord& session, const UnlockStep& step);

// Runs the session's attempts on `link` (connecting per the policy, backing off between
// retries) and classifies it. Returns nullopt if `stop` was raised mid-session: an interrupted
// session is discarded, never journaled as a lock failure.
std::optional<SessionRecord> run_session(drivers::LockLink& link, Clock& clock,
                                         const UnlockStep& step, const std::atomic<bool>& stop);

}  // namespace lockrig
