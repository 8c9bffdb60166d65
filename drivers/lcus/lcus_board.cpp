// LCUS relay module driver (see lcus_board.hpp).
#include "drivers/lcus/lcus_board.hpp"

#include <stdexcept>
#include <string>

namespace lockrig::drivers::lcus {

namespace {

struct Parsed {
  serial::SerialSettings settings;
  const LcusModel* model;
};

Parsed parse(const SwitchBoardSpec& spec) {
  spec.settings.require_known_keys({"port", "usb", "model", "timeout"}, "lcus settings");
  Parsed p{serial::read_serial_settings(spec.settings, spec.shared, "lcus"), nullptr};
  p.model = &serial::find_model(models(), p.settings, spec.settings, "lcus");
  serial::check_channels(spec, p.model->channels, std::string(p.model->title));
  return p;
}

}  // namespace

LcusBoard::LcusBoard(const SwitchBoardSpec& spec, const LcusModel& model,
                     const serial::SerialSettings& settings)
    : model_(model),
      timeout_(settings.timeout),
      port_(settings.port, model.framing, spec.id, std::string(model.title) + " relay board") {}

void LcusBoard::set(int channel, bool energized) {
  if (channel < 1 || channel > model_.channels)
    throw std::invalid_argument("no channel " + std::to_string(channel) + " on " + port_.what());
  const Frame frame = encode_switch(channel, energized);
  std::lock_guard lock(mutex_);
  port_.write(frame, timeout_);
  // The module gives no answer; draining at least proves the bytes left through a live port.
  port_.drain(timeout_);
}

std::optional<bool> LcusBoard::get(int) {
  return std::nullopt;
}

SwitchDriver lcus_driver() {
  SwitchDriver d;
  d.name = "lcus";
  d.summary = "LC Technology LCUS-1/2/4/8 USB relay module (write-only)";
  d.simulated = false;
  d.validate = [](const SwitchBoardSpec& spec) { parse(spec); };
  d.create = [](const SwitchBoardSpec& spec, const DriverContext&) -> std::unique_ptr<SwitchBoard> {
    Parsed p = parse(spec);
    return std::make_unique<LcusBoard>(spec, *p.model, p.settings);
  };
  return d;
}

}  // namespace lockrig::drivers::lcus
