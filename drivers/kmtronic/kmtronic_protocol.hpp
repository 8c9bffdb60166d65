// KMTronic USB relay boards (FT232/CH340, 9600 8N1): the wire protocol.
// Switching is FF <relay> 01 (on) / FF <relay> 00 (off). The 1- and 2-relay boards answer the
// status request FF <relay> 03 with FF <relay> <state>; the 4- and 8-relay boards instead
// answer FF 09 00 with one byte per relay (01 on, 00 off), relay 1 first.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "drivers/serial/framing.hpp"
#include "rig/base/clock.hpp"

namespace lockrig::drivers::kmtronic {

enum class StatusRequest {
  per_relay,   // FF n 03 → FF n state
  whole_board  // FF 09 00 → one state byte per relay
};

struct KmtronicModel {
  std::string_view name;
  std::string_view title;
  int channels;
  StatusRequest status;
  // Pause between a switch and the status request that reads it back: the board is still
  // processing the switch. tiiuae/ci-test-automation 30a3b21
  // Robot-Framework/lib/KMTronicLibrary.py:78 sleeps 0.1 s ("Wait for the command to process");
  // KMTronic/kmtronic_4ch_control.py:37 keeps a "Small delay between commands".
  Duration settle;
  // Status requests before a missing or short answer is a rig fault: KMTronicLibrary.py:100-114
  // asks up to three times; lockrig asks twice, so a board that really stopped answering is
  // still found within two timeouts.
  int status_attempts;
  serial::Framing framing;
};

std::span<const KmtronicModel> models();

using Frame = std::array<std::uint8_t, 3>;

inline constexpr std::uint8_t kStart = 0xFF;

// Channel is 1-based; throws std::invalid_argument outside the model's relays.
Frame encode_switch(const KmtronicModel& model, int channel, bool energized);
Frame encode_status_request(const KmtronicModel& model, int channel);
std::size_t status_reply_size(const KmtronicModel& model);
// The state of `channel` in a status reply; throws serial::ProtocolError.
bool decode_status(const KmtronicModel& model, int channel, std::span<const std::uint8_t> reply);

}  // namespace lockrig::drivers::kmtronic
