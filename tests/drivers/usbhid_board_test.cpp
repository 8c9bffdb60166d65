// The `usbhid` driver end to end against a double of hidapi (no HID device or /dev/uhid here):
// the double answers reports as the boards' firmware does according to darrylb123/usbrelay
// (libusbrelay.c:195-204,386-403) and labgrid (usb_hid_relay.py:61-95). The real hidapi calls in
// drivers/usbhid/hidapi_backend.cpp are not exercised by these tests.
#include "drivers/usbhid/usbhid_board.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>

#include "drivers/rig_fault.hpp"
#include "drivers/serial/register.hpp"

namespace lockrig::drivers::usbhid {
namespace {

struct FakeBoard {
  HidDeviceInfo info;
  std::string id;  // dcttech: the 5-character serial in the state report
  std::uint8_t relays = 0;
  int stuck = 0;  // a relay that ignores switching
  bool unplugged = false;
  std::vector<std::vector<std::uint8_t>> written;
};

class FakeHandle final : public HidHandle {
 public:
  explicit FakeHandle(FakeBoard& b) : b_(b) {}
  int write(std::span<const std::uint8_t> report) override {
    if (b_.unplugged) return -1;
    b_.written.emplace_back(report.begin(), report.end());
    if (b_.info.vid == kDcttechVid && report.size() >= 3 && report[0] == 0x00 &&
        (report[1] == 0xFF || report[1] == 0xFD) && report[2] != b_.stuck) {
      const std::uint8_t bit = static_cast<std::uint8_t>(1u << (report[2] - 1));
      b_.relays = report[1] == 0xFF ? (b_.relays | bit) : (b_.relays & ~bit);
    }
    if (b_.info.vid == kLcusHidVid && report.size() == 4 && report[0] == 0xA0) {
      const std::uint8_t bit = static_cast<std::uint8_t>(1u << (report[1] - 1));
      b_.relays = report[2] ? (b_.relays | bit) : (b_.relays & ~bit);
    }
    return static_cast<int>(report.size());
  }
  int get_feature_report(std::span<std::uint8_t> report) override {
    if (b_.unplugged || b_.info.vid != kDcttechVid || report.size() < 9 || report[0] != 0x01)
      return -1;
    std::fill(report.begin(), report.end(), 0);
    for (std::size_t i = 0; i < b_.id.size(); ++i) report[i] = static_cast<std::uint8_t>(b_.id[i]);
    report[7] = b_.relays;
    return 9;
  }
  int read_timeout(std::span<std::uint8_t> report, int) override {
    if (b_.unplugged) return -1;
    report[0] = 0xA0;
    return 4;
  }
  std::string error() const override { return b_.unplugged ? "No such device" : "bad report"; }

 private:
  FakeBoard& b_;
};

class FakeHidapi final : public HidBackend {
 public:
  std::vector<FakeBoard> boards;
  std::vector<HidDeviceInfo> enumerate() override {
    std::vector<HidDeviceInfo> out;
    for (const auto& b : boards) out.push_back(b.info);
    out.push_back({"/dev/hidraw9", 0x046d, 0xc52b, "USB Receiver", ""});  // a mouse dongle
    return out;
  }
  std::unique_ptr<HidHandle> open(const std::string& path, std::string& why) override {
    for (auto& b : boards)
      if (b.info.path == path) return std::make_unique<FakeHandle>(b);
    why = "No such file or directory";
    return nullptr;
  }
};

FakeBoard dcttech(const std::string& path, const std::string& id, int relays) {
  FakeBoard b;
  b.info = {path, kDcttechVid, kDcttechPid, "USBRelay" + std::to_string(relays), ""};
  b.id = id;
  return b;
}

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
