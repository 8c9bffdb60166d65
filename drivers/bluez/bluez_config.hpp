// The `bluez` driver's settings, read from a LockSpec without touching D-Bus (so `lockrig check`
// can validate a real-lab fixture on any machine). Keys are listed in drivers/bluez/README.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "drivers/specs.hpp"
#include "rig/base/clock.hpp"

namespace lockrig::drivers::bluez {

struct BluezLockConfig {
  std::optional<std::string> address;  // "AA:BB:CC:DD:EE:FF", uppercase as BlueZ reports it
  std::optional<std::string> name;     // advertised name the lock must carry
  bool match_service = false;          // the lock must advertise the profile's service UUID
  std::string adapter = "hci0";        // adapter name ("hci0") or address
  // How long bluetoothd gets to answer a local call (enumeration, discovery control, disconnect)
  // before it is declared not answering: a rig fault.
  Duration bus_timeout = std::chrono::seconds(5);
  // Issue 12. The lock is bonded to the rig's adapter: Paired/Bonded is checked before an unlock
  // (a missing bond is its own cause, RigFault "ble-bond") and the device is never removed from
  // BlueZ (RemoveDevice deletes the bond).
  bool bonded = false;
  // Issue 12, item 4: `pair: {key_env | key_file}` on a `bonded: true` lock. When BlueZ holds no
  // bond, the driver pairs through its own org.bluez.Agent1 (KeyboardOnly) and answers
  // RequestPasskey with this passkey (0-999999, from the secret; never printed).
  std::optional<std::uint32_t> pair_passkey;
  std::string pair_source;  // where the passkey came from, safe to print
  // Device1.Connect attempts after le-connection-abort-by-local, each after the half-open link
  // closed and a back-off (bleak-retry-connector: MAX_CONNECT_ATTEMPTS = 4, 0.25 s).
  int connect_attempts = 4;
  Duration connect_backoff = std::chrono::milliseconds(250);
  // At most this many links of this process connected through the adapter at once (0 = no
  // limit); a further connect waits for a slot within its budget.
  int max_connections = 0;
  // Issue 12: an advertisement's RSSI counts (as "on air", and in an attempt's rssi_dbm) only
  // while it is at most this old; an older one is left out of the result, its age noted in the
  // session transcript. BlueZ shows RSSI only while discovering (doc/org.bluez.Device.rst).
  Duration rssi_max_age = std::chrono::seconds(10);
};

// Reads the lock's `settings:` (address, name, match_service, adapter, bus_timeout, profile) over
// the fixture's `drivers: {bluez: {adapter, bus_timeout}}`. ConfigError with file:line:col.
// The profile block is validated separately by make_lock_profile().
BluezLockConfig parse_bluez_config(const LockSpec& spec);

// "aa:bb:cc:dd:ee:ff" → "AA:BB:CC:DD:EE:FF"; nullopt if not a Bluetooth address.
std::optional<std::string> normalize_address(const std::string& text);

}  // namespace lockrig::drivers::bluez
