// USB HID relay reports (see usbhid_protocol.hpp).
#include "drivers/usbhid/usbhid_protocol.hpp"

#include <cctype>
#include <charconv>
#include <stdexcept>
#include <string>

#include "drivers/serial/bytes.hpp"
#include "drivers/serial/protocol_error.hpp"

namespace lockrig::drivers::usbhid {

namespace {

constexpr std::uint8_t kOn = 0xFF;   // libusbrelay.h:27 CMD_ON
constexpr std::uint8_t kOff = 0xFD;  // libusbrelay.h:28 CMD_OFF

constexpr UsbHidModel kModels[] = {
    {"usbrelay-1", "dcttech USBRelay1", Family::dcttech, 1, kDcttechVid, kDcttechPid, true},
    {"usbrelay-2", "dcttech USBRelay2", Family::dcttech, 2, kDcttechVid, kDcttechPid, true},
    {"usbrelay-4", "dcttech USBRelay4", Family::dcttech, 4, kDcttechVid, kDcttechPid, true},
    {"usbrelay-8", "dcttech USBRelay8", Family::dcttech, 8, kDcttechVid, kDcttechPid, true},
    {"lcus-hid-1", "LCUS-HID 1-relay board", Family::lcus_hid, 1, kLcusHidVid, std::nullopt, false},
    {"lcus-hid-2", "LCUS-HID 2-relay board", Family::lcus_hid, 2, kLcusHidVid, std::nullopt, false},
    {"lcus-hid-4", "LCUS-HID 4-relay board", Family::lcus_hid, 4, kLcusHidVid, std::nullopt, false},
    {"lcus-hid-8", "LCUS-HID 8-relay board", Family::lcus_hid, 8, kLcusHidVid, std::nullopt, false},
};

void require_channel(int channel) {
  if (channel < 1 || channel > 8)
    throw std::invalid_argument("HID relay channel out of range: " + std::to_string(channel));
}

}  // namespace

std::span<const UsbHidModel> models() {
  return kModels;
}

DcttechReport encode_dcttech_switch(int channel, bool energized) {
  require_channel(channel);
  return {0x00, energized ? kOn : kOff, static_cast<std::uint8_t>(channel), 0, 0, 0, 0, 0, 0};
}

DcttechReport dcttech_state_request() {
  return {0x01, 0, 0, 0, 0, 0, 0, 0, 0};
}

DcttechState decode_dcttech_state(std::span<const std::uint8_t> report) {
  if (report.size() < 8)
    throw serial::ProtocolError("state report " + serial::to_hex(report) +
                                " is shorter than 8 bytes");
  DcttechState s;
  for (std::size_t i = 0; i < kDcttechSerialLength && report[i] != 0; ++i) {
    if (!std::isprint(report[i]))
      throw serial::ProtocolError("board id in state report " + serial::to_hex(report) +
                                  " is not text");
    s.serial += static_cast<char>(report[i]);
  }
  s.relays = report[7];
  return s;
}

std::optional<int> dcttech_relay_count(std::string_view product) {
  if (product.substr(0, kDcttechProduct.size()) != kDcttechProduct) return std::nullopt;
  const std::string_view digits = product.substr(kDcttechProduct.size());
  int n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size() || n < 1 || n > 8)
    return std::nullopt;
  return n;
}

LcusHidReport encode_lcus_hid_switch(int channel, bool energized) {
  require_channel(channel);
  const auto ch = static_cast<std::uint8_t>(channel);
  const std::uint8_t op = energized ? 0x01 : 0x00;
  return {0xA0, ch, op, static_cast<std::uint8_t>((0xA0 + ch + op) & 0xFF)};
}

}  // namespace lockrig::drivers::usbhid
