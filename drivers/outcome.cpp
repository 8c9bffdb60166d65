#include "drivers/outcome.hpp"

#include <array>

namespace lockrig::drivers {

namespace {
constexpr std::array<std::pair<LockOutcome, std::string_view>, 6> kNames{{
    {LockOutcome::success, "success"},
    {LockOutcome::rejected, "rejected"},
    {LockOutcome::not_found, "not_found"},
    {LockOutcome::timeout, "timeout"},
    {LockOutcome::disconnected, "disconnected"},
    {LockOutcome::protocol_error, "protocol_error"},
}};
}  // namespace

std::string_view outcome_name(LockOutcome o) {
  for (const auto& [value, name] : kNames)
    if (value == o) return name;
  return "unknown";
}

std::optional<LockOutcome> parse_outcome(std::string_view name) {
  for (const auto& [value, n] : kNames)
    if (n == name) return value;
  return std::nullopt;
}

const std::vector<std::string>& outcome_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& entry : kNames) v.emplace_back(entry.second);
    return v;
  }();
  return names;
}

}  // namespace lockrig::drivers
