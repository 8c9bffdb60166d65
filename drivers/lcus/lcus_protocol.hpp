// LC Technology LCUS-1/2/4/8 USB relay modules (CH340, 1a86:7523): the wire protocol.
// Each switch command is four bytes, A0 <channel> <op> <sum>, sum = (A0 + channel + op) & 0xFF.
// The module does not confirm a switch, but LCUS-2/4/8 answer a single 0xFF byte with one line
// per relay, "CH1: ON \r\nCH2: OFF\r\n" (Brasme/usb_ch340_4x_relay_control cc51013
// ch340_relay.py:18,83-88; Brian Rzycki's LCUS relay class, which also shows the space that pads
// "ON " to the width of "OFF"). No source shows an LCUS-1 answering, so it stays write-only.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "drivers/serial/framing.hpp"
#include "rig/base/clock.hpp"

namespace lockrig::drivers::lcus {

struct LcusModel {
  std::string_view name;   // as written in fixtures: `model: lcus-4`
  std::string_view title;  // as written in messages
  int channels;
  bool answers_status;  // answers 0xFF with the relay states
  // Pause after a switch command before the next command: the CH340 boards handle one command
  // at a time, and a frame that comes too soon is lost (Brasme ch340_relay.py:62-63,70-71 sleep
  // 100 ms after every switch). A lost frame is invisible to a board that cannot read back.
  Duration switch_gap;
  serial::Framing framing;
};

std::span<const LcusModel> models();

using Frame = std::array<std::uint8_t, 4>;

inline constexpr std::uint8_t kStart = 0xA0;
inline constexpr std::uint8_t kOpRelease = 0x00;
inline constexpr std::uint8_t kOpEnergize = 0x01;
inline constexpr std::uint8_t kStatusRequest = 0xFF;  // ch340_relay.py:18
inline constexpr std::string_view kLineEnd = "\r\n";
// Status answers are requested twice and the second is used: Rzycki's class reads twice because
// "a single read" often showed the state before the last switch.
inline constexpr int kStatusReads = 2;

std::uint8_t checksum(std::uint8_t start, std::uint8_t channel, std::uint8_t op);
// Channel is 1-based; throws std::invalid_argument outside 1..255.
Frame encode_switch(int channel, bool energized);

// One line of a status answer ("CH3: ON \r\n", "CH3: OFF"): the channel and its state; throws
// serial::ProtocolError for anything else.
struct StatusLine {
  int channel;
  bool energized;
};
StatusLine parse_status_line(std::string_view line);
// A whole status answer: exactly one line for each of the model's relays, in any order; element
// i is relay i+1. Throws serial::ProtocolError.
std::vector<bool> parse_status(const LcusModel& model, std::span<const std::string> lines);

}  // namespace lockrig::drivers::lcus
