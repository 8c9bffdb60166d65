// Byte-level tests of the LCUS wire protocol.
#include "drivers/lcus/lcus_protocol.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "drivers/serial/protocol_error.hpp"

namespace lockrig::drivers::lcus {
namespace {

TEST(LcusProtocol, EncodesRelayOneOnWithChecksum) {
  EXPECT_EQ(encode_switch(1, true), (Frame{0xA0, 0x01, 0x01, 0xA2}));
}

TEST(LcusProtocol, EncodesRelayOneOffWithChecksum) {
  EXPECT_EQ(encode_switch(1, false), (Frame{0xA0, 0x01, 0x00, 0xA1}));
}

TEST(LcusProtocol, EncodesRelayEightOn) {
  EXPECT_EQ(encode_switch(8, true), (Frame{0xA0, 0x08, 0x01, 0xA9}));
}

TEST(LcusProtocol, ChecksumWrapsAroundAtOneByte) {
  EXPECT_EQ(checksum(0xA0, 0x60, 0x01), 0x01);
  EXPECT_EQ(encode_switch(0x60, true)[3], 0x01);
}

TEST(LcusProtocol, RejectsChannelsThatCannotBeEncoded) {
  EXPECT_THROW(encode_switch(0, true), std::invalid_argument);
  EXPECT_THROW(encode_switch(256, true), std::invalid_argument);
}

TEST(LcusProtocol, ModelTableListsOneTwoFourAndEightChannelModulesAt9600Baud) {
  ASSERT_EQ(models().size(), 4u);
  int expected[] = {1, 2, 4, 8};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(models()[i].channels, expected[i]);
    EXPECT_EQ(models()[i].framing.baud, 9600);
  }
  EXPECT_EQ(models()[2].name, "lcus-4");
}

// Brasme/usb_ch340_4x_relay_control ch340_relay.py:83-88 ("CH1: OFF\r\n" / "CH1: ON\r\n");
// Rzycki's LCUS class saw "CH1: ON \r\n", padded to the width of "OFF".
TEST(LcusProtocol, ParsesStatusLinesWithOrWithoutThePaddedOn) {
  EXPECT_TRUE(parse_status_line("CH1: ON \r\n").energized);
  EXPECT_TRUE(parse_status_line("CH1: ON\r\n").energized);
  EXPECT_FALSE(parse_status_line("CH8: OFF\r\n").energized);
  EXPECT_EQ(parse_status_line("CH8: OFF").channel, 8);
  EXPECT_THROW(parse_status_line("CH: ON"), serial::ProtocolError);
  EXPECT_THROW(parse_status_line("CH1: MAYBE"), serial::ProtocolError);
  EXPECT_THROW(parse_status_line("\x7f\xfe"), serial::ProtocolError);
}

TEST(LcusProtocol, ParsesAWholeStatusAnswerIntoOneStatePerRelay) {
  const std::vector<std::string> lines = {"CH1: ON \r\n", "CH2: OFF\r\n"};
  EXPECT_EQ(parse_status(models()[1], lines), (std::vector<bool>{true, false}));
  const std::vector<std::string> missing = {"CH1: ON \r\n", "CH1: OFF\r\n"};
  EXPECT_THROW(parse_status(models()[1], missing), serial::ProtocolError);
  const std::vector<std::string> extra = {"CH1: ON \r\n", "CH3: OFF\r\n"};
  EXPECT_THROW(parse_status(models()[1], extra), serial::ProtocolError);
}

TEST(LcusProtocol, OnlyTheLcus1HasNoStatusAndEveryModelPausesAfterASwitch) {
  for (const auto& m : models()) {
    EXPECT_EQ(m.answers_status, m.channels > 1) << m.name;
    // Brasme ch340_relay.py:62-63,70-71.
    EXPECT_EQ(m.switch_gap, std::chrono::milliseconds(100)) << m.name;
  }
  EXPECT_EQ(kStatusRequest, 0xFF);
}

}  // namespace
}  // namespace lockrig::drivers::lcus
