// The `usbhid` driver end to end against a double of hidapi (tests/support/fake_hidapi.hpp; no
// HID device or /dev/uhid here). The real hidapi calls in drivers/usbhid/hidapi_backend.cpp are
// not exercised by these tests.
#include "drivers/usbhid/usbhid_board.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>

#include "drivers/rig_fault.hpp"
#include "drivers/serial/register.hpp"
#include "tests/support/fake_hidapi.hpp"

namespace lockrig::drivers::usbhid {
namespace {

using fakehid::dcttech;
using fakehid::FakeBoard;
using fakehid::FakeHidapi;

SwitchBoardSpec spec(const std::string& yaml, std::vector<int> channels = {1}) {
  SwitchBoardSpec s;
  s.id = "relays";
  s.driver = "usbhid";
  s.settings = Settings(YAML::Load(yaml), "bench.yaml");
  for (int ch : channels) {
    ChannelSpec c;
    c.name = "battery";
    c.channel = ch;
    s.channels.push_back(c);
  }
  return s;
}

std::unique_ptr<SwitchBoard> open(FakeHidapi& hid, const SwitchBoardSpec& s) {
  static RealClock clock;
  const SwitchDriver d = usbhid_driver(hid);
  d.validate(s);
  return d.create(s, DriverContext{clock, nullptr, 0});
}

std::string fault_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const RigFault& e) {
    return e.what();
  }
  return "(no fault)";
}

TEST(UsbHidBoard, SwitchesADcttechBoardAndReadsEverySwitchBack) {
  FakeHidapi hid;
  hid.boards.push_back(dcttech("/dev/hidraw1", "QAAMZ", 2));
  auto board = open(hid, spec("{model: usbrelay-2}", {1, 2}));
  EXPECT_EQ(board->channel_count(), 2);
  board->set(2, true);
  EXPECT_EQ(board->get(2), true);
  EXPECT_EQ(board->get(1), false);
  board->set(2, false);
  EXPECT_EQ(hid.boards[0].relays, 0);
  EXPECT_EQ(hid.boards[0].written.front(),
            (std::vector<std::uint8_t>{0x00, 0xFF, 0x02, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(dynamic_cast<UsbHidBoard&>(*board).board_serial(), "QAAMZ");
}

TEST(UsbHidBoard, TellsTwoBoardsApartByTheirSerial) {
  FakeHidapi hid;
  hid.boards.push_back(dcttech("/dev/hidraw1", "AAAAA", 2));
  hid.boards.push_back(dcttech("/dev/hidraw2", "BBBBB", 2));
  auto board = open(hid, spec("{model: usbrelay-2, serial: BBBBB}"));
  board->set(1, true);
  EXPECT_EQ(hid.boards[0].relays, 0);
  EXPECT_EQ(hid.boards[1].relays, 1);
}

TEST(UsbHidBoard, TwoBoardsWithoutASerialIsARigFaultListingThem) {
  FakeHidapi hid;
  hid.boards.push_back(dcttech("/dev/hidraw1", "AAAAA", 2));
  hid.boards.push_back(dcttech("/dev/hidraw2", "BBBBB", 2));
  const std::string e = fault_of([&] { open(hid, spec("{model: usbrelay-2}")); });
  EXPECT_NE(e.find("relays: cannot open dcttech USBRelay2: 2 boards match (\"AAAAA\" USBRelay2 at "
                   "/dev/hidraw1, \"BBBBB\" USBRelay2 at /dev/hidraw2); give the board's id as "
                   "`serial:`"),
            std::string::npos)
      << e;
}

TEST(UsbHidBoard, AnAbsentBoardIsARigFaultNamingWhatIsPresent) {
  FakeHidapi hid;
  hid.boards.push_back(dcttech("/dev/hidraw1", "AAAAA", 2));
  const std::string e = fault_of([&] { open(hid, spec("{model: usbrelay-2, serial: ZZZZZ}")); });
  EXPECT_NE(e.find("cannot open dcttech USBRelay2 \"ZZZZZ\": no such board is present (present: "
                   "\"AAAAA\" USBRelay2 at /dev/hidraw1;"),
            std::string::npos)
      << e;
}

TEST(UsbHidBoard, ABoardWithOtherRelaysThanTheModelIsARigFault) {
  FakeHidapi hid;
  hid.boards.push_back(dcttech("/dev/hidraw1", "AAAAA", 4));
  const std::string e = fault_of([&] { open(hid, spec("{model: usbrelay-2, serial: AAAAA}")); });
  EXPECT_NE(e.find("is a USBRelay4, not a dcttech USBRelay2; check `model:`"), std::string::npos)
      << e;
}

TEST(UsbHidBoard, AStuckRelayIsARigFault) {
  FakeHidapi hid;
  hid.boards.push_back(dcttech("/dev/hidraw1", "AAAAA", 2));
  hid.boards[0].stuck = 1;
  auto board = open(hid, spec("{model: usbrelay-2}"));
  const std::string e = fault_of([&] { board->set(1, true); });
  EXPECT_NE(e.find("relays: dcttech USBRelay2 \"AAAAA\" at /dev/hidraw1: relay 1 reads back "
                   "released after being energized"),
            std::string::npos)
      << e;
}

TEST(UsbHidBoard, AnUnpluggedBoardIsARigFault) {
  FakeHidapi hid;
  hid.boards.push_back(dcttech("/dev/hidraw1", "AAAAA", 2));
  auto board = open(hid, spec("{model: usbrelay-2}"));
  hid.boards[0].unplugged = true;
  const std::string e = fault_of([&] { board->set(1, true); });
  EXPECT_NE(e.find("cannot switch relay 1: No such device (unplugged?)"), std::string::npos) << e;
}

// labgrid usb_hid_relay.py:83-95: LCUS-HID frames, no known read-back.
TEST(UsbHidBoard, SwitchesAnLcusHidBoardWriteOnly) {
  FakeHidapi hid;
  FakeBoard b;
  b.info = {"/dev/hidraw4", kLcusHidVid, 0x2007, "", ""};
  hid.boards.push_back(b);
  auto board = open(hid, spec("{model: lcus-hid-4}", {3}));
  board->set(3, true);
  EXPECT_EQ(board->get(3), std::nullopt);
  EXPECT_EQ(hid.boards[0].relays, 0x04);
  EXPECT_EQ(hid.boards[0].written.front(), (std::vector<std::uint8_t>{0xA0, 0x03, 0x01, 0xA4}));
}

TEST(UsbHidBoard, SettingsAreCheckedWithoutHardware) {
  FakeHidapi hid;
  const SwitchDriver d = usbhid_driver(hid);
  EXPECT_THROW(d.validate(spec("{model: lcus-hid-2, serial: ABC}")), ConfigError);
  EXPECT_THROW(d.validate(spec("{model: usbrelay-2, serial: TOOLONG}")), ConfigError);
  EXPECT_THROW(d.validate(spec("{model: usbrelay-2}", {3})), ConfigError);
  EXPECT_THROW(d.validate(spec("{model: usbrelay-3}")), ConfigError);
  EXPECT_THROW(d.validate(spec("{model: usbrelay-2, port: /dev/hidraw1}")), ConfigError);
  EXPECT_NO_THROW(d.validate(spec("{model: usbrelay-8, serial: QAAMZ, timeout: 200ms}")));
}

TEST(UsbHidBoard, IsRegisteredWithTheSerialDrivers) {
  DriverRegistry r;
  register_serial_drivers(r);
  EXPECT_FALSE(r.switch_driver("usbhid", {}).simulated);
}

}  // namespace
}  // namespace lockrig::drivers::usbhid
