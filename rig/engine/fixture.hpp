// Fixture files describe one physical rig as passive data: its locks, relay channels and
// supplies, and how to reach each (driver + settings). See README.md "Fixture files".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "drivers/registry.hpp"
#include "drivers/specs.hpp"

namespace lockrig {

enum class RigFaultPolicy {
  abort,       // stop the whole run (exit 3)
  quarantine,  // stop the locks sharing hardware with the fault, finish the rest (exit 3)
  carry_on,    // record it, drop the rest of the faulted plan item, keep going (exit 3)
};

// `select_build:` - how the rig puts a given build on a lock, for `lockrig run --until-decided`,
// which alternates the baseline and candidate builds between blocks. The command is exec'd
// directly (no shell) once per lock before each block, with {lock}, {slot} and {build} replaced
// in its arguments; a non-zero exit, a signal or the timeout is a rig fault. See
// docs/sequential.md.
struct BuildSelectHook {
  std::vector<std::string> command;  // argv template, command[0] looked up in PATH
  Duration timeout = std::chrono::seconds(120);
  SourceLocation where;

  // The argv for one lock and build, placeholders replaced (nothing else is interpreted).
  std::vector<std::string> argv(const drivers::LockSpec& lock, const std::string& build) const;
};

struct Fixture {
  std::string rig;
  std::string description;
  RigFaultPolicy on_rig_fault = RigFaultPolicy::quarantine;
  std::vector<drivers::LockSpec> locks;
  std::vector<drivers::SwitchBoardSpec> switches;
  std::vector<drivers::SupplySpec> supplies;
  std::vector<drivers::AttenuatorSpec> attenuators;  // issue 14: rig/engine/attenuators.hpp
  std::optional<BuildSelectHook> select_build;

  std::string source;  // file name as given (or "<embedded>/fixtures/...")
  std::string sha256;  // of the file's bytes

  const drivers::LockSpec* find_lock(const std::string& id) const;
  std::vector<std::string> lock_ids() const;
  std::vector<std::string> channel_names() const;  // distinct, in declaration order
  std::vector<std::string> supply_names() const;
  bool lock_has_channel(const std::string& lock_id, const std::string& name) const;
  const drivers::SupplySpec* supply_for(const std::string& lock_id, const std::string& name) const;
  // The attenuator named `name` in front of `lock_id`, or null.
  const drivers::AttenuatorSpec* attenuator_for(const std::string& lock_id,
                                                const std::string& name) const;
};

// Door materials lockrig knows as strata. A typo ("steal") is an error suggesting the right one.
const std::vector<std::string>& known_materials();

Fixture parse_fixture(const std::string& text, const std::string& source);
// Reads and parses a file path, or an embedded file when the path starts with "<embedded>/".
Fixture load_fixture(const std::string& path);
// Resolves every driver name and runs each driver's settings validation.
void validate_fixture_drivers(const Fixture& fixture, const drivers::DriverRegistry& registry);

}  // namespace lockrig
