// The switch interface: a relay board with numbered channels. The rig maps channel names
// (`battery`, `rf_shield`) and inversion onto these physical channels (rig/engine/bench.hpp).
#pragma once

#include <optional>
#include <string>

namespace lockrig::drivers {

class SwitchBoard {
 public:
  virtual ~SwitchBoard() = default;

  virtual int channel_count() const = 0;
  // Energizes (true) or releases (false) a relay, 1-based channel. Throws RigFault when the
  // board does not answer or, where it can read back, reports another state.
  virtual void set(int channel, bool energized) = 0;
  // The board's own view of a channel; nullopt where the model cannot read back.
  virtual std::optional<bool> get(int channel) = 0;
};

}  // namespace lockrig::drivers
