#include "rig/journal/records.hpp"

#include "rig/base/name_table.hpp"

namespace lockrig {

namespace {

constexpr NameTable<AttemptClass, 3> kAttemptClasses{{
    {AttemptClass::lock, "lock"},
    {AttemptClass::expected, "expected"},
    {AttemptClass::rig_fault, "rig_fault"},
}};

constexpr NameTable<SessionResult, 3> kSessionResults{{
    {SessionResult::pass, "pass"},
    {SessionResult::fail, "fail"},
    {SessionResult::rig_fault, "rig_fault"},
}};

}  // namespace

std::string_view class_name(AttemptClass c) {
  return name_of(kAttemptClasses, c);
}

std::string_view result_name(SessionResult r) {
  return name_of(kSessionResults, r);
}

std::string labels_text(const std::map<std::string, std::string>& labels) {
  std::string out;
  for (const auto& [key, value] : labels) {
    if (!out.empty()) out += ' ';
    out += key + "=" + value;
  }
  return out;
}

}  // namespace lockrig
