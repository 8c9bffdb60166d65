// Fixture parts for the serial end-to-end tests: specs as the fixture parser would hand them to
// the drivers, and drivers created through the registry exactly as the rig creates them.
#pragma once

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "drivers/registry.hpp"
#include "drivers/rig_fault.hpp"
#include "drivers/serial/register.hpp"

namespace lockrig::testing {

inline drivers::SwitchBoardSpec board_spec(const std::string& driver, const std::string& yaml) {
  drivers::SwitchBoardSpec spec;
  spec.id = "relays";
  spec.driver = driver;
  spec.settings = Settings(YAML::Load(yaml), "bench.yaml");
  return spec;
}

inline drivers::SupplySpec supply_spec(const std::string& driver, const std::string& yaml,
                                       int output = 1) {
  drivers::SupplySpec spec;
  spec.id = "vbat";
  spec.name = "vbat";
  spec.driver = driver;
  spec.output = output;
  spec.nominal_volts = 3.0;
  spec.nominal_amps = 0.5;
  spec.max_volts = 3.3;
  spec.max_amps = 1.0;
  spec.settings = Settings(YAML::Load(yaml), "bench.yaml");
  return spec;
}

inline const drivers::DriverRegistry& serial_registry() {
  static const drivers::DriverRegistry registry = [] {
    drivers::DriverRegistry r;
    drivers::register_serial_drivers(r);
    return r;
  }();
  return registry;
}

inline std::unique_ptr<drivers::SwitchBoard> open_board(const drivers::SwitchBoardSpec& spec) {
  static RealClock clock;
  const auto& entry = serial_registry().switch_driver(spec.driver, {});
  entry.validate(spec);
  return entry.create(spec, drivers::DriverContext{clock, nullptr, 0});
}

inline std::unique_ptr<drivers::PowerSupply> open_supply(const drivers::SupplySpec& spec) {
  static RealClock clock;
  const auto& entry = serial_registry().supply_driver(spec.driver, {});
  entry.validate(spec);
  return entry.create(spec, drivers::DriverContext{clock, nullptr, 0});
}

struct Fault {
  std::string message;  // empty when nothing was thrown
  std::string component;
  std::chrono::milliseconds elapsed{0};
};

// Runs `f`, expecting a RigFault; returns what it said and how long it took to say it.
inline Fault rig_fault_from(const std::function<void()>& f) {
  const auto start = std::chrono::steady_clock::now();
  Fault fault;
  try {
    f();
  } catch (const drivers::RigFault& e) {
    fault.message = e.what();
    fault.component = e.component();
  }
  fault.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return fault;
}

inline bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace lockrig::testing
