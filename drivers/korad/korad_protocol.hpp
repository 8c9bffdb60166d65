// Korad/Tenma KA3005P-style bench supplies (9600 8N1): the wire protocol.
// Commands are bare ASCII with no terminator ("VSET1:2.80", "OUT1", "VOUT1?"); replies have none
// either. The firmware finds the end of a command by the line going quiet, so commands must be
// spaced apart (the gap), or two of them merge into one it rejects.
//
// The quirks below come from independent code that has met real units, not from the vendor's
// sheet: libsigrok's korad-kaxxxxp driver (sigrokproject/libsigrok 883c2ac,
// src/hardware/korad-kaxxxxp/) and starforgelabs/py-korad-serial (52b007b, koradserial.py).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "drivers/serial/framing.hpp"
#include "rig/base/clock.hpp"

namespace lockrig::drivers::korad {

// Per-identity quirks, as bits (libsigrok's KORAD_QUIRK_* in protocol.h:35-41).
enum Quirk : unsigned {
  kNoQuirk = 0,
  // The *IDN? answer may end in one stray byte, 0x01 or 0xBC (KORAD_QUIRK_ID_TRAILING;
  // libsigrok api.c:60-61 for the KA3005P, matching code api.c:178-194).
  kIdTrailer = 1u << 0,
  // Needs 450 ms more after a setting or STATUS?, or the next command is not executed
  // (KORAD_QUIRK_SLOW_PROCESSING; libsigrok api.c:77-78, protocol.c:24-25,169-185).
  kSlowProcessing = 1u << 1,
};

// One way a unit answers *IDN?: `token` must appear in the answer once spaces are removed and
// letters upper-cased, so both the old "KORADKA3005PV2.0" and the modern
// "KORAD KA3005P V5.8 SN:..." contain "KA3005P". The first matching row of a model wins, so a
// more specific token (a firmware with its own quirks) comes before the general one.
struct KoradIdentity {
  std::string_view token;
  unsigned quirks;
};

struct KoradModel {
  std::string_view name;   // as written in fixtures: `model: kd3005p`
  std::string_view title;  // as written in messages
  // The brand's own name and the rebadges libsigrok accepts for the same unit (api.c:58-81).
  std::array<KoradIdentity, 6> identities;
  double max_volts;
  double max_amps;
  serial::Framing framing;
};

std::span<const KoradModel> models();

// Pause before every command: 80 ms (libsigrok DEVICE_PROCESSING_TIME_MS, protocol.c:24).
inline constexpr Duration kCommandGap = std::chrono::milliseconds(80);
// Added after a setting or STATUS? on kSlowProcessing units (EXTRA_PROCESSING_TIME_MS,
// protocol.c:25; applied to set commands and STATUS? only, protocol.c:177-181).
inline constexpr Duration kSlowExtraGap = std::chrono::milliseconds(450);

// The pause a unit with `quirks` needs after a command; `long_command` is a setting or STATUS?.
Duration gap_after(unsigned quirks, bool long_command);

inline constexpr std::string_view kIdentify = "*IDN?";
inline constexpr std::string_view kQuerySetVoltage = "VSET1?";
inline constexpr std::string_view kQuerySetCurrent = "ISET1?";
inline constexpr std::string_view kMeasureVoltage = "VOUT1?";
inline constexpr std::string_view kMeasureCurrent = "IOUT1?";
inline constexpr std::string_view kStatus = "STATUS?";
inline constexpr std::uint8_t kStatusOutputOn = 0x40;  // STATUS? bit 6

// Numbers are five characters ("02.80", "0.500"). Once *IDN? has been sent, which this driver
// always does, ISET1? answers a sixth byte that belongs to no number: libsigrok reads and drops it
// (protocol.c:387-389; commit 8abdf006: "To get the sixth byte, the *IDN? command has to be issued
// before ISET?"), py-korad-serial reads six and keeps [:5] (koradserial.py:155-162).
inline constexpr std::size_t kNumberChars = 5;

// The panel's resolution: 10 mV and 1 mA.
double round_volts(double volts);
double round_amps(double amps);

// Throw std::invalid_argument for negative or non-finite values.
std::string encode_set_voltage(double volts);  // "VSET1:2.80"
std::string encode_set_current(double amps);   // "ISET1:0.500"
std::string encode_output(bool on);            // "OUT1" / "OUT0"

// "02.80", "0.500" (trailing NULs/CR/LF tolerated); throws serial::ProtocolError.
double parse_number(std::span<const std::uint8_t> reply);
// The first kNumberChars bytes of an ISET1? answer as a number; the sixth byte is dropped.
double parse_current_setting(std::span<const std::uint8_t> reply);
// The status byte is the first byte; both libsigrok (protocol.c:313-314,337: reads 1, uses
// reply[0]) and py-korad-serial (koradserial.py:358-364, one read_character) ignore anything after
// it, such as the NUL the firmware ends its strings with (koradserial.py:256-272). Throws
// serial::ProtocolError when the answer is empty.
bool output_on(std::span<const std::uint8_t> reply);

struct ParsedIdentity {
  std::string text;                     // printable part, NUL/CR/LF padding removed
  std::optional<std::uint8_t> trailer;  // a stray 0x01/0xBC after it, if there was one
};
// The *IDN? answer as text; a single trailing 0x01 or 0xBC is set apart (whether the model may
// send one is identity_quirks()' business). Throws serial::ProtocolError if empty or not text.
ParsedIdentity parse_identity(std::span<const std::uint8_t> reply);
// The quirks of the row of `model` that `identity` matches, or nullopt when none does.
std::optional<unsigned> identity_quirks(const KoradModel& model, std::string_view identity);
bool identity_matches(const KoradModel& model, std::string_view identity);

}  // namespace lockrig::drivers::korad
