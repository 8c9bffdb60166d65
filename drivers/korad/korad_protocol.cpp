// Korad KA-series wire protocol (see korad_protocol.hpp).
#include "drivers/korad/korad_protocol.hpp"

#include <algorithm>
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

constexpr serial::Framing k9600{9600, 8, serial::Parity::none, 1};

// Identities per model: the Korad name first, then the rebadges libsigrok's models[] lists for
// the same ratings (api.c:58-81). Velleman's PS3005D firmware V1.3 has its own row because it
// pads its identity and processes slowly (api.c:77-78); it must come before the plain PS3005D.
constexpr KoradModel kModels[] = {
    {"ka3005p",
     "Korad KA3005P",
     {{{"KA3005P", kIdTrailer},                        // also "RND 320-KA3005P" (api.c:64-65)
       {"72-2540", kNoQuirk},                          // Tenma (api.c:71)
       {"PS3005DV1.3", kIdTrailer | kSlowProcessing},  // Velleman (api.c:77-78)
       {"PS3005D", kNoQuirk},  // Velleman PS3005D, LABPS3005D (api.c:75-76,79)
       {},
       {}}},
     30.0,
     5.0,
     k9600},
    {"ka3003p",
     "Korad KA3003P",
     {{{"KA3003P", kNoQuirk}, {"72-2535", kNoQuirk}, {}, {}, {}, {}}},  // Tenma (api.c:70)
     30.0,
     3.0,
     k9600},
    {"ka3010p", "Korad KA3010P", {{{"KA3010P", kNoQuirk}, {}, {}, {}, {}, {}}}, 30.0, 10.0, k9600},
    {"ka6003p",
     "Korad KA6003P",
     {{{"KA6003P", kNoQuirk}, {"72-2550", kNoQuirk}, {}, {}, {}, {}}},  // Tenma (api.c:72)
     60.0,
     3.0,
     k9600},
    {"kd3005p",
     "Korad KD3005P",
     {{{"KD3005P", kNoQuirk}, {}, {}, {}, {}, {}}},  // also "RND 320-KD3005P" (api.c:62,66-67)
     30.0,
     5.0,
     k9600},
    {"kd6005p", "Korad KD6005P", {{{"KD6005P", kNoQuirk}, {}, {}, {}, {}, {}}}, 60.0, 5.0, k9600},
    {"tenma-72-2705",
     "Tenma 72-2705",
     {{{"72-2705", kNoQuirk}, {}, {}, {}, {}, {}}},  // api.c:73
     30.0,
     3.0,
     k9600},
    {"tenma-72-2710",
     "Tenma 72-2710",
     {{{"72-2710", kNoQuirk}, {}, {}, {}, {}, {}}},  // api.c:74
     30.0,
     5.0,
     k9600},
    {"s-ls-31",
     "Stamos S-LS-31",
     {{{"S-LS-31", kNoQuirk}, {}, {}, {}, {}, {}}},  // answers without a vendor (api.c:68-69)
     30.0,
     5.0,
     k9600},
};

constexpr std::uint8_t kTrailers[] = {0x01, 0xBC};  // libsigrok api.c:183-186

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

Duration gap_after(unsigned quirks, bool long_command) {
  return (quirks & kSlowProcessing) && long_command ? kCommandGap + kSlowExtraGap : kCommandGap;
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

double parse_current_setting(std::span<const std::uint8_t> reply) {
  return parse_number(reply.first(std::min(reply.size(), kNumberChars)));
}

bool output_on(std::span<const std::uint8_t> reply) {
  if (reply.empty()) throw serial::ProtocolError("empty status answer");
  return (reply[0] & kStatusOutputOn) != 0;
}

ParsedIdentity parse_identity(std::span<const std::uint8_t> reply) {
  std::string raw(reply.begin(), reply.end());
  // The stray byte comes after the text and before any NUL padding.
  while (!raw.empty() && raw.back() == '\0') raw.pop_back();
  ParsedIdentity out;
  if (!raw.empty()) {
    const auto last = static_cast<std::uint8_t>(raw.back());
    if (std::find(std::begin(kTrailers), std::end(kTrailers), last) != std::end(kTrailers)) {
      out.trailer = last;
      raw.pop_back();
    }
  }
  out.text = std::string(trim_padding(raw));
  if (out.text.empty()) throw serial::ProtocolError("empty identity");
  for (char c : out.text)
    if (!std::isprint(static_cast<unsigned char>(c)))
      throw serial::ProtocolError("identity is not text: " + serial::to_hex(reply));
  return out;
}

std::optional<unsigned> identity_quirks(const KoradModel& model, std::string_view identity) {
  std::string squeezed;
  for (char c : identity)
    if (c != ' ') squeezed += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const KoradIdentity& row : model.identities)
    if (!row.token.empty() && squeezed.find(row.token) != std::string::npos) return row.quirks;
  return std::nullopt;
}

bool identity_matches(const KoradModel& model, std::string_view identity) {
  return identity_quirks(model, identity).has_value();
}

}  // namespace lockrig::drivers::korad
