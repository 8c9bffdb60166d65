// `lockrig probe`'s HID relay part against the hidapi double (tests/support/fake_hidapi.hpp):
// the boards it recognises among the HID devices, the fixture line it prints for each (which
// must open that very board), hidapi unavailable, and the configured boards of a fixture.
#include "drivers/usbhid/usbhid_probe.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>

#include "drivers/registry.hpp"
#include "drivers/rig_fault.hpp"
#include "drivers/usbhid/usbhid_board.hpp"
#include "tests/support/fake_hidapi.hpp"

namespace lockrig::drivers::usbhid {
namespace {

using fakehid::dcttech;
using fakehid::FakeBoard;
using fakehid::FakeHidapi;

// What `print` wrote, and what it returned.
template <class F>
std::string captured(F&& print, int* result = nullptr) {
  char* buf = nullptr;
  std::size_t size = 0;
  std::FILE* out = open_memstream(&buf, &size);
  int r = 0;
  if constexpr (std::is_void_v<decltype(print(out))>)
    print(out);
  else
    r = print(out);
  std::fclose(out);
  std::string text(buf, size);
  std::free(buf);
  if (result) *result = r;
  return text;
}

SwitchBoardSpec board(const std::string& id, const std::string& driver, const std::string& yaml) {
  SwitchBoardSpec s;
  s.id = id;
  s.driver = driver;
  s.settings = Settings(YAML::Load(yaml), "bench.yaml");
  ChannelSpec c;
  c.name = "battery";
  c.channel = 1;
  s.channels.push_back(c);
  return s;
}

TEST(UsbHidProbe, ListsTheRelayBoardsAmongTheHidDevicesWithTheirIdsAndFixtureLines) {
  FakeHidapi hid;
  hid.boards.push_back(dcttech("/dev/hidraw1", "AAAAA", 2));
  hid.boards.push_back(dcttech("/dev/hidraw2", "QAAMZ", 8));
  const std::string out = captured([&](std::FILE* f) { print_hid_relays(hid, f); });
  EXPECT_EQ(out,
            "HID relays (2 of 3 HID devices):\n"
            "  /dev/hidraw1  16c0:05df  product \"USBRelay2\"  USB serial (none)\n"
            "    dcttech USBRelay2, 2 relays, board id \"AAAAA\"\n"
            "    fixture: driver: usbhid, settings: {model: usbrelay-2, serial: AAAAA}\n"
            "  /dev/hidraw2  16c0:05df  product \"USBRelay8\"  USB serial (none)\n"
            "    dcttech USBRelay8, 8 relays, board id \"QAAMZ\"\n"
            "    fixture: driver: usbhid, settings: {model: usbrelay-8, serial: QAAMZ}\n");
  // Reading the id switched nothing.
  for (const FakeBoard& b : hid.boards) EXPECT_TRUE(b.written.empty());
}

// The printed settings are the ones the driver needs: they open the board they were printed for,
// also when another board of the same model is plugged in.
TEST(UsbHidProbe, ThePrintedFixtureLineOpensThatBoard) {
  FakeHidapi hid;
  hid.boards.push_back(dcttech("/dev/hidraw1", "AAAAA", 2));
  hid.boards.push_back(dcttech("/dev/hidraw2", "BBBBB", 2));
  const std::string out = captured([&](std::FILE* f) { print_hid_relays(hid, f); });
  const std::string marker = "fixture: driver: usbhid, settings: ";
  const auto at = out.rfind(marker);
  ASSERT_NE(at, std::string::npos) << out;
  const std::string settings = out.substr(at + marker.size(), out.find('\n', at) - at -
                                                                  marker.size());
  EXPECT_EQ(settings, "{model: usbrelay-2, serial: BBBBB}");
  static RealClock clock;
  const SwitchDriver d = usbhid_driver(hid);
  const SwitchBoardSpec spec = board("relays", "usbhid", settings);
  d.validate(spec);
  auto opened = d.create(spec, DriverContext{clock, nullptr, 0});
  EXPECT_EQ(dynamic_cast<UsbHidBoard&>(*opened).device_path(), "/dev/hidraw2");
}

// labgrid usb_hid_relay.py:92-95: nothing can be read back from an LCUS-HID board.
TEST(UsbHidProbe, AnLcusHidBoardIsListedWithoutARelayCountItCannotReport) {
  FakeHidapi hid;
  FakeBoard b;
  b.info = {"/dev/hidraw4", kLcusHidVid, 0x2007, "USB Relay", ""};
  hid.boards.push_back(b);
  const std::string out = captured([&](std::FILE* f) { print_hid_relays(hid, f); });
  EXPECT_NE(out.find("  /dev/hidraw4  5131:2007  product \"USB Relay\"  USB serial (none)\n"
                     "    LCUS-HID relay board, relay count not reported (write-only)\n"
                     "    fixture: driver: usbhid, settings: {model: lcus-hid-N} with N = 1, 2, "
                     "4 or 8"),
            std::string::npos)
      << out;
}

TEST(UsbHidProbe, ABoardThatCannotBeOpenedIsListedWithWhyAndNoId) {
  FakeHidapi hid;
  hid.boards.push_back(dcttech("/dev/hidraw1", "AAAAA", 4));
  hid.open_error = "Permission denied";
  const std::string out = captured([&](std::FILE* f) { print_hid_relays(hid, f); });
  EXPECT_NE(out.find("    dcttech USBRelay4, 4 relays, board id unknown (cannot open: Permission "
                     "denied; may this user open /dev/hidraw*?)\n"
                     "    fixture: driver: usbhid, settings: {model: usbrelay-4}\n"),
            std::string::npos)
      << out;
}

TEST(UsbHidProbe, NoBoardsIsAnEmptyListNotAFault) {
  FakeHidapi hid;
  EXPECT_EQ(captured([&](std::FILE* f) { print_hid_relays(hid, f); }),
            "HID relays (0 of 1 HID devices):\n");
}

TEST(UsbHidProbe, HidDevicesThatCannotBeListedAreARigFault) {
  FakeHidapi hid;
  hid.enumerate_error = "hid_init failed";
  try {
    captured([&](std::FILE* f) { print_hid_relays(hid, f); });
    FAIL() << "no rig fault";
  } catch (const RigFault& e) {
    EXPECT_STREQ(e.what(), "hidapi: cannot list HID devices: hid_init failed");
  }
}

TEST(UsbHidProbe, OpensTheFixturesUsbhidBoardsAndNamesTheOneThatIsMissing) {
  FakeHidapi hid;
  hid.boards.push_back(dcttech("/dev/hidraw1", "AAAAA", 2));
  const std::vector<SwitchBoardSpec> boards = {
      board("relays", "usbhid", "{model: usbrelay-2, serial: AAAAA}"),
      board("serial-relays", "lcus", "{port: /dev/ttyUSB0, model: lcus-2}"),  // not HID: skipped
      board("spare", "usbhid", "{model: usbrelay-2, serial: ZZZZZ}")};
  int failed = -1;
  const std::string out = captured(
      [&](std::FILE* f) { return print_configured_hid_boards(boards, hid, f); }, &failed);
  EXPECT_EQ(failed, 1);
  EXPECT_NE(out.find("HID relays in the fixture (2):\n"
                     "  relays     dcttech USBRelay2 \"AAAAA\" at /dev/hidraw1, 2 relays\n"
                     "  spare      rig fault: spare: cannot open dcttech USBRelay2 \"ZZZZZ\": no "
                     "such board is present (present: \"AAAAA\" USBRelay2 at /dev/hidraw1;"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("serial-relays"), std::string::npos) << out;
  for (const FakeBoard& b : hid.boards) EXPECT_TRUE(b.written.empty());
}

TEST(UsbHidProbe, AFixtureWithoutHidBoardsSaysSo) {
  FakeHidapi hid;
  int failed = -1;
  const std::string out = captured(
      [&](std::FILE* f) { return print_configured_hid_boards({}, hid, f); }, &failed);
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(out, "HID relays in the fixture (0):\n  none (no switch board uses driver usbhid)\n");
}

}  // namespace
}  // namespace lockrig::drivers::usbhid
