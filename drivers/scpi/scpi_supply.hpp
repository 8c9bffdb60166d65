// SCPI bench supply driver: the lifecycle on a serial line, a raw TCP socket or USBTMC. Identity
// checked at open, over-voltage/over-current protection set from the fixture's limits where the
// model can take a level, every setting read back, commands paced by the dialect's gap.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "drivers/power_supply.hpp"
#include "drivers/registry.hpp"
#include "drivers/scpi/scpi_link.hpp"
#include "drivers/scpi/scpi_protocol.hpp"

namespace lockrig::drivers::scpi {

struct ScpiSettings {
  ScpiAddress address;
  std::string model;
  Duration timeout{};
  std::optional<int> baud;  // serial only
  bool protection = true;   // set OVP/OCP levels from the fixture's limits where supported
};

class ScpiSupply final : public PowerSupply {
 public:
  ScpiSupply(const SupplySpec& spec, const ScpiModel& model, const ScpiSettings& settings);

  // Values outside the output's range are refused with ConfigError before anything is sent.
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
  void select();
  // Sets a level with `set`, switches it on with `enable` and checks it with `query`.
  void protect(std::string_view set, std::string_view enable, std::string_view query, double level,
               double step, const char* what, const char* unit);

  const ScpiModel& model_;
  const ScpiDialect& dialect_;
  int output_;
  const OutputRange& range_;
  std::mutex mutex_;
  std::unique_ptr<ScpiLink> link_;
  std::chrono::steady_clock::time_point last_exchange_;
  Identity identity_;
};

// What `lockrig probe --fixture F` learns from a configured SCPI instrument.
struct InstrumentIdentity {
  std::string address;  // as messages quote it: "tcp://10.0.0.5:5025", "\"/dev/usbtmc0\""
  const ScpiModel* model = nullptr;  // the fixture's `model:`
  Identity identity;
};

// True when the supply is an `scpi` instrument reached by address (`port: tcp://...` or
// `port: usbtmc:...`), not over a serial line.
bool reached_by_address(const SupplySpec& spec);

// Connects as the driver does, waits the model's pause, asks `*IDN?` and returns the answer.
// Changes nothing on the instrument (no protection levels, no output). Throws ConfigError for
// bad settings and a RigFault naming the part and its address when the instrument refuses,
// resets, stays silent, garbles the answer or is not the model the fixture says.
InstrumentIdentity identify_instrument(const SupplySpec& spec);

// Registry entry `scpi`.
SupplyDriver scpi_driver();

}  // namespace lockrig::drivers::scpi
