#include "rig/journal/records.hpp"

namespace lockrig {

std::string_view class_name(AttemptClass c) {
  switch (c) {
    case AttemptClass::lock:
      return "lock";
    case AttemptClass::expected:
      return "expected";
    case AttemptClass::rig_fault:
      return "rig_fault";
  }
  return "?";
}

std::string_view result_name(SessionResult r) {
  switch (r) {
    case SessionResult::pass:
      return "pass";
    case SessionResult::fail:
      return "fail";
    case SessionResult::rig_fault:
      return "rig_fault";
  }
  return "?";
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
