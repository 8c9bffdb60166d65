// Error attribution: which failures reported by BlueZ (or by the bus on its way to BlueZ) are the
// lock's doing, and which are the rig's own BLE stack failing. Pure: the table is testable without
// D-Bus, and drivers/bluez/README.md documents it row by row.
#pragma once

#include <string>
#include <vector>

#include "drivers/outcome.hpp"

namespace lockrig::drivers::bluez {

// What the driver was doing when the error came back. The same error name means different things
// depending on the object it was sent to: UnknownObject on the adapter means the adapter is gone,
// on a characteristic it means the lock dropped the link and BlueZ removed its GATT objects.
enum class BluezStep {
  enumerate,      // ObjectManager.GetManagedObjects, Properties.Get on BlueZ objects
  adapter,        // SetDiscoveryFilter, StartDiscovery, StopDiscovery
  remove_device,  // Adapter1.RemoveDevice (DoesNotExist there means: already removed)
  connect,        // Device1.Connect
  notify_setup,   // GattCharacteristic1.StartNotify on the status characteristic
  command_write,  // GattCharacteristic1.WriteValue of the unlock command
  read_value,     // GattCharacteristic1.ReadValue (identity, profile handshakes)
  disconnect,     // Device1.Disconnect
};

struct BluezError {
  std::string name;     // D-Bus error name, e.g. "org.bluez.Error.Failed"
  std::string message;  // e.g. "le-connection-abort-by-local"
  // Our own deadline for the call had passed when it failed (a timeout we imposed, as opposed to
  // the bus or bluetoothd answering early with NoReply).
  bool deadline_passed = false;
};

enum class Verdict {
  lock_outcome,   // record `outcome` for the attempt
  rig_fault,      // throw RigFault(component, reason)
  already_done,   // e.g. AlreadyConnected on Connect: carry on as if it succeeded
  recover_stale,  // BlueZ holds a stuck operation for the device: remove it and rediscover
  retry_once,     // a transient of the local stack: retry once, then decide on the evidence
  // Connect failed in the way BlueZ reports every failed LE connection (abort-by-local): wait for
  // Connected=false, back off, retry; if it persists, a lock outcome (`outcome`) unless the adapter
  // health check fails (issue 12, item 2).
  retry_connect,
  // The lock wants a bond (encryption/authentication) the rig does not hold: neither the lock's
  // failure nor a broken BLE stack, its own cause (RigFault component "ble-bond").
  bond_problem,
};

struct Attribution {
  Verdict verdict = Verdict::rig_fault;
  LockOutcome outcome = LockOutcome::protocol_error;  // lock_outcome; retry_connect when it persists
  std::string component;  // meaningful for rig_fault: "bluetoothd", "ble-adapter", "dbus"
  std::string reason;     // one sentence for the result detail or the fault message
  // The error is in no row of the table: `reason` carries it verbatim and the attribution is the
  // conservative default of the step (a lock outcome over the air, never a silent rig fault).
  bool unrecognised = false;
  // BlueZ answers a GATT request that died with the link before it signals Connected=false
  // (ATT 0x0e "unlikely error"): look at the link before believing the lock failed the request.
  bool link_may_drop = false;
};

Attribution attribute_bluez_error(const BluezError& error, BluezStep step);

// The table's rows that come from BlueZ's source, for documentation and for the tests that pin
// them: every `Failed` message Device1.Connect sends (BlueZ >= 5.62 and the strerror() form before)
// and every GATT error name/message gatt-client.c builds from an ATT error code.
struct KnownBluezError {
  BluezStep step;
  const char* name;
  const char* message;          // as BlueZ >= 5.62 sends it
  const char* before_5_62;      // the same failure before 5.62 ("" when unchanged)
  const char* bluez_source;     // file:line in BlueZ 5.66
  Verdict verdict;
  LockOutcome outcome;          // for lock_outcome / retry_connect
  const char* component;        // for rig_fault
};
const std::vector<KnownBluezError>& known_bluez_errors();

const char* step_name(BluezStep step);

}  // namespace lockrig::drivers::bluez
