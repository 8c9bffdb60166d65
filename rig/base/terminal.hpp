// How wide and how colourful command-line output may be (issue 16 item 4): the one rule the
// progress bar of `lockrig run` and the text of `report`, `gate` and `slo` share.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lockrig {

// --color: auto = the output is a terminal, NO_COLOR is unset or empty (https://no-color.org:
// "when present and not an empty string, prevents the addition of ANSI color") and TERM is not
// "dumb".
enum class ColorMode { automatic, never, always };

// "never", "auto" or "always"; throws UsageError ("--color must be never, auto or always, got
// "x"") otherwise.
ColorMode parse_color_mode(const std::string& word, const char* option = "--color");
// Whether output to `fd` is coloured under `mode` (auto asks isatty(fd)).
bool use_color(ColorMode mode, int fd);
// The same with the terminal question answered by the caller (tests, a stream that is not stdout).
bool use_color(ColorMode mode, bool terminal);

// SGR colours (ECMA-48 section 8.3.117: 31 red, 32 green, 33 yellow, 0 reset).
enum class Colour { red, green, yellow };
// `text` between the colour's escape sequence and the reset.
std::string paint(std::string_view text, Colour colour);
// Display columns of `text`: UTF-8 code points, escape sequences (ESC [ ... letter) not counted.
std::size_t visible_width(std::string_view text);

// Width of a terminal's line. POSIX.1-2017 XBD 8.3 (COLUMNS): "the user's preferred width in
// column positions for the terminal screen or window"; only when it is unset or null does the
// implementation find the width itself. So $COLUMNS (a decimal integer > 0), else the terminal
// on `fd` (TIOCGWINSZ), else 80.
int terminal_width(int fd);
// The width text output is fitted to: `requested` (--width N), else terminal_width(fd) when `fd`
// is a terminal; nullopt (unbounded: nothing is dropped) when it is not, since a pipe or a file
// has no width and a stale exported COLUMNS must not cut a report written to disk.
std::optional<int> output_width(std::optional<int> requested, int fd);
// Same, with the terminal question answered by the caller.
std::optional<int> output_width(std::optional<int> requested, int fd, bool terminal);
// --width N: a whole number from 30 to 10000; throws UsageError quoting the text otherwise.
int parse_width(const std::string& text, const char* option = "--width");

}  // namespace lockrig
