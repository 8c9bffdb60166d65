// USB HID relay board driver (see usbhid_board.hpp).
#include "drivers/usbhid/usbhid_board.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "drivers/rig_fault.hpp"
#include "drivers/serial/bytes.hpp"
#include "drivers/serial/protocol_error.hpp"
#include "drivers/serial/serial_settings.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::usbhid {

namespace {

struct Parsed {
  UsbHidSettings settings;
  const UsbHidModel* model;
};

Parsed parse(const SwitchBoardSpec& spec) {
  spec.settings.require_known_keys({"model", "serial", "timeout"}, "usbhid settings");
  const serial::SerialSettings common =
      serial::read_settings_except_port(spec.settings, spec.shared, "usbhid");
  Parsed p{{common.model, spec.settings.get_string("serial", ""), common.timeout}, nullptr};
  p.model = &serial::find_model(models(), common, spec.settings, "usbhid");
  serial::check_channels(spec, p.model->channels, std::string(p.model->title));
  if (!p.settings.serial.empty() && p.model->family != Family::dcttech)
    throw ConfigError(spec.settings.where("serial"),
                      "LCUS-HID boards report no serial to tell them apart; remove `serial`");
  if (!p.settings.serial.empty() && p.settings.serial.size() > kDcttechSerialLength)
    throw ConfigError(
        spec.settings.where("serial"),
        "a dcttech board id has at most 5 characters, got " + quote(p.settings.serial));
  return p;
}

std::string usb_id(std::uint16_t vid, std::uint16_t pid) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04x:%04x", vid, pid);
  return buf;
}

bool family_matches(const UsbHidModel& model, const HidDeviceInfo& d) {
  if (d.vid != model.vid || (model.pid && d.pid != *model.pid)) return false;
  if (model.family == Family::dcttech) return dcttech_relay_count(d.product).has_value();
  return true;
}

}  // namespace

UsbHidBoard::UsbHidBoard(const SwitchBoardSpec& spec, const UsbHidModel& model,
                         const UsbHidSettings& settings, HidBackend& backend)
    : model_(model), component_(spec.id), timeout_(settings.timeout) {
  const std::string what =
      std::string(model_.title) + (settings.serial.empty() ? "" : " " + quote(settings.serial));
  std::vector<HidDeviceInfo> present;
  try {
    present = backend.enumerate();
  } catch (const std::exception& e) {
    throw RigFault(component_, "cannot list HID devices: " + std::string(e.what()));
  }
  std::vector<std::string> seen;  // boards of this family, for messages
  std::vector<std::pair<HidDeviceInfo, std::unique_ptr<HidHandle>>> candidates;
  for (const HidDeviceInfo& d : present) {
    if (!family_matches(model_, d)) continue;
    std::string why;
    auto handle = backend.open(d.path, why);
    if (!handle) {
      seen.push_back(d.path + " (cannot open: " + why + ")");
      continue;
    }
    std::string id;
    if (model_.family == Family::dcttech) {
      DcttechReport buf = dcttech_state_request();
      const int n = handle->get_feature_report(buf);
      if (n < 8) {
        seen.push_back(d.path + " (no state report: " + handle->error() + ")");
        continue;
      }
      try {
        id = decode_dcttech_state(std::span(buf).first(static_cast<std::size_t>(n))).serial;
      } catch (const serial::ProtocolError& e) {
        seen.push_back(d.path + " (" + e.what() + ")");
        continue;
      }
      const int relays = *dcttech_relay_count(d.product);
      seen.push_back(quote(id) + " " + d.product + " at " + d.path);
      if (!settings.serial.empty() && id != settings.serial) continue;
      if (relays != model_.channels) {
        if (!settings.serial.empty())
          throw RigFault(component_, what + ": board " + quote(id) + " at " + d.path + " is a " +
                                         d.product + ", not a " + std::string(model_.title) +
                                         "; check `model:`");
        continue;
      }
    } else {
      seen.push_back(usb_id(d.vid, d.pid) + " at " + d.path);
    }
    serial_ = id;
    candidates.emplace_back(d, std::move(handle));
  }
  const std::string listing = seen.empty() ? "none" : join(seen, ", ");
  if (candidates.empty())
    throw RigFault(component_, "cannot open " + what +
                                   ": no such board is present (present: " + listing +
                                   "; is it plugged in, and may this user open /dev/hidraw*?)");
  if (candidates.size() > 1)
    throw RigFault(component_,
                   "cannot open " + what + ": " + std::to_string(candidates.size()) +
                       " boards match (" + listing + ")" +
                       (model_.family == Family::dcttech
                            ? "; give the board's id as `serial:`"
                            : "; LCUS-HID boards cannot be told apart, keep one plugged in"));
  path_ = candidates.front().first.path;
  handle_ = std::move(candidates.front().second);
  if (model_.family == Family::dcttech) serial_ = read_state().serial;
}

void UsbHidBoard::fault(const std::string& message) const {
  throw RigFault(component_, std::string(model_.title) +
                                 (serial_.empty() ? "" : " " + quote(serial_)) + " at " + path_ +
                                 ": " + message);
}

void UsbHidBoard::require_channel(int channel) const {
  if (channel < 1 || channel > model_.channels)
    throw std::invalid_argument("no channel " + std::to_string(channel) + " on the " +
                                std::string(model_.title));
}

DcttechState UsbHidBoard::read_state() {
  DcttechReport buf = dcttech_state_request();
  const int n = handle_->get_feature_report(buf);
  if (n < 0) fault("cannot read the relay states: " + handle_->error() + " (unplugged?)");
  try {
    return decode_dcttech_state(std::span(buf).first(static_cast<std::size_t>(n)));
  } catch (const serial::ProtocolError& e) {
    fault(std::string("garbled state report: ") + e.what());
  }
}

void UsbHidBoard::set(int channel, bool energized) {
  require_channel(channel);
  std::lock_guard lock(mutex_);
  if (model_.family == Family::lcus_hid) {
    const LcusHidReport report = encode_lcus_hid_switch(channel, energized);
    if (handle_->write(report) < 0)
      fault("cannot switch relay " + std::to_string(channel) + ": " + handle_->error() +
            " (unplugged?)");
    // The board answers every frame; read it so it does not pile up (libusbrelay.c:249).
    std::uint8_t answer[64];
    if (handle_->read_timeout(answer, static_cast<int>(std::ceil(to_ms(timeout_)))) < 0)
      fault("lost after switching relay " + std::to_string(channel) + ": " + handle_->error());
    return;
  }
  const DcttechReport report = encode_dcttech_switch(channel, energized);
  if (handle_->write(report) < 0)
    fault("cannot switch relay " + std::to_string(channel) + ": " + handle_->error() +
          " (unplugged?)");
  const DcttechState state = read_state();
  if (state.energized(channel) != energized)
    fault("relay " + std::to_string(channel) + " reads back " +
          (energized ? "released" : "energized") + " after being " +
          (energized ? "energized" : "released") + " (relay states " +
          serial::to_hex(std::array{state.relays}) +
          "; stuck contact, or another program driving the board?)");
}

std::optional<bool> UsbHidBoard::get(int channel) {
  require_channel(channel);
  if (!model_.reads_back) return std::nullopt;
  std::lock_guard lock(mutex_);
  return read_state().energized(channel);
}

SwitchDriver usbhid_driver(HidBackend& backend) {
  SwitchDriver d;
  d.name = "usbhid";
  d.summary =
      "USB HID relay board: dcttech USBRelay1-8 (read back, told apart by serial), "
      "LCUS-HID (write-only)";
  d.simulated = false;
  d.validate = [](const SwitchBoardSpec& spec) { parse(spec); };
  d.create = [&backend](const SwitchBoardSpec& spec,
                        const DriverContext&) -> std::unique_ptr<SwitchBoard> {
    Parsed p = parse(spec);
    return std::make_unique<UsbHidBoard>(spec, *p.model, p.settings, backend);
  };
  return d;
}

}  // namespace lockrig::drivers::usbhid
