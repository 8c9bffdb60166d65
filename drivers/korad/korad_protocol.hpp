// Korad/Tenma KA3005P-style bench supplies (9600 8N1): the wire protocol.
// Commands are bare ASCII with no terminator ("VSET1:2.80", "OUT1", "VOUT1?"); replies have none
// either. The firmware finds the end of a command by the line going quiet, so commands must be
// spaced apart (the model table's command_gap), or two of them merge into one it rejects.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "drivers/serial/framing.hpp"
#include "rig/base/clock.hpp"

namespace lockrig::drivers::korad {

struct KoradModel {
  std::string_view name;
  std::string_view title;
  // Any of these, in the *IDN? answer with spaces removed, identifies the model: both the old
  // "KORADKA3005PV2.0" and the modern "KORAD KA3005P V5.8 SN:..." contain "KA3005P".
  std::array<std::string_view, 3> identity_tokens;
  double max_volts;
  double max_amps;
  Duration command_gap;
  serial::Framing framing;
};

std::span<const KoradModel> models();

inline constexpr std::string_view kIdentify = "*IDN?";
inline constexpr std::string_view kQuerySetVoltage = "VSET1?";
inline constexpr std::string_view kQuerySetCurrent = "ISET1?";
inline constexpr std::string_view kMeasureVoltage = "VOUT1?";
inline constexpr std::string_view kMeasureCurrent = "IOUT1?";
inline constexpr std::string_view kStatus = "STATUS?";
inline constexpr std::uint8_t kStatusOutputOn = 0x40;  // STATUS? bit 6

// The panel's resolution: 10 mV and 1 mA.
double round_volts(double volts);
double round_amps(double amps);

// Throw std::invalid_argument for negative or non-finite values.
std::string encode_set_voltage(double volts);  // "VSET1:2.80"
std::string encode_set_current(double amps);   // "ISET1:0.500"
std::string encode_output(bool on);            // "OUT1" / "OUT0"

// "02.80", "0.500" (trailing NULs/CR/LF tolerated); throws serial::ProtocolError.
double parse_number(std::span<const std::uint8_t> reply);
// One status byte; throws serial::ProtocolError for any other length.
bool output_on(std::span<const std::uint8_t> reply);
// The *IDN? answer as text; throws serial::ProtocolError if empty or not printable.
std::string parse_identity(std::span<const std::uint8_t> reply);
bool identity_matches(const KoradModel& model, std::string_view identity);

}  // namespace lockrig::drivers::korad
