// Byte buffer helpers (see bytes.hpp).
#include "drivers/serial/bytes.hpp"

#include <cstdio>

namespace lockrig::drivers::serial {

std::string to_hex(std::span<const std::uint8_t> bytes) {
  std::string out;
  char buf[4];
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::snprintf(buf, sizeof buf, i ? " %02X" : "%02X", bytes[i]);
    out += buf;
  }
  return out;
}

Bytes to_bytes(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

}  // namespace lockrig::drivers::serial
