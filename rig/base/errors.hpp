// The three kinds of failure lockrig keeps apart:
//  - ConfigError / UsageError: the operator's input is wrong (exit code 2);
//  - drivers::RigFault (drivers/rig_fault.hpp): the rig's own hardware or stack failed;
//  - lock outcomes (drivers/outcome.hpp): what the product under test did.
#pragma once

#include <stdexcept>
#include <string>

namespace lockrig {

// Where something came from in a YAML file; line and column are 1-based (0 = unknown).
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  std::string str() const;  // "file:line:col", or just "file" when the position is unknown
};

// A mistake in a fixture, scenario or driver setting. what() starts with file:line:col.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(const SourceLocation& where, const std::string& message);
  explicit ConfigError(const std::string& message);

  const SourceLocation& where() const { return where_; }
  // The mistake without its location (what() is "file:line:col: message").
  const std::string& message() const { return message_; }

 private:
  SourceLocation where_;
  std::string message_;
};

// A wrong command line (bad option value, missing file argument).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The journal cannot be used (not writable, not a lockrig database, schema from the future).
class JournalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Exit codes, documented in README.md ("Exit codes").
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int assertions_failed = 1;
inline constexpr int usage = 2;
inline constexpr int rig_fault = 3;
// `lockrig run`: another process holds the rig lock (--lock-file) or the run being resumed
// (EX_TEMPFAIL from sysexits.h: try again later).
inline constexpr int busy = 75;
inline constexpr int sigint = 130;
inline constexpr int sigterm = 143;
}  // namespace exit_code

}  // namespace lockrig
