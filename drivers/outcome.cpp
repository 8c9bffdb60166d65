#include "drivers/outcome.hpp"

#include "rig/base/name_table.hpp"

namespace lockrig::drivers {

namespace {
constexpr NameTable<LockOutcome, 6> kNames{{
    {LockOutcome::success, "success"},
    {LockOutcome::rejected, "rejected"},
    {LockOutcome::not_found, "not_found"},
    {LockOutcome::timeout, "timeout"},
    {LockOutcome::disconnected, "disconnected"},
    {LockOutcome::protocol_error, "protocol_error"},
}};
}  // namespace

std::string_view outcome_name(LockOutcome o) {
  return name_of(kNames, o, "unknown");
}

std::optional<LockOutcome> parse_outcome(std::string_view name) {
  return value_of(kNames, name);
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
