// SCPI bench supplies over a serial line, Siglent SPD3303X command set: the wire protocol.
// Lines end in LF both ways ("CH1:VOLT 2.800", "OUTP CH1,ON", "MEAS:VOLT? CH1"); set commands
// answer nothing, so every setting is confirmed by its query.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "drivers/serial/framing.hpp"
#include "rig/base/clock.hpp"

namespace lockrig::drivers::scpi {

struct ScpiModel {
  std::string_view name;
  std::string_view title;
  std::string_view manufacturer;  // must appear in the first *IDN? field (case-insensitive)
  std::string_view idn_model;     // must equal the second *IDN? field (case-insensitive)
  int outputs;                    // programmable outputs CH1..CHn
  double max_volts;
  double max_amps;
  double volts_step;  // setting resolution
  double amps_step;
  int status_first_output_bit;  // SYST:STAT? bit of CH1's output state; CHn is the next ones
  // Pause between the end of one exchange and the next command. Siglent units ignore commands
  // that come too soon: python-spd3303x f952de1 spd3303x/__init__.py:114-122,139-141 sleeps
  // 100 ms after every write and read; libsigrok PR #75/#77 adds a delay quirk for Siglent.
  Duration command_gap;
  serial::Framing framing;  // default; `baud:` may override the rate
};

std::span<const ScpiModel> models();

inline constexpr std::string_view kTerminator = "\n";

struct Identity {
  std::string manufacturer;
  std::string model;
  std::string serial;
  std::string firmware;
};

// Throw std::invalid_argument for outputs < 1 or negative/non-finite values.
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

bool identity_matches(const ScpiModel& model, const Identity& identity);
bool output_on(const ScpiModel& model, unsigned status, int output);
double round_to_step(double value, double step);

}  // namespace lockrig::drivers::scpi
