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

// Journal strings (labels, firmware, models, details) as any output may show them (issue 17
// item 7): the one place that decides what is unsafe. Replaced by U+FFFD: C0 controls (ESC
// among them), DEL, C1 controls (U+0080-U+009F, which a terminal may take as CSI/OSC) and
// malformed UTF-8. The bidirectional embedding/override/isolate controls U+202A-U+202E and
// U+2066-U+2069 (which reorder what is shown: "Trojan Source", CVE-2021-42574) become a visible
// mark such as "[U+202E]". Tab, newline and CR are kept only with `keep_line_breaks` (documents
// that lay out text themselves).
std::string printable(std::string_view s, bool keep_line_breaks = false);
// True if `s` holds one of the bidirectional controls printable() replaces.
bool has_bidi_control(std::string_view s);

// "250ms", "1.5s", "2m", "1h", "30us"; nullopt on anything else (no unit, negative, garbage).
std::optional<Duration> parse_duration(std::string_view text);
// A well-formed duration parse_duration refuses only for its size (beyond ~277777h).
bool duration_too_long(std::string_view text);

// Bounds on free text in fixtures and scenarios and on run labels (issue 17 item 8): whatever
// is journaled is read back by every report, so its size is bounded where it enters.
inline constexpr std::size_t kMaxNameLength = 256;          // model, slot, label values, ids
inline constexpr std::size_t kMaxDescriptionLength = 4096;  // descriptions
std::string format_duration(Duration d);  // "1.5s", "250ms", "2m30s"
// A number as a person would write it in a message: 3.6, 1, 0.005, 1e+07 (%g).
std::string format_number(double v);

}  // namespace lockrig
