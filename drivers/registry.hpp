// Maps the driver names written in fixtures to implementations. The built-in table is in
// drivers/builtin.cpp; unknown names are configuration errors listing the known ones.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "drivers/bench_view.hpp"
#include "drivers/lock_link.hpp"
#include "drivers/power_supply.hpp"
#include "drivers/specs.hpp"
#include "drivers/switch_board.hpp"
#include "rig/base/clock.hpp"

namespace lockrig::drivers {

// What a driver instance gets besides its spec.
struct DriverContext {
  Clock& clock;             // the clock of the worker that will call the instance
  const BenchView* bench;   // never null during a run
  std::uint64_t seed = 0;   // run seed, for drivers with simulated randomness
};

template <class Interface, class Spec>
struct DriverEntry {
  std::string name;
  std::string summary;  // one line for --help and error messages
  bool simulated = false;  // true: may run on the virtual clock
  // Checks the spec's settings without touching hardware (used by `lockrig check`).
  std::function<void(const Spec&)> validate;
  std::function<std::unique_ptr<Interface>(const Spec&, const DriverContext&)> create;
};

using LockDriver = DriverEntry<LockLink, LockSpec>;
using SwitchDriver = DriverEntry<SwitchBoard, SwitchBoardSpec>;
using SupplyDriver = DriverEntry<PowerSupply, SupplySpec>;

class DriverRegistry {
 public:
  void add(LockDriver d);
  void add(SwitchDriver d);
  void add(SupplyDriver d);

  // Throw ConfigError at `where` naming the closest known driver and listing all of them.
  const LockDriver& lock_driver(const std::string& name, const SourceLocation& where) const;
  const SwitchDriver& switch_driver(const std::string& name, const SourceLocation& where) const;
  const SupplyDriver& supply_driver(const std::string& name, const SourceLocation& where) const;

  std::vector<std::string> lock_driver_names() const;
  std::vector<std::string> switch_driver_names() const;
  std::vector<std::string> supply_driver_names() const;

 private:
  std::vector<LockDriver> locks_;
  std::vector<SwitchDriver> switches_;
  std::vector<SupplyDriver> supplies_;
};

// Every driver this build of lockrig has: the one explicit table (drivers/builtin.cpp).
const DriverRegistry& builtin_drivers();

}  // namespace lockrig::drivers
