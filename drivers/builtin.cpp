// The one explicit table of drivers this build knows. Add a driver family here; a family may also
// register its part of `lockrig probe` (DriverRegistry::add(ProbeEntry)).
#include "drivers/registry.hpp"
#include "drivers/bluez/register.hpp"
#include "drivers/serial/register.hpp"
#include "drivers/sim/sim.hpp"

namespace lockrig::drivers {

const DriverRegistry& builtin_drivers() {
  static const DriverRegistry registry = [] {
    DriverRegistry r;
    sim::register_sim_drivers(r);
    register_ble_drivers(r);     // bluez (BLE through BlueZ's D-Bus API), command (app-driven);
                                 // probe: BLE adapters and devices
    register_serial_drivers(r);  // lcus, numato, kmtronic, devantech relays; korad, scpi supplies;
                                 // minicircuits attenuators;
                                 // probe: serial ports
    return r;
  }();
  return registry;
}

}  // namespace lockrig::drivers
