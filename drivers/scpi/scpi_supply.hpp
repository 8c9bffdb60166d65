// SCPI bench supply driver over a serial line: the lifecycle on the serial transport. Identity
// checked at open, every setting read back.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "drivers/power_supply.hpp"
#include "drivers/registry.hpp"
#include "drivers/scpi/scpi_protocol.hpp"
#include "drivers/serial/serial_settings.hpp"
#include "drivers/serial/transport.hpp"

namespace lockrig::drivers::scpi {

class ScpiSupply final : public PowerSupply {
 public:
  ScpiSupply(const SupplySpec& spec, const ScpiModel& model,
             const serial::SerialSettings& settings);

  // Values outside the model's range are refused with ConfigError before anything is sent.
  void set_voltage(double volts) override;
  void set_current_limit(double amps) override;
  void set_output(bool on) override;
  SupplyReading measure() override;

  const Identity& identity() const { return identity_; }

 private:
  void send(const std::string& command);
  std::string query(const std::string& command);
  double query_number(const std::string& command);
  bool query_output_on();

  const ScpiModel& model_;
  int output_;
  Duration timeout_;
  std::mutex mutex_;
  serial::SerialPort port_;
  std::chrono::steady_clock::time_point last_exchange_;
  Identity identity_;
};

// Registry entry `scpi`.
SupplyDriver scpi_driver();

}  // namespace lockrig::drivers::scpi
