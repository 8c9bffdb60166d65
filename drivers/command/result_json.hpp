// The `command` link's result contract: the program prints exactly one line on stdout, a JSON
// object such as {"outcome": "success", "latency_ms": 812, "detail": "unlocked via app"}.
// A small strict JSON parser (RFC 8259, one object) and the interpretation of that object.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "drivers/outcome.hpp"
#include "rig/base/clock.hpp"

namespace lockrig::drivers::command {

struct JsonValue {
  enum class Type { null, boolean, number, string, array, object };
  Type type = Type::null;
  bool boolean = false;
  double number = 0;
  bool integral = false;  // the number was written without fraction or exponent
  std::string text;       // the string's value
};

// Parses one JSON object spanning all of `text` (whitespace around it allowed). Nested arrays and
// objects are checked but not kept. nullopt with *error on any syntax error, a duplicate key,
// invalid UTF-8 escapes, or nesting deeper than 32.
std::optional<std::map<std::string, JsonValue>> parse_json_object(std::string_view text,
                                                                  std::string* error);

struct CommandReport {
  LockOutcome outcome = LockOutcome::protocol_error;
  std::optional<Duration> latency;  // latency_ms as measured by the harness
  std::optional<int> rssi_dbm;
  std::string detail;
};

struct Interpretation {
  // Set when the output is a well-formed result that names a known outcome.
  std::optional<CommandReport> report;
  // Otherwise: why. `malformed` separates a broken harness (no single JSON object line: a rig
  // fault) from a well-formed object the rig cannot interpret (the app said something new: a
  // protocol_error).
  bool malformed = false;
  std::string problem;
};

// Reads the program's whole stdout: exactly one non-blank line holding the object. Unknown keys
// are ignored; known keys must have their documented types.
Interpretation interpret_result_output(std::string_view stdout_text);

// Control characters become spaces and long text is cut (at a UTF-8 boundary) to `max_bytes`.
std::string sanitize_detail(std::string_view text, std::size_t max_bytes = 300);

}  // namespace lockrig::drivers::command
