// Byte-level tests of the Devantech USB-RLY wire protocol.
#include "drivers/devantech/devantech_protocol.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "drivers/serial/bytes.hpp"
#include "drivers/serial/protocol_error.hpp"

namespace lockrig::drivers::devantech {
namespace {

const DevantechModel& model(std::string_view name) {
  for (const auto& m : models())
    if (m.name == name) return m;
  throw std::logic_error("no model");
}

TEST(DevantechProtocol, EncodesRelayOneOnAs65AndOffAs6F) {
  EXPECT_EQ(encode_switch(model("usb-rly08"), 1, true), 0x65);
  EXPECT_EQ(encode_switch(model("usb-rly08"), 1, false), 0x6F);
}

TEST(DevantechProtocol, EncodesRelayEightOnAs6CAndOffAs76) {
  EXPECT_EQ(encode_switch(model("usb-rly08"), 8, true), 0x6C);
  EXPECT_EQ(encode_switch(model("usb-rly08"), 8, false), 0x76);
}

TEST(DevantechProtocol, RejectsRelaysTheModelDoesNotHave) {
  EXPECT_THROW(encode_switch(model("usb-rly02"), 3, true), std::invalid_argument);
}

TEST(DevantechProtocol, ReadsRelayStatesFromTheMask) {
  EXPECT_TRUE(relay_state(0x81, 1));
  EXPECT_FALSE(relay_state(0x81, 2));
  EXPECT_TRUE(relay_state(0x81, 8));
}

TEST(DevantechProtocol, DecodesModuleIdAndFirmware) {
  const Version v = decode_version(serial::Bytes{0x08, 0x04});
  EXPECT_EQ(v.module_id, 8);
  EXPECT_EQ(v.firmware, 4);
  EXPECT_THROW(decode_version(serial::Bytes{0x08}), serial::ProtocolError);
}

TEST(DevantechProtocol, TellsModelsApartByModuleId) {
  EXPECT_EQ(model_for_module_id(10)->name, "usb-rly02");
  EXPECT_EQ(model_for_module_id(8)->name, "usb-rly08");
  EXPECT_EQ(model_for_module_id(9)->name, "usb-rly16");
  EXPECT_EQ(model_for_module_id(15)->name, "usb-rly16l");
  EXPECT_EQ(model_for_module_id(99), nullptr);
}

// q-depot/Cinder-USBRelay src/USBRelay.h:12,17: "the Module ID which is 9" for the USB-RLY16L.
TEST(DevantechProtocol, TheUsbRly16lReportsNineAndFifteenIsKeptUnverified) {
  EXPECT_TRUE(reports_module_id(model("usb-rly16l"), 9));
  EXPECT_TRUE(reports_module_id(model("usb-rly16l"), 15));
  EXPECT_FALSE(reports_module_id(model("usb-rly16l"), 8));
  EXPECT_EQ(module_id_list(model("usb-rly16l")), "9 or 15");
  EXPECT_EQ(module_id_list(model("usb-rly08")), "8");
}

TEST(DevantechProtocol, OnlyAnIdOfAModelWithOtherRelaysRefusesTheBoard) {
  EXPECT_EQ(judge_module_id(model("usb-rly08"), 8), ModuleIdVerdict::expected);
  EXPECT_EQ(judge_module_id(model("usb-rly02"), 8), ModuleIdVerdict::other_model);
  EXPECT_EQ(judge_module_id(model("usb-rly08"), 10), ModuleIdVerdict::other_model);
  EXPECT_EQ(judge_module_id(model("usb-rly08"), 9), ModuleIdVerdict::unexpected);
  EXPECT_EQ(judge_module_id(model("usb-rly08"), 42), ModuleIdVerdict::unexpected);
  EXPECT_EQ(judge_module_id(model("usb-rly16"), 15), ModuleIdVerdict::unexpected);
}

}  // namespace
}  // namespace lockrig::drivers::devantech
