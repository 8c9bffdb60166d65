// What a lock did when asked to unlock: the lock outcomes the journal records per attempt.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lockrig::drivers {

enum class LockOutcome {
  success,         // the lock confirmed it is unlocked
  rejected,        // the lock answered and refused (bad credentials, jammed bolt reported)
  not_found,       // the lock could not be found/reached (not advertising, out of range)
  timeout,         // no confirmation before the deadline
  disconnected,    // the link dropped mid-command
  protocol_error,  // the lock answered something the profile does not understand
};

std::string_view outcome_name(LockOutcome o);
std::optional<LockOutcome> parse_outcome(std::string_view name);
const std::vector<std::string>& outcome_names();

}  // namespace lockrig::drivers
