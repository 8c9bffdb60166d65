// Test harness for the `ble` suite: a python-dbusmock `bluez5` mock bluetoothd on the private bus
// of the test process (see private_bus_main.cpp), with lockrig's GATT lock model (lockmock.py)
// installed and steered through its org.lockrig.LockMock control methods.
#pragma once

#include <sdbus-c++/sdbus-c++.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "drivers/lock_link.hpp"

namespace lockrig::testing {

using Knobs = std::map<std::string, sdbus::Variant>;

class BluezMock {
 public:
  // Starts `/usr/bin/python3 -m dbusmock --template bluez5` on $DBUS_SYSTEM_BUS_ADDRESS and waits
  // until it owns org.bluez.
  BluezMock();
  ~BluezMock();
  BluezMock(const BluezMock&) = delete;
  BluezMock& operator=(const BluezMock&) = delete;

  void add_adapter(const std::string& name = "hci0");
  void add_lock(const std::string& address, const std::string& name, const Knobs& knobs = {},
                const std::string& adapter = "hci0");
  // A device of the template's own making, with no GATT: another BLE device in the room.
  void add_plain_device(const std::string& address, const std::string& name,
                        const std::string& adapter = "hci0");
  void set_knobs(const std::string& address, const Knobs& knobs);
  void vanish(const std::string& address);
  void reappear(const std::string& address);
  // Off air but still cached by BlueZ (device object and, while anyone discovers, its RSSI kept).
  void power_off(const std::string& address);
  // select_build put another build on the lock: it reboots into `firmware` (the link drops) with
  // GATT layout `layout` ("a", "b"; "" = unchanged). In strict mode BlueZ's cached tree stays.
  void flash(const std::string& address, const std::string& firmware, const std::string& layout);
  std::map<std::string, std::int64_t> stats(const std::string& address);
  // Per adapter: max_discovery_sessions (clients discovering at once), discovery_sessions (now),
  // max_connected (links up at once).
  std::map<std::string, std::int64_t> adapter_stats(const std::string& name = "hci0");
  void remove_adapter(const std::string& name = "hci0");
  void power_adapter(bool on, const std::string& name = "hci0");
  void kill_bluetoothd();  // SIGKILL, as a crash would

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

 private:
  sdbus::MethodReply control(const char* iface, const char* method,
                             const std::function<void(sdbus::MethodCall&)>& args);

  pid_t pid_ = -1;
  std::string log_path_;
  std::unique_ptr<sdbus::IConnection> bus_;
  std::unique_ptr<sdbus::IProxy> root_;
};

// The lock profile of the mock lock, as a fixture would write it (YAML, under `profile:`).
extern const char* const kMockLockProfileYaml;

// A `bluez` lock link built through the driver registry from settings YAML, as the runner will.
std::unique_ptr<drivers::LockLink> make_bluez_link(
    const std::string& settings_yaml, const std::string& shared_yaml = "adapter: hci0");

// A second dbus-daemon with its own address, for the test that takes the bus away.
class ScratchBus {
 public:
  ScratchBus();
  ~ScratchBus();
  const std::string& address() const { return address_; }
  void kill();

 private:
  pid_t pid_ = -1;
  std::string address_;
};

}  // namespace lockrig::testing
