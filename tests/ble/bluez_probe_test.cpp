// `lockrig probe`'s BLE half against the mock: adapters, and the devices on air.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "drivers/bluez/probe.hpp"
#include "drivers/rig_fault.hpp"
#include "tests/ble/bluez_mock.hpp"

namespace lockrig::testing {
namespace {

using namespace std::chrono_literals;
using drivers::bluez::list_ble_adapters;
using drivers::bluez::scan_ble_devices;
using drivers::bluez::print_configured_ble_locks;

drivers::LockSpec bluez_lock(const std::string& id, const std::string& settings_yaml) {
  drivers::LockSpec spec;
  spec.id = id;
  spec.model = "LR-100";
  spec.material = "wood";
  spec.driver = "bluez";
  // The settings plus the mock lock's profile (a bluez lock needs one, even to be probed).
  YAML::Node settings = YAML::Load(settings_yaml);
  settings["profile"] = YAML::Load(kMockLockProfileYaml);
  spec.settings = Settings(settings, "test-fixture.yaml");
  spec.shared = Settings(YAML::Load("adapter: hci0"), "test-fixture.yaml");
  return spec;
}

struct Printed {
  int not_ready = 0;
  std::string text;
};

// print_configured_ble_locks into a string, with a main.conf holding `main_conf`.
Printed contact(const std::vector<drivers::LockSpec>& locks, const std::string& main_conf = "") {
  char conf[] = "/tmp/lockrig-main-conf-XXXXXX";
  const int fd = ::mkstemp(conf);
  if (fd < 0) throw std::runtime_error("mkstemp");
  ::close(fd);
  std::ofstream(conf) << main_conf;
  std::FILE* out = std::tmpfile();
  Printed p;
  p.not_ready = print_configured_ble_locks(locks, std::chrono::milliseconds(300), out, conf);
  std::rewind(out);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, out)) > 0) p.text.append(buf, n);
  std::fclose(out);
  ::unlink(conf);
  return p;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(BluezProbe, ListsAdaptersWithNameAddressAndPowerState) {
  BluezMock mock;
  mock.add_adapter("hci1");
  mock.add_adapter("hci0");
  auto adapters = list_ble_adapters();
  ASSERT_EQ(adapters.size(), 2u);
  EXPECT_EQ(adapters[0].name, "hci0");
  EXPECT_EQ(adapters[0].address, "00:01:02:03:04:05");
  EXPECT_TRUE(adapters[0].powered);
  EXPECT_EQ(adapters[0].alias, "lockrig-rig");
  EXPECT_EQ(adapters[1].name, "hci1");
}

TEST(BluezProbe, ScanListsDevicesOnAirStrongestFirstWithTheirServices) {
  BluezMock mock;
  mock.add_adapter("hci0");
  mock.add_lock("C4:7C:8D:6A:12:0F", "LR-100 wood-1",
                {{"present", sdbus::Variant(false)}, {"rssi", sdbus::Variant(-48)}});
  mock.add_plain_device("F0:99:B6:11:22:33", "headphones");  // the template gives it RSSI -79
  auto devices = scan_ble_devices("hci0", 300ms);
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0].address, "C4:7C:8D:6A:12:0F");
  EXPECT_EQ(devices[0].name, "LR-100 wood-1");
  EXPECT_EQ(devices[0].rssi_dbm, -48);
  ASSERT_EQ(devices[0].service_uuids.size(), 1u);
  EXPECT_EQ(devices[0].service_uuids[0], "0000fff0-0000-1000-8000-00805f9b34fb");
  EXPECT_EQ(devices[1].address, "F0:99:B6:11:22:33");

  auto locks_only = scan_ble_devices("00:01:02:03:04:05", 300ms, {"fff0"});
  ASSERT_EQ(locks_only.size(), 1u);
  EXPECT_EQ(locks_only[0].address, "C4:7C:8D:6A:12:0F");
}

// BlueZ invalidates the RSSI of what a discovery session found when it ends (the mock does too):
// the probe reports what it heard during the scan, not the tree after StopDiscovery.
TEST(BluezProbe, ReportsTheRssiHeardDuringTheScanThoughBlueZDropsItWhenDiscoveryStops) {
  BluezMock mock;
  mock.add_adapter("hci0");
  mock.add_lock("C4:7C:8D:6A:12:0F", "LR-100 wood-1", {{"rssi", sdbus::Variant(-52)}});
  auto devices = scan_ble_devices("hci0", 200ms);
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].rssi_dbm, -52);

  auto bus = sdbus::createSystemBusConnection();
  auto device = sdbus::createProxy(*bus, "org.bluez", "/org/bluez/hci0/dev_C4_7C_8D_6A_12_0F");
  std::map<std::string, sdbus::Variant> props;
  device->callMethod("GetAll")
      .onInterface("org.freedesktop.DBus.Properties")
      .withArguments(std::string("org.bluez.Device1"))
      .storeResultsTo(props);
  EXPECT_EQ(props.count("RSSI"), 0u) << "the mock no longer drops RSSI at StopDiscovery";
  EXPECT_EQ(props.count("Address"), 1u);
}

TEST(BluezProbe, ScanRaisesRigFaultForAnUnknownAdapter) {
  BluezMock mock;
  mock.add_adapter("hci0");
  try {
    scan_ble_devices("hci7", 100ms);
    FAIL() << "expected a RigFault";
  } catch (const drivers::RigFault& e) {
    EXPECT_EQ(e.component(), "ble-adapter");
    EXPECT_NE(std::string(e.what()).find("hci0"), std::string::npos) << e.what();
  }
}

TEST(BluezProbe, RaisesRigFaultWhenBluetoothdIsNotRunning) {
  BluezMock mock;
  mock.kill_bluetoothd();
  try {
    list_ble_adapters();
    FAIL() << "expected a RigFault";
  } catch (const drivers::RigFault& e) {
    EXPECT_EQ(e.component(), "bluetoothd") << e.what();
  }
}


// `lockrig probe --fixture` as a rig's preflight (issue 12 item 7): each bluez lock ready or not,
// with the fix, in one scan per adapter.
TEST(BluezDoctor, SaysWhichLocksAreReadyAndHowToFixTheOthers) {
  BluezMock mock;
  mock.add_adapter("hci0");
  mock.add_lock("C4:7C:8D:6A:12:0F", "LR-100 wood-1", {{"rssi", sdbus::Variant(-48)}});
  mock.add_lock("C4:7C:8D:6A:12:10", "LR-100 steel-1", {{"bonded", sdbus::Variant(false)}});
  const Printed p = contact({bluez_lock("wood-1", "address: c4:7c:8d:6a:12:0f"),
                             bluez_lock("steel-1", "{address: C4:7C:8D:6A:12:10, bonded: true}"),
                             bluez_lock("glass-1", "address: C4:7C:8D:6A:12:99")});
  EXPECT_EQ(p.not_ready, 2) << p.text;
  EXPECT_TRUE(has(p.text, "wood-1     ready: C4:7C:8D:6A:12:0F on hci0, RSSI -48 dBm")) << p.text;
  EXPECT_TRUE(has(p.text, "steel-1    NOT READY: C4:7C:8D:6A:12:10 is `bonded: true` but BlueZ "
                          "holds no bond with it; fix: pair it once"))
      << p.text;
  EXPECT_TRUE(has(p.text, "glass-1    NOT READY: C4:7C:8D:6A:12:99 not heard advertising in "))
      << p.text;
  EXPECT_TRUE(has(p.text, "hci0 serves 3 locks: they take turns")) << p.text;
  // One discovery for the three, not one each: the adapter's Discovering went true once in the
  // mock's log (python-dbusmock -l).
  std::ifstream log(mock.log_path());
  const std::string calls((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  std::size_t starts = 0;
  const std::string started = "\"Discovering\": True";
  for (auto at = calls.find(started); at != std::string::npos; at = calls.find(started, at + 1))
    ++starts;
  EXPECT_EQ(starts, 1u) << calls;
}

TEST(BluezDoctor, ABondedLockWithItsBondIsReady) {
  BluezMock mock;
  mock.add_adapter("hci0");
  mock.add_lock("C4:7C:8D:6A:12:0F", "LR-100 wood-1", {{"bonded", sdbus::Variant(true)}});
  const Printed p = contact({bluez_lock("wood-1", "{address: C4:7C:8D:6A:12:0F, bonded: true}")});
  EXPECT_EQ(p.not_ready, 0) << p.text;
  EXPECT_TRUE(has(p.text, "wood-1     ready: C4:7C:8D:6A:12:0F on hci0")) << p.text;
  EXPECT_TRUE(has(p.text, ", bonded")) << p.text;
}

TEST(BluezDoctor, AMissingOrPoweredOffAdapterIsNamedWithItsFix) {
  BluezMock mock;
  mock.add_adapter("hci0");
  mock.add_lock("C4:7C:8D:6A:12:0F", "LR-100 wood-1");
  mock.power_adapter(false, "hci0");
  const Printed off = contact({bluez_lock("wood-1", "address: C4:7C:8D:6A:12:0F")});
  EXPECT_EQ(off.not_ready, 1) << off.text;
  EXPECT_TRUE(has(off.text, "NOT READY: hci0 is powered off; fix: `bluetoothctl power on`"))
      << off.text;
  const Printed missing =
      contact({bluez_lock("wood-1", "{address: C4:7C:8D:6A:12:0F, adapter: hci1}")});
  EXPECT_EQ(missing.not_ready, 1) << missing.text;
  EXPECT_TRUE(has(missing.text, "BlueZ has no adapter \"hci1\" (it has: hci0 (")) << missing.text;
}

TEST(BluezDoctor, NamesTheBluetoothdVersionOrSaysItIsUnknown) {
  BluezMock mock;
  mock.add_adapter("hci0");
  mock.add_lock("C4:7C:8D:6A:12:0F", "LR-100 wood-1");
  const auto lock = bluez_lock("wood-1", "address: C4:7C:8D:6A:12:0F");
  char dir[] = "/tmp/lockrig-bluetoothd-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string daemon = std::string(dir) + "/bluetoothd";
  std::ofstream(daemon) << "#!/bin/sh\n[ \"$1\" = --version ] && echo 5.66\n";
  ::chmod(daemon.c_str(), 0755);
  ::setenv("LOCKRIG_BLUETOOTHD", daemon.c_str(), 1);
  const Printed p = contact({lock});
  EXPECT_TRUE(has(p.text, "bluetoothd 5.66 (" + daemon + ")\n")) << p.text;
  std::ofstream(daemon) << "#!/bin/sh\necho 5.55\n";
  const Printed old = contact({lock});
  EXPECT_TRUE(has(old.text, "bluetoothd 5.55 (" + daemon + "): older than 5.62")) << old.text;
  ::unsetenv("LOCKRIG_BLUETOOTHD");
  ::unlink(daemon.c_str());
  ::rmdir(dir);
  EXPECT_EQ(p.not_ready, 0) << "the version is information, not a failed part";
}

// BlueZ's src/main.conf: "[GATT] ... #Cache = always"; src/main.c reads always/yes/no.
TEST(BluezDoctor, ReadsTheGattCacheSettingFromMainConf) {
  BluezMock mock;
  mock.add_adapter("hci0");
  mock.add_lock("C4:7C:8D:6A:12:0F", "LR-100 wood-1");
  const auto lock = bluez_lock("wood-1", "address: C4:7C:8D:6A:12:0F");
  EXPECT_TRUE(has(contact({lock}, "[General]\nName = rig\n").text, "BlueZ GATT cache: always"));
  EXPECT_TRUE(has(contact({lock}, "[General]\nCache = no\n[GATT]\n#Cache = no\n").text,
                  "BlueZ GATT cache: always"));
  const Printed no = contact({lock}, "[GATT]\n  Cache = no  \n[CSIS]\nCache = yes\n");
  EXPECT_TRUE(has(no.text, "BlueZ GATT cache: no (")) << no.text;
  EXPECT_FALSE(has(no.text, "clear the lock's cache")) << no.text;
  EXPECT_TRUE(has(contact({lock}, "[GATT]\nCache=yes\n").text, "BlueZ GATT cache: yes"));
  EXPECT_EQ(drivers::bluez::bluez_gatt_cache_setting("/nonexistent/main.conf"), "always");
}

}  // namespace
}  // namespace lockrig::testing
