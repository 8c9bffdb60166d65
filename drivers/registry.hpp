// Maps the driver names written in fixtures to implementations. The built-in table is in
// drivers/builtin.cpp; unknown names are configuration errors listing the known ones.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "drivers/attenuator.hpp"
#include "drivers/bench_view.hpp"
#include "drivers/lock_link.hpp"
#include "drivers/power_supply.hpp"
#include "drivers/specs.hpp"
#include "drivers/switch_board.hpp"
#include "rig/base/clock.hpp"

namespace lockrig::drivers {

// The builds put on locks by `lockrig run --until-decided`, for lock drivers that switch a lock's
// build themselves (LockDriver::selects_build: the simulated flash). Owned by whoever switches
// builds (one per series of runs, never process-global) and handed to the drivers' `create`
// through DriverContext::builds. Thread-safe.
class SelectedBuilds {
 public:
  void select(const std::string& lock_id, const std::string& build);
  void clear();
  // The build selected for the lock; nullopt: none (the lock runs as configured).
  std::optional<std::string> build_of(const std::string& lock_id) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> builds_;  // lock id -> build
};

// What a driver instance gets besides its spec.
struct DriverContext {
  Clock& clock;             // the clock of the worker that will call the instance
  const BenchView* bench;   // never null during a run
  std::uint64_t seed = 0;   // run seed, for drivers with simulated randomness
  // Builds selected for locks (run --until-decided); null or no entry: the lock as configured.
  // Read only by lock drivers with `selects_build`.
  const SelectedBuilds* builds = nullptr;
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

struct LockDriver : DriverEntry<LockLink, LockSpec> {
  // Capability: the driver switches a lock to the build in DriverContext::builds itself when it
  // creates the lock (the simulated flash). A driver without it needs the fixture's
  // `select_build` hook to have flashed the real lock for `lockrig run --until-decided`.
  bool selects_build = false;
};
using SwitchDriver = DriverEntry<SwitchBoard, SwitchBoardSpec>;
using SupplyDriver = DriverEntry<PowerSupply, SupplySpec>;
using AttenuatorDriver = DriverEntry<Attenuator, AttenuatorSpec>;  // issue 14

// `lockrig probe`: what one driver family can find around a new rig (BLE adapters and the locks
// on air, serial ports with their USB identities...), so a fixture can be written without
// reading code. The CLI builds the command's options and help from these entries.
struct ProbeOption {
  std::string name;         // long name: "adapter" is --adapter
  std::string help;         // for `lockrig probe --help`
  bool takes_value = true;  // false: a switch
  std::optional<std::string> default_value;
};
// A family's options as given: name -> value, or the default; a switch only when given ("").
using ProbeArgs = std::map<std::string, std::string>;

// The parts a fixture configures, for `lockrig probe --fixture F` (the CLI loads and validates
// the fixture; drivers never read files).
struct ConfiguredParts {
  std::string fixture;  // as given, for headings
  std::vector<LockSpec> locks;
  std::vector<SwitchBoardSpec> switches;
  std::vector<SupplySpec> supplies;
};

struct ProbeEntry {
  std::string family;  // "BLE": "BLE: unavailable: <reason>" on stderr when its scan fails
  // What it lists, completing "Lists what a new rig can reach: " in `lockrig probe --help`
  // (which wraps the text). Empty for a family that only contacts.
  std::string lists;
  std::vector<ProbeOption> options;  // its own options, in --help order
  ProbeOption skip;                  // the switch that leaves the family out (--no-ble)
  // Checks the options before any family scans; throws UsageError. May be empty.
  std::function<void(const ProbeArgs&)> check;
  // Prints what the family finds on stdout (progress on stderr). Throws RigFault when the
  // family's stack is unavailable, UsageError when an option names something it does not have.
  // May be empty (a family that finds nothing by itself, such as network instruments).
  std::function<void(const ProbeArgs&)> scan;
  // `lockrig probe --fixture F`: contacts each part of the fixture this family reaches, printing
  // its identity, or the rig fault that names the part and its address, on stdout; returns how
  // many parts failed. Gets the family's own options. Empty: the family has nothing to contact.
  std::function<int(const ConfiguredParts&, const ProbeArgs&)> contact;
  // What `contact` reaches, completing "With --fixture F, contacts " in the help, as `lists`.
  std::string contacts;
};

class DriverRegistry {
 public:
  void add(LockDriver d);
  void add(SwitchDriver d);
  void add(SupplyDriver d);
  void add(AttenuatorDriver d);
  void add(ProbeEntry p);

  // Throw ConfigError at `where` naming the closest known driver and listing all of them.
  const LockDriver& lock_driver(const std::string& name, const SourceLocation& where) const;
  const SwitchDriver& switch_driver(const std::string& name, const SourceLocation& where) const;
  const SupplyDriver& supply_driver(const std::string& name, const SourceLocation& where) const;
  const AttenuatorDriver& attenuator_driver(const std::string& name,
                                            const SourceLocation& where) const;

  std::vector<std::string> lock_driver_names() const;
  std::vector<std::string> switch_driver_names() const;
  std::vector<std::string> supply_driver_names() const;
  std::vector<std::string> attenuator_driver_names() const;

  // The families `lockrig probe` asks to scan, in registration order.
  const std::vector<ProbeEntry>& probes() const { return probes_; }

 private:
  std::vector<LockDriver> locks_;
  std::vector<SwitchDriver> switches_;
  std::vector<SupplyDriver> supplies_;
  std::vector<AttenuatorDriver> attenuators_;
  std::vector<ProbeEntry> probes_;
};

// Every driver this build of lockrig has: the one explicit table (drivers/builtin.cpp).
const DriverRegistry& builtin_drivers();

}  // namespace lockrig::drivers
