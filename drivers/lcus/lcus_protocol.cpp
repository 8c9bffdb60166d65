// LCUS wire protocol (see lcus_protocol.hpp).
#include "drivers/lcus/lcus_protocol.hpp"

#include <charconv>
#include <stdexcept>
#include <string>

#include "drivers/serial/protocol_error.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::lcus {

namespace {

using std::chrono::milliseconds;

constexpr serial::Framing kCh340At9600{9600, 8, serial::Parity::none, 1};
constexpr Duration kSwitchGap = milliseconds(100);

constexpr LcusModel kModels[] = {
    {"lcus-1", "LCUS-1", 1, false, kSwitchGap, kCh340At9600},
    {"lcus-2", "LCUS-2", 2, true, kSwitchGap, kCh340At9600},
    {"lcus-4", "LCUS-4", 4, true, kSwitchGap, kCh340At9600},
    {"lcus-8", "LCUS-8", 8, true, kSwitchGap, kCh340At9600},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

}  // namespace

std::span<const LcusModel> models() {
  return kModels;
}

std::uint8_t checksum(std::uint8_t start, std::uint8_t channel, std::uint8_t op) {
  return static_cast<std::uint8_t>((start + channel + op) & 0xFF);
}

Frame encode_switch(int channel, bool energized) {
  if (channel < 1 || channel > 255)
    throw std::invalid_argument("LCUS channel out of range: " + std::to_string(channel));
  const auto ch = static_cast<std::uint8_t>(channel);
  const std::uint8_t op = energized ? kOpEnergize : kOpRelease;
  return {kStart, ch, op, checksum(kStart, ch, op)};
}

StatusLine parse_status_line(std::string_view line) {
  const std::string_view text = trim(line);
  const auto bad = [&] {
    return serial::ProtocolError("status line " + quote(line) + " is not \"CHn: ON|OFF\"");
  };
  if (text.substr(0, 2) != "CH") throw bad();
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon < 3) throw bad();
  int channel = 0;
  auto [end, ec] = std::from_chars(text.data() + 2, text.data() + colon, channel);
  if (ec != std::errc() || end != text.data() + colon || channel < 1) throw bad();
  const std::string_view state = trim(text.substr(colon + 1));
  if (state == "ON") return {channel, true};
  if (state == "OFF") return {channel, false};
  throw bad();
}

std::vector<bool> parse_status(const LcusModel& model, std::span<const std::string> lines) {
  std::vector<bool> states(static_cast<std::size_t>(model.channels));
  std::vector<bool> seen(states.size());
  for (const std::string& line : lines) {
    const StatusLine s = parse_status_line(line);
    if (s.channel > model.channels)
      throw serial::ProtocolError("status line " + quote(line) + " names a relay the " +
                                  std::string(model.title) + " does not have");
    const auto i = static_cast<std::size_t>(s.channel - 1);
    if (seen[i])
      throw serial::ProtocolError("relay " + std::to_string(s.channel) + " reported twice");
    seen[i] = true;
    states[i] = s.energized;
  }
  for (std::size_t i = 0; i < seen.size(); ++i)
    if (!seen[i]) throw serial::ProtocolError("status answer lacks relay " + std::to_string(i + 1));
  return states;
}

}  // namespace lockrig::drivers::lcus
