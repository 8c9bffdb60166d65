// The one explicit table of drivers this build knows. Add a driver family here.
#include "drivers/registry.hpp"
#include "drivers/sim/sim.hpp"

namespace lockrig::drivers {

const DriverRegistry& builtin_drivers() {
  static const DriverRegistry registry = [] {
    DriverRegistry r;
    sim::register_sim_drivers(r);
    return r;
  }();
  return registry;
}

}  // namespace lockrig::drivers
