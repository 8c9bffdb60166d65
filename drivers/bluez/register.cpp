// Registry entries for `bluez` and `command`. validate() reads settings (and key files) only;
// nothing here touches D-Bus or starts a program.
#include "drivers/bluez/register.hpp"

#include "drivers/bluez/bluez_config.hpp"
#include "drivers/bluez/bluez_lock.hpp"
#include "drivers/bluez/lock_profile.hpp"
#include "drivers/bluez/probe.hpp"
#include "drivers/command/command_link.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers {

namespace {

// `lockrig probe --scan`: how long to listen for BLE devices.
Duration scan_duration(const ProbeArgs& args) {
  const std::string& text = args.at("scan");
  auto scan = parse_duration(text);
  if (!scan) throw UsageError("--scan must be a duration such as 5s, got " + quote(text));
  return *scan;
}

}  // namespace

void register_ble_drivers(DriverRegistry& registry) {
  registry.add(LockDriver{
      "bluez", "a BLE lock reached through BlueZ (bluetoothd) over D-Bus, with a GATT lock profile",
      false,
      [](const LockSpec& spec) {
        bluez::parse_bluez_config(spec);
        bluez::make_lock_profile(spec.settings.child("profile"));
      },
      [](const LockSpec& spec, const DriverContext&) -> std::unique_ptr<LockLink> {
        return std::make_unique<bluez::BluezLockLink>(
            spec.id, bluez::parse_bluez_config(spec),
            bluez::make_lock_profile(spec.settings.child("profile")));
      }});
  registry.add(LockDriver{
      "command",
      "app-driven unlocks: each unlock runs an external program that reports one JSON line", false,
      [](const LockSpec& spec) { command::parse_command_config(spec); },
      [](const LockSpec& spec, const DriverContext&) -> std::unique_ptr<LockLink> {
        return std::make_unique<command::CommandLockLink>(spec.id,
                                                          command::parse_command_config(spec));
      }});
  registry.add(ProbeEntry{
      "BLE",
      "BLE adapters and the devices they see (address, name,\nRSSI, services) through BlueZ",
      {{"scan", "how long to scan for BLE devices (0s: no scan)", true, "5s"},
       {"adapter", "BLE adapter to scan with (default: every powered adapter)", true, {}}},
      {"no-ble", "skip BLE", false, {}},
      [](const ProbeArgs& args) { (void)scan_duration(args); },
      [](const ProbeArgs& args) {
        const auto adapter = args.find("adapter");
        bluez::print_ble_probe(adapter == args.end() ? "" : adapter->second, scan_duration(args));
      },
      [](const ConfiguredParts& parts, const ProbeArgs& args) {
        // One scan per adapter; with --scan 0s the locks still need a look, so 5 s.
        const Duration scan = scan_duration(args);
        return bluez::print_configured_ble_locks(parts.locks,
                                                 scan.count() ? scan : std::chrono::seconds(5),
                                                 stdout);
      },
      "its `bluez` locks (adapter present and powered, lock heard advertising with its RSSI, "
      "bond held for `bonded: true`; locks sharing an adapter and BlueZ's GATT cache setting are "
      "noted)"});
}

}  // namespace lockrig::drivers
