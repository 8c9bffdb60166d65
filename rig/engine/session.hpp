// One unlock session as field practice defines it: the app's retries happen inside it, and it
// succeeds if its last attempt succeeds within the session's budget. Every attempt is
// classified as a lock outcome, an expected failure or a rig fault. The records themselves
// (SessionRecord, AttemptRecord, AttemptClass, SessionResult) are the journal's plain data:
// rig/journal/records.hpp.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "drivers/lock_link.hpp"
#include "rig/engine/scenario.hpp"
#include "rig/journal/records.hpp"

namespace lockrig {

// How far past its budget a session may end and still count as within it: the time a driver
// needs to clean up after a deadline it waited out (documented in docs/journal.md).
inline constexpr Duration kBudgetGrace = std::chrono::milliseconds(250);

// Fills the derived fields from the attempts and the step's expectation. Pure.
void classify(SessionRecord& session, const UnlockStep& step);

// Runs the session's attempts on `link` (connecting per the policy, backing off between
// retries) and classifies it. Returns nullopt if `stop` was raised mid-session: an interrupted
// session is discarded, never journaled as a lock failure.
std::optional<SessionRecord> run_session(drivers::LockLink& link, Clock& clock,
                                         const UnlockStep& step, const std::atomic<bool>& stop);

// A session the controller stalled in (issue 17 item 1): the longest stall the clock saw
// between the session's start and end, if any. A deadline that ran out, or a latency that grew,
// while the controller was stopped says nothing about the lock.
std::optional<Duration> session_stall(const SessionRecord& session, const Clock& clock);
// How often a stalled session is run again before it is journaled as a rig fault.
inline constexpr int kStallReruns = 2;
// "controller_stall: the controller did not run for 1234 ms during this session (the lock's
// answer: timeout)": the detail of the stall's event and of a stalled session.
std::string stall_detail(const SessionRecord& session, Duration gap);
// Turns a stalled session into a rig fault (`controller_stall`): excluded from the SLI and the
// latency figures, handled per on_rig_fault.
void mark_stalled(SessionRecord& session, Duration gap);

}  // namespace lockrig
