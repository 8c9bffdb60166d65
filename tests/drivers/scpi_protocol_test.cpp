// Byte-level tests of the SCPI supply wire protocol (SPD3303X command set).
#include "drivers/scpi/scpi_protocol.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "drivers/serial/protocol_error.hpp"

namespace lockrig::drivers::scpi {
namespace {

using serial::ProtocolError;

const ScpiModel& model(std::string_view name) {
  for (const auto& m : models())
    if (m.name == name) return m;
  throw std::logic_error("no model");
}

TEST(ScpiProtocol, EncodesSettingsPerChannelWithNewline) {
  EXPECT_EQ(encode_set_voltage(1, 2.8), "CH1:VOLT 2.800\n");
  EXPECT_EQ(encode_set_current(2, 0.5), "CH2:CURR 0.500\n");
  EXPECT_EQ(encode_query_voltage(1), "CH1:VOLT?\n");
  EXPECT_EQ(encode_query_current(1), "CH1:CURR?\n");
}

TEST(ScpiProtocol, EncodesOutputSwitching) {
  EXPECT_EQ(encode_output(1, true), "OUTP CH1,ON\n");
  EXPECT_EQ(encode_output(2, false), "OUTP CH2,OFF\n");
}

TEST(ScpiProtocol, EncodesMeasurementsAndStatus) {
  EXPECT_EQ(encode_measure_voltage(1), "MEAS:VOLT? CH1\n");
  EXPECT_EQ(encode_measure_current(2), "MEAS:CURR? CH2\n");
  EXPECT_EQ(encode_status(), "SYST:STAT?\n");
  EXPECT_EQ(encode_identify(), "*IDN?\n");
}

TEST(ScpiProtocol, RefusesNegativeSettingsAndChannelZero) {
  EXPECT_THROW(encode_set_voltage(1, -1), std::invalid_argument);
  EXPECT_THROW(encode_output(0, true), std::invalid_argument);
}

TEST(ScpiProtocol, ParsesTheFourIdentityFields) {
  const Identity id =
      parse_identity("Siglent Technologies,SPD3303X,SPD3XIDD4R0001,1.01.01.02.05,V3.0\n");
  EXPECT_EQ(id.manufacturer, "Siglent Technologies");
  EXPECT_EQ(id.model, "SPD3303X");
  EXPECT_EQ(id.serial, "SPD3XIDD4R0001");
  EXPECT_EQ(id.firmware, "1.01.01.02.05,V3.0");
}

TEST(ScpiProtocol, RejectsAnIdentityWithoutModel) {
  EXPECT_THROW(parse_identity("hello\n"), ProtocolError);
}

TEST(ScpiProtocol, MatchesIdentityByManufacturerAndExactModel) {
  const Identity x{"Siglent Technologies", "SPD3303X", "", ""};
  const Identity e{"Siglent Technologies", "SPD3303X-E", "", ""};
  EXPECT_TRUE(identity_matches(model("spd3303x"), x));
  EXPECT_FALSE(identity_matches(model("spd3303x"), e));
  EXPECT_TRUE(identity_matches(model("spd3303x-e"), e));
  EXPECT_FALSE(identity_matches(model("spd3303x"), Identity{"RIGOL", "SPD3303X", "", ""}));
}

TEST(ScpiProtocol, ParsesNumbersIncludingExponentsAndCarriageReturns) {
  EXPECT_DOUBLE_EQ(parse_number("2.800\n"), 2.8);
  EXPECT_DOUBLE_EQ(parse_number("+2.8E+00\r\n"), 2.8);
  EXPECT_THROW(parse_number("volts\n"), ProtocolError);
  EXPECT_THROW(parse_number("\n"), ProtocolError);
}

TEST(ScpiProtocol, ReadsOutputStatesFromBitsFourAndFive) {
  const unsigned status = parse_status("0x0014\n");
  EXPECT_EQ(status, 0x14u);
  EXPECT_TRUE(output_on(model("spd3303x"), status, 1));
  EXPECT_FALSE(output_on(model("spd3303x"), status, 2));
  EXPECT_TRUE(output_on(model("spd3303x"), 0x20, 2));
  EXPECT_THROW(parse_status("0xZZ\n"), ProtocolError);
}

TEST(ScpiProtocol, RoundsSettingsToTheModelsStep) {
  EXPECT_NEAR(round_to_step(2.8049, 0.01), 2.80, 1e-9);
  EXPECT_NEAR(round_to_step(2.8049, 0.001), 2.805, 1e-9);
}

}  // namespace
}  // namespace lockrig::drivers::scpi
