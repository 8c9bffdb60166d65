// Byte-level tests of the Korad KA-series wire protocol.
#include "drivers/korad/korad_protocol.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "drivers/serial/bytes.hpp"
#include "drivers/serial/protocol_error.hpp"

namespace lockrig::drivers::korad {
namespace {

using serial::Bytes;
using serial::ProtocolError;
using serial::to_bytes;

const KoradModel& model(std::string_view name) {
  for (const auto& m : models())
    if (m.name == name) return m;
  throw std::logic_error("no model");
}

TEST(KoradProtocol, EncodesVoltageWithTenMillivoltResolutionAndNoTerminator) {
  EXPECT_EQ(encode_set_voltage(2.8), "VSET1:2.80");
  EXPECT_EQ(encode_set_voltage(12.345), "VSET1:12.35");
}

TEST(KoradProtocol, EncodesCurrentWithOneMilliampResolution) {
  EXPECT_EQ(encode_set_current(0.5), "ISET1:0.500");
  EXPECT_EQ(encode_set_current(1.2344), "ISET1:1.234");
}

TEST(KoradProtocol, EncodesOutputOnAndOff) {
  EXPECT_EQ(encode_output(true), "OUT1");
  EXPECT_EQ(encode_output(false), "OUT0");
}

TEST(KoradProtocol, RefusesNegativeSettings) {
  EXPECT_THROW(encode_set_voltage(-0.1), std::invalid_argument);
  EXPECT_THROW(encode_set_current(-1), std::invalid_argument);
}

TEST(KoradProtocol, ParsesZeroPaddedNumbers) {
  EXPECT_DOUBLE_EQ(parse_number(to_bytes("02.80")), 2.8);
  EXPECT_DOUBLE_EQ(parse_number(to_bytes("0.500")), 0.5);
}

TEST(KoradProtocol, ToleratesTrailingPaddingInNumbers) {
  EXPECT_DOUBLE_EQ(parse_number(Bytes{'1', '2', '.', '0', '0', 0x00}), 12.0);
}

TEST(KoradProtocol, RejectsGarbageAsANumber) {
  EXPECT_THROW(parse_number(Bytes{0x7F, 0xFE, 0x13}), ProtocolError);
  EXPECT_THROW(parse_number(to_bytes("")), ProtocolError);
  EXPECT_THROW(parse_number(to_bytes("1.2.3")), ProtocolError);
}

TEST(KoradProtocol, ReadsOutputStateFromStatusBitSix) {
  EXPECT_TRUE(output_on(Bytes{0x41}));
  EXPECT_FALSE(output_on(Bytes{0x01}));
  EXPECT_THROW(output_on(Bytes{0x40, 0x40}), ProtocolError);
  EXPECT_THROW(output_on(Bytes{}), ProtocolError);
}

TEST(KoradProtocol, AcceptsTheOldIdentityWithoutSpaces) {
  EXPECT_TRUE(identity_matches(model("ka3005p"), "KORADKA3005PV2.0"));
}

TEST(KoradProtocol, AcceptsTheModernIdentityWithSerialNumber) {
  EXPECT_TRUE(identity_matches(model("ka3005p"), "KORAD KA3005P V5.8 SN:03379314"));
}

TEST(KoradProtocol, AcceptsTenmaRebrandsOfTheKa3005p) {
  EXPECT_TRUE(identity_matches(model("ka3005p"), "TENMA 72-2540 V2.1"));
}

TEST(KoradProtocol, RejectsAnotherModelsIdentity) {
  EXPECT_FALSE(identity_matches(model("ka3005p"), "KORAD KA6003P V2.0"));
  EXPECT_TRUE(identity_matches(model("ka6003p"), "KORAD KA6003P V2.0"));
}

TEST(KoradProtocol, ParsesAnIdentityAndRejectsBinary) {
  EXPECT_EQ(parse_identity(to_bytes("KORADKA3005PV2.0\0")), "KORADKA3005PV2.0");
  EXPECT_THROW(parse_identity(Bytes{0x7F, 0xFE}), ProtocolError);
  EXPECT_THROW(parse_identity(Bytes{}), ProtocolError);
}

TEST(KoradProtocol, EveryModelWaitsEightyMillisecondsBetweenCommands) {
  for (const auto& m : models()) EXPECT_EQ(m.command_gap, std::chrono::milliseconds(80)) << m.name;
}

}  // namespace
}  // namespace lockrig::drivers::korad
