// Registration of the serial lab-hardware drivers (relay boards and bench supplies).
#pragma once

#include "drivers/registry.hpp"

namespace lockrig::drivers {

// Adds switch drivers lcus, numato, kmtronic, devantech, usbhid and supply drivers korad, scpi,
// and the serial part of `lockrig probe` (the ports, with their USB identities).
void register_serial_drivers(DriverRegistry& registry);

}  // namespace lockrig::drivers
