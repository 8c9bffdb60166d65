// USB HID relay boards: the reports they take and give. No I/O here (usbhid_board.* and the
// hidapi backend do that), so the protocol is tested byte by byte.
//
// - dcttech "USBRelayN" boards (16c0:05df, product string "USBRelay" + relay count): a 9-byte
//   report [00, FF|FD, relay, 0...] switches relay n on (FF) or off (FD); the feature report
//   read with report id 01 holds the board's 5-character serial in bytes 0-4 and the relay
//   states in byte 7, bit n-1 for relay n. darrylb123/usbrelay ec84cf2 libusbrelay.c:109-110,
//   195-204,386-403 and libusbrelay.h:27-28,37; labgrid ebe3535
//   labgrid/util/agents/usb_hid_relay.py:61-81 (same bytes through raw control transfers).
//   The serial keeps two boards apart: their USB serial number is empty.
// - LCUS-HID boards (vendor 5131): the serial LCUS frame A0 relay op sum as a 4-byte report,
//   followed by a read that clears the answer (libusbrelay.c:243-249; usb_hid_relay.py:83-90).
//   Neither source knows how to read the relays back (usb_hid_relay.py:92-95), so they are
//   write-only.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace lockrig::drivers::usbhid {

enum class Family { dcttech, lcus_hid };

struct UsbHidModel {
  std::string_view name;   // as written in fixtures: `model: usbrelay-2`
  std::string_view title;  // as written in messages
  Family family;
  int channels;
  std::uint16_t vid;
  std::optional<std::uint16_t> pid;  // nullopt: any product of the vendor
  bool reads_back;
};

std::span<const UsbHidModel> models();

inline constexpr std::uint16_t kDcttechVid = 0x16C0;
inline constexpr std::uint16_t kDcttechPid = 0x05DF;
inline constexpr std::uint16_t kLcusHidVid = 0x5131;
inline constexpr std::string_view kDcttechProduct = "USBRelay";
inline constexpr std::size_t kDcttechSerialLength = 5;

using DcttechReport = std::array<std::uint8_t, 9>;
using LcusHidReport = std::array<std::uint8_t, 4>;

// Channel is 1-based; throw std::invalid_argument outside 1..8.
DcttechReport encode_dcttech_switch(int channel, bool energized);
// The buffer hid_get_feature_report() fills: report id 01 first, as usbrelay asks.
DcttechReport dcttech_state_request();

struct DcttechState {
  std::string serial;  // the board's own 5-character id
  std::uint8_t relays = 0;
  bool energized(int channel) const { return (relays >> (channel - 1)) & 1u; }
};
// Throws serial::ProtocolError when shorter than 8 bytes or the serial is not printable.
DcttechState decode_dcttech_state(std::span<const std::uint8_t> report);

// The relay count in a dcttech product string ("USBRelay2" → 2), or nullopt when it is not one.
std::optional<int> dcttech_relay_count(std::string_view product);

LcusHidReport encode_lcus_hid_switch(int channel, bool energized);

}  // namespace lockrig::drivers::usbhid
