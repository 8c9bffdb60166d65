// A lock profile: which GATT service and characteristics carry a lock's unlock exchange, how the
// command is encoded and how the lock's status notification is read. Profiles are pure (no D-Bus):
// the driver moves bytes, the profile gives them meaning, so each profile is testable on its own.
// The built-in `template` profile covers locks with a fixed command layout; a vendor's
// authenticated protocol is another LockProfile (its handshake runs in on_connected()).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drivers/outcome.hpp"
#include "rig/base/settings.hpp"

namespace lockrig::drivers::bluez {

using Bytes = std::vector<std::uint8_t>;

// "81 05 00"; longer values are cut after `max_bytes` with a trailing "…(n bytes)".
std::string to_hex(const Bytes& bytes, std::size_t max_bytes = 32);

// What one status notification says about the command it answers.
struct StatusVerdict {
  LockOutcome outcome = LockOutcome::protocol_error;
  std::string meaning;  // for the result detail; never contains secrets
};

// Result of one GATT operation a profile asked for during its handshake.
struct GattIo {
  std::optional<LockOutcome> failure;  // set when the lock (not the rig) made the operation fail
  Bytes value;                         // what a read returned
  std::string detail;
};

// The link as a profile sees it while connected: reads and writes by characteristic UUID. Rig
// failures are thrown as RigFault by the implementation, never returned.
class GattPort {
 public:
  virtual ~GattPort() = default;
  virtual GattIo read(const std::string& characteristic_uuid) = 0;
  virtual GattIo write(const std::string& characteristic_uuid, const Bytes& value) = 0;
};

class LockProfile {
 public:
  virtual ~LockProfile() = default;

  virtual std::string kind() const = 0;  // the `kind:` that selects it in a fixture
  // Lowercase 128-bit UUIDs (see gatt_uuid.hpp).
  virtual const std::string& service_uuid() const = 0;
  virtual const std::string& command_uuid() const = 0;
  virtual const std::string& status_uuid() const = 0;
  // Write with response (ATT Write Request) or without (Write Command).
  virtual bool write_with_response() const = 0;

  // Once per connection, after the characteristics are found and status notifications are on.
  // nullopt: ready for unlocks. A verdict: the lock refused the handshake (the connect fails with
  // that outcome).
  virtual std::optional<StatusVerdict> on_connected(GattPort& port) {
    (void)port;
    return std::nullopt;
  }

  // The bytes to write for unlock command number `sequence` (1, 2, 3, … per link).
  virtual Bytes unlock_command(std::uint32_t sequence) const = 0;

  // Reads one status notification that arrived after unlock_command(sequence) was written.
  // nullopt: it does not answer this command (a late reply to an earlier one); keep waiting.
  virtual std::optional<StatusVerdict> decode_status(const Bytes& value,
                                                     std::uint32_t sequence) const = 0;
};

// Builds the profile described by a lock's `profile:` block. ConfigError (with file:line:col) for
// an unknown kind or an invalid definition; reads the profile's secret if it references one.
std::unique_ptr<LockProfile> make_lock_profile(const Settings& block);

// Profile kinds make_lock_profile() knows, for messages and docs.
const std::vector<std::string>& lock_profile_kinds();

}  // namespace lockrig::drivers::bluez
