// Numato USB relay driver: the lifecycle on the serial transport. Every switch is read back.
#pragma once

#include <mutex>
#include <string>

#include "drivers/numato/numato_protocol.hpp"
#include "drivers/registry.hpp"
#include "drivers/serial/serial_settings.hpp"
#include "drivers/serial/transport.hpp"
#include "drivers/switch_board.hpp"

namespace lockrig::drivers::numato {

class NumatoBoard final : public SwitchBoard {
 public:
  // Opens the port, resynchronises with the prompt and asks the firmware version, so a board
  // that is absent, silent or something else fails here and not at the first switch.
  NumatoBoard(const SwitchBoardSpec& spec, const NumatoModel& model,
              const serial::SerialSettings& settings);

  int channel_count() const override { return model_.channels; }
  void set(int channel, bool energized) override;
  std::optional<bool> get(int channel) override;

  const std::string& firmware_version() const { return version_; }

 private:
  std::string transact(const std::string& command);
  bool read_state(int channel);
  void require_channel(int channel) const;

  const NumatoModel& model_;
  Duration timeout_;
  std::mutex mutex_;
  serial::SerialPort port_;
  std::string version_;
};

// Registry entry `numato`.
SwitchDriver numato_driver();

}  // namespace lockrig::drivers::numato
