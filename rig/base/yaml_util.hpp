// YAML helpers: every error names file:line:col and quotes the offending value.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "rig/base/clock.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/name_table.hpp"
#include "rig/base/text.hpp"

namespace lockrig::yaml {

// The longest duration a fixture or scenario may give (a wait, within, a timeout): 30 days.
// Far beyond any step of a nightly or soak campaign, and far inside the clocks' range (292
// years of nanoseconds), so a plan's steps cannot add up past it (docs/operations.md).
inline constexpr Duration kMaxDuration = std::chrono::hours(24 * 30);

SourceLocation location(const YAML::Node& node, const std::string& file);
// Parses text; syntax errors become ConfigError at the parser's position.
YAML::Node parse(const std::string& text, const std::string& file);

// Requires a mapping whose keys are all in `known` and appear once.
void check_mapping(const YAML::Node& node, const std::string& file,
                   const std::vector<std::string>& known, const std::string& what);
void require_keys(const YAML::Node& node, const std::string& file,
                  const std::vector<std::string>& required, const std::string& what);

// Typed scalars; `what` names the field in messages ("lock id", "repeat").
std::string as_string(const YAML::Node& node, const std::string& file, const std::string& what);
double as_double(const YAML::Node& node, const std::string& file, const std::string& what);
long long as_int(const YAML::Node& node, const std::string& file, const std::string& what);
bool as_bool(const YAML::Node& node, const std::string& file, const std::string& what);
// on/off, true/false, yes/no
bool as_on_off(const YAML::Node& node, const std::string& file, const std::string& what);
// At most kMaxDuration: longer is refused naming the value and the maximum (issue 17 item 8).
Duration as_duration(const YAML::Node& node, const std::string& file, const std::string& what);
// A string of at most `max` bytes (kMaxNameLength, kMaxDescriptionLength in text.hpp).
std::string as_bounded_string(const YAML::Node& node, const std::string& file,
                              const std::string& what, std::size_t max);
std::vector<std::string> as_string_list(const YAML::Node& node, const std::string& file,
                                        const std::string& what);

// One of the table's words: "connection must be per_session or keep, got "x"" (with a
// did-you-mean) otherwise.
template <typename Enum, std::size_t N>
Enum as_choice(const YAML::Node& node, const std::string& file, const std::string& what,
               const NameTable<Enum, N>& table) {
  const std::string word = as_string(node, file, what);
  if (const auto v = value_of(table, word)) return *v;
  std::vector<std::string> words;
  for (const auto& entry : table) words.emplace_back(entry.second);
  throw ConfigError(location(node, file), what + " must be " + words_of(table) + ", got " +
                                              quote(word) + did_you_mean(word, words));
}

}  // namespace lockrig::yaml
