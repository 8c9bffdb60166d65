// Parsing of USB port identities written in fixtures.
#include "drivers/serial/port_locator.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>

namespace lockrig::drivers::serial {

namespace {

std::optional<std::uint16_t> parse_hex16(std::string_view s) {
  if (s.empty() || s.size() > 4) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, 16);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::string UsbId::str() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04x:%04x", vid, pid);
  return serial.empty() ? std::string(buf) : std::string(buf) + ":" + serial;
}

bool UsbId::matches(std::uint16_t v, std::uint16_t p, std::string_view s) const {
  return v == vid && p == pid && (serial.empty() || s == serial);
}

std::optional<UsbId> parse_usb_id(std::string_view text) {
  auto first = text.find(':');
  if (first == std::string_view::npos) return std::nullopt;
  auto second = text.find(':', first + 1);
  auto vid = parse_hex16(text.substr(0, first));
  auto pid = parse_hex16(text.substr(
      first + 1, second == std::string_view::npos ? std::string_view::npos : second - first - 1));
  if (!vid || !pid) return std::nullopt;
  UsbId id{*vid, *pid, {}};
  if (second != std::string_view::npos) {
    id.serial = std::string(text.substr(second + 1));
    if (id.serial.empty()) return std::nullopt;
    for (char c : id.serial)
      if (!std::isprint(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return id;
}

std::string PortLocator::str() const {
  return usb ? "USB " + usb->str() : path;
}

}  // namespace lockrig::drivers::serial
