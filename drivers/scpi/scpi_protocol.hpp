// SCPI bench supplies: the wire protocol. Lines end in LF both ways; set commands answer
// nothing, so every setting is confirmed by its query. Vendors agree on SCPI's grammar but not on
// the commands a supply needs, so each model row points at a dialect: a table of command
// patterns ("{ch}" the output number, "{v}" the value) with its source and its pacing.
//
// Sources: Siglent SPD3000X from geissdoerfer/python-spd3303x f952de1 spd3303x/__init__.py:43-66
// and labgrid power/siglent.py; Rigol DP800, R&S HMC804x and Keysight E36300 from libsigrok
// 883c2ac src/hardware/scpi-pps/profiles.c:760-791 (rigol_dp800_cmd), :1543-1566
// (rs_hmc8043_cmd) and :1255-1281 (keysight_e36300a_cmd), with their channel ranges.
#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>

#include "drivers/serial/framing.hpp"
#include "rig/base/clock.hpp"

namespace lockrig::drivers::scpi {

// How the output state is read back.
enum class OutputQuery {
  status_word,  // a hex word with one bit per output (Siglent SYST:STAT?)
  on_off        // "ON"/"OFF" or "1"/"0" for the selected output
};

struct ScpiDialect {
  std::string_view name;
  std::string_view select;  // sent before commands on an output, or "" (output in each command)
  std::string_view set_volts;
  std::string_view query_volts;
  std::string_view set_amps;
  std::string_view query_amps;
  std::string_view output_on;
  std::string_view output_off;
  std::string_view query_output;
  OutputQuery output_answer;
  std::string_view measure_volts;
  std::string_view measure_amps;
  // Over-voltage / over-current protection at a level; "" where the level cannot be set, or
  // (enable) where setting the level is all it takes. Siglent has none over SCPI; HMC804x and
  // E36300 limit current with a fuse/OCP that trips at the current setting, not at a level.
  std::string_view set_ovp;
  std::string_view enable_ovp;
  std::string_view query_ovp;
  std::string_view set_ocp;
  std::string_view enable_ocp;
  std::string_view query_ocp;
  // Pause between the end of one exchange and the next command.
  Duration command_gap;
};

const ScpiDialect& siglent_dialect();

// One programmable output's range and setting resolution.
struct OutputRange {
  double max_volts = 0;
  double max_amps = 0;
  double volts_step = 0;
  double amps_step = 0;
};

struct ScpiModel {
  std::string_view name;
  std::string_view title;
  std::string_view manufacturer;  // must appear in the first *IDN? field (case-insensitive)
  // Any of these must equal the second *IDN? field (case-insensitive); "" ends the list.
  std::array<std::string_view, 2> idn_models;
  int outputs;  // programmable outputs CH1..CHn
  std::array<OutputRange, 3> ranges;
  int status_first_output_bit;  // OutputQuery::status_word: bit of CH1's state; CHn follows
  const ScpiDialect* dialect;
  serial::Framing framing;  // over a serial line; `baud:` may override the rate
};

std::span<const ScpiModel> models();
const OutputRange& range(const ScpiModel& model, int output);

inline constexpr std::string_view kTerminator = "\n";

struct Identity {
  std::string manufacturer;
  std::string model;
  std::string serial;
  std::string firmware;
};

// `pattern` with "{ch}" replaced by the output and "{v}" by the value ("%.3f"), plus the
// terminator. Throws std::invalid_argument for outputs < 1 or negative/non-finite values.
std::string render(std::string_view pattern, int output, double value = 0);

// The Siglent dialect, for the tests and messages that name its commands.
std::string encode_identify();                             // "*IDN?\n"
std::string encode_set_voltage(int output, double volts);  // "CH1:VOLT 2.800\n"
std::string encode_set_current(int output, double amps);   // "CH1:CURR 0.500\n"
std::string encode_query_voltage(int output);              // "CH1:VOLT?\n"
std::string encode_query_current(int output);              // "CH1:CURR?\n"
std::string encode_output(int output, bool on);            // "OUTP CH1,ON\n"
std::string encode_measure_voltage(int output);            // "MEAS:VOLT? CH1\n"
std::string encode_measure_current(int output);            // "MEAS:CURR? CH1\n"
std::string encode_status();                               // "SYST:STAT?\n"

// Replies, terminator included or not; throw serial::ProtocolError.
Identity parse_identity(std::string_view line);
double parse_number(std::string_view line);
unsigned parse_status(std::string_view line);  // "0x0010"
bool parse_on_off(std::string_view line);      // "ON", "OFF", "1", "0"

bool identity_matches(const ScpiModel& model, const Identity& identity);
bool output_on(const ScpiModel& model, unsigned status, int output);
double round_to_step(double value, double step);

}  // namespace lockrig::drivers::scpi
