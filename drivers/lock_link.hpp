// The lock-link interface: how the runner talks to one lock, whatever the transport
// (simulated, BlueZ over D-Bus, an app driven by an external command).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "drivers/outcome.hpp"
#include "rig/base/clock.hpp"

namespace lockrig::drivers {

struct ConnectResult {
  LockOutcome outcome = LockOutcome::success;  // success = connected
  Duration elapsed{0};
  std::optional<int> rssi_dbm;
  std::string detail;
};

struct UnlockResult {
  LockOutcome outcome = LockOutcome::success;
  Duration latency{0};  // from just before the command was sent to the confirmation/failure
  std::optional<int> rssi_dbm;
  std::string detail;
};

struct LockIdentity {
  std::string firmware;  // e.g. DIS Firmware Revision String (0x2A26)
  std::string model;     // DIS Model Number String (0x2A24)
  std::string manufacturer;
  // Version of the unlock client when unlocks go through one (an app build driven by the
  // `command` link); the runner journals it as the run's `app` label unless --label app= is given.
  std::string client_version;
};

// Lifecycle: connect → unlock* → disconnect, repeatable. Lock behaviour is reported through
// results; a failure of the rig itself is thrown as RigFault. Calls are made from one thread.
class LockLink {
 public:
  virtual ~LockLink() = default;

  virtual ConnectResult connect(Duration timeout) = 0;
  virtual bool connected() const = 0;
  // Precondition: connected(). The timeout is the time left in the session's budget.
  virtual UnlockResult unlock(Duration timeout) = 0;
  virtual void disconnect() = 0;

  // Reads the identity from the lock itself (connecting if needed). nullopt if unreachable.
  virtual std::optional<LockIdentity> identity(Duration timeout) = 0;
  // Whether the lock is currently visible (advertising), looking for at most `window`.
  virtual bool advertising(Duration window) = 0;

  // The runner is about to run one plan item (a repetition of a scenario) on this lock.
  // Drivers with simulated randomness reseed here from (run seed, lock, scenario, repetition),
  // so an item's outcome never depends on where earlier work was cut: a run resumed after a
  // crash journals what an uninterrupted run with the same seed would. Real drivers ignore it.
  virtual void begin_item(std::string_view /*scenario*/, int /*repetition*/) {}

  // The rig has just put a (possibly different) build on this lock (`run --until-decided`'s
  // select_build), before identity() is read. A driver whose stack caches what the lock
  // exposes (BlueZ keeps the GATT tree across connections) refreshes that cache before it next
  // talks to the lock, so the firmware label and the handles it uses are the new build's.
  virtual void build_changed() {}
};

}  // namespace lockrig::drivers
