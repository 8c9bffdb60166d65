// Devantech USB-RLY driver: the lifecycle on the serial transport. The module id is checked at
// open (another model's id is a rig fault, an unknown one a warning) and every switch is read
// back.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "drivers/devantech/devantech_protocol.hpp"
#include "drivers/registry.hpp"
#include "drivers/serial/serial_settings.hpp"
#include "drivers/serial/transport.hpp"
#include "drivers/switch_board.hpp"

namespace lockrig::drivers::devantech {

class DevantechBoard final : public SwitchBoard {
 public:
  DevantechBoard(const SwitchBoardSpec& spec, const DevantechModel& model,
                 const serial::SerialSettings& settings);

  int channel_count() const override { return model_.channels; }
  void set(int channel, bool energized) override;
  std::optional<bool> get(int channel) override;

  Version version() const { return version_; }
  // What was odd but not fatal at open (a module id outside the model's set); also on stderr.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  std::uint8_t read_mask();
  void require_channel(int channel) const;

  const DevantechModel& model_;
  Duration timeout_;
  std::mutex mutex_;
  serial::SerialPort port_;
  Version version_;
  std::vector<std::string> warnings_;
};

// Registry entry `devantech`.
SwitchDriver devantech_driver();

}  // namespace lockrig::drivers::devantech
