// What `lockrig probe` shows about BLE: the adapters BlueZ has, and the devices on air around
// one of them, so a new rig can be wired up without reading code. Plain functions over BlueZ's
// D-Bus API; RigFault when the system bus or bluetoothd is not usable.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "drivers/specs.hpp"
#include "rig/base/clock.hpp"

namespace lockrig::drivers::bluez {

struct BleAdapterInfo {
  std::string name;     // "hci0": what fixtures write as drivers.bluez.adapter
  std::string address;  // "00:1A:7D:DA:71:13"
  std::string alias;    // the adapter's friendly name
  bool powered = false;
  bool discovering = false;
};

struct VisibleBleDevice {
  std::string address;
  std::string name;  // advertised name, or BlueZ's alias when the lock advertises none
  std::optional<int> rssi_dbm;
  std::vector<std::string> service_uuids;  // lowercase 128-bit
  bool connected = false;
  bool paired = false;  // Device1.Paired
  bool bonded = false;  // Device1.Bonded (BlueZ 5.59+; older BlueZ: Paired stands for it)
};

// Adapters in BlueZ's object tree, sorted by name.
std::vector<BleAdapterInfo> list_ble_adapters(Duration bus_timeout = std::chrono::seconds(5));

// Whether `name_or_address` ("hci0", or the adapter's address in any case) names `adapter`.
bool names_adapter(const BleAdapterInfo& adapter, const std::string& name_or_address);

// Runs LE discovery on `adapter` (name or address) for `duration` and returns the devices seen
// during it or currently connected, strongest signal first. `service_uuids` narrows the scan the
// way the driver's match_service does (empty: every LE device).
std::vector<VisibleBleDevice> scan_ble_devices(const std::string& adapter, Duration duration,
                                               const std::vector<std::string>& service_uuids = {},
                                               Duration bus_timeout = std::chrono::seconds(5));

// `lockrig probe`'s BLE listing: the adapters on stdout and, unless `scan` is zero, the devices
// each powered adapter named by `adapter` (empty: every adapter) sees during `scan`, which is
// announced on stderr. UsageError when `adapter` names no adapter BlueZ has; RigFault when the
// system bus or bluetoothd is not usable.
void print_ble_probe(const std::string& adapter, Duration scan);

// `lockrig probe --fixture F`'s BLE half (issue 12 item 7, the rig's preflight): for the
// fixture's `bluez` locks, one line each on `out` saying whether its adapter exists and is
// powered, whether the lock was heard advertising during one `scan` per adapter (with its RSSI),
// and, for a `bonded: true` lock, whether BlueZ holds the bond; every problem line says how to
// fix it. Also says how many locks share each adapter (they take turns) and BlueZ's GATT cache
// setting read from `main_conf`. Returns how many locks are not ready; RigFault when the system
// bus or bluetoothd is not usable.
int print_configured_ble_locks(const std::vector<LockSpec>& locks, Duration scan, std::FILE* out,
                               const std::string& main_conf = "/etc/bluetooth/main.conf");

// The bluetoothd this machine would run and its version ("5.66"), from `bluetoothd --version`:
// $LOCKRIG_BLUETOOTHD, else Debian's /usr/libexec/bluetooth/bluetoothd or the older
// /usr/lib/bluetooth/bluetoothd. Empty version when none is found or it does not answer in 2 s.
struct BluetoothdVersion {
  std::string path;
  std::string version;
};
BluetoothdVersion find_bluetoothd_version();

// BlueZ's [GATT] Cache setting in a main.conf ("always", "yes", "no"); "always" (BlueZ's
// default, src/main.conf) when the file or the key is absent.
std::string bluez_gatt_cache_setting(const std::string& main_conf);

}  // namespace lockrig::drivers::bluez
