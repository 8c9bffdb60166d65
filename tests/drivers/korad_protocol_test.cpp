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
  EXPECT_THROW(output_on(Bytes{}), ProtocolError);
}

// libsigrok protocol.c:313-314,337 and koradserial.py:358-364 read one byte and ignore the rest;
// the firmware ends its answers with a NUL (koradserial.py:256-272). Until this source was
// checked, a second byte was refused.
TEST(KoradProtocol, TakesTheStatusFromTheFirstByteAndIgnoresWhatFollows) {
  EXPECT_TRUE(output_on(Bytes{0x41, 0x00}));
  EXPECT_FALSE(output_on(Bytes{0x01, 0x40}));
}

// libsigrok protocol.c:387-389; koradserial.py:155-162.
TEST(KoradProtocol, ParsesTheCurrentSettingFromItsFirstFiveCharacters) {
  EXPECT_DOUBLE_EQ(parse_current_setting(to_bytes("0.500K")), 0.5);
  EXPECT_DOUBLE_EQ(parse_current_setting(to_bytes("1.2340")), 1.234);
  EXPECT_DOUBLE_EQ(parse_current_setting(to_bytes("0.500")), 0.5);
  EXPECT_THROW(parse_current_setting(to_bytes("K0.50")), ProtocolError);
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
  EXPECT_EQ(parse_identity(to_bytes(std::string("KORADKA3005PV2.0\0", 17))).text,
            "KORADKA3005PV2.0");
  EXPECT_THROW(parse_identity(Bytes{0x7F, 0xFE}), ProtocolError);
  EXPECT_THROW(parse_identity(Bytes{}), ProtocolError);
}

// libsigrok api.c:178-194: one 0x01 or 0xBC after the identity (KORAD_QUIRK_ID_TRAILING).
TEST(KoradProtocol, SetsAStrayTrailingByteApartFromTheIdentity) {
  Bytes reply = to_bytes("KORAD KA3005P V5.8 SN:03379314");
  reply.push_back(0xBC);
  const ParsedIdentity id = parse_identity(reply);
  EXPECT_EQ(id.text, "KORAD KA3005P V5.8 SN:03379314");
  EXPECT_EQ(id.trailer, 0xBC);
  reply.back() = 0x01;
  reply.push_back(0x00);
  EXPECT_EQ(parse_identity(reply).trailer, 0x01);
  EXPECT_EQ(parse_identity(to_bytes("KORADKA3005PV2.0")).trailer, std::nullopt);
  EXPECT_THROW(parse_identity(Bytes{'K', 0x02}), ProtocolError);
}

// libsigrok api.c:60-61,77-78: only the KA3005P and Velleman's PS3005D V1.3 send the trailer.
TEST(KoradProtocol, OnlyTheKa3005pFamilyMayEndItsIdentityInAStrayByte) {
  EXPECT_TRUE(*identity_quirks(model("ka3005p"), "KORAD KA3005P V5.8") & kIdTrailer);
  EXPECT_FALSE(*identity_quirks(model("ka6003p"), "KORAD KA6003P V2.0") & kIdTrailer);
  EXPECT_FALSE(*identity_quirks(model("kd3005p"), "KORAD KD3005P V2.0") & kIdTrailer);
}

// libsigrok api.c:58-81.
TEST(KoradProtocol, AcceptsTheIdentitiesLibsigrokKnows) {
  EXPECT_TRUE(identity_matches(model("kd3005p"), "KORAD KD3005P V6.8 SN:21030085"));
  EXPECT_TRUE(identity_matches(model("kd3005p"), "RND 320-KD3005P V4.2"));
  EXPECT_TRUE(identity_matches(model("kd6005p"), "KORAD KD6005P V2.0"));
  EXPECT_TRUE(identity_matches(model("ka3005p"), "RND 320-KA3005P V2.0"));
  EXPECT_TRUE(identity_matches(model("ka3005p"), "VELLEMANPS3005DV2.0"));
  EXPECT_TRUE(identity_matches(model("ka3005p"), "VELLEMANLABPS3005DV2.0"));
  EXPECT_TRUE(identity_matches(model("ka3003p"), "TENMA 72-2535 V2.1"));
  EXPECT_TRUE(identity_matches(model("ka6003p"), "TENMA 72-2550 V2.0"));
  EXPECT_TRUE(identity_matches(model("tenma-72-2705"), "TENMA 72-2705 V3.0"));
  EXPECT_TRUE(identity_matches(model("tenma-72-2710"), "TENMA 72-2710 V6.6"));
  EXPECT_TRUE(identity_matches(model("s-ls-31"), "S-LS-31 V2.0"));
  EXPECT_FALSE(identity_matches(model("ka3005p"), "KORAD KD3005P V2.0"));
  EXPECT_FALSE(identity_matches(model("kd3005p"), "KORAD KD6005P V2.0"));
}

TEST(KoradProtocol, EveryUnitWaitsEightyMillisecondsBetweenCommands) {
  // libsigrok protocol.c:24 (DEVICE_PROCESSING_TIME_MS).
  EXPECT_EQ(gap_after(kNoQuirk, false), std::chrono::milliseconds(80));
  EXPECT_EQ(gap_after(kNoQuirk, true), std::chrono::milliseconds(80));
  EXPECT_EQ(gap_after(kIdTrailer, true), std::chrono::milliseconds(80));
}

// libsigrok api.c:77-78, protocol.c:25,169-185.
TEST(KoradProtocol, TheSlowPs3005dWaitsLongerAfterSettingsAndStatusOnly) {
  const unsigned quirks = *identity_quirks(model("ka3005p"), "VELLEMANPS3005DV1.3");
  EXPECT_TRUE(quirks & kSlowProcessing);
  EXPECT_EQ(gap_after(quirks, true), std::chrono::milliseconds(530));
  EXPECT_EQ(gap_after(quirks, false), std::chrono::milliseconds(80));
  EXPECT_FALSE(*identity_quirks(model("ka3005p"), "VELLEMANPS3005DV2.0") & kSlowProcessing);
}

}  // namespace
}  // namespace lockrig::drivers::korad
