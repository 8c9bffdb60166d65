// The serial drivers' fixture settings: what `lockrig check` accepts and how it reports the rest.
#include "drivers/serial/serial_settings.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "drivers/serial/register.hpp"

namespace lockrig::drivers::serial {
namespace {

Settings settings(const std::string& yaml) {
  return Settings(YAML::Load(yaml), "bench.yaml");
}

SwitchBoardSpec board(const std::string& driver, const std::string& yaml,
                      std::vector<int> channels = {1}) {
  SwitchBoardSpec spec;
  spec.id = "relays";
  spec.driver = driver;
  spec.settings = settings(yaml);
  for (int ch : channels) {
    ChannelSpec c;
    c.name = "battery";
    c.channel = ch;
    c.where = {"bench.yaml", 9, 7};
    spec.channels.push_back(c);
  }
  return spec;
}

SupplySpec supply(const std::string& driver, const std::string& yaml) {
  SupplySpec spec;
  spec.id = "vbat";
  spec.driver = driver;
  spec.settings = settings(yaml);
  spec.nominal_volts = 3.0;
  spec.nominal_amps = 0.5;
  spec.max_volts = 3.3;
  spec.max_amps = 1.0;
  spec.where = {"bench.yaml", 20, 3};
  return spec;
}

DriverRegistry registry() {
  DriverRegistry r;
  register_serial_drivers(r);
  return r;
}

void validate_board(const SwitchBoardSpec& spec) {
  registry().switch_driver(spec.driver, {}).validate(spec);
}

void validate_supply(const SupplySpec& spec) {
  registry().supply_driver(spec.driver, {}).validate(spec);
}

std::string board_error(const SwitchBoardSpec& spec) {
  try {
    validate_board(spec);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

std::string supply_error(const SupplySpec& spec) {
  try {
    validate_supply(spec);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(SerialSettings, RegistersEverySerialDriverAsRealHardware) {
  const DriverRegistry r = registry();
  for (const char* name : {"lcus", "numato", "kmtronic", "devantech"}) {
    EXPECT_TRUE(contains(r.switch_driver_names(), name)) << name;
    EXPECT_FALSE(r.switch_driver(name, {}).simulated) << name;
  }
  for (const char* name : {"korad", "scpi"}) {
    EXPECT_TRUE(contains(r.supply_driver_names(), name)) << name;
    EXPECT_FALSE(r.supply_driver(name, {}).simulated) << name;
  }
}

TEST(SerialSettings, AcceptsADevicePathAndModel) {
  EXPECT_NO_THROW(validate_board(board("lcus", "{port: /dev/ttyUSB0, model: lcus-4}")));
  EXPECT_NO_THROW(validate_board(
      board("numato", "{port: /dev/serial/by-id/usb-Numato_Lab-if00, model: numato-8}")));
}

TEST(SerialSettings, AcceptsAUsbIdentityWithOrWithoutSerial) {
  EXPECT_NO_THROW(validate_board(board("kmtronic", "{usb: \"0403:6001\", model: kmtronic-2}")));
  EXPECT_NO_THROW(
      validate_board(board("devantech", "{usb: \"04d8:ffee:00012345\", model: usb-rly08}")));
}

TEST(SerialSettings, ReadsPortModelAndTimeout) {
  const SerialSettings s = read_serial_settings(
      settings("{usb: \"1A86:7523:A5\", model: lcus-1, timeout: 250ms}"), Settings(), "lcus");
  ASSERT_TRUE(s.port.usb);
  EXPECT_EQ(s.port.usb->vid, 0x1a86);
  EXPECT_EQ(s.port.usb->pid, 0x7523);
  EXPECT_EQ(s.port.usb->serial, "A5");
  EXPECT_EQ(s.model, "lcus-1");
  EXPECT_EQ(s.timeout, std::chrono::milliseconds(250));
}

TEST(SerialSettings, DefaultsTheTimeoutToHalfASecond) {
  const SerialSettings s =
      read_serial_settings(settings("{port: /dev/ttyACM0, model: numato-1}"), Settings(), "numato");
  EXPECT_EQ(s.timeout, std::chrono::milliseconds(500));
}

TEST(SerialSettings, TakesTheTimeoutFromTheFixtureWideBlock) {
  const SerialSettings s = read_serial_settings(settings("{port: /dev/ttyACM0, model: numato-1}"),
                                                settings("{timeout: 2s}"), "numato");
  EXPECT_EQ(s.timeout, std::chrono::seconds(2));
}

TEST(SerialSettings, RejectsOtherKeysInTheFixtureWideBlock) {
  EXPECT_THROW(read_serial_settings(settings("{port: /dev/ttyACM0, model: numato-1}"),
                                    settings("{port: /dev/ttyS0}"), "numato"),
               ConfigError);
}

TEST(SerialSettings, RejectsBothPortAndUsb) {
  EXPECT_NE(board_error(board("lcus", "{port: /dev/ttyUSB0, usb: \"1a86:7523\", model: lcus-1}"))
                .find("either port or usb"),
            std::string::npos);
}

TEST(SerialSettings, RequiresPortOrUsb) {
  const std::string e = board_error(board("lcus", "{model: lcus-1}"));
  EXPECT_NE(e.find("port:"), std::string::npos) << e;
  EXPECT_NE(e.find("usb:"), std::string::npos) << e;
}

TEST(SerialSettings, RejectsAPortThatIsNotADevicePath) {
  EXPECT_NE(board_error(board("lcus", "{port: ttyUSB0, model: lcus-1}")).find("\"ttyUSB0\""),
            std::string::npos);
}

TEST(SerialSettings, RejectsAMalformedUsbIdentityAtItsPosition) {
  const std::string e = board_error(board("lcus", "usb: \"1a86-7523\"\nmodel: lcus-1"));
  EXPECT_EQ(e.rfind("bench.yaml:1:6: usb must be VID:PID", 0), 0u) << e;
}

TEST(SerialSettings, RejectsUnknownKeysSuggestingTheClosest) {
  const std::string e = board_error(board("lcus", "{prot: /dev/ttyUSB0, model: lcus-1}"));
  EXPECT_NE(e.find("unknown key \"prot\""), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean \"port\""), std::string::npos) << e;
}

TEST(SerialSettings, RejectsAnUnknownModelListingTheKnownOnes) {
  const std::string e = board_error(board("lcus", "{port: /dev/ttyUSB0, model: lcus-5}"));
  EXPECT_NE(e.find("unknown lcus model \"lcus-5\""), std::string::npos) << e;
  EXPECT_NE(e.find("lcus-1, lcus-2, lcus-4, lcus-8"), std::string::npos) << e;
}

TEST(SerialSettings, LcusReadBackCanBeTurnedOffButNotOnForTheLcus1) {
  EXPECT_NO_THROW(
      validate_board(board("lcus", "{port: /dev/ttyUSB0, model: lcus-4, readback: false}")));
  EXPECT_NO_THROW(
      validate_board(board("lcus", "{port: /dev/ttyUSB0, model: lcus-1, readback: false}")));
  const std::string e =
      board_error(board("lcus", "{port: /dev/ttyUSB0, model: lcus-1, readback: true}"));
  EXPECT_EQ(e.rfind("bench.yaml:1:47: the LCUS-1 cannot read back", 0), 0u) << e;
}

TEST(SerialSettings, ScpiTakesATcpAddressOrAUsbtmcDevice) {
  EXPECT_NO_THROW(validate_supply(supply("scpi", "{port: \"tcp://10.0.0.5:5025\"}")));
  EXPECT_NO_THROW(validate_supply(supply("scpi", "{port: \"tcp://psu-3.lab\", model: dp832}")));
  EXPECT_NO_THROW(validate_supply(supply("scpi", "{port: \"tcp://[fe80::1]:5025\"}")));
  EXPECT_NO_THROW(validate_supply(supply("scpi", "{port: \"usbtmc:/dev/usbtmc0\"}")));
  // By USB identity (usbtmcN numbers follow plug order), with or without the serial number.
  EXPECT_NO_THROW(validate_supply(supply("scpi", "{port: \"usbtmc:f4ec:1430\"}")));
  EXPECT_NO_THROW(validate_supply(supply("scpi", "{port: \"usbtmc:1AB1:0E11:DP8C1234\"}")));
  std::string e = supply_error(supply("scpi", "{port: \"tcp://10.0.0.5:99999\"}"));
  EXPECT_EQ(e.rfind("bench.yaml:1:8: port must be tcp://HOST or tcp://HOST:PORT", 0), 0u) << e;
  e = supply_error(supply("scpi", "{port: \"usbtmc:usbtmc0\"}"));
  EXPECT_EQ(e.rfind("bench.yaml:1:8: port must be usbtmc:/dev/usbtmcN", 0), 0u) << e;
  e = supply_error(supply("scpi", "{port: \"tcp://10.0.0.5\", baud: 115200}"));
  EXPECT_NE(e.find("baud applies to a serial line, not to a TCP address"), std::string::npos) << e;
  e = supply_error(supply("korad", "{port: \"tcp://10.0.0.5\"}"));
  EXPECT_NE(e.find("port must be a device path"), std::string::npos) << e;
}

TEST(SerialSettings, ScpiProtectionIsRefusedWhereTheModelCannotTakeALevel) {
  EXPECT_NO_THROW(
      validate_supply(supply("scpi", "{port: /dev/ttyUSB0, model: dp832, protection: true}")));
  EXPECT_NO_THROW(validate_supply(supply("scpi", "{port: /dev/ttyUSB0, protection: false}")));
  const std::string e = supply_error(supply("scpi", "{port: /dev/ttyUSB0, protection: true}"));
  EXPECT_NE(e.find("the Siglent SPD3303X cannot take protection levels over SCPI"),
            std::string::npos)
      << e;
}

TEST(SerialSettings, ScpiChecksTheFixturesLimitsAgainstTheOutputsOwnRange) {
  SupplySpec spec = supply("scpi", "{port: /dev/ttyUSB0, model: e36312a}");
  spec.output = 2;
  spec.max_amps = 1.2;
  const std::string e = supply_error(spec);
  EXPECT_NE(e.find("max current 1.2 A is beyond the Keysight E36312A's range 0..1.03 A"),
            std::string::npos)
      << e;
}

TEST(SerialSettings, RejectsAChannelTheBoardDoesNotHaveAtTheChannel) {
  const std::string e =
      board_error(board("kmtronic", "{port: /dev/ttyUSB0, model: kmtronic-2}", {1, 3}));
  EXPECT_EQ(e.rfind("bench.yaml:9:7: channel 3 of \"battery\" does not exist", 0), 0u) << e;
}

TEST(SerialSettings, RejectsTimeoutsOutsideTenMillisecondsToAMinute) {
  EXPECT_NE(board_error(board("lcus", "{port: /dev/ttyUSB0, model: lcus-1, timeout: 5ms}"))
                .find("timeout must be between"),
            std::string::npos);
  EXPECT_NE(board_error(board("lcus", "{port: /dev/ttyUSB0, model: lcus-1, timeout: 2m}"))
                .find("timeout must be between"),
            std::string::npos);
}

TEST(SerialSettings, AllowsABaudRateOnlyForScpi) {
  EXPECT_EQ(supply_error(supply("scpi", "{port: /dev/ttyUSB0, model: spd3303x, baud: 115200}")),
            "(accepted)");
  EXPECT_NE(board_error(board("lcus", "{port: /dev/ttyUSB0, model: lcus-1, baud: 115200}"))
                .find("unknown key \"baud\""),
            std::string::npos);
}

TEST(SerialSettings, SuppliesDefaultToTheModelTheirDriverIsNamedAfter) {
  EXPECT_EQ(
      read_serial_settings(settings("{port: /dev/ttyACM0}"), Settings(), "korad", "ka3005p").model,
      "ka3005p");
  EXPECT_EQ(supply_error(supply("korad", "{port: /dev/serial/by-id/usb-Nuvoton-if00}")),
            "(accepted)");
  EXPECT_EQ(supply_error(supply("scpi", "{port: /dev/ttyUSB0}")), "(accepted)");
}

TEST(SerialSettings, RelayBoardsNeedTheirModel) {
  EXPECT_NE(board_error(board("numato", "{port: /dev/ttyACM0}")).find("\"model\""),
            std::string::npos);
}

TEST(SerialSettings, AcceptsSupplyLimitsWithinTheModel) {
  EXPECT_EQ(supply_error(supply("korad", "{port: /dev/ttyACM0, model: ka3005p}")), "(accepted)");
}

TEST(SerialSettings, RejectsSupplyLimitsBeyondTheModel) {
  SupplySpec spec = supply("korad", "{port: /dev/ttyACM0, model: ka3005p}");
  spec.max_volts = 35;
  const std::string e = supply_error(spec);
  EXPECT_NE(e.find("max voltage 35 V is beyond the Korad KA3005P's range 0..30 V"),
            std::string::npos)
      << e;
}

TEST(SerialSettings, RejectsAnOutputTheSupplyDoesNotHave) {
  SupplySpec spec = supply("scpi", "{port: /dev/ttyUSB0, model: spd3303x}");
  spec.output = 3;
  EXPECT_NE(supply_error(spec).find("output 3 does not exist"), std::string::npos);
  spec = supply("korad", "{port: /dev/ttyUSB0, model: ka3005p}");
  spec.output = 2;
  EXPECT_NE(supply_error(spec).find("output 2 does not exist"), std::string::npos);
}

}  // namespace
}  // namespace lockrig::drivers::serial
