// The profile factory: the one table of profile kinds.
#include "drivers/bluez/lock_profile.hpp"

#include <algorithm>
#include <cstdio>

#include "drivers/bluez/template_profile.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::bluez {

std::string to_hex(const Bytes& bytes, std::size_t max_bytes) {
  std::string out;
  const std::size_t n = std::min(bytes.size(), max_bytes);
  for (std::size_t i = 0; i < n; ++i) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%02x", bytes[i]);
    if (i) out += ' ';
    out += buf;
  }
  if (bytes.size() > n) out += " …(" + std::to_string(bytes.size()) + " bytes)";
  if (bytes.empty()) out = "(empty)";
  return out;
}

const std::vector<std::string>& lock_profile_kinds() {
  static const std::vector<std::string> kinds = {"template"};
  return kinds;
}

std::unique_ptr<LockProfile> make_lock_profile(const Settings& block) {
  if (block.empty())
    throw ConfigError(block.where(),
                      "the lock needs a profile: block (service, command, status, "
                      "unlock, success) describing its unlock exchange");
  const std::string kind = block.get_string("kind", "template");
  if (kind == "template") return TemplateProfile::from_settings(block);
  throw ConfigError(block.where("kind"), "unknown lock profile kind " + quote(kind) +
                                             did_you_mean(kind, lock_profile_kinds()) +
                                             "; known: " + join(lock_profile_kinds(), ", "));
}

}  // namespace lockrig::drivers::bluez
