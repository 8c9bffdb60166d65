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

using std::chrono::milliseconds;

// python-spd3303x spd3303x/__init__.py:43-66 (commands); labgrid power/siglent.py:32-35 reads
// the output from SYST:STAT? as a hex word. Siglent ignores commands that come too soon:
// __init__.py:114-122,139-141 sleeps 100 ms after every write and read (also libsigrok PR #75/#77).
constexpr ScpiDialect kSiglent = {
    "siglent-spd3000x",
    "",
    "CH{ch}:VOLT {v}",
    "CH{ch}:VOLT?",
    "CH{ch}:CURR {v}",
    "CH{ch}:CURR?",
    "OUTP CH{ch},ON",
    "OUTP CH{ch},OFF",
    "SYST:STAT?",
    OutputQuery::status_word,
    "MEAS:VOLT? CH{ch}",
    "MEAS:CURR? CH{ch}",
    "",
    "",
    "",
    "",
    "",
    "",
    milliseconds(100),
};

// libsigrok profiles.c:760-791 (rigol_dp800_cmd). No pause: libsigrok sends back to back.
constexpr ScpiDialect kRigolDp800 = {
    "rigol-dp800",       ":INST:NSEL {ch}",   ":SOUR:VOLT {v}",
    ":SOUR:VOLT?",       ":SOUR:CURR {v}",    ":SOUR:CURR?",
    ":OUTP ON",          ":OUTP OFF",         ":OUTP?",
    OutputQuery::on_off, ":MEAS:VOLT?",       ":MEAS:CURR?",
    ":OUTP:OVP:VAL {v}", ":OUTP:OVP ON",      ":OUTP:OVP:VAL?",
    ":OUTP:OCP:VAL {v}", ":OUTP:OCP:STAT ON", ":OUTP:OCP:VAL?",
    milliseconds(0),
};

// libsigrok profiles.c:1543-1566 (rs_hmc8043_cmd). Its over-current protection is an electronic
// fuse that trips at the current setting (FUSE:STAT), so only the voltage level is set.
constexpr ScpiDialect kRsHmc804x = {
    "rs-hmc804x",
    "INST:NSEL {ch}",
    "VOLT {v}",
    "VOLT?",
    "CURR {v}",
    "CURR?",
    "OUTP ON",
    "OUTP OFF",
    "OUTP?",
    OutputQuery::on_off,
    "MEAS:VOLT?",
    "MEAS:CURR?",
    "VOLT:PROT:LEV {v}",
    "VOLT:PROT:STAT ON",
    "VOLT:PROT:LEV?",
    "",
    "",
    "",
    milliseconds(0),
};

// libsigrok profiles.c:1255-1281 (keysight_e36300a_cmd). Over-voltage protection is a level
// (always armed); over-current protection trips at the current setting (:CURR:PROT:STAT), so
// only the voltage level is set.
constexpr ScpiDialect kKeysightE36300 = {
    "keysight-e36300",
    ":INST:NSEL {ch}",
    ":SOUR:VOLT {v}",
    ":SOUR:VOLT?",
    ":SOUR:CURR {v}",
    ":SOUR:CURR?",
    "OUTP:STAT ON",
    "OUTP:STAT OFF",
    "OUTP:STAT?",
    OutputQuery::on_off,
    ":MEAS:VOLT?",
    ":MEAS:CURR?",
    ":VOLT:PROT {v}",
    "",
    ":VOLT:PROT?",
    "",
    "",
    "",
    milliseconds(0),
};

constexpr OutputRange kNone{};

// Ranges: Siglent from its data sheet as lockrig had it; the others from libsigrok's channel
// specs (max, step): profiles.c:732-735 (DP821A), :743-747 (DP832), :1531-1535 (HMC804x),
// :1235-1239 (E36312A), :1243-1247 (E36313A).
constexpr ScpiModel kModels[] = {
    {"spd3303x",
     "Siglent SPD3303X",
     "siglent",
     {"SPD3303X", ""},
     2,
     {{{32.0, 3.2, 0.001, 0.001}, {32.0, 3.2, 0.001, 0.001}, kNone}},
     4,
     &kSiglent,
     k9600},
    {"spd3303x-e",
     "Siglent SPD3303X-E",
     "siglent",
     {"SPD3303X-E", ""},
     2,
     {{{32.0, 3.2, 0.01, 0.001}, {32.0, 3.2, 0.01, 0.001}, kNone}},
     4,
     &kSiglent,
     k9600},
    {"dp832",
     "Rigol DP832",
     "rigol",
     {"DP832", "DP832A"},  // profiles.c:2070
     3,
     {{{30.0, 3.0, 0.001, 0.001}, {30.0, 3.0, 0.001, 0.001}, {5.0, 3.0, 0.001, 0.001}}},
     0,
     &kRigolDp800,
     k9600},
    {"dp821a",
     "Rigol DP821A",
     "rigol",
     {"DP821A", ""},
     2,
     {{{60.0, 1.0, 0.001, 0.0001}, {8.0, 10.0, 0.001, 0.001}, kNone}},
     0,
     &kRigolDp800,
     k9600},
    {"hmc8043",
     "R&S HMC8043",
     "rohde",
     {"HMC8043", ""},  // profiles.c:2139
     3,
     {{{32.05, 3.0, 0.001, 0.001}, {32.05, 3.0, 0.001, 0.001}, {32.05, 3.0, 0.001, 0.001}}},
     0,
     &kRsHmc804x,
     k9600},
    {"hmc8042",
     "R&S HMC8042",
     "rohde",
     {"HMC8042", ""},  // profiles.c:2127
     2,
     {{{32.05, 3.0, 0.001, 0.001}, {32.05, 3.0, 0.001, 0.001}, kNone}},
     0,
     &kRsHmc804x,
     k9600},
    {"e36312a",
     "Keysight E36312A",
     "keysight",
     {"E36312A", ""},  // profiles.c:2004
     3,
     {{{6.18, 5.15, 0.001, 0.001}, {25.75, 1.03, 0.001, 0.001}, {25.75, 1.03, 0.001, 0.001}}},
     0,
     &kKeysightE36300,
     k9600},
    {"e36313a",
     "Keysight E36313A",
     "keysight",
     {"E36313A", ""},  // profiles.c:2016
     3,
     {{{6.18, 10.3, 0.001, 0.001}, {25.75, 2.06, 0.001, 0.001}, {25.75, 2.06, 0.001, 0.001}}},
     0,
     &kKeysightE36300,
     k9600},
};

std::string channel(int output) {
  if (output < 1 || output > 9)
    throw std::invalid_argument("SCPI output out of range: " + std::to_string(output));
  return std::to_string(output);
}

std::string value_text(double value) {
  if (!std::isfinite(value) || value < 0)
    throw std::invalid_argument("SCPI setting must be a non-negative number");
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", value);
  return buf;
}

void replace_all(std::string& s, std::string_view from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
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

const ScpiDialect& siglent_dialect() {
  return kSiglent;
}

const OutputRange& range(const ScpiModel& model, int output) {
  if (output < 1 || output > model.outputs)
    throw std::invalid_argument("no output " + std::to_string(output) + " on the " +
                                std::string(model.title));
  return model.ranges[static_cast<std::size_t>(output - 1)];
}

std::string render(std::string_view pattern, int output, double value) {
  std::string out(pattern);
  replace_all(out, "{ch}", channel(output));
  if (out.find("{v}") != std::string::npos) replace_all(out, "{v}", value_text(value));
  return out + std::string(kTerminator);
}

std::string encode_identify() {
  return "*IDN?" + std::string(kTerminator);
}
std::string encode_set_voltage(int output, double volts) {
  return render(kSiglent.set_volts, output, volts);
}
std::string encode_set_current(int output, double amps) {
  return render(kSiglent.set_amps, output, amps);
}
std::string encode_query_voltage(int output) {
  return render(kSiglent.query_volts, output);
}
std::string encode_query_current(int output) {
  return render(kSiglent.query_amps, output);
}
std::string encode_output(int output, bool on) {
  return render(on ? kSiglent.output_on : kSiglent.output_off, output);
}
std::string encode_measure_voltage(int output) {
  return render(kSiglent.measure_volts, output);
}
std::string encode_measure_current(int output) {
  return render(kSiglent.measure_amps, output);
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

bool parse_on_off(std::string_view line) {
  require_text(line);
  const std::string_view text = trim(line);
  if (iequal(text, "ON") || text == "1") return true;
  if (iequal(text, "OFF") || text == "0") return false;
  throw serial::ProtocolError("output state " + quote(line) + " is not ON, OFF, 1 or 0");
}

bool identity_matches(const ScpiModel& model, const Identity& identity) {
  std::string manufacturer;
  for (char c : identity.manufacturer)
    manufacturer += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (manufacturer.find(model.manufacturer) == std::string::npos) return false;
  for (std::string_view m : model.idn_models)
    if (!m.empty() && iequal(identity.model, m)) return true;
  return false;
}

bool output_on(const ScpiModel& model, unsigned status, int output) {
  return (status >> (model.status_first_output_bit + output - 1)) & 1u;
}

double round_to_step(double value, double step) {
  return std::round(value / step) * step;
}

}  // namespace lockrig::drivers::scpi
