// KMTronic USB relay driver: the lifecycle on the serial transport. Every switch is read back.
#pragma once

#include <mutex>

#include "drivers/kmtronic/kmtronic_protocol.hpp"
#include "drivers/registry.hpp"
#include "drivers/serial/serial_settings.hpp"
#include "drivers/serial/transport.hpp"
#include "drivers/switch_board.hpp"

namespace lockrig::drivers::kmtronic {

class KmtronicBoard final : public SwitchBoard {
 public:
  // Opens the port and reads relay 1, so a silent or foreign device fails at open.
  KmtronicBoard(const SwitchBoardSpec& spec, const KmtronicModel& model,
                const serial::SerialSettings& settings);

  int channel_count() const override { return model_.channels; }
  void set(int channel, bool energized) override;
  std::optional<bool> get(int channel) override;

 private:
  bool read_state(int channel);
  void require_channel(int channel) const;

  const KmtronicModel& model_;
  Duration timeout_;
  std::mutex mutex_;
  serial::SerialPort port_;
};

// Registry entry `kmtronic`.
SwitchDriver kmtronic_driver();

}  // namespace lockrig::drivers::kmtronic
