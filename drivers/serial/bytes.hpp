// Byte buffers and their rendering in messages, shared by the protocol parts and the transport.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lockrig::drivers::serial {

using Bytes = std::vector<std::uint8_t>;

// "A0 01 01 A2"
std::string to_hex(std::span<const std::uint8_t> bytes);
Bytes to_bytes(std::string_view text);

}  // namespace lockrig::drivers::serial
