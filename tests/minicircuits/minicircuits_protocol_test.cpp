// The Mini-Circuits attenuator wire format byte by byte, against the bytes the independent
// sources send and expect (drivers/minicircuits/README.md names them with file:line).
#include <gtest/gtest.h>

#include <vector>

#include "drivers/minicircuits/minicircuits_protocol.hpp"
#include "drivers/serial/protocol_error.hpp"

namespace lockrig::drivers::minicircuits {
namespace {

std::vector<std::uint8_t> head(const HidReport& r, std::size_t n) {
  return {r.begin(), r.begin() + static_cast<std::ptrdiff_t>(n)};
}

bool zero_from(const HidReport& r, std::size_t from) {
  for (std::size_t i = from; i < r.size(); ++i)
    if (r[i] != 0) return false;
  return true;
}

// rudatctrl rudat_6000_90_attenuator.cpp:111-114 and ssmdevices attenuators.py:79-81: code 19,
// whole dB, quarter steps, channel; the rest of the 64 bytes zero.
TEST(MiniCircuitsHid, EncodesSetAttenuationAsWholeDbQuarterStepsAndChannel) {
  const HidReport r = encode_hid_set_attenuation(42.25);
  EXPECT_EQ(r.size(), 64u);
  EXPECT_EQ(head(r, 4), (std::vector<std::uint8_t>{19, 42, 1, 1}));
  EXPECT_TRUE(zero_from(r, 4));
  EXPECT_EQ(head(encode_hid_set_attenuation(0.75, 3), 4), (std::vector<std::uint8_t>{19, 0, 3, 3}));
  EXPECT_EQ(head(encode_hid_set_attenuation(90), 4), (std::vector<std::uint8_t>{19, 90, 0, 1}));
  EXPECT_EQ(head(encode_hid_set_attenuation(110.5), 4), (std::vector<std::uint8_t>{19, 110, 2, 1}));
}

TEST(MiniCircuitsHid, RefusesLevelsTheQuarterFieldCannotCarryInsteadOfRoundingThem) {
  EXPECT_THROW(encode_hid_set_attenuation(42.1), std::invalid_argument);
  EXPECT_THROW(encode_hid_set_attenuation(-0.25), std::invalid_argument);
  EXPECT_THROW(encode_hid_set_attenuation(256), std::invalid_argument);
  EXPECT_THROW(encode_hid_set_attenuation(10, 5), std::invalid_argument);
}

// rudatctrl :29,:52,:90 and ssmdevices _minicircuits_usb.py:232-233: a query is its code alone.
TEST(MiniCircuitsHid, EncodesQueriesAsTheirCodeAlone) {
  EXPECT_EQ(encode_hid_query(HidCode::read_attenuation)[0], 18);
  EXPECT_EQ(encode_hid_query(HidCode::model_name)[0], 40);
  EXPECT_EQ(encode_hid_query(HidCode::serial_number)[0], 41);
  EXPECT_TRUE(zero_from(encode_hid_query(HidCode::serial_number), 1));
}

// rudatctrl :96 (byte 1 + 0.25 * byte 2); ssmdevices attenuators.py:65-69 (channel n at 2n-1).
TEST(MiniCircuitsHid, DecodesTheLevelOfEachChannel) {
  const std::vector<std::uint8_t> one = {18, 42, 1, 0, 0};
  EXPECT_DOUBLE_EQ(decode_hid_attenuation(one), 42.25);
  const std::vector<std::uint8_t> four = {18, 10, 0, 20, 2, 30, 1, 95, 3};
  EXPECT_DOUBLE_EQ(decode_hid_attenuation(four, 1), 10);
  EXPECT_DOUBLE_EQ(decode_hid_attenuation(four, 2), 20.5);
  EXPECT_DOUBLE_EQ(decode_hid_attenuation(four, 3), 30.25);
  EXPECT_DOUBLE_EQ(decode_hid_attenuation(four, 4), 95.75);
}

TEST(MiniCircuitsHid, AnAnswerToAnotherCommandOrAShortOneIsAProtocolError) {
  const std::vector<std::uint8_t> model = {40, 'R', 'C', 0};
  EXPECT_THROW(decode_hid_attenuation(model), serial::ProtocolError);
  EXPECT_FALSE(hid_answers(model, HidCode::read_attenuation));
  EXPECT_TRUE(hid_answers(model, HidCode::model_name));
  const std::vector<std::uint8_t> shorter = {18, 42};
  EXPECT_THROW(decode_hid_attenuation(shorter), serial::ProtocolError);
  const std::vector<std::uint8_t> bad_quarter = {18, 42, 4};
  EXPECT_THROW(decode_hid_attenuation(bad_quarter), serial::ProtocolError);
}

// ssmdevices _minicircuits_usb.py:57-60 (bytes 1.. up to the first 0); msdk
// mini_RCDAT_USB.py:93 also stops at 255.
TEST(MiniCircuitsHid, DecodesModelAndSerialTextUpToTheFirstZeroOr255) {
  std::vector<std::uint8_t> a = {40};
  for (char c : std::string("RCDAT-6000-90")) a.push_back(static_cast<std::uint8_t>(c));
  a.push_back(0);
  a.push_back('X');
  EXPECT_EQ(decode_hid_text(a, HidCode::model_name), "RCDAT-6000-90");
  std::vector<std::uint8_t> b = {41, '1', '1', '6', '0', 0xFF, '7'};
  EXPECT_EQ(decode_hid_text(b, HidCode::serial_number), "1160");
  EXPECT_THROW(decode_hid_text(b, HidCode::model_name), serial::ProtocolError);
  const std::vector<std::uint8_t> empty = {41, 0};
  EXPECT_THROW(decode_hid_text(empty, HidCode::serial_number), serial::ProtocolError);
  const std::vector<std::uint8_t> binary = {41, '1', 0x07, 0};
  EXPECT_THROW(decode_hid_text(binary, HidCode::serial_number), serial::ProtocolError);
}

TEST(MiniCircuitsHttp, ParsesAddressesWithAndWithoutPort) {
  auto a = parse_http_address("http://10.0.0.7");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "10.0.0.7");
  EXPECT_EQ(a->port, 80);
  EXPECT_EQ(a->str(), "http://10.0.0.7");
  a = parse_http_address("http://127.0.0.1:8080/");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->port, 8080);
  EXPECT_EQ(a->str(), "http://127.0.0.1:8080");
  EXPECT_TRUE(parse_http_address("http://rcdat-lab.local"));
  a = parse_http_address("telnet://10.0.0.7");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->telnet);
  EXPECT_EQ(a->port, 23);
  EXPECT_EQ(a->str(), "telnet://10.0.0.7");
  EXPECT_EQ(parse_http_address("telnet://10.0.0.7:2323")->str(), "telnet://10.0.0.7:2323");
  EXPECT_EQ(telnet_line(":ATT?"), ":ATT?\r\n");
  for (const char* bad : {"10.0.0.7", "tcp://10.0.0.7", "http://", "http://h:0", "http://h:70000",
                          "http://h:", "http://h/path", "https://h", "http://a b"})
    EXPECT_FALSE(parse_http_address(bad)) << bad;
}

// ACTS http.py:113 (CHAN:n:SETATT:v), Qcodes _minicircuits_rudat_13g_90.py:38 (:SETATT={},
// :ATT?), msdk mini_RCDAT_USB.py:118 (SETATT=<level>).
TEST(MiniCircuitsHttp, BuildsTheCommandsAndTheRequestLine) {
  EXPECT_EQ(set_command(42.25, 0), ":SETATT=42.25");
  EXPECT_EQ(set_command(42, 0), ":SETATT=42");
  EXPECT_EQ(set_command(0.5, 0), ":SETATT=0.5");
  EXPECT_EQ(set_command(10.75, 2), "CHAN:2:SETATT:10.75");
  EXPECT_EQ(read_command(0), ":ATT?");
  EXPECT_EQ(read_command(3), "CHAN:3:ATT?");
  EXPECT_EQ(http_request(":ATT?", {"127.0.0.1", 8080}),
            "GET /:ATT? HTTP/1.0\r\nHost: 127.0.0.1:8080\r\n\r\n");
  EXPECT_EQ(http_request(":MN?", {"10.0.0.7", 80}), "GET /:MN? HTTP/1.0\r\nHost: 10.0.0.7\r\n\r\n");
}

TEST(MiniCircuitsHttp, ReadsTheBodyUpToContentLengthOrTheEndWithoutLineEnds) {
  HttpAnswer a = parse_http_response("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n1");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "1");
  a = parse_http_response("HTTP/1.0 200 OK\r\n\r\n42.25\r\n");
  EXPECT_EQ(a.body, "42.25");
  a = parse_http_response("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n1\r\nGARBAGE");
  EXPECT_EQ(a.body, "1");
  EXPECT_EQ(parse_http_response("HTTP/1.1 404 Not Found\r\n\r\n").status, 404);
  EXPECT_THROW(parse_http_response("1"), serial::ProtocolError);
  EXPECT_THROW(parse_http_response("HTTP/1.1 200 OK\r\nContent-Type: te"), serial::ProtocolError);
  EXPECT_THROW(parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n1"),
               serial::ProtocolError);
}

TEST(MiniCircuitsHttp, AnAnswerIsCompleteEarlyOnlyWhenItSaysItsLength) {
  EXPECT_FALSE(http_response_complete("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"));
  EXPECT_FALSE(http_response_complete("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n1\r"));
  EXPECT_TRUE(http_response_complete("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n1\r\n"));
  // Without a length, only the close ends it.
  EXPECT_FALSE(http_response_complete("HTTP/1.1 200 OK\r\n\r\n1\r\n"));
  EXPECT_FALSE(http_response_complete("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n1"));
}

// ACTS http.py:61-69: "MN=" prefix, and the name's third field is the maximum attenuation.
TEST(MiniCircuitsHttp, TakesTheRangeFromTheModelName) {
  EXPECT_EQ(value_of("MN=RCDAT-6000-90", "MN"), "RCDAT-6000-90");
  EXPECT_EQ(value_of("SN=11604210008", "SN"), "11604210008");
  EXPECT_THROW(value_of("RCDAT-6000-90", "MN"), serial::ProtocolError);
  EXPECT_THROW(value_of("MN=", "MN"), serial::ProtocolError);
  EXPECT_EQ(max_db_of_model("RCDAT-6000-90"), 90.0);
  EXPECT_EQ(max_db_of_model("RCDAT-6000-110"), 110.0);
  EXPECT_EQ(max_db_of_model("RUDAT-13G-90"), 90.0);
  EXPECT_EQ(max_db_of_model("RC4DAT-6G-60"), 60.0);
  EXPECT_EQ(max_db_of_model("RCDAT-8000-30"), 30.0);
  EXPECT_EQ(max_db_of_model("RCDAT-6000"), std::nullopt);
  EXPECT_EQ(max_db_of_model("ZX76-31R75"), std::nullopt);
  EXPECT_EQ(max_db_of_model("RCDAT-6000-9X"), std::nullopt);
}

TEST(MiniCircuitsHttp, ReadsLevelsAndTheSetAnswer) {
  EXPECT_DOUBLE_EQ(parse_attenuation("42.25"), 42.25);
  EXPECT_DOUBLE_EQ(parse_attenuation(" 0\r\n"), 0);
  EXPECT_THROW(parse_attenuation("-99 Unrecognized Command"), serial::ProtocolError);
  EXPECT_THROW(parse_attenuation("10.00  20.00"), serial::ProtocolError);
  EXPECT_TRUE(set_accepted("1"));
  EXPECT_TRUE(set_accepted("1\r\n"));
  EXPECT_FALSE(set_accepted("0"));
  EXPECT_FALSE(set_accepted("2"));
}

}  // namespace
}  // namespace lockrig::drivers::minicircuits
