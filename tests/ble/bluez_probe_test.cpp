// `lockrig probe`'s BLE half against the mock: adapters, and the devices on air.
#include <gtest/gtest.h>

#include <algorithm>

#include "drivers/bluez/probe.hpp"
#include "drivers/rig_fault.hpp"
#include "tests/ble/bluez_mock.hpp"

namespace lockrig::testing {
namespace {

using namespace std::chrono_literals;
using drivers::bluez::list_ble_adapters;
using drivers::bluez::scan_ble_devices;

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

}  // namespace
}  // namespace lockrig::testing
