// Korad KA-series wire protocol (see korad_protocol.hpp).
#include "drivers/korad/korad_protocol.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "drivers/serial/bytes.hpp"
#include "drivers/serial/protocol_error.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::korad {

namespace {

using std::chrono::milliseconds;

constexpr serial::Framing k9600{9600, 8, serial::Parity::none, 1};

// The firmware has no terminator to go by, only the pause: commands sent closer together than
// about 80 ms run into each other and are ignored, so every exchange waits this long.
constexpr Duration kGap = milliseconds(80);

constexpr KoradModel kModels[] = {
    {"ka3005p", "Korad KA3005P", {"KA3005P", "72-2540", ""}, 30.0, 5.0, kGap, k9600},
    {"ka3003p", "Korad KA3003P", {"KA3003P", "", ""}, 30.0, 3.0, kGap, k9600},
    {"ka3010p", "Korad KA3010P", {"KA3010P", "", ""}, 30.0, 10.0, kGap, k9600},
    {"ka6003p", "Korad KA6003P", {"KA6003P", "", ""}, 60.0, 3.0, kGap, k9600},
};

std::string_view trim_padding(std::string_view s) {
  while (!s.empty() &&
         (s.back() == '\0' || s.back() == '\r' || s.back() == '\n' || s.back() == ' '))
    s.remove_suffix(1);
  return s;
}

void require_setting(double value, const char* what) {
  if (!std::isfinite(value) || value < 0)
    throw std::invalid_argument(std::string("Korad ") + what + " must be a non-negative number");
}

}  // namespace

std::span<const KoradModel> models() {
  return kModels;
}

double round_volts(double volts) {
  return std::round(volts * 100.0) / 100.0;
}
double round_amps(double amps) {
  return std::round(amps * 1000.0) / 1000.0;
}

std::string encode_set_voltage(double volts) {
  require_setting(volts, "voltage");
  char buf[32];
  std::snprintf(buf, sizeof buf, "VSET1:%.2f", round_volts(volts));
  return buf;
}

std::string encode_set_current(double amps) {
  require_setting(amps, "current");
  char buf[32];
  std::snprintf(buf, sizeof buf, "ISET1:%.3f", round_amps(amps));
  return buf;
}

std::string encode_output(bool on) {
  return on ? "OUT1" : "OUT0";
}

double parse_number(std::span<const std::uint8_t> reply) {
  const std::string raw(reply.begin(), reply.end());
  const std::string_view text = trim_padding(raw);
  bool digit = false;
  int dots = 0;
  for (char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c)))
      digit = true;
    else if (c == '.')
      ++dots;
    else
      throw serial::ProtocolError("not a number: " + serial::to_hex(reply));
  }
  if (!digit || dots > 1) throw serial::ProtocolError("not a number: " + serial::to_hex(reply));
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    throw serial::ProtocolError("not a number: " + serial::to_hex(reply));
  return value;
}

bool output_on(std::span<const std::uint8_t> reply) {
  if (reply.size() != 1)
    throw serial::ProtocolError("status answer " + serial::to_hex(reply) + " should be 1 byte");
  return (reply[0] & kStatusOutputOn) != 0;
}

std::string parse_identity(std::span<const std::uint8_t> reply) {
  const std::string raw(reply.begin(), reply.end());
  const std::string text(trim_padding(raw));
  if (text.empty()) throw serial::ProtocolError("empty identity");
  for (char c : text)
    if (!std::isprint(static_cast<unsigned char>(c)))
      throw serial::ProtocolError("identity is not text: " + serial::to_hex(reply));
  return text;
}

bool identity_matches(const KoradModel& model, std::string_view identity) {
  std::string squeezed;
  for (char c : identity)
    if (c != ' ') squeezed += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (std::string_view token : model.identity_tokens)
    if (!token.empty() && squeezed.find(token) != std::string::npos) return true;
  return false;
}

}  // namespace lockrig::drivers::korad
