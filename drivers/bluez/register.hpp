// Registration of the BLE-era lock links: `bluez` (a lock over BlueZ's D-Bus API) and `command`
// (unlocks through an external program driving the phone app), and the BLE part of `lockrig probe`
// (adapters, devices on air). Called from the built-in table.
#pragma once

#include "drivers/registry.hpp"

namespace lockrig::drivers {

void register_ble_drivers(DriverRegistry& registry);

}  // namespace lockrig::drivers
