// Numato Lab USB relay modules (CDC-ACM, /dev/ttyACM*): the wire protocol.
// ASCII commands end in CR. The module echoes every character it receives, ends the echoed line
// with LF CR, prints the answer (if any) followed by LF CR, and then its prompt '>'. So the reply
// to "relay read 0\r" is "relay read 0\n\ron\n\r>". Relays are numbered from 0, and boards with
// more than ten use one character per relay: 0-9 then A-V.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "drivers/serial/framing.hpp"

namespace lockrig::drivers::numato {

struct NumatoModel {
  std::string_view name;
  std::string_view title;
  int channels;
  bool echo;  // every shipped firmware echoes; kept as a quirk so a non-echoing clone is one row
  serial::Framing framing;  // ignored by CDC-ACM, but set so a USB-UART clone works too
};

std::span<const NumatoModel> models();

inline constexpr std::string_view kPrompt = ">";

// 1-based channel → the relay's index character ("0".."9", "A".."V"); throws std::invalid_argument.
std::string relay_index(int channel);

std::string encode_switch(int channel, bool energized);  // "relay on 0\r"
std::string encode_read(int channel);                    // "relay read 0\r"
std::string encode_read_all();                           // "relay readall\r"
std::string encode_version();                            // "ver\r"

// The answer inside the reply to `command` (as sent, CR included): echo and prompt checked and
// removed. Empty for commands that answer nothing. Throws serial::ProtocolError.
std::string parse_reply(std::string_view command, std::string_view reply, bool echo);

// "on" / "off" → energized; throws serial::ProtocolError.
bool parse_relay_state(std::string_view answer);
// The hex mask `relay readall` answers (bit 0 = relay 0); throws serial::ProtocolError.
unsigned long parse_read_all(std::string_view answer, int channels);

}  // namespace lockrig::drivers::numato
