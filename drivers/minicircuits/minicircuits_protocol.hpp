// Mini-Circuits programmable attenuators (RCDAT, RUDAT, RC4DAT): the reports and HTTP requests
// they take and the answers they give. No I/O here (minicircuits_attenuator.* does that), so the
// wire format is tested byte by byte. Sources, with what each one says, are in README.md beside
// this file; the short form:
//
// USB HID (vendor 0x20CE, attenuators product 0x0023; 64-byte reports, byte 0 the command code,
// which the answer echoes in its byte 0):
//   - 18 read attenuation: answer byte 1 = whole dB, byte 2 = quarter dB steps; channel n of a
//     multi-channel model at bytes 2n-1, 2n;
//   - 19 set attenuation: byte 1 = whole dB, byte 2 = quarter dB steps, byte 3 = channel;
//   - 40 model name, 41 serial number: ASCII from answer byte 1, ended by a 0 (or 255) byte.
//   WebbyMD1/rudatctrl f3d82d7 rudat_6000_90_attenuator.cpp:8-10,29,35,52,90,96,111-114;
//   usnistgov/ssmdevices 4680dde src/ssmdevices/instruments/_minicircuits_usb.py:18,57-60,68-84,
//   232-233 and attenuators.py:53,57-69,76-85. The quarter-dB encoding makes 0.25 dB the
//   finest level this driver sets.
// Ethernet (HTTP GET on port 80): `/:SETATT=<dB>` answers "1" when done, `/:ATT?` the level,
// `/:MN?` "MN=<model>", `/:SN?` "SN=<serial>"; channel n of a multi-channel model is
// `/CHAN:n:SETATT:<dB>` and `/CHAN:n:ATT?`. The model name's third dash-separated field is the
// maximum attenuation ("RCDAT-6000-90": 90 dB). msft-mirror-aosp/platform.tools.test.connectivity
// 01b83b8f3
// acts/framework/acts/controllers/attenuator_lib/minicircuits/http.py:45,61-69,113,117,139;
// analogdevicesinc/msdk 473919f Tools/Bluetooth/mini_RCDAT_USB.py:36-37,90-95,118-129 (the same
// commands over USB as "*:SETATT=<dB>;", answered "1"); microsoft/Qcodes 19fae2b
// src/qcodes/instrument_drivers/Minicircuits/_minicircuits_rudat_13g_90.py:26,30,38,76-77.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace lockrig::drivers::minicircuits {

inline constexpr std::uint16_t kVid = 0x20CE;
inline constexpr std::uint16_t kAttenuatorPid = 0x0023;
inline constexpr std::size_t kReportSize = 64;
// The quarter-dB field of the HID set report; the Ethernet models take the same levels.
inline constexpr double kStepDb = 0.25;
inline constexpr std::uint16_t kHttpPort = 80;
inline constexpr std::uint16_t kTelnetPort = 23;

enum class HidCode : std::uint8_t {
  read_attenuation = 18,
  set_attenuation = 19,
  model_name = 40,
  serial_number = 41,
};

// The 64 bytes the device receives (hidapi's write adds the report id 0 in front).
using HidReport = std::array<std::uint8_t, kReportSize>;

HidReport encode_hid_query(HidCode code);
// Throws std::invalid_argument when `db` is negative, above 255.75 or not a multiple of 0.25, or
// the channel is outside 1..4.
HidReport encode_hid_set_attenuation(double db, int channel = 1);

// The answer's text (model name, serial number). Throws serial::ProtocolError when the answer
// is short, echoes another command or holds no printable text.
std::string decode_hid_text(std::span<const std::uint8_t> answer, HidCode code);
// Throws serial::ProtocolError when the answer is short, echoes another command, or its quarter
// field is not 0..3.
double decode_hid_attenuation(std::span<const std::uint8_t> answer, int channel = 1);
// True when the answer echoes `code` in byte 0 (an answer to another command is skipped).
bool hid_answers(std::span<const std::uint8_t> answer, HidCode code);

// ---- Ethernet (HTTP) -------------------------------------------------------------------------

struct HttpAddress {
  std::string host;
  std::uint16_t port = kHttpPort;
  bool telnet = false;      // telnet://: one connection, commands and answers ending in CR LF
  std::string str() const;  // "http://10.0.0.7", "http://127.0.0.1:8080", "telnet://10.0.0.7"
};
// "http://HOST" or "telnet://HOST", with ":PORT" (default 80, 23) and an optional trailing "/";
// nullopt on anything else.
std::optional<HttpAddress> parse_http_address(std::string_view text);

// Telnet (ACTS telnet.py:44 sends and reads CR LF lines; meta's RC4DAT driver the same commands):
// the command line as sent, e.g. ":SETATT=42.25\r\n".
std::string telnet_line(std::string_view command);

// A level as the device takes it: "42", "42.5", "42.25".
std::string format_db(double db);
// The command part of the URL: ":SETATT=42.25" (channel 0: the single-channel form) or
// "CHAN:2:SETATT:42.25".
std::string set_command(double db, int channel);
std::string read_command(int channel);  // ":ATT?" or "CHAN:2:ATT?"

// "GET /<command> HTTP/1.0" with a Host header and the blank line. The command goes into the
// path as written, "?" included, as urllib sends it (the device reads the raw path).
std::string http_request(std::string_view command, const HttpAddress& address);

struct HttpAnswer {
  int status = 0;
  std::string body;  // without the surrounding whitespace and line ends
};
// Parses a whole response (status line, headers, body up to Content-Length or the end). Throws
// serial::ProtocolError when it is not HTTP.
HttpAnswer parse_http_response(std::string_view raw);

// True once `raw` holds the whole header and as many body bytes as its Content-Length says; an
// answer without Content-Length ends only when the device closes the connection.
bool http_response_complete(std::string_view raw);

// "MN=RCDAT-6000-90" with key "MN" → "RCDAT-6000-90"; throws serial::ProtocolError otherwise.
std::string value_of(std::string_view body, std::string_view key);
// The maximum attenuation a model name states in its third field: "RCDAT-6000-90" → 90,
// "RUDAT-13G-90" → 90, "RC4DAT-6G-60" → 60; nullopt when the name has no such field.
std::optional<double> max_db_of_model(std::string_view model);
// The level in an `ATT?` answer ("42.25"); throws serial::ProtocolError when it is not a number.
double parse_attenuation(std::string_view body);
// A set command is done when the device answers "1" (mini_RCDAT_USB.py, ACTS http.py:117).
bool set_accepted(std::string_view body);

}  // namespace lockrig::drivers::minicircuits
