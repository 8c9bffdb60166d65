#include "rig/base/errors.hpp"

namespace lockrig {

std::string SourceLocation::str() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

ConfigError::ConfigError(const SourceLocation& where, const std::string& message)
    : std::runtime_error(where.file.empty() ? message : where.str() + ": " + message),
      where_(where),
      message_(message) {}

ConfigError::ConfigError(const std::string& message)
    : std::runtime_error(message), message_(message) {}

}  // namespace lockrig
