#include "rig/base/terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"

namespace lockrig {

ColorMode parse_color_mode(const std::string& word, const char* option) {
  if (word == "never") return ColorMode::never;
  if (word == "auto") return ColorMode::automatic;
  if (word == "always") return ColorMode::always;
  throw UsageError(std::string(option) + " must be never, auto or always, got " + quote(word));
}

bool use_color(ColorMode mode, bool terminal) {
  if (mode != ColorMode::automatic) return mode == ColorMode::always;
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  return terminal && !(no_color && *no_color) && !(term && std::strcmp(term, "dumb") == 0);
}

bool use_color(ColorMode mode, int fd) {
  return use_color(mode, mode == ColorMode::automatic && isatty(fd) != 0);
}

std::string paint(std::string_view text, Colour colour) {
  const char* code = colour == Colour::red     ? "\033[31m"
                     : colour == Colour::green ? "\033[32m"
                                               : "\033[33m";
  return code + std::string(text) + "\033[0m";
}

std::size_t visible_width(std::string_view text) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0x1B && i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && !(text[i] >= 0x40 && text[i] <= 0x7E)) ++i;
      continue;
    }
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

int terminal_width(int fd) {
  if (const char* env = std::getenv("COLUMNS"); env && *env) {
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && n > 0 && n < 10000) return static_cast<int>(n);
  }
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

std::optional<int> output_width(std::optional<int> requested, int fd, bool terminal) {
  if (requested) return requested;
  if (terminal) return terminal_width(fd);
  return std::nullopt;
}

std::optional<int> output_width(std::optional<int> requested, int fd) {
  return output_width(requested, fd, !requested && isatty(fd) != 0);
}

int parse_width(const std::string& text, const char* option) {
  char* end = nullptr;
  const long n = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || end == text.c_str() || *end != '\0' || n < 30 || n > 10000)
    throw UsageError(std::string(option) +
                     " must be a whole number of columns from 30 to 10000, got " + quote(text));
  return static_cast<int>(n);
}

}  // namespace lockrig
