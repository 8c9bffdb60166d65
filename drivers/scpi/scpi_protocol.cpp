// SCPI supply wire protocol (see scpi_protocol.hpp).
#include "drivers/scpi/scpi_protocol.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "drivers/serial/protocol_error.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::scpi {

namespace {

constexpr serial::Framing k9600{9600, 8, serial::Parity::none, 1};

constexpr Duration kSiglentGap = std::chrono::milliseconds(100);

constexpr ScpiModel kModels[] = {
    {"spd3303x", "Siglent SPD3303X", "siglent", "SPD3303X", 2, 32.0, 3.2, 0.001, 0.001, 4,
     kSiglentGap, k9600},
    {"spd3303x-e", "Siglent SPD3303X-E", "siglent", "SPD3303X-E", 2, 32.0, 3.2, 0.01, 0.001, 4,
     kSiglentGap, k9600},
};

std::string channel(int output) {
  if (output < 1 || output > 9)
    throw std::invalid_argument("SCPI output out of range: " + std::to_string(output));
  return "CH" + std::to_string(output);
}

std::string with_value(std::string head, double value) {
  if (!std::isfinite(value) || value < 0)
    throw std::invalid_argument("SCPI setting must be a non-negative number");
  char buf[32];
  std::snprintf(buf, sizeof buf, " %.3f", value);
  return head + buf + std::string(kTerminator);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

void require_text(std::string_view line) {
  for (char c : line)
    if (!std::isprint(static_cast<unsigned char>(c)) && c != '\r' && c != '\n')
      throw serial::ProtocolError("reply is not text: " + quote(line));
}

}  // namespace

std::span<const ScpiModel> models() {
  return kModels;
}

std::string encode_identify() {
  return "*IDN?" + std::string(kTerminator);
}
std::string encode_set_voltage(int output, double volts) {
  return with_value(channel(output) + ":VOLT", volts);
}
std::string encode_set_current(int output, double amps) {
  return with_value(channel(output) + ":CURR", amps);
}
std::string encode_query_voltage(int output) {
  return channel(output) + ":VOLT?" + std::string(kTerminator);
}
std::string encode_query_current(int output) {
  return channel(output) + ":CURR?" + std::string(kTerminator);
}
std::string encode_output(int output, bool on) {
  return "OUTP " + channel(output) + (on ? ",ON" : ",OFF") + std::string(kTerminator);
}
std::string encode_measure_voltage(int output) {
  return "MEAS:VOLT? " + channel(output) + std::string(kTerminator);
}
std::string encode_measure_current(int output) {
  return "MEAS:CURR? " + channel(output) + std::string(kTerminator);
}
std::string encode_status() {
  return "SYST:STAT?" + std::string(kTerminator);
}

Identity parse_identity(std::string_view line) {
  require_text(line);
  const std::string_view text = trim(line);
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = text.find(',', start);
    fields.emplace_back(
        trim(text.substr(start, comma == std::string_view::npos ? comma : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (fields.size() < 4 || fields[0].empty() || fields[1].empty())
    throw serial::ProtocolError("identity " + quote(text) +
                                " is not manufacturer,model,serial,firmware");
  // Siglent appends the hardware version as a fifth field; keep it with the firmware.
  std::string firmware = fields[3];
  for (std::size_t i = 4; i < fields.size(); ++i) firmware += "," + fields[i];
  return {fields[0], fields[1], fields[2], firmware};
}

double parse_number(std::string_view line) {
  require_text(line);
  std::string_view text = trim(line);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value))
    throw serial::ProtocolError("not a number: " + quote(line));
  return value;
}

unsigned parse_status(std::string_view line) {
  require_text(line);
  std::string_view text = trim(line);
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    text.remove_prefix(2);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    throw serial::ProtocolError("status " + quote(line) + " is not a hexadecimal word");
  return value;
}

bool identity_matches(const ScpiModel& model, const Identity& identity) {
  std::string manufacturer;
  for (char c : identity.manufacturer)
    manufacturer += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return manufacturer.find(model.manufacturer) != std::string::npos &&
         iequal(identity.model, model.idn_model);
}

bool output_on(const ScpiModel& model, unsigned status, int output) {
  return (status >> (model.status_first_output_bit + output - 1)) & 1u;
}

double round_to_step(double value, double step) {
  return std::round(value / step) * step;
}

}  // namespace lockrig::drivers::scpi
