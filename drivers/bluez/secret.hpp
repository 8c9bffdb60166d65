// A lock secret (key or token a profile needs), referenced from the fixture by file path or
// environment variable. Only its source is ever printed; the bytes stay out of messages, result
// details, logs and the journal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rig/base/settings.hpp"

namespace lockrig::drivers::bluez {

class Secret {
 public:
  // Reads `key_file:` (hex text; relative paths are relative to the fixture) or `key_env:`
  // (hex in that variable) from `block`. nullopt when neither key is present. ConfigError when
  // both are, or the source is missing, unreadable, empty or not hex — never quoting the content.
  // A `key_env` variable is withheld from every program the rig starts (command::run_process).
  static std::optional<Secret> from_settings(const Settings& block);

  Secret(std::vector<std::uint8_t> bytes, std::string source)
      : bytes_(std::move(bytes)), source_(std::move(source)) {}

  const std::vector<std::uint8_t>& bytes() const { return bytes_; }
  // Where the secret came from, safe to print: `file "/etc/lockrig/wood-1.key"`.
  const std::string& source() const { return source_; }

 private:
  std::vector<std::uint8_t> bytes_;
  std::string source_;
};

}  // namespace lockrig::drivers::bluez
