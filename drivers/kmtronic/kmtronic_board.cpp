// KMTronic USB relay driver (see kmtronic_board.hpp).
#include "drivers/kmtronic/kmtronic_board.hpp"

#include <stdexcept>

#include "drivers/serial/protocol_error.hpp"

namespace lockrig::drivers::kmtronic {

namespace {

struct Parsed {
  serial::SerialSettings settings;
  const KmtronicModel* model;
};

Parsed parse(const SwitchBoardSpec& spec) {
  spec.settings.require_known_keys({"port", "usb", "model", "timeout"}, "kmtronic settings");
  Parsed p{serial::read_serial_settings(spec.settings, spec.shared, "kmtronic"), nullptr};
  p.model = &serial::find_model(models(), p.settings, spec.settings, "kmtronic");
  serial::check_channels(spec, p.model->channels, std::string(p.model->title));
  return p;
}

}  // namespace

KmtronicBoard::KmtronicBoard(const SwitchBoardSpec& spec, const KmtronicModel& model,
                             const serial::SerialSettings& settings)
    : model_(model),
      timeout_(settings.timeout),
      port_(settings.port, model.framing, spec.id, std::string(model.title)) {
  read_state(1);
}

void KmtronicBoard::require_channel(int channel) const {
  if (channel < 1 || channel > model_.channels)
    throw std::invalid_argument("no channel " + std::to_string(channel) + " on " + port_.what());
}

bool KmtronicBoard::read_state(int channel) {
  const Frame request = encode_status_request(model_, channel);
  const std::size_t size = status_reply_size(model_);
  const std::string waiting_for = "the status of relay " + std::to_string(channel);
  serial::Bytes reply;
  for (int attempt = 1;; ++attempt) {
    port_.discard_input();
    port_.write(request, timeout_);
    if (attempt >= model_.status_attempts) {
      reply = port_.read_exact(size, timeout_, waiting_for);
      break;
    }
    if (auto got = port_.try_read_exact(size, timeout_)) {
      reply = std::move(*got);
      break;
    }
    // No or a short answer: give a late one time to arrive and be discarded, then ask again
    // (KMTronicLibrary.py:100-114 retries after a back-off).
    port_.pause(model_.settle);
  }
  try {
    return decode_status(model_, channel, reply);
  } catch (const serial::ProtocolError& e) {
    port_.fault("garbled answer to status request " + serial::to_hex(request) + ": " + e.what());
  }
}

void KmtronicBoard::set(int channel, bool energized) {
  require_channel(channel);
  std::lock_guard lock(mutex_);
  port_.write(encode_switch(model_, channel, energized), timeout_);
  port_.pause(model_.settle);
  if (read_state(channel) != energized)
    port_.fault("relay " + std::to_string(channel) + " reads back " +
                (energized ? "released" : "energized") + " after being " +
                (energized ? "energized" : "released") +
                " (stuck contact, or another program driving the board?)");
}

std::optional<bool> KmtronicBoard::get(int channel) {
  require_channel(channel);
  std::lock_guard lock(mutex_);
  return read_state(channel);
}

SwitchDriver kmtronic_driver() {
  SwitchDriver d;
  d.name = "kmtronic";
  d.summary = "KMTronic USB relay board, 1-8 relays (read-back verified)";
  d.simulated = false;
  d.validate = [](const SwitchBoardSpec& spec) { parse(spec); };
  d.create = [](const SwitchBoardSpec& spec, const DriverContext&) -> std::unique_ptr<SwitchBoard> {
    Parsed p = parse(spec);
    return std::make_unique<KmtronicBoard>(spec, *p.model, p.settings);
  };
  return d;
}

}  // namespace lockrig::drivers::kmtronic
