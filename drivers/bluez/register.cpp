// Registry entries for `bluez` and `command`. validate() reads settings (and key files) only;
// nothing here touches D-Bus or starts a program.
#include "drivers/bluez/register.hpp"

#include "drivers/bluez/bluez_config.hpp"
#include "drivers/bluez/bluez_lock.hpp"
#include "drivers/bluez/lock_profile.hpp"
#include "drivers/command/command_link.hpp"

namespace lockrig::drivers {

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
}

}  // namespace lockrig::drivers
