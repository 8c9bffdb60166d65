// SCPI bench supply driver (see scpi_supply.hpp).
#include "drivers/scpi/scpi_supply.hpp"

#include <cmath>
#include <cstdio>
#include <thread>

#include "drivers/serial/protocol_error.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::scpi {

namespace {

constexpr std::size_t kMaxLine = 256;

struct Parsed {
  serial::SerialSettings settings;
  const ScpiModel* model;
};

Parsed parse(const SupplySpec& spec) {
  spec.settings.require_known_keys({"port", "usb", "model", "timeout", "baud"}, "scpi settings");
  Parsed p{serial::read_serial_settings(spec.settings, spec.shared, "scpi", "spd3303x"), nullptr};
  p.model = &serial::find_model(models(), p.settings, spec.settings, "scpi");
  serial::check_supply_range(spec, p.model->outputs, p.model->max_volts, p.model->max_amps,
                             std::string(p.model->title));
  return p;
}

serial::Framing framing_for(const ScpiModel& model, const serial::SerialSettings& settings) {
  serial::Framing f = model.framing;
  if (settings.baud) f.baud = *settings.baud;
  return f;
}

std::string number(double v, const char* unit) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g %s", v, unit);
  return buf;
}

void refuse_out_of_range(double value, double max, const char* unit, const std::string& title) {
  if (!std::isfinite(value) || value < 0 || value > max)
    throw ConfigError(number(value, unit) + " is beyond the " + title + "'s range 0.." +
                      number(max, unit));
}

std::string printable(const std::string& command) {
  return quote(std::string_view(command).substr(0, command.size() - kTerminator.size()));
}

}  // namespace

ScpiSupply::ScpiSupply(const SupplySpec& spec, const ScpiModel& model,
                       const serial::SerialSettings& settings)
    : model_(model),
      output_(spec.output),
      timeout_(settings.timeout),
      port_(settings.port, framing_for(model, settings), spec.id, std::string(model.title)),
      last_exchange_(std::chrono::steady_clock::now()) {
  const std::string command = encode_identify();
  const std::string line = query(command);
  try {
    identity_ = parse_identity(line);
  } catch (const serial::ProtocolError& e) {
    port_.fault("garbled answer to *IDN?: " + std::string(e.what()));
  }
  if (!identity_matches(model_, identity_))
    port_.fault("answers *IDN? with " + quote(identity_.manufacturer + "," + identity_.model) +
                ", which is not a " + std::string(model_.title) + "; check `model:` and `port:`");
}

void ScpiSupply::send(const std::string& command) {
  // Wall clock, not the run's Clock: a stop request must not cut the pause short, or the
  // safe-state commands sent on the way out would be ignored.
  std::this_thread::sleep_until(last_exchange_ + model_.command_gap);
  port_.discard_input();
  port_.write(command, timeout_);
  port_.drain(timeout_);
  last_exchange_ = std::chrono::steady_clock::now();
}

std::string ScpiSupply::query(const std::string& command) {
  send(command);
  std::string line =
      port_.read_until(kTerminator, kMaxLine, timeout_, "the answer to " + printable(command));
  last_exchange_ = std::chrono::steady_clock::now();
  return line;
}

double ScpiSupply::query_number(const std::string& command) {
  const std::string line = query(command);
  try {
    return parse_number(line);
  } catch (const serial::ProtocolError& e) {
    port_.fault("garbled answer to " + printable(command) + ": " + e.what());
  }
}

bool ScpiSupply::query_output_on() {
  const std::string command = encode_status();
  const std::string line = query(command);
  try {
    return output_on(model_, parse_status(line), output_);
  } catch (const serial::ProtocolError& e) {
    port_.fault("garbled answer to " + printable(command) + ": " + e.what());
  }
}

void ScpiSupply::set_voltage(double volts) {
  refuse_out_of_range(volts, model_.max_volts, "V", std::string(model_.title));
  const double setting = round_to_step(volts, model_.volts_step);
  std::lock_guard lock(mutex_);
  send(encode_set_voltage(output_, setting));
  const double readback = query_number(encode_query_voltage(output_));
  if (std::fabs(readback - setting) >= model_.volts_step / 2)
    port_.fault("CH" + std::to_string(output_) + " voltage setting reads back " +
                number(readback, "V") + " after setting " + number(setting, "V"));
}

void ScpiSupply::set_current_limit(double amps) {
  refuse_out_of_range(amps, model_.max_amps, "A", std::string(model_.title));
  const double setting = round_to_step(amps, model_.amps_step);
  std::lock_guard lock(mutex_);
  send(encode_set_current(output_, setting));
  const double readback = query_number(encode_query_current(output_));
  if (std::fabs(readback - setting) >= model_.amps_step / 2)
    port_.fault("CH" + std::to_string(output_) + " current limit reads back " +
                number(readback, "A") + " after setting " + number(setting, "A"));
}

void ScpiSupply::set_output(bool on) {
  std::lock_guard lock(mutex_);
  send(encode_output(output_, on));
  if (query_output_on() != on)
    port_.fault("CH" + std::to_string(output_) + " output reads back " + (on ? "off" : "on") +
                " after switching it " + (on ? "on" : "off"));
}

SupplyReading ScpiSupply::measure() {
  std::lock_guard lock(mutex_);
  SupplyReading r;
  r.volts = query_number(encode_measure_voltage(output_));
  r.amps = query_number(encode_measure_current(output_));
  r.output_on = query_output_on();
  return r;
}

SupplyDriver scpi_driver() {
  SupplyDriver d;
  d.name = "scpi";
  d.summary = "SCPI bench supply over serial, Siglent SPD3303X command set (settings read back)";
  d.simulated = false;
  d.validate = [](const SupplySpec& spec) { parse(spec); };
  d.create = [](const SupplySpec& spec, const DriverContext&) -> std::unique_ptr<PowerSupply> {
    Parsed p = parse(spec);
    return std::make_unique<ScpiSupply>(spec, *p.model, p.settings);
  };
  return d;
}

}  // namespace lockrig::drivers::scpi
