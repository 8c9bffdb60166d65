// The physical state of the bench as the rig last commanded it. The simulated world reads it so
// that cutting a lock's battery relay, closing its RF shield or browning out its supply really
// changes what the simulated lock can do, whichever driver (simulated or real) switched it.
#pragma once

#include <optional>
#include <string_view>

#include "drivers/power_supply.hpp"

namespace lockrig::drivers {

class BenchView {
 public:
  virtual ~BenchView() = default;
  // Logical state of the channel named `name` acting on lock `lock_id`; nullopt if none exists.
  virtual std::optional<bool> channel_state(std::string_view lock_id, std::string_view name) const = 0;
  // The supply feeding `lock_id` as last commanded; nullopt if the lock runs on its battery.
  virtual std::optional<SupplyReading> supply_state(std::string_view lock_id) const = 0;
  // Attenuation (dB) of the RF attenuators in front of `lock_id`, summed, as last set; nullopt
  // when none sits in front of it (issue 14).
  virtual std::optional<double> attenuation_db(std::string_view /*lock_id*/) const {
    return std::nullopt;
  }
};

}  // namespace lockrig::drivers
