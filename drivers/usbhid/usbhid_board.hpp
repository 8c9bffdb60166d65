// USB HID relay board driver (`usbhid`): dcttech USBRelayN boards, read back after every switch
// and told apart by their own serial, and write-only LCUS-HID boards. Reaches the boards through
// HidBackend (hidapi in the rig, a double in tests).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "drivers/registry.hpp"
#include "drivers/switch_board.hpp"
#include "drivers/usbhid/hid_backend.hpp"
#include "drivers/usbhid/usbhid_protocol.hpp"
#include "rig/base/clock.hpp"

namespace lockrig::drivers::usbhid {

struct UsbHidSettings {
  std::string model;
  std::string serial;  // dcttech: the board's 5-character id; empty: the only board present
  Duration timeout{};
};

class UsbHidBoard final : public SwitchBoard {
 public:
  // Finds the board among the HID devices present and opens it; RigFault when it is absent,
  // ambiguous or cannot be opened.
  UsbHidBoard(const SwitchBoardSpec& spec, const UsbHidModel& model, const UsbHidSettings& settings,
              HidBackend& backend);

  int channel_count() const override { return model_.channels; }
  void set(int channel, bool energized) override;
  std::optional<bool> get(int channel) override;

  const std::string& board_serial() const { return serial_; }
  const std::string& device_path() const { return path_; }
  const UsbHidModel& model() const { return model_; }

 private:
  DcttechState read_state();
  void require_channel(int channel) const;
  [[noreturn]] void fault(const std::string& message) const;

  const UsbHidModel& model_;
  std::string component_;
  Duration timeout_;
  std::mutex mutex_;
  std::unique_ptr<HidHandle> handle_;
  std::string path_;
  std::string serial_;
};

// Registry entry `usbhid`, on `backend` (hidapi unless a test gives another).
SwitchDriver usbhid_driver(HidBackend& backend = hidapi_backend());

}  // namespace lockrig::drivers::usbhid
