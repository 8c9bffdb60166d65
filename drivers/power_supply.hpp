// The power-supply interface: a bench supply standing in for a lock's battery.
#pragma once

#include <optional>

namespace lockrig::drivers {

struct SupplyReading {
  double volts = 0;
  double amps = 0;
  bool output_on = false;
};

class PowerSupply {
 public:
  virtual ~PowerSupply() = default;

  // Limits declared in the fixture are enforced by the rig before these are called.
  virtual void set_voltage(double volts) = 0;
  virtual void set_current_limit(double amps) = 0;
  virtual void set_output(bool on) = 0;
  virtual SupplyReading measure() = 0;
};

}  // namespace lockrig::drivers
