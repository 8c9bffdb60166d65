// Devantech USB-RLY driver (see devantech_board.hpp).
#include "drivers/devantech/devantech_board.hpp"

#include <array>
#include <stdexcept>

#include "drivers/serial/protocol_error.hpp"
#include "drivers/serial/warning.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::devantech {

namespace {

struct Parsed {
  serial::SerialSettings settings;
  const DevantechModel* model;
};

Parsed parse(const SwitchBoardSpec& spec) {
  spec.settings.require_known_keys({"port", "usb", "model", "timeout"}, "devantech settings");
  Parsed p{serial::read_serial_settings(spec.settings, spec.shared, "devantech"), nullptr};
  p.model = &serial::find_model(models(), p.settings, spec.settings, "devantech");
  serial::check_channels(spec, p.model->channels, std::string(p.model->title));
  return p;
}

}  // namespace

DevantechBoard::DevantechBoard(const SwitchBoardSpec& spec, const DevantechModel& model,
                               const serial::SerialSettings& settings)
    : model_(model),
      timeout_(settings.timeout),
      port_(settings.port, model.framing, spec.id, std::string(model.title)) {
  port_.write(std::array{kGetVersion}, timeout_);
  const serial::Bytes reply = port_.read_exact(2, timeout_, "the module id and firmware version");
  try {
    version_ = decode_version(reply);
  } catch (const serial::ProtocolError& e) {
    port_.fault(std::string("garbled answer to 5A: ") + e.what());
  }
  const DevantechModel* actual = model_for_module_id(version_.module_id);
  const std::string reports =
      "reports module id " + std::to_string(version_.module_id) +
      (actual ? " (a " + std::string(actual->title) + ")" : std::string(" (unknown)")) + ", not " +
      module_id_list(model_);
  switch (judge_module_id(model_, version_.module_id)) {
    case ModuleIdVerdict::expected:
      break;
    case ModuleIdVerdict::other_model:
      port_.fault(reports + "; check `model:` and `port:`");
    case ModuleIdVerdict::unexpected:
      // Module ids are documented for few firmwares; the relays still answer the same commands.
      warnings_.push_back(port_.what() + " on " + quote(port_.device()) + " " + reports +
                          "; carrying on, as ids are not documented for every firmware (check "
                          "`model:` if relays misbehave)");
      serial::warn(port_.component(), warnings_.back());
      break;
  }
}

void DevantechBoard::require_channel(int channel) const {
  if (channel < 1 || channel > model_.channels)
    throw std::invalid_argument("no channel " + std::to_string(channel) + " on " + port_.what());
}

std::uint8_t DevantechBoard::read_mask() {
  port_.discard_input();
  port_.write(std::array{kGetStates}, timeout_);
  const std::uint8_t mask = port_.read_exact(1, timeout_, "the relay states").front();
  // The answer is one byte; more in the same breath is line noise or another device.
  if (port_.buffered() > 0)
    port_.fault("garbled answer to 5B: " + serial::to_hex(std::array{mask}) + " followed by " +
                std::to_string(port_.buffered()) + " more bytes");
  return mask;
}

void DevantechBoard::set(int channel, bool energized) {
  require_channel(channel);
  std::lock_guard lock(mutex_);
  port_.write(std::array{encode_switch(model_, channel, energized)}, timeout_);
  const std::uint8_t mask = read_mask();
  // Bits beyond the model's relays must be clear: anything else is not this module talking.
  if (model_.channels < 8 && (mask >> model_.channels) != 0)
    port_.fault("garbled relay states " + serial::to_hex(std::array{mask}) + " for " +
                std::to_string(model_.channels) + " relays");
  if (relay_state(mask, channel) != energized)
    port_.fault("relay " + std::to_string(channel) + " reads back " +
                (energized ? "released" : "energized") + " after being " +
                (energized ? "energized" : "released") + " (relay states " +
                serial::to_hex(std::array{mask}) +
                "; stuck contact, or another program driving the board?)");
}

std::optional<bool> DevantechBoard::get(int channel) {
  require_channel(channel);
  std::lock_guard lock(mutex_);
  return relay_state(read_mask(), channel);
}

SwitchDriver devantech_driver() {
  SwitchDriver d;
  d.name = "devantech";
  d.summary = "Devantech USB-RLY02/08/16/16L relay module (module id checked, read-back verified)";
  d.simulated = false;
  d.validate = [](const SwitchBoardSpec& spec) { parse(spec); };
  d.create = [](const SwitchBoardSpec& spec, const DriverContext&) -> std::unique_ptr<SwitchBoard> {
    Parsed p = parse(spec);
    return std::make_unique<DevantechBoard>(spec, *p.model, p.settings);
  };
  return d;
}

}  // namespace lockrig::drivers::devantech
