// Report-level tests of the USB HID relay protocol.
#include "drivers/usbhid/usbhid_protocol.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "drivers/serial/protocol_error.hpp"

namespace lockrig::drivers::usbhid {
namespace {

// darrylb123/usbrelay libusbrelay.c:195-204, libusbrelay.h:27-28; labgrid
// usb_hid_relay.py:61-70 (FF on, FD off, then the relay number).
TEST(UsbHidProtocol, EncodesDcttechSwitchReports) {
  EXPECT_EQ(encode_dcttech_switch(1, true), (DcttechReport{0x00, 0xFF, 0x01, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(encode_dcttech_switch(2, false), (DcttechReport{0x00, 0xFD, 0x02, 0, 0, 0, 0, 0, 0}));
  EXPECT_THROW(encode_dcttech_switch(9, true), std::invalid_argument);
  EXPECT_THROW(encode_dcttech_switch(0, true), std::invalid_argument);
}

// libusbrelay.c:388-402: report id 01 asked; serial in bytes 0-4, relay states in byte 7.
TEST(UsbHidProtocol, DecodesTheDcttechStateReport) {
  EXPECT_EQ(dcttech_state_request()[0], 0x01);
  const std::vector<std::uint8_t> report{'Q', 'A', 'A', 'M', 'Z', 0, 0, 0x05, 0};
  const DcttechState s = decode_dcttech_state(report);
  EXPECT_EQ(s.serial, "QAAMZ");
  EXPECT_TRUE(s.energized(1));
  EXPECT_FALSE(s.energized(2));
  EXPECT_TRUE(s.energized(3));
  const std::vector<std::uint8_t> short_id{'A', 'B', 0, 0, 0, 0, 0, 0x00};
  EXPECT_EQ(decode_dcttech_state(short_id).serial, "AB");
  EXPECT_THROW(decode_dcttech_state(std::vector<std::uint8_t>{'A', 'B'}), serial::ProtocolError);
  EXPECT_THROW(decode_dcttech_state(std::vector<std::uint8_t>{0x7F, 0, 0, 0, 0, 0, 0, 0}),
               serial::ProtocolError);
}

// libusbrelay.c:109-110: "USBRelay" followed by the number of relays.
TEST(UsbHidProtocol, ReadsTheRelayCountFromTheProductString) {
  EXPECT_EQ(dcttech_relay_count("USBRelay2"), 2);
  EXPECT_EQ(dcttech_relay_count("USBRelay8"), 8);
  EXPECT_EQ(dcttech_relay_count("USBRelay"), std::nullopt);
  EXPECT_EQ(dcttech_relay_count("HIDRelay4"), std::nullopt);
}

// libusbrelay.c:244-248; labgrid usb_hid_relay.py:87-88: the serial LCUS frame.
TEST(UsbHidProtocol, EncodesLcusHidFramesWithTheSerialLcusChecksum) {
  EXPECT_EQ(encode_lcus_hid_switch(1, true), (LcusHidReport{0xA0, 0x01, 0x01, 0xA2}));
  EXPECT_EQ(encode_lcus_hid_switch(4, false), (LcusHidReport{0xA0, 0x04, 0x00, 0xA4}));
}

TEST(UsbHidProtocol, OnlyDcttechBoardsReadBack) {
  for (const auto& m : models()) EXPECT_EQ(m.reads_back, m.family == Family::dcttech) << m.name;
}

}  // namespace
}  // namespace lockrig::drivers::usbhid
