// How a fixture names a serial port: a device path (including the stable
// /dev/serial/by-id/... links udev makes) or a USB identity VID:PID[:serial] that survives
// ttyUSB renumbering. Pure parsing; resolving to a device happens in transport.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rig/base/errors.hpp"

namespace lockrig::drivers::serial {

struct UsbId {
  std::uint16_t vid = 0;
  std::uint16_t pid = 0;
  std::string serial;  // empty: any serial number

  std::string str() const;  // "1a86:7523" or "1a86:7523:A50285BI"
  bool matches(std::uint16_t v, std::uint16_t p, std::string_view s) const;
};

// "1a86:7523" or "1a86:7523:SERIAL" (hex, case-insensitive); nullopt on anything else.
std::optional<UsbId> parse_usb_id(std::string_view text);

struct PortLocator {
  std::string path;          // set when the fixture gave `port:`
  std::optional<UsbId> usb;  // set when the fixture gave `usb:`
  SourceLocation where;      // of the setting, for errors only the fixture can fix

  std::string str() const;  // the path, or "USB 1a86:7523"
};

}  // namespace lockrig::drivers::serial
