// Mini-Circuits attenuator wire format (see minicircuits_protocol.hpp for the sources).
#include "drivers/minicircuits/minicircuits_protocol.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "drivers/serial/protocol_error.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::minicircuits {

namespace {

using serial::ProtocolError;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

void require_answer(std::span<const std::uint8_t> answer, HidCode code, std::size_t min_size) {
  if (answer.size() < min_size)
    throw ProtocolError("answer of " + std::to_string(answer.size()) + " bytes to command " +
                        std::to_string(static_cast<int>(code)) + ", expected at least " +
                        std::to_string(min_size));
  if (!hid_answers(answer, code))
    throw ProtocolError("answer to command " + std::to_string(answer[0]) + " where command " +
                        std::to_string(static_cast<int>(code)) + " was asked");
}

// Whole dB and quarter steps, exactly: levels off the quarter grid are refused, never rounded.
std::pair<int, int> quarters(double db) {
  const double q = db * 4;
  if (!std::isfinite(db) || db < 0 || db > 255.75 || std::abs(q - std::round(q)) > 1e-6)
    throw std::invalid_argument(
        "attenuation " + format_number(db) +
        "dB cannot be sent: the report takes 0..255.75 dB in 0.25 dB steps");
  const long n = std::lround(q);
  return {static_cast<int>(n / 4), static_cast<int>(n % 4)};
}

void require_channel(int channel) {
  if (channel < 1 || channel > 4)
    throw std::invalid_argument("channel " + std::to_string(channel) + " is not 1..4");
}

}  // namespace

HidReport encode_hid_query(HidCode code) {
  HidReport r{};
  r[0] = static_cast<std::uint8_t>(code);
  return r;
}

HidReport encode_hid_set_attenuation(double db, int channel) {
  require_channel(channel);
  const auto [whole, quarter] = quarters(db);
  HidReport r{};
  r[0] = static_cast<std::uint8_t>(HidCode::set_attenuation);
  r[1] = static_cast<std::uint8_t>(whole);
  r[2] = static_cast<std::uint8_t>(quarter);
  r[3] = static_cast<std::uint8_t>(channel);
  return r;
}

bool hid_answers(std::span<const std::uint8_t> answer, HidCode code) {
  return !answer.empty() && answer[0] == static_cast<std::uint8_t>(code);
}

std::string decode_hid_text(std::span<const std::uint8_t> answer, HidCode code) {
  require_answer(answer, code, 2);
  std::string out;
  for (std::size_t i = 1; i < answer.size() && answer[i] != 0 && answer[i] != 0xFF; ++i) {
    if (answer[i] < 0x20 || answer[i] > 0x7E)
      throw ProtocolError("unprintable byte " + std::to_string(answer[i]) + " at " +
                          std::to_string(i) + " of the answer to command " +
                          std::to_string(static_cast<int>(code)));
    out += static_cast<char>(answer[i]);
  }
  if (out.empty())
    throw ProtocolError("empty answer to command " + std::to_string(static_cast<int>(code)));
  return out;
}

double decode_hid_attenuation(std::span<const std::uint8_t> answer, int channel) {
  require_channel(channel);
  const std::size_t at = static_cast<std::size_t>(2 * channel - 1);
  require_answer(answer, HidCode::read_attenuation, at + 2);
  if (answer[at + 1] > 3)
    throw ProtocolError("quarter-dB field " + std::to_string(answer[at + 1]) + " of channel " +
                        std::to_string(channel) + " is not 0..3");
  return answer[at] + answer[at + 1] * kStepDb;
}

std::string HttpAddress::str() const {
  const std::uint16_t standard = telnet ? kTelnetPort : kHttpPort;
  return std::string(telnet ? "telnet://" : "http://") + host +
         (port == standard ? "" : ":" + std::to_string(port));
}

std::optional<HttpAddress> parse_http_address(std::string_view text) {
  HttpAddress out;
  std::string_view rest;
  if (text.substr(0, 7) == "http://") {
    rest = text.substr(7);
  } else if (text.substr(0, 9) == "telnet://") {
    rest = text.substr(9);
    out.telnet = true;
    out.port = kTelnetPort;
  } else {
    return std::nullopt;
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  const std::size_t colon = rest.find(':');
  out.host = std::string(rest.substr(0, colon));
  if (out.host.empty()) return std::nullopt;
  for (char c : out.host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')) return std::nullopt;
  if (colon != std::string_view::npos) {
    const std::string_view port_text = rest.substr(colon + 1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
        port == 0 || port > 65535)
      return std::nullopt;
    out.port = static_cast<std::uint16_t>(port);
  }
  return out;
}

std::string format_db(double db) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", db);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

std::string set_command(double db, int channel) {
  if (channel == 0) return ":SETATT=" + format_db(db);
  return "CHAN:" + std::to_string(channel) + ":SETATT:" + format_db(db);
}

std::string read_command(int channel) {
  if (channel == 0) return ":ATT?";
  return "CHAN:" + std::to_string(channel) + ":ATT?";
}

std::string telnet_line(std::string_view command) {
  return std::string(command) + "\r\n";
}

std::string http_request(std::string_view command, const HttpAddress& address) {
  const std::string host =
      address.host + (address.port == kHttpPort ? "" : ":" + std::to_string(address.port));
  return "GET /" + std::string(command) + " HTTP/1.0\r\nHost: " + host + "\r\n\r\n";
}

namespace {

// The Content-Length header's value; nullopt when there is none. Throws on a bad value.
std::optional<std::size_t> content_length(std::string_view headers) {
  while (!headers.empty()) {
    const std::size_t eol = headers.find("\r\n");
    const std::string_view h = headers.substr(0, eol);
    headers = eol == std::string_view::npos ? std::string_view{} : headers.substr(eol + 2);
    const std::size_t colon = h.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(h.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name != "content-length") continue;
    const std::string_view v = trim(h.substr(colon + 1));
    std::size_t length = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), length);
    if (ec != std::errc() || end != v.data() + v.size())
      throw ProtocolError("bad Content-Length " + quote(v));
    return length;
  }
  return std::nullopt;
}

}  // namespace

bool http_response_complete(std::string_view raw) {
  const std::size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return false;
  try {
    const auto length = content_length(raw.substr(0, head_end));
    return length && raw.size() - head_end - 4 >= *length;
  } catch (const ProtocolError&) {
    return false;  // parse_http_response says what is wrong once the answer ends
  }
}

HttpAnswer parse_http_response(std::string_view raw) {
  const std::size_t line_end = raw.find("\r\n");
  const std::string_view status_line = raw.substr(0, line_end);
  // "HTTP/1.x NNN reason"
  if (status_line.substr(0, 5) != "HTTP/" || status_line.size() < 12 || status_line[8] != ' ')
    throw ProtocolError("not an HTTP answer: " + quote(raw.substr(0, 60)));
  HttpAnswer out;
  auto [end, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, out.status);
  if (ec != std::errc() || end != status_line.data() + 12)
    throw ProtocolError("not an HTTP status line: " + quote(status_line));
  const std::size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string_view::npos)
    throw ProtocolError("HTTP answer ends inside its headers: " + quote(raw.substr(0, 200)));
  std::string_view body = raw.substr(head_end + 4);
  // Content-Length, where the device sends one, bounds the body.
  if (const auto length = content_length(raw.substr(0, head_end))) {
    if (*length > body.size())
      throw ProtocolError("HTTP body of " + std::to_string(body.size()) +
                          " bytes, Content-Length says " + std::to_string(*length));
    body = body.substr(0, *length);
  }
  out.body = std::string(trim(body));
  return out;
}

std::string value_of(std::string_view body, std::string_view key) {
  const std::string prefix = std::string(key) + "=";
  if (body.substr(0, prefix.size()) != prefix || body.size() == prefix.size())
    throw ProtocolError("expected " + prefix + "..., got " + quote(body.substr(0, 80)));
  return std::string(body.substr(prefix.size()));
}

std::optional<double> max_db_of_model(std::string_view model) {
  // split('-', 2) in ACTS http.py:68: model family, frequency, maximum attenuation.
  const std::size_t first = model.find('-');
  if (first == std::string_view::npos) return std::nullopt;
  const std::size_t second = model.find('-', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  std::string_view field = model.substr(second + 1);
  std::size_t n = 0;
  while (n < field.size() &&
         (std::isdigit(static_cast<unsigned char>(field[n])) || field[n] == '.'))
    ++n;
  // A suffix after the number ("-90-USB") is not part of the range.
  if (n == 0 || (n < field.size() && field[n] != '-')) return std::nullopt;
  const std::string number(field.substr(0, n));
  char* end = nullptr;
  const double v = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || !(v > 0)) return std::nullopt;
  return v;
}

double parse_attenuation(std::string_view body) {
  const std::string text(trim(body));
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
    throw ProtocolError("expected a level in dB, got " + quote(text.substr(0, 80)));
  return v;
}

bool set_accepted(std::string_view body) {
  return trim(body) == "1";
}

}  // namespace lockrig::drivers::minicircuits
