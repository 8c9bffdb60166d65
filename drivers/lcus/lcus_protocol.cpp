// LCUS wire protocol (see lcus_protocol.hpp).
#include "drivers/lcus/lcus_protocol.hpp"

#include <stdexcept>
#include <string>

namespace lockrig::drivers::lcus {

namespace {

constexpr serial::Framing kCh340At9600{9600, 8, serial::Parity::none, 1};

constexpr LcusModel kModels[] = {
    {"lcus-1", "LCUS-1", 1, kCh340At9600},
    {"lcus-2", "LCUS-2", 2, kCh340At9600},
    {"lcus-4", "LCUS-4", 4, kCh340At9600},
    {"lcus-8", "LCUS-8", 8, kCh340At9600},
};

}  // namespace

std::span<const LcusModel> models() {
  return kModels;
}

std::uint8_t checksum(std::uint8_t start, std::uint8_t channel, std::uint8_t op) {
  return static_cast<std::uint8_t>((start + channel + op) & 0xFF);
}

Frame encode_switch(int channel, bool energized) {
  if (channel < 1 || channel > 255)
    throw std::invalid_argument("LCUS channel out of range: " + std::to_string(channel));
  const auto ch = static_cast<std::uint8_t>(channel);
  const std::uint8_t op = energized ? kOpEnergize : kOpRelease;
  return {kStart, ch, op, checksum(kStart, ch, op)};
}

}  // namespace lockrig::drivers::lcus
