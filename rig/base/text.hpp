// Small text helpers shared by the parsers and error messages.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rig/base/clock.hpp"

namespace lockrig {

std::size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `word`, if it is close enough to be a plausible typo.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);
// ` (did you mean "x"?)` or an empty string.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);
std::string join(const std::vector<std::string>& items, std::string_view sep);
// Every comma-separated item of every string, empty items dropped ("a,b" "c" → a, b, c): how
// repeatable list options such as --locks a,b --locks c are read.
std::vector<std::string> split_commas(const std::vector<std::string>& raw);
std::string quote(std::string_view s);
// Letters, digits, '-', '_' and '.', at least one: the names lockrig puts in SQL, reports and
// file names (lock ids, rig and scenario names, label keys).
bool is_identifier(std::string_view s);  // "s" with quotes and control characters escaped

// "250ms", "1.5s", "2m", "1h", "30us"; nullopt on anything else (no unit, negative, garbage).
std::optional<Duration> parse_duration(std::string_view text);
std::string format_duration(Duration d);  // "1.5s", "250ms", "2m30s"
// A number as a person would write it in a message: 3.6, 1, 0.005, 1e+07 (%g).
std::string format_number(double v);

}  // namespace lockrig
