// lockrig drivers: the driver names fixtures may use, from the built-in table.
#include <cstdio>

#include "drivers/registry.hpp"
#include "rig/app/commands.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"

namespace lockrig {

int drivers_command(const CommandLine&) {
  const auto& r = drivers::builtin_drivers();
  std::printf("lock drivers:   %s\n", join(r.lock_driver_names(), ", ").c_str());
  std::printf("switch drivers: %s\n", join(r.switch_driver_names(), ", ").c_str());
  std::printf("supply drivers: %s\n", join(r.supply_driver_names(), ", ").c_str());
  std::printf("attenuator drivers: %s\n", join(r.attenuator_driver_names(), ", ").c_str());
  return exit_code::ok;
}

}  // namespace lockrig
