// LCUS relay module driver (see lcus_board.hpp).
#include "drivers/lcus/lcus_board.hpp"

#include <array>
#include <stdexcept>
#include <string>
#include <thread>

#include "drivers/serial/protocol_error.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::lcus {

namespace {

// A status line is "CH8: OFF\r\n"; anything much longer is not this board talking.
constexpr std::size_t kMaxStatusLine = 32;

struct Parsed {
  serial::SerialSettings settings;
  const LcusModel* model;
  bool readback;
};

Parsed parse(const SwitchBoardSpec& spec) {
  spec.settings.require_known_keys({"port", "usb", "model", "timeout", "readback"},
                                   "lcus settings");
  Parsed p{serial::read_serial_settings(spec.settings, spec.shared, "lcus"), nullptr, false};
  p.model = &serial::find_model(models(), p.settings, spec.settings, "lcus");
  serial::check_channels(spec, p.model->channels, std::string(p.model->title));
  p.readback = spec.settings.get_bool("readback", p.model->answers_status);
  if (p.readback && !p.model->answers_status)
    throw ConfigError(spec.settings.where("readback"),
                      "the " + std::string(p.model->title) +
                          " cannot read back: no LCUS-1 is known to answer the status request; "
                          "remove `readback`");
  return p;
}

}  // namespace

LcusBoard::LcusBoard(const SwitchBoardSpec& spec, const LcusModel& model,
                     const serial::SerialSettings& settings, bool readback)
    : model_(model),
      timeout_(settings.timeout),
      readback_(readback),
      port_(settings.port, model.framing, spec.id, std::string(model.title) + " relay board") {
  // Whatever drove the board before us may have switched a relay just now.
  last_switch_ = std::chrono::steady_clock::now();
}

void LcusBoard::pace() {
  // Wall clock, not the run's Clock: a stop request must not cut the gap short, or the
  // safe-state commands sent on the way out would be lost.
  std::this_thread::sleep_until(last_switch_ + model_.switch_gap);
}

std::vector<bool> LcusBoard::read_states() {
  std::vector<std::string> lines;
  for (int i = 0; i < kStatusReads; ++i) {
    pace();
    port_.discard_input();
    port_.write(std::array{kStatusRequest}, timeout_);
    lines.clear();
    for (int ch = 0; ch < model_.channels; ++ch)
      lines.push_back(
          port_.read_until(kLineEnd, kMaxStatusLine, timeout_, "the relay states (FF)"));
  }
  try {
    return parse_status(model_, lines);
  } catch (const serial::ProtocolError& e) {
    port_.fault(std::string("garbled answer to status request FF: ") + e.what());
  }
}

void LcusBoard::set(int channel, bool energized) {
  if (channel < 1 || channel > model_.channels)
    throw std::invalid_argument("no channel " + std::to_string(channel) + " on " + port_.what());
  const Frame frame = encode_switch(channel, energized);
  std::lock_guard lock(mutex_);
  pace();
  port_.write(frame, timeout_);
  // Draining at least proves the bytes left through a live port.
  port_.drain(timeout_);
  last_switch_ = std::chrono::steady_clock::now();
  if (!readback_) return;
  if (read_states()[static_cast<std::size_t>(channel - 1)] != energized)
    port_.fault("relay " + std::to_string(channel) + " reads back " +
                (energized ? "released" : "energized") + " after being " +
                (energized ? "energized" : "released") +
                " (frame lost, stuck contact, or another program driving the board?)");
}

std::optional<bool> LcusBoard::get(int channel) {
  if (channel < 1 || channel > model_.channels)
    throw std::invalid_argument("no channel " + std::to_string(channel) + " on " + port_.what());
  if (!readback_) return std::nullopt;
  std::lock_guard lock(mutex_);
  return read_states()[static_cast<std::size_t>(channel - 1)];
}

SwitchDriver lcus_driver() {
  SwitchDriver d;
  d.name = "lcus";
  d.summary = "LC Technology LCUS-1/2/4/8 USB relay module (read back on LCUS-2/4/8)";
  d.simulated = false;
  d.validate = [](const SwitchBoardSpec& spec) { parse(spec); };
  d.create = [](const SwitchBoardSpec& spec, const DriverContext&) -> std::unique_ptr<SwitchBoard> {
    Parsed p = parse(spec);
    return std::make_unique<LcusBoard>(spec, *p.model, p.settings, p.readback);
  };
  return d;
}

}  // namespace lockrig::drivers::lcus
