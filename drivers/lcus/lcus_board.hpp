// LCUS relay module driver: the lifecycle (open, switch, close) on the serial transport.
#pragma once

#include <chrono>
#include <mutex>
#include <vector>

#include "drivers/lcus/lcus_protocol.hpp"
#include "drivers/registry.hpp"
#include "drivers/serial/serial_settings.hpp"
#include "drivers/serial/transport.hpp"
#include "drivers/switch_board.hpp"

namespace lockrig::drivers::lcus {

// Models that answer the status request (LCUS-2/4/8) read every switch back unless the fixture
// says `readback: false`; the LCUS-1 is write-only, so a switch succeeds when the bytes went out
// and get() knows nothing. Commands are spaced by the model's switch gap. A vanished port is
// always a rig fault.
class LcusBoard final : public SwitchBoard {
 public:
  LcusBoard(const SwitchBoardSpec& spec, const LcusModel& model,
            const serial::SerialSettings& settings, bool readback);

  int channel_count() const override { return model_.channels; }
  void set(int channel, bool energized) override;
  std::optional<bool> get(int channel) override;

 private:
  void pace();
  std::vector<bool> read_states();

  const LcusModel& model_;
  Duration timeout_;
  bool readback_;
  std::mutex mutex_;  // the bench may restore safe state from another thread
  serial::SerialPort port_;
  std::chrono::steady_clock::time_point last_switch_{};
};

// Registry entry `lcus`.
SwitchDriver lcus_driver();

}  // namespace lockrig::drivers::lcus
