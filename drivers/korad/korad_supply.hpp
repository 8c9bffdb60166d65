// Korad/Tenma KA-series supply driver: the lifecycle on the serial transport. Identity checked
// at open, every setting read back, commands paced by the gap its identity needs.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "drivers/korad/korad_protocol.hpp"
#include "drivers/power_supply.hpp"
#include "drivers/registry.hpp"
#include "drivers/serial/serial_settings.hpp"
#include "drivers/serial/transport.hpp"

namespace lockrig::drivers::korad {

class KoradSupply final : public PowerSupply {
 public:
  KoradSupply(const SupplySpec& spec, const KoradModel& model,
              const serial::SerialSettings& settings);

  // Values outside the model's range are refused with ConfigError before anything is sent.
  void set_voltage(double volts) override;
  void set_current_limit(double amps) override;
  void set_output(bool on) override;
  SupplyReading measure() override;

  const std::string& identity() const { return identity_; }

 private:
  // `long_command`: a setting or STATUS?, after which slow units need a longer pause.
  void send(std::string_view command, bool long_command);
  serial::Bytes query(std::string_view command, std::size_t max, std::string_view waiting_for,
                      bool long_command);
  double query_number(std::string_view command, std::string_view waiting_for);
  bool query_output_on();
  void pace();

  const KoradModel& model_;
  Duration timeout_;
  std::mutex mutex_;
  serial::SerialPort port_;
  std::string identity_;
  unsigned quirks_ = kNoQuirk;  // of the identity row the unit matched
  std::chrono::steady_clock::time_point last_exchange_;
  Duration next_gap_ = kCommandGap;
};

// Registry entry `korad`.
SupplyDriver korad_driver();

}  // namespace lockrig::drivers::korad
