// Byte-level tests of the KMTronic wire protocol.
#include "drivers/kmtronic/kmtronic_protocol.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "drivers/serial/bytes.hpp"
#include "drivers/serial/protocol_error.hpp"

namespace lockrig::drivers::kmtronic {
namespace {

using serial::Bytes;
using serial::ProtocolError;

const KmtronicModel& model(std::string_view name) {
  for (const auto& m : models())
    if (m.name == name) return m;
  throw std::logic_error("no model");
}

TEST(KmtronicProtocol, EncodesRelayOneOnAndOff) {
  EXPECT_EQ(encode_switch(model("kmtronic-1"), 1, true), (Frame{0xFF, 0x01, 0x01}));
  EXPECT_EQ(encode_switch(model("kmtronic-1"), 1, false), (Frame{0xFF, 0x01, 0x00}));
}

TEST(KmtronicProtocol, EncodesRelayEightOn) {
  EXPECT_EQ(encode_switch(model("kmtronic-8"), 8, true), (Frame{0xFF, 0x08, 0x01}));
}

TEST(KmtronicProtocol, AsksSmallBoardsForOneRelay) {
  EXPECT_EQ(encode_status_request(model("kmtronic-2"), 2), (Frame{0xFF, 0x02, 0x03}));
  EXPECT_EQ(status_reply_size(model("kmtronic-2")), 3u);
}

TEST(KmtronicProtocol, AsksLargeBoardsForTheWholeBoard) {
  EXPECT_EQ(encode_status_request(model("kmtronic-4"), 3), (Frame{0xFF, 0x09, 0x00}));
  EXPECT_EQ(status_reply_size(model("kmtronic-4")), 4u);
  EXPECT_EQ(status_reply_size(model("kmtronic-8")), 8u);
}

TEST(KmtronicProtocol, DecodesAPerRelayStatus) {
  EXPECT_TRUE(decode_status(model("kmtronic-2"), 2, Bytes{0xFF, 0x02, 0x01}));
  EXPECT_FALSE(decode_status(model("kmtronic-2"), 1, Bytes{0xFF, 0x01, 0x00}));
}

TEST(KmtronicProtocol, DecodesTheWholeBoardStatusRelayOneFirst) {
  const Bytes reply{0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
  EXPECT_FALSE(decode_status(model("kmtronic-8"), 1, reply));
  EXPECT_TRUE(decode_status(model("kmtronic-8"), 2, reply));
  EXPECT_TRUE(decode_status(model("kmtronic-8"), 8, reply));
}

TEST(KmtronicProtocol, RejectsAStatusForAnotherRelay) {
  EXPECT_THROW(decode_status(model("kmtronic-2"), 1, Bytes{0xFF, 0x02, 0x01}), ProtocolError);
}

TEST(KmtronicProtocol, RejectsStateBytesOtherThanZeroAndOne) {
  EXPECT_THROW(decode_status(model("kmtronic-1"), 1, Bytes{0xFF, 0x01, 0x7F}), ProtocolError);
  EXPECT_THROW(decode_status(model("kmtronic-4"), 1, Bytes{0x00, 0x02, 0x00, 0x00}), ProtocolError);
}

TEST(KmtronicProtocol, RejectsStatusRepliesOfTheWrongLength) {
  EXPECT_THROW(decode_status(model("kmtronic-1"), 1, Bytes{0xFF, 0x01}), ProtocolError);
}

TEST(KmtronicProtocol, RejectsRelaysTheModelDoesNotHave) {
  EXPECT_THROW(encode_switch(model("kmtronic-2"), 3, true), std::invalid_argument);
}

// tiiuae/ci-test-automation Robot-Framework/lib/KMTronicLibrary.py:78 (0.1 s after a switch)
// and :100-114 (a missing answer is asked for again).
TEST(KmtronicProtocol, EveryModelPausesAfterASwitchAndAsksTwiceForItsStatus) {
  for (const auto& m : models()) {
    EXPECT_EQ(m.settle, std::chrono::milliseconds(100)) << m.name;
    EXPECT_EQ(m.status_attempts, 2) << m.name;
  }
}

}  // namespace
}  // namespace lockrig::drivers::kmtronic
