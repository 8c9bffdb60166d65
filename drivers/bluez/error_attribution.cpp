// The attribution table. Keep drivers/bluez/README.md ("Error attribution") in step with it.
#include "drivers/bluez/error_attribution.hpp"

#include <initializer_list>
#include <string_view>

namespace lockrig::drivers::bluez {

namespace {

bool one_of(std::string_view s, std::initializer_list<std::string_view> options) {
  for (auto o : options)
    if (s == o) return true;
  return false;
}

bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

bool gatt_step(BluezStep s) {
  return s == BluezStep::notify_setup || s == BluezStep::command_write ||
         s == BluezStep::read_value;
}

// Calls to the adapter object.
bool adapter_step(BluezStep s) {
  return s == BluezStep::adapter || s == BluezStep::remove_device;
}

// Steps where the other end of the wait is the lock, so running out of our deadline is the
// lock's timeout rather than bluetoothd failing to answer.
bool over_the_air(BluezStep s) {
  return s == BluezStep::connect || gatt_step(s);
}

Attribution lock(LockOutcome o, std::string reason) {
  return {Verdict::lock_outcome, o, "", std::move(reason)};
}
Attribution fault(std::string component, std::string reason) {
  return {Verdict::rig_fault, LockOutcome::protocol_error, std::move(component), std::move(reason)};
}
Attribution verdict(Verdict v, std::string reason) {
  return {v, LockOutcome::protocol_error, "", std::move(reason)};
}

// ATT errors a lock returns for "you are not allowed": insufficient authentication (0x05),
// authorization (0x08), encryption key size (0x0c) and encryption (0x0f).
bool att_refusal(std::string_view message) {
  auto at = message.find("ATT error: 0x");
  if (at == std::string_view::npos) return false;
  std::string_view code = message.substr(at + 13, 2);
  return one_of(code, {"05", "08", "0c", "0f", "0C", "0F"});
}

Attribution failed_on_connect(const std::string& m, const std::string& what) {
  if (one_of(m, {"le-connection-abort-by-local", "Software caused connection abort",
                 "le-connection-unknown"}))
    return verdict(Verdict::retry_once,
                   "the local controller aborted the connection attempt (" + m + ")");
  if (one_of(m, {"le-already-connected"})) return verdict(Verdict::already_done, m);
  if (one_of(m, {"le-connection-abort-by-remote", "Connection reset by peer"}))
    return lock(LockOutcome::disconnected,
                "the lock dropped the connection while it was set up (" + m + ")");
  if (one_of(m, {"le-connection-timeout", "Connection timed out", "Host is down",
                 "br-connection-page-timeout"}))
    return lock(LockOutcome::not_found,
                "the lock did not answer the connection request (" + m + ")");
  if (one_of(m, {"le-refused", "Connection refused", "le-connection-key-missing"}))
    return lock(LockOutcome::rejected, "the lock refused the connection (" + m + ")");
  if (one_of(m, {"le-connection-link-layer-protocol-error", "le-connection-gatt-browsing"}))
    return lock(LockOutcome::protocol_error,
                "the connection failed in the lock's protocol (" + m + ")");
  if (one_of(m, {"le-adapter-not-powered", "le-not-supported", "le-bad-socket",
                 "le-memory-allocation", "le-create-socket", "le-busy",
                 "le-connection-link-limit-reached", "le-invalid-arguments"}))
    return fault("ble-adapter", "the local adapter could not connect (" + m + ")");
  return fault("bluetoothd", "unrecognised " + what + " from Device1.Connect: " + m);
}

}  // namespace

const char* step_name(BluezStep step) {
  switch (step) {
    case BluezStep::enumerate:
      return "reading BlueZ objects";
    case BluezStep::adapter:
      return "controlling the adapter";
    case BluezStep::remove_device:
      return "removing a device from the adapter";
    case BluezStep::connect:
      return "connecting";
    case BluezStep::notify_setup:
      return "enabling status notifications";
    case BluezStep::command_write:
      return "writing the unlock command";
    case BluezStep::read_value:
      return "reading a characteristic";
    case BluezStep::disconnect:
      return "disconnecting";
  }
  return "talking to BlueZ";
}

Attribution attribute_bluez_error(const BluezError& e, BluezStep step) {
  const std::string& n = e.name;
  const std::string& m = e.message;
  const std::string what = n + (m.empty() ? "" : ": " + m);
  const std::string doing = step_name(step);

  // The bus and the daemon behind org.bluez: never the lock.
  if (one_of(n, {"org.freedesktop.DBus.Error.ServiceUnknown",
                 "org.freedesktop.DBus.Error.NameHasNoOwner"}))
    return fault("bluetoothd", "bluetoothd is not on the system bus (" + what + ")");
  if (one_of(n, {"org.freedesktop.DBus.Error.Disconnected", "System.Error.ENOTCONN",
                 "System.Error.ECONNRESET", "System.Error.EPIPE"}))
    return fault("dbus", "lost the system bus connection while " + doing + " (" + what + ")");
  if (n == "org.freedesktop.DBus.Error.AccessDenied")
    return fault("dbus", "the bus policy refused a call to BlueZ (" + what +
                             "); run as root or as a user the BlueZ D-Bus policy allows");
  if (one_of(n, {"org.freedesktop.DBus.Error.NoReply", "org.freedesktop.DBus.Error.Timeout",
                 "System.Error.ETIMEDOUT"})) {
    if (e.deadline_passed && over_the_air(step))
      return lock(LockOutcome::timeout,
                  "the lock did not finish " + doing + " before the deadline");
    return fault("bluetoothd", "bluetoothd did not answer while " + doing + " (" + what + ")");
  }

  // Objects that vanished: what vanished depends on where the call went.
  if (one_of(n, {"org.freedesktop.DBus.Error.UnknownObject",
                 "org.freedesktop.DBus.Error.UnknownMethod",
                 "org.freedesktop.DBus.Error.UnknownInterface", "org.bluez.Error.DoesNotExist"})) {
    switch (step) {
      case BluezStep::enumerate:
        return fault("bluetoothd", "BlueZ does not export its object tree (" + what + ")");
      case BluezStep::remove_device:
        // Adapter1.RemoveDevice answers DoesNotExist for a device it no longer holds.
        if (n == "org.bluez.Error.DoesNotExist")
          return verdict(Verdict::already_done, "the device was already removed");
        return fault("ble-adapter", "the adapter is gone (" + what + ")");
      case BluezStep::adapter:
        return fault("ble-adapter", "the adapter is gone (" + what + ")");
      case BluezStep::connect:
        return lock(LockOutcome::not_found, "BlueZ no longer knows the lock (" + what + ")");
      case BluezStep::disconnect:
        return verdict(Verdict::already_done, "the device is already gone");
      default:
        return lock(LockOutcome::disconnected,
                    "the lock's GATT objects disappeared while " + doing + ": the link dropped");
    }
  }

  if (n == "org.bluez.Error.NotReady")
    return fault("ble-adapter",
                 "the adapter is not ready (powered off or resetting; check "
                 "`bluetoothctl show` and `rfkill list`) (" +
                     what + ")");
  if (n == "org.bluez.Error.InProgress") {
    if (step == BluezStep::connect)
      return verdict(Verdict::recover_stale, "BlueZ reports an operation in progress for the lock");
    if (adapter_step(step) || step == BluezStep::disconnect)
      return verdict(Verdict::already_done, "already in progress");
    return verdict(Verdict::retry_once, "BlueZ reports " + doing + " already in progress");
  }
  if (one_of(n, {"org.bluez.Error.AlreadyConnected", "org.bluez.Error.AlreadyExists"}))
    return verdict(Verdict::already_done, what);
  if (n == "org.bluez.Error.NotConnected") {
    if (step == BluezStep::disconnect) return verdict(Verdict::already_done, "not connected");
    return lock(LockOutcome::disconnected, "the link dropped while " + doing);
  }
  if (one_of(n,
             {"org.bluez.Error.NotAuthorized", "org.bluez.Error.AuthenticationFailed",
              "org.bluez.Error.AuthenticationRejected", "org.bluez.Error.AuthenticationCanceled"}))
    return lock(LockOutcome::rejected, "the lock refused " + doing + " (" + what + ")");
  if (n == "org.bluez.Error.AuthenticationTimeout")
    return lock(LockOutcome::timeout, "the lock did not complete authentication (" + what + ")");
  // An error name of its own (not a Failed message); BlueZ uses it when a link could not be
  // set up, which on Connect means the lock did not answer.
  if (n == "org.bluez.Error.ConnectionAttemptFailed") {
    if (step == BluezStep::connect)
      return lock(LockOutcome::not_found,
                  "the lock did not answer the connection request (" + what + ")");
    if (gatt_step(step))
      return lock(LockOutcome::protocol_error, "the lock failed " + doing + " (" + what + ")");
  }
  if (one_of(n, {"org.bluez.Error.NotPermitted", "org.bluez.Error.InvalidValueLength",
                 "org.bluez.Error.InvalidOffset"}) ||
      (n == "org.bluez.Error.NotSupported" && gatt_step(step)))
    return lock(LockOutcome::protocol_error, "the lock's characteristic does not accept " + doing +
                                                 " (" + what +
                                                 "); check the profile's UUIDs and write type");
  if (n == "org.bluez.Error.NotSupported")
    return fault("ble-adapter", "the adapter does not support " + doing + " (" + what + ")");
  if (n == "org.bluez.Error.InvalidArguments")
    return fault("bluetoothd",
                 "BlueZ rejected the driver's arguments while " + doing + " (" + what + ")");

  if (n == "org.bluez.Error.Failed") {
    switch (step) {
      case BluezStep::connect:
        return failed_on_connect(m, "failure");
      case BluezStep::adapter:
      case BluezStep::remove_device:
        if (contains(m, "No discovery started")) return verdict(Verdict::already_done, m);
        return fault("ble-adapter", "the adapter failed while " + doing + " (" + m + ")");
      case BluezStep::enumerate:
        return fault("bluetoothd", "BlueZ failed while " + doing + " (" + m + ")");
      case BluezStep::disconnect:
        return verdict(Verdict::already_done, m);
      default:
        if (contains(m, "Not connected") || contains(m, "not connected"))
          return lock(LockOutcome::disconnected,
                      "the link dropped while " + doing + " (" + m + ")");
        if (att_refusal(m))
          return lock(LockOutcome::rejected, "the lock refused " + doing + " (" + m + ")");
        // Once connected, the lock is the other party of every GATT operation.
        return lock(LockOutcome::protocol_error, "the lock failed " + doing + " (" + m + ")");
    }
  }

  return fault("bluetoothd", "unexpected error while " + doing + " (" + what + ")");
}

}  // namespace lockrig::drivers::bluez
