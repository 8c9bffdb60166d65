// Registration of the serial lab-hardware drivers (relay boards and bench supplies).
#pragma once

#include "drivers/registry.hpp"

namespace lockrig::drivers {

// Adds switch drivers lcus, numato, kmtronic, devantech, usbhid and supply drivers korad, scpi,
// and three families of `lockrig probe`: serial ports (with their USB identities), HID relays
// (boards present; with --fixture, its usbhid boards opened) and network instruments (with
// --fixture, its SCPI supplies on tcp:// or usbtmc: asked *IDN?).
void register_serial_drivers(DriverRegistry& registry);

}  // namespace lockrig::drivers
