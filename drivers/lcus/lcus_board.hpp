// LCUS relay module driver: the lifecycle (open, switch, close) on the serial transport.
#pragma once

#include <mutex>

#include "drivers/lcus/lcus_protocol.hpp"
#include "drivers/registry.hpp"
#include "drivers/serial/serial_settings.hpp"
#include "drivers/serial/transport.hpp"
#include "drivers/switch_board.hpp"

namespace lockrig::drivers::lcus {

// Write-only: the module never confirms, so a switch succeeds when the bytes went out and get()
// knows nothing. A vanished port is still a rig fault.
class LcusBoard final : public SwitchBoard {
 public:
  LcusBoard(const SwitchBoardSpec& spec, const LcusModel& model,
            const serial::SerialSettings& settings);

  int channel_count() const override { return model_.channels; }
  void set(int channel, bool energized) override;
  std::optional<bool> get(int channel) override;

 private:
  const LcusModel& model_;
  Duration timeout_;
  std::mutex mutex_;  // the bench may restore safe state from another thread
  serial::SerialPort port_;
};

// Registry entry `lcus`.
SwitchDriver lcus_driver();

}  // namespace lockrig::drivers::lcus
