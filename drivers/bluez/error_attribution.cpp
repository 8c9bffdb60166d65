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

using K = KnownBluezError;
constexpr auto L = Verdict::lock_outcome;
constexpr auto F = Verdict::rig_fault;
constexpr auto D = Verdict::already_done;
constexpr auto R = Verdict::retry_connect;
constexpr auto B = Verdict::bond_problem;
constexpr auto T = Verdict::retry_once;
constexpr auto C = BluezStep::connect;
constexpr auto W = BluezStep::command_write;  // stands for every GATT step
constexpr auto PE = LockOutcome::protocol_error;

// Issue 12, item 1. Read from BlueZ 5.66 (Debian 12): Device1.Connect answers
// org.bluez.Error.Failed with btd_error_le_conn_from_errno() (src/error.c:178-216, strings in
// src/error.h:49-66); before 5.62 the same call answered strerror(-err) (src/device.c of 5.61,
// btd_error_failed(msg, strerror(-err))). Every LE connect that fails at the ATT socket is turned
// into ECONNABORTED (src/device.c:5353-5370) and so reaches the caller as
// le-connection-abort-by-local (src/device.c:5402-5404). GATT calls map ATT error codes to names in
// create_gatt_dbus_error (src/gatt-client.c:269-293); the messages of the fixed names are in
// src/error.c:24-128.
const std::vector<KnownBluezError> kTable = {
    {C, "org.bluez.Error.Failed", "le-connection-invalid-arguments", "Invalid argument",
     "src/error.c:182-183", F, PE, "bluetoothd"},
    {C, "org.bluez.Error.Failed", "le-connection-adapter-not-powered", "No route to host",
     "src/error.c:184-185", F, PE, "ble-adapter"},
    {C, "org.bluez.Error.Failed", "le-connection-not-supported", "Operation not supported",
     "src/error.c:186-188", F, PE, "ble-adapter"},
    {C, "org.bluez.Error.Failed", "le-connection-already-connected",
     "Transport endpoint is already connected", "src/error.c:189-191", D, PE, ""},
    {C, "org.bluez.Error.Failed", "le-connection-bad-socket", "File descriptor in bad state",
     "src/error.c:192-193", F, PE, "ble-adapter"},
    {C, "org.bluez.Error.Failed", "le-connection-memory-allocation", "Cannot allocate memory",
     "src/error.c:194-195", F, PE, "bluetoothd"},
    {C, "org.bluez.Error.Failed", "le-connection-busy", "Device or resource busy",
     "src/error.c:196-197", F, PE, "ble-adapter"},
    {C, "org.bluez.Error.Failed", "le-connection-refused", "Connection refused",
     "src/error.c:198-199", L, LockOutcome::rejected, ""},
    {C, "org.bluez.Error.Failed", "le-connection-create-socket", "Input/output error",
     "src/error.c:200-201", F, PE, "ble-adapter"},
    {C, "org.bluez.Error.Failed", "le-connection-timeout", "Connection timed out",
     "src/error.c:202-203", L, LockOutcome::not_found, ""},
    {C, "org.bluez.Error.Failed", "le-connection-concurrent-connection-limit", "Too many links",
     "src/error.c:204-205", F, PE, "ble-adapter"},
    {C, "org.bluez.Error.Failed", "le-connection-abort-by-remote", "Connection reset by peer",
     "src/error.c:206-207", L, LockOutcome::disconnected, ""},
    {C, "org.bluez.Error.Failed", "le-connection-abort-by-local", "Software caused connection abort",
     "src/error.c:208-209, src/device.c:5353-5370,5402-5404", R, LockOutcome::not_found, ""},
    {C, "org.bluez.Error.Failed", "le-connection-link-layer-protocol-error", "Protocol error",
     "src/error.c:210-211", L, PE, ""},
    {C, "org.bluez.Error.Failed", "le-connection-gatt-browsing", "", "src/device.c:2251", L, PE, ""},
    {C, "org.bluez.Error.Failed", "le-connection-unknown", "", "src/error.c:212-213", L, PE, ""},
    {C, "org.bluez.Error.InProgress", "In Progress", "", "src/device.c:2813, src/error.c:65-69",
     Verdict::recover_stale, PE, ""},
    // strerror(EALREADY): device_connect_le finds an LE connection attempt already going on
    // (dev->att_io) and dev_connect answers btd_error_failed(msg, strerror(-err)). The same stuck
    // attempt as InProgress, so the same recovery (bleak-retry-connector leaves both unclassified).
    {C, "org.bluez.Error.Failed", "Operation already in progress", "",
     "src/device.c:2341-2343,5422-5424", Verdict::recover_stale, PE, ""},
    {C, "org.bluez.Error.AlreadyConnected", "Already Connected", "", "src/error.c:59-63", D, PE, ""},
    {C, "org.bluez.Error.NotReady", "Resource Not Ready", "", "src/error.c:119-123", F, PE,
     "ble-adapter"},
    {W, "org.bluez.Error.NotPermitted", "Read not permitted", "", "src/gatt-client.c:272-273", L, PE,
     ""},
    {W, "org.bluez.Error.NotPermitted", "Write not permitted", "", "src/gatt-client.c:274-275", L,
     PE, ""},
    {W, "org.bluez.Error.NotPermitted", "Not paired", "", "src/gatt-client.c:276-279", B, PE, ""},
    {W, "org.bluez.Error.InvalidArguments", "Invalid offset", "", "src/gatt-client.c:280-281", L, PE,
     ""},
    {W, "org.bluez.Error.InvalidArguments", "Invalid Length", "", "src/gatt-client.c:282-283", L, PE,
     ""},
    {W, "org.bluez.Error.NotAuthorized", "Operation Not Authorized", "",
     "src/gatt-client.c:284-285, src/error.c:95-99", L, LockOutcome::rejected, ""},
    {W, "org.bluez.Error.NotSupported", "Operation is not supported", "",
     "src/gatt-client.c:286-287, src/error.c:47-51", L, PE, ""},
    {W, "org.bluez.Error.Failed", "Operation failed", "", "src/gatt-client.c:288-289", L, PE, ""},
    {W, "org.bluez.Error.Failed", "Operation failed with ATT error: 0x0e", "",
     "src/gatt-client.c:290-292, src/shared/att.c:1864", L, PE, ""},
    {W, "org.bluez.Error.InProgress", "In Progress", "", "src/gatt-client.c:480,596,969,1014", T, PE,
     ""},
    // A write without response ("command") BlueZ could not even queue: its PDU is longer than
    // the link's ATT MTU (encode_pdu, src/shared/att.c:340; value > MTU - 3), or there is no ATT
    // transport. Nothing went on air, so the lock took no part: the profile does not fit.
    {W, "org.bluez.Error.Failed", "Failed to initiate write", "",
     "src/gatt-client.c:1077-1086, src/shared/att.c:340", F, PE, "ble-profile"},
};

bool matches(const KnownBluezError& row, const BluezError& e, BluezStep step) {
  const bool step_fits = row.step == BluezStep::connect ? step == BluezStep::connect : gatt_step(step);
  if (!step_fits || e.name != row.name) return false;
  // Only Failed rows are told apart by the message; the fixed names carry one message each.
  if (e.name != "org.bluez.Error.Failed" && e.name != "org.bluez.Error.NotPermitted" &&
      e.name != "org.bluez.Error.InvalidArguments")
    return true;
  return e.message == row.message || (row.before_5_62[0] && e.message == row.before_5_62);
}

std::string reason_for(const KnownBluezError& row, const std::string& what,
                       const std::string& doing) {
  const std::string m = row.message;
  switch (row.verdict) {
    case Verdict::retry_connect:
      return "the local controller aborted the connection attempt (" + what + ")";
    case Verdict::bond_problem:
      return "the lock requires a bond (pairing/encryption) the rig does not hold while " + doing +
             " (" + what + "); pair the lock once (bluetoothctl pair) or set `bonded: true`";
    case Verdict::recover_stale:
      return "BlueZ reports an operation in progress for the lock";
    case Verdict::retry_once:
      return "BlueZ reports " + doing + " already in progress";
    case Verdict::already_done:
      return what;
    case Verdict::rig_fault:
      if (m == "Failed to initiate write")
        return "BlueZ could not send the write without response (" + what +
               "): a command longer than the link's ATT MTU - 3 bytes is refused before it goes "
               "on air, so the lock never received it; use `write: request` (a long write) or a "
               "shorter command";
      if (m == "le-connection-concurrent-connection-limit")
        return "the adapter has no free connection slot (" + what +
               "); give locks their own adapters or lower max_connections";
      return "the local adapter could not " + doing + " (" + what + ")";
    case Verdict::lock_outcome:
      break;
  }
  switch (row.outcome) {
    case LockOutcome::not_found:
      return "the lock did not answer the connection request (" + what + ")";
    case LockOutcome::rejected:
      return "the lock refused " + doing + " (" + what + ")";
    case LockOutcome::disconnected:
      return "the lock dropped the connection while " + doing + " (" + what + ")";
    default:
      return "the lock failed " + doing + " (" + what + ")";
  }
}

Attribution from_row(const KnownBluezError& row, const std::string& what, const std::string& doing,
                     const std::string& message) {
  Attribution a{row.verdict, row.outcome, row.component, reason_for(row, what, doing)};
  // A GATT request that dies with the link is answered before Connected=false is signalled.
  a.link_may_drop = row.step != BluezStep::connect && (message == "Operation failed" ||
                                                       message.find("0x0e") != std::string::npos);
  return a;
}

// Not in the table. Over the air the lock is a party to the call, so the conservative reading is
// a lock outcome that keeps the error verbatim: a failure of the lock is never dropped from the
// SLI without a word. A name outside org.bluez.Error is not BlueZ speaking (the bus, or whatever
// owns org.bluez failing inside): that stays bluetoothd's.
Attribution unrecognised(const std::string& n, const std::string& what, const std::string& doing,
                         BluezStep step) {
  Attribution a;
  if (over_the_air(step) && n.rfind("org.bluez.Error.", 0) == 0) {
    a = lock(LockOutcome::protocol_error,
             "unrecognised BlueZ error while " + doing + ", kept verbatim: " + what +
                 " (counted against the lock until drivers/bluez/error_attribution.cpp knows it)");
  } else {
    a = fault("bluetoothd", "unrecognised error while " + doing + ", kept verbatim: " + what);
  }
  a.unrecognised = true;
  return a;
}

}  // namespace

const std::vector<KnownBluezError>& known_bluez_errors() { return kTable; }

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

  // The rows read from BlueZ's source (kTable) come before the general rules below.
  for (const auto& row : kTable)
    if (matches(row, e, step)) return from_row(row, what, doing, m);

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
  if (gatt_step(step) && one_of(n, {"org.bluez.Error.NotPermitted", "org.bluez.Error.NotSupported",
                                    "org.bluez.Error.InvalidArguments"}))
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
        if (one_of(m, {"Host is down", "br-connection-page-timeout"}))
          return lock(LockOutcome::not_found,
                      "the lock did not answer the connection request (" + m + ")");
        return unrecognised(n, what, doing, step);
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
        // Once connected, the lock is the other party of every GATT operation: BlueZ's
        // "Operation failed with ATT error: 0x%02x" default (src/gatt-client.c:290-292).
        if (contains(m, "ATT error: 0x"))
          return lock(LockOutcome::protocol_error, "the lock failed " + doing + " (" + m + ")");
        return unrecognised(n, what, doing, step);
    }
  }

  return unrecognised(n, what, doing, step);
}

}  // namespace lockrig::drivers::bluez
