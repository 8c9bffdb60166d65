// LC Technology LCUS-1/2/4/8 USB relay modules (CH340, 1a86:7523): the wire protocol.
// Each command is four bytes, A0 <channel> <op> <sum>, sum = (A0 + channel + op) & 0xFF.
// The modules never answer, so nothing can be read back.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "drivers/serial/framing.hpp"

namespace lockrig::drivers::lcus {

struct LcusModel {
  std::string_view name;   // as written in fixtures: `model: lcus-4`
  std::string_view title;  // as written in messages
  int channels;
  serial::Framing framing;
};

std::span<const LcusModel> models();

using Frame = std::array<std::uint8_t, 4>;

inline constexpr std::uint8_t kStart = 0xA0;
inline constexpr std::uint8_t kOpRelease = 0x00;
inline constexpr std::uint8_t kOpEnergize = 0x01;

std::uint8_t checksum(std::uint8_t start, std::uint8_t channel, std::uint8_t op);
// Channel is 1-based; throws std::invalid_argument outside 1..255.
Frame encode_switch(int channel, bool energized);

}  // namespace lockrig::drivers::lcus
