// Byte-level tests of the Numato wire protocol.
#include "drivers/numato/numato_protocol.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "drivers/serial/protocol_error.hpp"

namespace lockrig::drivers::numato {
namespace {

using serial::ProtocolError;

TEST(NumatoProtocol, EncodesRelayOneOnAsIndexZeroWithCarriageReturn) {
  EXPECT_EQ(encode_switch(1, true), "relay on 0\r");
  EXPECT_EQ(encode_switch(1, false), "relay off 0\r");
}

TEST(NumatoProtocol, NumbersRelaysBeyondTenWithLetters) {
  EXPECT_EQ(relay_index(10), "9");
  EXPECT_EQ(relay_index(11), "A");
  EXPECT_EQ(relay_index(32), "V");
  EXPECT_EQ(encode_read(16), "relay read F\r");
}

TEST(NumatoProtocol, RejectsChannelsItCannotName) {
  EXPECT_THROW(relay_index(0), std::invalid_argument);
  EXPECT_THROW(relay_index(33), std::invalid_argument);
}

TEST(NumatoProtocol, EncodesVersionAndReadAll) {
  EXPECT_EQ(encode_version(), "ver\r");
  EXPECT_EQ(encode_read_all(), "relay readall\r");
}

TEST(NumatoProtocol, StripsEchoAndPromptFromAnAnswer) {
  EXPECT_EQ(parse_reply("relay read 0\r", "relay read 0\n\ron\n\r>", true), "on");
}

TEST(NumatoProtocol, AcceptsEitherLineEndOrder) {
  EXPECT_EQ(parse_reply("relay read 0\r", "relay read 0\r\noff\r\n>", true), "off");
}

TEST(NumatoProtocol, RejectsAnEchoRunningIntoTheAnswer) {
  EXPECT_THROW(parse_reply("relay read 0\r", "relay read 0on\n\r>", true), ProtocolError);
}

TEST(NumatoProtocol, ReadsAnEmptyAnswerForSwitchCommands) {
  EXPECT_EQ(parse_reply("relay on 3\r", "relay on 3\n\r>", true), "");
}

TEST(NumatoProtocol, ReadsAnswersWithoutEchoForEchoFreeModels) {
  EXPECT_EQ(parse_reply("ver\r", "00000008\n\r>", false), "00000008");
}

TEST(NumatoProtocol, RejectsAReplyWithoutPrompt) {
  EXPECT_THROW(parse_reply("ver\r", "ver\n\r00000008\n\r", true), ProtocolError);
}

TEST(NumatoProtocol, RejectsAnEchoOfAnotherCommand) {
  EXPECT_THROW(parse_reply("relay read 0\r", "relay read 1\n\ron\n\r>", true), ProtocolError);
}

TEST(NumatoProtocol, RejectsUnprintableAnswers) {
  EXPECT_THROW(parse_reply("ver\r", std::string("ver\n\r\x7f\xfe\n\r>"), true), ProtocolError);
}

TEST(NumatoProtocol, ParsesRelayStates) {
  EXPECT_TRUE(parse_relay_state("on"));
  EXPECT_FALSE(parse_relay_state("off"));
  EXPECT_THROW(parse_relay_state("1"), ProtocolError);
}

TEST(NumatoProtocol, ParsesTheReadAllMask) {
  EXPECT_EQ(parse_read_all("A5", 8), 0xA5u);
  EXPECT_EQ(parse_read_all("8001", 16), 0x8001u);
  EXPECT_THROW(parse_read_all("5", 8), ProtocolError);
  EXPECT_THROW(parse_read_all("ZZ", 8), ProtocolError);
}

TEST(NumatoProtocol, EveryModelEchoes) {
  for (const auto& m : models()) EXPECT_TRUE(m.echo) << m.name;
}

}  // namespace
}  // namespace lockrig::drivers::numato
