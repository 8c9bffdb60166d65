// The `command` lock link: app-driven unlocks. Each unlock runs an external program (a wrapper
// around adb, a UI-test runner, …) that drives the phone app build under test and prints one
// JSON line with what happened. The rules for what is a lock outcome and what is a rig fault are
// in drivers/command/README.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "drivers/lock_link.hpp"
#include "drivers/specs.hpp"

namespace lockrig::drivers::command {

struct CommandConfig {
  // argv templates; placeholders {lock_id}, {timeout_ms} and {attempt} are replaced per run.
  std::vector<std::string> program;
  std::vector<std::string> version_command;      // prints the app build's version
  std::vector<std::string> advertising_command;  // exit 0: lock visible, 1: not visible
  // Extra time past the session budget before a silent harness counts as hung.
  Duration overrun_grace = std::chrono::seconds(2);
  Duration term_grace = std::chrono::milliseconds(500);
  Duration version_timeout = std::chrono::seconds(10);
  bool overrun_is_timeout = false;  // on_overrun: timeout (default: rig_fault)
};

// The lock's settings over the fixture's drivers.command block (same keys; the lock wins).
// ConfigError when the program cannot be found or a key is invalid.
CommandConfig parse_command_config(const LockSpec& spec);

class CommandLockLink final : public LockLink {
 public:
  CommandLockLink(std::string lock_id, CommandConfig config);

  // The app owns its BLE connection, so there is nothing to set up: connect() only marks the
  // link usable.
  ConnectResult connect(Duration timeout) override;
  bool connected() const override { return connected_; }
  UnlockResult unlock(Duration timeout) override;
  void disconnect() override { connected_ = false; }
  // client_version from version_command; firmware, model and manufacturer stay empty.
  std::optional<LockIdentity> identity(Duration timeout) override;
  // Runs advertising_command; without one the link cannot tell and answers true.
  bool advertising(Duration window) override;

 private:
  std::vector<std::string> expand(const std::vector<std::string>& templ, Duration timeout) const;

  std::string lock_id_;
  CommandConfig config_;
  bool connected_ = false;
  unsigned attempt_ = 0;
};

}  // namespace lockrig::drivers::command
