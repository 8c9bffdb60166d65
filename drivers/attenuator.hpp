// The attenuator interface (issue 14): a programmable RF step attenuator between the rig's BLE
// antenna and shielded locks (Mini-Circuits RCDAT/RUDAT, JFW, Vaunix, or the simulated one). The
// rig addresses it by purpose (`rf_path`) through rig/engine/bench.hpp, which checks the fixture's
// range and step before anything is sent and compares the read-back with what it set.
#pragma once

#include <optional>

namespace lockrig::drivers {

// What the device itself can do (a fixture may declare a narrower range or a coarser step).
struct AttenuatorLimits {
  double min_db = 0;
  double max_db = 0;
  double step_db = 0;
};

class Attenuator {
 public:
  virtual ~Attenuator() = default;
  virtual AttenuatorLimits limits() const = 0;
  // Sets the attenuation in dB. Throws RigFault when the device does not answer or refuses.
  virtual void set_db(double db) = 0;
  // The device's own view of its attenuation; nullopt where the model cannot read back.
  virtual std::optional<double> read_db() = 0;
};

}  // namespace lockrig::drivers
