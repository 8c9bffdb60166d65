// The fixture settings every serial driver shares, and the checks of a fixture against a
// model's table row (channel count, supply range). Only reads Settings: no hardware involved,
// so `lockrig check` runs these too.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "drivers/serial/port_locator.hpp"
#include "drivers/specs.hpp"
#include "rig/base/clock.hpp"
#include "rig/base/settings.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::serial {

inline constexpr Duration kDefaultTimeout = std::chrono::milliseconds(500);

struct SerialSettings {
  PortLocator port;
  std::string model;
  Duration timeout = kDefaultTimeout;
  std::optional<int> baud;  // only where the driver allows overriding its model's rate
};

// Reads `port` | `usb`, `model`, `timeout` (falling back to the fixture-wide `drivers:` block)
// and, if present, `baud`. `model` is required unless `default_model` is given. The caller has
// already rejected unknown keys.
SerialSettings read_serial_settings(const Settings& settings, const Settings& shared,
                                    const std::string& driver,
                                    const std::string& default_model = {});

// The same without `port` | `usb`, for drivers that reach some parts by other means (the SCPI
// driver's TCP and USBTMC addresses); `port` stays empty.
SerialSettings read_settings_except_port(const Settings& settings, const Settings& shared,
                                         const std::string& driver,
                                         const std::string& default_model = {});

// The table row named by `model:`, or a ConfigError listing the known models.
template <class Model>
const Model& find_model(std::span<const Model> models, const SerialSettings& s,
                        const Settings& settings, const std::string& driver) {
  std::vector<std::string> names;
  for (const auto& m : models) {
    if (m.name == s.model) return m;
    names.emplace_back(m.name);
  }
  throw ConfigError(settings.where("model"), "unknown " + driver + " model " + quote(s.model) +
                                                 did_you_mean(s.model, names) + "; known " +
                                                 driver + " models: " + join(names, ", "));
}

// Every channel the fixture wires must exist on the board.
void check_channels(const SwitchBoardSpec& spec, int channel_count, const std::string& title);

// The fixture's limits, nominal setting and output must lie within the model's range: the rig
// enforces the fixture's limits, so those limits must be ones the supply can honour.
void check_supply_range(const SupplySpec& spec, int outputs, double max_volts, double max_amps,
                        const std::string& title);

}  // namespace lockrig::drivers::serial
