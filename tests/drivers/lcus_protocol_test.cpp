// Byte-level tests of the LCUS wire protocol.
#include "drivers/lcus/lcus_protocol.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

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

}  // namespace
}  // namespace lockrig::drivers::lcus
