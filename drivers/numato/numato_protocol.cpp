// Numato wire protocol (see numato_protocol.hpp).
#include "drivers/numato/numato_protocol.hpp"

#include <cctype>
#include <stdexcept>

#include "drivers/serial/protocol_error.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::numato {

namespace {

constexpr serial::Framing kAcm{19200, 8, serial::Parity::none, 1};

constexpr NumatoModel kModels[] = {
    {"numato-1", "Numato 1-channel USB relay", 1, true, kAcm},
    {"numato-2", "Numato 2-channel USB relay", 2, true, kAcm},
    {"numato-4", "Numato 4-channel USB relay", 4, true, kAcm},
    {"numato-8", "Numato 8-channel USB relay", 8, true, kAcm},
    {"numato-16", "Numato 16-channel USB relay", 16, true, kAcm},
    {"numato-32", "Numato 32-channel USB relay", 32, true, kAcm},
};

std::string_view trim_line_ends(std::string_view s) {
  while (!s.empty() && (s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::span<const NumatoModel> models() {
  return kModels;
}

std::string relay_index(int channel) {
  if (channel < 1 || channel > 32)
    throw std::invalid_argument("Numato channel out of range: " + std::to_string(channel));
  const int index = channel - 1;
  return std::string(
      1, index < 10 ? static_cast<char>('0' + index) : static_cast<char>('A' + index - 10));
}

std::string encode_switch(int channel, bool energized) {
  return std::string("relay ") + (energized ? "on " : "off ") + relay_index(channel) + "\r";
}

std::string encode_read(int channel) {
  return "relay read " + relay_index(channel) + "\r";
}
std::string encode_read_all() {
  return "relay readall\r";
}
std::string encode_version() {
  return "ver\r";
}

std::string parse_reply(std::string_view command, std::string_view reply, bool echo) {
  std::string_view rest = reply;
  if (rest.size() < kPrompt.size() || rest.substr(rest.size() - kPrompt.size()) != kPrompt)
    throw serial::ProtocolError("reply does not end with the prompt: " + quote(reply));
  rest.remove_suffix(kPrompt.size());
  if (echo) {
    std::string_view typed = command;
    if (!typed.empty() && typed.back() == '\r') typed.remove_suffix(1);
    if (rest.substr(0, typed.size()) != typed)
      throw serial::ProtocolError("echo " + quote(rest.substr(0, typed.size())) +
                                  " does not repeat the command " + quote(typed));
    rest.remove_prefix(typed.size());
    // The firmware ends the echoed line with LF CR; CR LF is taken too, in case a revision
    // swaps them, but the line must end.
    if (rest.empty() || (rest.front() != '\n' && rest.front() != '\r'))
      throw serial::ProtocolError("echo not followed by a line end: " + quote(reply));
  }
  std::string_view answer = trim_line_ends(rest);
  for (char c : answer)
    if (!std::isprint(static_cast<unsigned char>(c)))
      throw serial::ProtocolError("unprintable answer: " + quote(reply));
  return std::string(answer);
}

bool parse_relay_state(std::string_view answer) {
  if (answer == "on") return true;
  if (answer == "off") return false;
  throw serial::ProtocolError("relay state " + quote(answer) + " is neither \"on\" nor \"off\"");
}

unsigned long parse_read_all(std::string_view answer, int channels) {
  const std::size_t digits = static_cast<std::size_t>(channels <= 8 ? 2 : (channels + 3) / 4);
  if (answer.size() != digits)
    throw serial::ProtocolError("relay mask " + quote(answer) + " should have " +
                                std::to_string(digits) + " hex digits");
  unsigned long mask = 0;
  for (char c : answer) {
    if (!std::isxdigit(static_cast<unsigned char>(c)))
      throw serial::ProtocolError("relay mask " + quote(answer) + " is not hexadecimal");
    mask = mask * 16 + static_cast<unsigned long>(std::isdigit(static_cast<unsigned char>(c))
                                                      ? c - '0'
                                                      : std::toupper(c) - 'A' + 10);
  }
  return mask;
}

}  // namespace lockrig::drivers::numato
