// Numato USB relay driver (see numato_board.hpp).
#include "drivers/numato/numato_board.hpp"

#include <stdexcept>

#include "drivers/serial/protocol_error.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::numato {

namespace {

// Longest reply: the echo of the longest command, a 32-relay mask and the line ends.
constexpr std::size_t kMaxReply = 128;

struct Parsed {
  serial::SerialSettings settings;
  const NumatoModel* model;
};

Parsed parse(const SwitchBoardSpec& spec) {
  spec.settings.require_known_keys({"port", "usb", "model", "timeout"}, "numato settings");
  Parsed p{serial::read_serial_settings(spec.settings, spec.shared, "numato"), nullptr};
  p.model = &serial::find_model(models(), p.settings, spec.settings, "numato");
  serial::check_channels(spec, p.model->channels, std::string(p.model->title));
  return p;
}

std::string printable(std::string_view command) {
  if (!command.empty() && command.back() == '\r') command.remove_suffix(1);
  return quote(command);
}

}  // namespace

NumatoBoard::NumatoBoard(const SwitchBoardSpec& spec, const NumatoModel& model,
                         const serial::SerialSettings& settings)
    : model_(model),
      timeout_(settings.timeout),
      port_(settings.port, model.framing, spec.id, std::string(model.title) + " board") {
  // A previous run may have died mid-command: an empty line completes whatever the module has
  // buffered, and its prompt tells us the line is clean again.
  port_.write(std::string_view("\r"), timeout_);
  port_.read_until(kPrompt, kMaxReply * 4, timeout_, "the prompt after an empty line");
  port_.discard_input();
  version_ = transact(encode_version());
  if (version_.empty()) port_.fault("answered `ver` with an empty version");
}

void NumatoBoard::require_channel(int channel) const {
  if (channel < 1 || channel > model_.channels)
    throw std::invalid_argument("no channel " + std::to_string(channel) + " on " + port_.what());
}

std::string NumatoBoard::transact(const std::string& command) {
  port_.discard_input();
  port_.write(command, timeout_);
  const std::string reply =
      port_.read_until(kPrompt, kMaxReply, timeout_, "the reply to " + printable(command));
  try {
    return parse_reply(command, reply, model_.echo);
  } catch (const serial::ProtocolError& e) {
    port_.fault("garbled reply to " + printable(command) + ": " + e.what());
  }
}

bool NumatoBoard::read_state(int channel) {
  const std::string command = encode_read(channel);
  const std::string answer = transact(command);
  try {
    return parse_relay_state(answer);
  } catch (const serial::ProtocolError& e) {
    port_.fault("garbled reply to " + printable(command) + ": " + e.what());
  }
}

void NumatoBoard::set(int channel, bool energized) {
  require_channel(channel);
  std::lock_guard lock(mutex_);
  const std::string command = encode_switch(channel, energized);
  if (const std::string answer = transact(command); !answer.empty())
    port_.fault("unexpected answer " + quote(answer) + " to " + printable(command));
  if (read_state(channel) != energized)
    port_.fault("relay " + std::to_string(channel) + " reads back " +
                (energized ? "released" : "energized") + " after being " +
                (energized ? "energized" : "released") +
                " (stuck contact, or another program driving the board?)");
}

std::optional<bool> NumatoBoard::get(int channel) {
  require_channel(channel);
  std::lock_guard lock(mutex_);
  return read_state(channel);
}

SwitchDriver numato_driver() {
  SwitchDriver d;
  d.name = "numato";
  d.summary = "Numato Lab USB relay module, 1-32 channels (read-back verified)";
  d.simulated = false;
  d.validate = [](const SwitchBoardSpec& spec) { parse(spec); };
  d.create = [](const SwitchBoardSpec& spec, const DriverContext&) -> std::unique_ptr<SwitchBoard> {
    Parsed p = parse(spec);
    return std::make_unique<NumatoBoard>(spec, *p.model, p.settings);
  };
  return d;
}

}  // namespace lockrig::drivers::numato
