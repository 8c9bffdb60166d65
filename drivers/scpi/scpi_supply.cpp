// SCPI bench supply driver (see scpi_supply.hpp).
#include "drivers/scpi/scpi_supply.hpp"

#include <cmath>
#include <cstdio>
#include <thread>

#include "drivers/serial/protocol_error.hpp"
#include "drivers/serial/serial_settings.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::scpi {

namespace {

constexpr std::string_view kTcpScheme = "tcp://";
constexpr std::string_view kUsbtmcScheme = "usbtmc:";

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

struct Parsed {
  ScpiSettings settings;
  const ScpiModel* model;
};

// `port:` may name a serial device, `tcp://HOST[:PORT]`, `usbtmc:/dev/usbtmcN` or
// `usbtmc:VID:PID[:SERIAL]`.
Parsed parse(const SupplySpec& spec) {
  spec.settings.require_known_keys({"port", "usb", "model", "timeout", "baud", "protection"},
                                   "scpi settings");
  const std::string port =
      spec.settings.has("port") ? spec.settings.get_string("port", "") : std::string();
  const bool tcp = starts_with(port, kTcpScheme);
  const bool usbtmc = starts_with(port, kUsbtmcScheme);
  Parsed p{};
  serial::SerialSettings common;
  if (tcp || usbtmc) {
    if (spec.settings.has("usb"))
      throw ConfigError(spec.settings.where("usb"),
                        "give either port or usb, not both (usb picks a serial port by USB "
                        "identity)");
    if (spec.settings.has("baud"))
      throw ConfigError(spec.settings.where("baud"),
                        "baud applies to a serial line, not to " +
                            std::string(tcp ? "a TCP address" : "a USBTMC device"));
    common = serial::read_settings_except_port(spec.settings, spec.shared, "scpi", "spd3303x");
    if (tcp) {
      const auto address = net::parse_tcp_address(port);
      if (!address)
        throw ConfigError(spec.settings.where("port"),
                          "port must be tcp://HOST or tcp://HOST:PORT (raw SCPI, usually port "
                          "5025), got " +
                              quote(port));
      p.settings.address.kind = ScpiAddress::Kind::tcp;
      p.settings.address.tcp = *address;
    } else {
      const std::string device = port.substr(kUsbtmcScheme.size());
      p.settings.address.kind = ScpiAddress::Kind::usbtmc;
      if (!device.empty() && device.front() == '/') {
        p.settings.address.device = device;
      } else if (const auto id = serial::parse_usb_id(device)) {
        // By USB identity, found at open among the USBTMC instruments present (usbtmcN
        // numbers follow plug order, like ttyUSBN).
        p.settings.address.usbtmc_id = *id;
      } else {
        throw ConfigError(spec.settings.where("port"),
                          "port must be usbtmc:/dev/usbtmcN or usbtmc:VID:PID[:SERIAL] (hex, e.g. "
                          "usbtmc:f4ec:1430), got " +
                              quote(port));
      }
    }
  } else {
    common = serial::read_serial_settings(spec.settings, spec.shared, "scpi", "spd3303x");
    p.settings.address.port = common.port;
  }
  p.settings.model = common.model;
  p.settings.timeout = common.timeout;
  p.settings.baud = common.baud;
  p.settings.protection = spec.settings.get_bool("protection", true);
  p.model = &serial::find_model(models(), common, spec.settings, "scpi");
  const OutputRange& r = p.model->ranges[static_cast<std::size_t>(
      spec.output >= 1 && spec.output <= p.model->outputs ? spec.output - 1 : 0)];
  serial::check_supply_range(spec, p.model->outputs, r.max_volts, r.max_amps,
                             std::string(p.model->title));
  if (p.settings.protection && spec.settings.has("protection") &&
      p.model->dialect->set_ovp.empty() && p.model->dialect->set_ocp.empty())
    throw ConfigError(spec.settings.where("protection"),
                      "the " + std::string(p.model->title) +
                          " cannot take protection levels over SCPI; remove `protection`");
  return p;
}

serial::Framing framing_for(const ScpiModel& model, const ScpiSettings& settings) {
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

ScpiSupply::ScpiSupply(const SupplySpec& spec, const ScpiModel& model, const ScpiSettings& settings)
    : model_(model),
      dialect_(*model.dialect),
      output_(spec.output),
      range_(range(model, spec.output)),
      link_(open_link(settings.address, framing_for(model, settings), settings.timeout, spec.id,
                      std::string(model.title))),
      last_exchange_(std::chrono::steady_clock::now()) {
  const std::string command = encode_identify();
  const std::string line = query(command);
  try {
    identity_ = parse_identity(line);
  } catch (const serial::ProtocolError& e) {
    link_->fault("garbled answer to *IDN?: " + std::string(e.what()));
  }
  if (!identity_matches(model_, identity_))
    link_->fault("answers *IDN? with " + quote(identity_.manufacturer + "," + identity_.model) +
                 ", which is not a " + std::string(model_.title) + "; check `model:` and `port:`");
  if (settings.protection) {
    // A cheap safety net when browning out a lock: the supply itself cuts the output beyond the
    // fixture's limits, whatever a scenario or a bug asks for.
    protect(dialect_.set_ovp, dialect_.enable_ovp, dialect_.query_ovp, spec.max_volts,
            range_.volts_step, "over-voltage protection", "V");
    protect(dialect_.set_ocp, dialect_.enable_ocp, dialect_.query_ocp, spec.max_amps,
            range_.amps_step, "over-current protection", "A");
  }
}

void ScpiSupply::send(const std::string& command) {
  // Wall clock, not the run's Clock: a stop request must not cut the pause short, or the
  // safe-state commands sent on the way out would be ignored.
  std::this_thread::sleep_until(last_exchange_ + dialect_.command_gap);
  link_->discard_input();
  link_->write(command);
  last_exchange_ = std::chrono::steady_clock::now();
}

std::string ScpiSupply::query(const std::string& command) {
  send(command);
  std::string line = link_->read_line("the answer to " + printable(command));
  last_exchange_ = std::chrono::steady_clock::now();
  return line;
}

double ScpiSupply::query_number(const std::string& command) {
  const std::string line = query(command);
  try {
    return parse_number(line);
  } catch (const serial::ProtocolError& e) {
    link_->fault("garbled answer to " + printable(command) + ": " + e.what());
  }
}

bool ScpiSupply::query_output_on() {
  const std::string command = render(dialect_.query_output, output_);
  const std::string line = query(command);
  try {
    if (dialect_.output_answer == OutputQuery::status_word)
      return output_on(model_, parse_status(line), output_);
    return parse_on_off(line);
  } catch (const serial::ProtocolError& e) {
    link_->fault("garbled answer to " + printable(command) + ": " + e.what());
  }
}

void ScpiSupply::select() {
  if (!dialect_.select.empty()) send(render(dialect_.select, output_));
}

void ScpiSupply::protect(std::string_view set, std::string_view enable, std::string_view query_cmd,
                         double level, double step, const char* what, const char* unit) {
  if (set.empty()) return;
  const double setting = round_to_step(level, step);
  select();
  send(render(set, output_, setting));
  if (!enable.empty()) send(render(enable, output_));
  const double readback = query_number(render(query_cmd, output_));
  if (std::fabs(readback - setting) >= step / 2)
    link_->fault("CH" + std::to_string(output_) + " " + what + " reads back " +
                 number(readback, unit) + " after setting " + number(setting, unit));
}

void ScpiSupply::set_voltage(double volts) {
  refuse_out_of_range(volts, range_.max_volts, "V", std::string(model_.title));
  const double setting = round_to_step(volts, range_.volts_step);
  std::lock_guard lock(mutex_);
  select();
  send(render(dialect_.set_volts, output_, setting));
  const double readback = query_number(render(dialect_.query_volts, output_));
  if (std::fabs(readback - setting) >= range_.volts_step / 2)
    link_->fault("CH" + std::to_string(output_) + " voltage setting reads back " +
                 number(readback, "V") + " after setting " + number(setting, "V"));
}

void ScpiSupply::set_current_limit(double amps) {
  refuse_out_of_range(amps, range_.max_amps, "A", std::string(model_.title));
  const double setting = round_to_step(amps, range_.amps_step);
  std::lock_guard lock(mutex_);
  select();
  send(render(dialect_.set_amps, output_, setting));
  const double readback = query_number(render(dialect_.query_amps, output_));
  if (std::fabs(readback - setting) >= range_.amps_step / 2)
    link_->fault("CH" + std::to_string(output_) + " current limit reads back " +
                 number(readback, "A") + " after setting " + number(setting, "A"));
}

void ScpiSupply::set_output(bool on) {
  std::lock_guard lock(mutex_);
  select();
  send(render(on ? dialect_.output_on : dialect_.output_off, output_));
  if (query_output_on() != on)
    link_->fault("CH" + std::to_string(output_) + " output reads back " + (on ? "off" : "on") +
                 " after switching it " + (on ? "on" : "off"));
}

SupplyReading ScpiSupply::measure() {
  std::lock_guard lock(mutex_);
  SupplyReading r;
  select();
  r.volts = query_number(render(dialect_.measure_volts, output_));
  r.amps = query_number(render(dialect_.measure_amps, output_));
  r.output_on = query_output_on();
  return r;
}

bool reached_by_address(const SupplySpec& spec) {
  if (spec.driver != "scpi" || !spec.settings.has("port")) return false;
  const std::string port = spec.settings.get_string("port", "");
  return starts_with(port, kTcpScheme) || starts_with(port, kUsbtmcScheme);
}

InstrumentIdentity identify_instrument(const SupplySpec& spec) {
  const Parsed p = parse(spec);
  const auto link = open_link(p.settings.address, framing_for(*p.model, p.settings),
                              p.settings.timeout, spec.id, std::string(p.model->title));
  InstrumentIdentity out;
  out.address = link->address();
  out.model = p.model;
  // The model's pacing, as ScpiSupply::send: a Siglent ignores a command that comes too soon.
  std::this_thread::sleep_for(p.model->dialect->command_gap);
  link->discard_input();
  const std::string command = encode_identify();
  link->write(command);
  const std::string line = link->read_line("the answer to " + printable(command));
  try {
    out.identity = parse_identity(line);
  } catch (const serial::ProtocolError& e) {
    link->fault("garbled answer to *IDN?: " + std::string(e.what()));
  }
  if (!identity_matches(*p.model, out.identity))
    link->fault("answers *IDN? with " +
                quote(out.identity.manufacturer + "," + out.identity.model) + ", which is not a " +
                std::string(p.model->title) + "; check `model:` and `port:`");
  return out;
}

SupplyDriver scpi_driver() {
  SupplyDriver d;
  d.name = "scpi";
  d.summary =
      "SCPI bench supply over serial, raw TCP or USBTMC: Siglent SPD3303X, Rigol DP800, R&S "
      "HMC804x, Keysight E36300 (settings read back)";
  d.simulated = false;
  d.validate = [](const SupplySpec& spec) { parse(spec); };
  d.create = [](const SupplySpec& spec, const DriverContext&) -> std::unique_ptr<PowerSupply> {
    Parsed p = parse(spec);
    return std::make_unique<ScpiSupply>(spec, *p.model, p.settings);
  };
  return d;
}

}  // namespace lockrig::drivers::scpi
