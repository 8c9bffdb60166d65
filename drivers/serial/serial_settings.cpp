// Shared settings of the serial drivers (see serial_settings.hpp).
#include "drivers/serial/serial_settings.hpp"

#include <cstdio>

namespace lockrig::drivers::serial {

namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

SerialSettings read_serial_settings(const Settings& settings, const Settings& shared,
                                    const std::string& driver, const std::string& default_model) {
  shared.require_known_keys({"timeout"}, "fixture-wide " + driver + " settings");
  PortLocator port;
  const bool has_port = settings.has("port");
  const bool has_usb = settings.has("usb");
  if (has_port && has_usb)
    throw ConfigError(settings.where("usb"),
                      "give either port or usb, not both (usb picks the port by USB identity)");
  if (has_port) {
    port.path = settings.require_string("port");
    port.where = settings.where("port");
    if (port.path.empty() || port.path.front() != '/')
      throw ConfigError(port.where,
                        "port must be a device path such as /dev/ttyUSB0 or "
                        "/dev/serial/by-id/..., got " +
                            quote(port.path));
  } else if (has_usb) {
    const std::string text = settings.require_string("usb");
    port.where = settings.where("usb");
    port.usb = parse_usb_id(text);
    if (!port.usb)
      throw ConfigError(port.where,
                        "usb must be VID:PID or VID:PID:SERIAL in hex, e.g. "
                        "\"1a86:7523\", got " +
                            quote(text));
  } else {
    throw ConfigError(settings.where(), driver +
                                            " needs `port:` (a device path such as /dev/ttyUSB0 or "
                                            "/dev/serial/by-id/...) or `usb:` (VID:PID[:SERIAL])");
  }
  SerialSettings out = read_settings_except_port(settings, shared, driver, default_model);
  out.port = std::move(port);
  return out;
}

SerialSettings read_settings_except_port(const Settings& settings, const Settings& shared,
                                         const std::string& driver,
                                         const std::string& default_model) {
  shared.require_known_keys({"timeout"}, "fixture-wide " + driver + " settings");
  SerialSettings out;
  out.model = default_model.empty() ? settings.require_string("model")
                                    : settings.get_string("model", default_model);

  out.timeout = settings.get_duration("timeout", shared.get_duration("timeout", kDefaultTimeout));
  if (out.timeout < std::chrono::milliseconds(10) || out.timeout > std::chrono::seconds(60))
    throw ConfigError(settings.has("timeout") ? settings.where("timeout") : shared.where("timeout"),
                      "timeout must be between 10ms and 60s, got " + format_duration(out.timeout));

  if (settings.has("baud")) {
    const long long baud = settings.get_int("baud", 0);
    if (baud < 50 || baud > 4'000'000)
      throw ConfigError(settings.where("baud"),
                        "baud must be a rate between 50 and 4000000, got " + std::to_string(baud));
    out.baud = static_cast<int>(baud);
  }
  return out;
}

void check_channels(const SwitchBoardSpec& spec, int channel_count, const std::string& title) {
  for (const auto& ch : spec.channels)
    if (ch.channel < 1 || ch.channel > channel_count)
      throw ConfigError(ch.where, "channel " + std::to_string(ch.channel) + " of " +
                                      quote(ch.name) + " does not exist: the " + title +
                                      " has channels 1.." + std::to_string(channel_count));
}

void check_supply_range(const SupplySpec& spec, int outputs, double max_volts, double max_amps,
                        const std::string& title) {
  if (spec.output < 1 || spec.output > outputs)
    throw ConfigError(spec.where, "output " + std::to_string(spec.output) +
                                      " does not exist: the " + title + " has outputs 1.." +
                                      std::to_string(outputs));
  auto within = [&](double value, double limit, const char* what, const char* unit) {
    if (value < 0 || value > limit)
      throw ConfigError(spec.where, std::string(what) + " " + number(value) + " " + unit +
                                        " is beyond the " + title + "'s range 0.." + number(limit) +
                                        " " + unit);
  };
  within(spec.max_volts, max_volts, "max voltage", "V");
  within(spec.nominal_volts, max_volts, "nominal voltage", "V");
  within(spec.max_amps, max_amps, "max current", "A");
  within(spec.nominal_amps, max_amps, "nominal current", "A");
}

}  // namespace lockrig::drivers::serial
