// Byte-level tests of the SCPI supply wire protocol (SPD3303X command set).
#include "drivers/scpi/scpi_protocol.hpp"

#include <gtest/gtest.h>

#include <chrono>
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

// libsigrok profiles.c:760-791 (Rigol DP800), :1543-1566 (R&S HMC804x), :1255-1281 (Keysight
// E36300): the output is selected first, then set without naming it.
TEST(ScpiProtocol, RendersEachVendorsCommandsFromItsDialect) {
  const ScpiDialect& rigol = *model("dp832").dialect;
  EXPECT_EQ(render(rigol.select, 2), ":INST:NSEL 2\n");
  EXPECT_EQ(render(rigol.set_volts, 2, 2.8), ":SOUR:VOLT 2.800\n");
  EXPECT_EQ(render(rigol.set_ovp, 2, 3.3), ":OUTP:OVP:VAL 3.300\n");
  EXPECT_EQ(render(rigol.set_ocp, 2, 1), ":OUTP:OCP:VAL 1.000\n");
  const ScpiDialect& rs = *model("hmc8043").dialect;
  EXPECT_EQ(render(rs.select, 3), "INST:NSEL 3\n");
  EXPECT_EQ(render(rs.set_amps, 3, 0.25), "CURR 0.250\n");
  EXPECT_EQ(render(rs.set_ovp, 3, 3.3), "VOLT:PROT:LEV 3.300\n");
  EXPECT_TRUE(rs.set_ocp.empty());
  const ScpiDialect& keysight = *model("e36312a").dialect;
  EXPECT_EQ(render(keysight.output_on, 1), "OUTP:STAT ON\n");
  EXPECT_EQ(render(keysight.set_ovp, 1, 6), ":VOLT:PROT 6.000\n");
  EXPECT_TRUE(keysight.enable_ovp.empty());
  const ScpiDialect& siglent = *model("spd3303x").dialect;
  EXPECT_TRUE(siglent.select.empty());
  EXPECT_TRUE(siglent.set_ovp.empty());
  EXPECT_THROW(render(rigol.set_volts, 1, -1), std::invalid_argument);
}

// python-spd3303x spd3303x/__init__.py:114-122,139-141: 100 ms after every Siglent exchange.
TEST(ScpiProtocol, OnlySiglentNeedsAPauseBetweenCommands) {
  EXPECT_EQ(model("spd3303x").dialect->command_gap, std::chrono::milliseconds(100));
  EXPECT_EQ(model("spd3303x-e").dialect->command_gap, std::chrono::milliseconds(100));
  for (const char* name : {"dp832", "hmc8043", "e36312a"})
    EXPECT_EQ(model(name).dialect->command_gap, std::chrono::milliseconds(0)) << name;
}

TEST(ScpiProtocol, ReadsOutputStatesAsOnOffOrOneZero) {
  EXPECT_TRUE(parse_on_off("ON\n"));
  EXPECT_TRUE(parse_on_off("1\r\n"));
  EXPECT_FALSE(parse_on_off("OFF\n"));
  EXPECT_FALSE(parse_on_off("0"));
  EXPECT_THROW(parse_on_off("2\n"), ProtocolError);
}

TEST(ScpiProtocol, KnowsEachOutputsRange) {
  EXPECT_DOUBLE_EQ(range(model("dp832"), 3).max_volts, 5.0);
  EXPECT_DOUBLE_EQ(range(model("e36312a"), 1).max_amps, 5.15);
  EXPECT_DOUBLE_EQ(range(model("e36312a"), 2).max_volts, 25.75);
  EXPECT_THROW(range(model("spd3303x"), 3), std::invalid_argument);
}

TEST(ScpiProtocol, MatchesEveryIdentityAModelAccepts) {
  EXPECT_TRUE(identity_matches(model("dp832"), Identity{"RIGOL TECHNOLOGIES", "DP832", "", ""}));
  EXPECT_TRUE(identity_matches(model("dp832"), Identity{"RIGOL TECHNOLOGIES", "DP832A", "", ""}));
  EXPECT_TRUE(identity_matches(model("hmc8043"), Identity{"Rohde&Schwarz", "HMC8043", "", ""}));
  EXPECT_FALSE(identity_matches(model("hmc8043"), Identity{"Rohde&Schwarz", "HMC8042", "", ""}));
}

}  // namespace
}  // namespace lockrig::drivers::scpi
