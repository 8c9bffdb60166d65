// The error attribution table: which BlueZ and bus errors are the lock's and which the rig's.
#include <gtest/gtest.h>

#include "drivers/bluez/error_attribution.hpp"

namespace lockrig::drivers::bluez {
namespace {

Attribution on(BluezStep step, const std::string& name, const std::string& message = "",
               bool deadline_passed = false) {
  return attribute_bluez_error({name, message, deadline_passed}, step);
}

void expect_lock(const Attribution& a, LockOutcome o) {
  EXPECT_EQ(a.verdict, Verdict::lock_outcome) << a.reason;
  EXPECT_EQ(a.outcome, o) << a.reason;
}

void expect_fault(const Attribution& a, const std::string& component) {
  EXPECT_EQ(a.verdict, Verdict::rig_fault) << a.reason;
  EXPECT_EQ(a.component, component) << a.reason;
}

// BlueZ turns every failed LE ATT connect into ECONNABORTED (src/device.c:5353-5370 in 5.66), so
// abort-by-local is also what a lock that advertises but will not connect produces. bleak waits
// for Connected=false and retries (bleak/backends/bluezdbus/client.py:279-299 at 58d2a65);
// bleak-retry-connector lists it as transient (src/bleak_retry_connector/__init__.py:139-140).
TEST(ErrorAttribution, HandsALocalConnectionAbortToTheConnectPolicyAsALockOutcomeIfItPersists) {
  auto a = on(BluezStep::connect, "org.bluez.Error.Failed", "le-connection-abort-by-local");
  EXPECT_EQ(a.verdict, Verdict::retry_connect);
  EXPECT_EQ(a.outcome, LockOutcome::not_found);
  EXPECT_NE(a.reason.find("le-connection-abort-by-local"), std::string::npos);
  EXPECT_EQ(
      on(BluezStep::connect, "org.bluez.Error.Failed", "Software caused connection abort").verdict,
      Verdict::retry_connect);
}

// BlueZ 5.66 answers Connect with strerror(EALREADY) while an LE connection attempt is already
// going on (device_connect_le returns -EALREADY when dev->att_io is set, src/device.c:5422-5424;
// dev_connect sends btd_error_failed(msg, strerror(-err)), src/device.c:2341-2343). It is the
// same stuck attempt as InProgress and gets the same recovery; before, the unrecognised message
// was counted against the lock as a protocol_error.
TEST(ErrorAttribution, RecoversStaleStateWhenConnectFailsWithOperationAlreadyInProgress) {
  auto a = on(BluezStep::connect, "org.bluez.Error.Failed", "Operation already in progress");
  EXPECT_EQ(a.verdict, Verdict::recover_stale) << a.reason;
  EXPECT_FALSE(a.unrecognised) << a.reason;
  // Only on Connect: a GATT call answering it is still the lock's protocol error.
  EXPECT_NE(on(BluezStep::command_write, "org.bluez.Error.Failed", "Operation already in progress")
                .verdict,
            Verdict::recover_stale);
}

TEST(ErrorAttribution, RecoversStaleStateWhenConnectReportsInProgress) {
  EXPECT_EQ(on(BluezStep::connect, "org.bluez.Error.InProgress").verdict, Verdict::recover_stale);
  EXPECT_EQ(on(BluezStep::adapter, "org.bluez.Error.InProgress").verdict, Verdict::already_done);
}

TEST(ErrorAttribution, BlamesTheAdapterWhenBlueZIsNotReady) {
  expect_fault(on(BluezStep::adapter, "org.bluez.Error.NotReady", "Resource Not Ready"),
               "ble-adapter");
  expect_fault(on(BluezStep::connect, "org.bluez.Error.NotReady"), "ble-adapter");
}

TEST(ErrorAttribution, ReadsDoesNotExistByTheObjectItWasSentTo) {
  expect_lock(on(BluezStep::connect, "org.bluez.Error.DoesNotExist"), LockOutcome::not_found);
  expect_lock(on(BluezStep::command_write, "org.freedesktop.DBus.Error.UnknownObject"),
              LockOutcome::disconnected);
  expect_fault(on(BluezStep::adapter, "org.freedesktop.DBus.Error.UnknownObject"), "ble-adapter");
  // Only RemoveDevice answers DoesNotExist for a device it no longer holds; from any other
  // adapter call it means the adapter is not what the driver thinks.
  EXPECT_EQ(on(BluezStep::remove_device, "org.bluez.Error.DoesNotExist").verdict,
            Verdict::already_done);
  expect_fault(on(BluezStep::adapter, "org.bluez.Error.DoesNotExist"), "ble-adapter");
  expect_fault(on(BluezStep::remove_device, "org.freedesktop.DBus.Error.UnknownObject"),
               "ble-adapter");
  EXPECT_EQ(on(BluezStep::disconnect, "org.freedesktop.DBus.Error.UnknownObject").verdict,
            Verdict::already_done);
}

TEST(ErrorAttribution, BlamesBluetoothdWhenNobodyOwnsOrgBluez) {
  expect_fault(on(BluezStep::enumerate, "org.freedesktop.DBus.Error.ServiceUnknown"), "bluetoothd");
  expect_fault(on(BluezStep::command_write, "org.freedesktop.DBus.Error.NameHasNoOwner"),
               "bluetoothd");
}

TEST(ErrorAttribution, BlamesTheBusWhenTheConnectionIsGone) {
  expect_fault(on(BluezStep::connect, "org.freedesktop.DBus.Error.Disconnected"), "dbus");
  expect_fault(on(BluezStep::enumerate, "System.Error.ENOTCONN"), "dbus");
  expect_fault(on(BluezStep::enumerate, "org.freedesktop.DBus.Error.AccessDenied"), "dbus");
}

TEST(ErrorAttribution, CallsOurOwnDeadlineOverTheAirALockTimeout) {
  expect_lock(on(BluezStep::connect, "org.freedesktop.DBus.Error.Timeout", "", true),
              LockOutcome::timeout);
  expect_lock(on(BluezStep::command_write, "org.freedesktop.DBus.Error.NoReply", "", true),
              LockOutcome::timeout);
}

TEST(ErrorAttribution, CallsNoReplyBeforeTheDeadlineOrOnLocalCallsBluetoothdNotAnswering) {
  expect_fault(on(BluezStep::command_write, "org.freedesktop.DBus.Error.NoReply", "", false),
               "bluetoothd");
  expect_fault(on(BluezStep::enumerate, "org.freedesktop.DBus.Error.Timeout", "", true),
               "bluetoothd");
  expect_fault(on(BluezStep::adapter, "org.freedesktop.DBus.Error.NoReply", "", true),
               "bluetoothd");
}

TEST(ErrorAttribution, MapsConnectionFailuresTheLockCausedToLockOutcomes) {
  expect_lock(on(BluezStep::connect, "org.bluez.Error.Failed", "le-connection-timeout"),
              LockOutcome::not_found);
  expect_lock(on(BluezStep::connect, "org.bluez.Error.Failed", "Host is down"),
              LockOutcome::not_found);
  expect_lock(on(BluezStep::connect, "org.bluez.Error.Failed", "le-connection-abort-by-remote"),
              LockOutcome::disconnected);
  expect_lock(on(BluezStep::connect, "org.bluez.Error.Failed", "le-connection-gatt-browsing"),
              LockOutcome::protocol_error);
  expect_lock(on(BluezStep::connect, "org.bluez.Error.ConnectionAttemptFailed"),
              LockOutcome::not_found);
}

// ConnectionAttemptFailed is an error name of its own, not a Failed message.
TEST(ErrorAttribution, ReadsConnectionAttemptFailedAsAnErrorNameByStep) {
  expect_lock(on(BluezStep::connect, "org.bluez.Error.ConnectionAttemptFailed", "Page Timeout"),
              LockOutcome::not_found);
  expect_lock(on(BluezStep::read_value, "org.bluez.Error.ConnectionAttemptFailed"),
              LockOutcome::protocol_error);
  expect_fault(on(BluezStep::adapter, "org.bluez.Error.ConnectionAttemptFailed"), "bluetoothd");
  // As a Failed message it is nothing the table knows: kept verbatim, counted against the lock.
  auto a = on(BluezStep::connect, "org.bluez.Error.Failed", "ConnectionAttemptFailed");
  expect_lock(a, LockOutcome::protocol_error);
  EXPECT_TRUE(a.unrecognised);
}

TEST(ErrorAttribution, BlamesTheAdapterForNotSupportedOutsideGatt) {
  expect_fault(on(BluezStep::adapter, "org.bluez.Error.NotSupported"), "ble-adapter");
  expect_fault(on(BluezStep::connect, "org.bluez.Error.NotSupported"), "ble-adapter");
  expect_fault(on(BluezStep::remove_device, "org.bluez.Error.NotSupported"), "ble-adapter");
  expect_lock(on(BluezStep::command_write, "org.bluez.Error.NotSupported"),
              LockOutcome::protocol_error);
}

TEST(ErrorAttribution, MapsLocalConnectionFailuresToTheAdapter) {
  expect_fault(
      on(BluezStep::connect, "org.bluez.Error.Failed", "le-connection-adapter-not-powered"),
      "ble-adapter");
  expect_fault(on(BluezStep::connect, "org.bluez.Error.Failed",
                  "le-connection-concurrent-connection-limit"),
               "ble-adapter");
}

// Issue 12 item 1: an error the table does not know is kept verbatim and, over the air, counted
// against the lock rather than silently dropped from the SLI as a rig fault.
TEST(ErrorAttribution, KeepsUnrecognisedBlueZErrorsVerbatimAndCountsThemAgainstTheLock) {
  auto a = on(BluezStep::connect, "org.bluez.Error.Failed", "something new");
  expect_lock(a, LockOutcome::protocol_error);
  EXPECT_TRUE(a.unrecognised);
  EXPECT_NE(a.reason.find("org.bluez.Error.Failed: something new"), std::string::npos);
  auto w = on(BluezStep::command_write, "org.bluez.Error.Brandnew", "whatever");
  expect_lock(w, LockOutcome::protocol_error);
  EXPECT_TRUE(w.unrecognised);
  // Not BlueZ speaking (whoever owns org.bluez failed inside), or a local call: bluetoothd's.
  auto k = on(BluezStep::connect, "org.freedesktop.DBus.Python.KeyError");
  expect_fault(k, "bluetoothd");
  EXPECT_TRUE(k.unrecognised);
  expect_fault(on(BluezStep::enumerate, "org.bluez.Error.Brandnew"), "bluetoothd");
}

TEST(ErrorAttribution, AttributesGattFailuresAfterConnectingToTheLock) {
  expect_lock(on(BluezStep::command_write, "org.bluez.Error.Failed", "Not connected"),
              LockOutcome::disconnected);
  expect_lock(on(BluezStep::command_write, "org.bluez.Error.NotConnected"),
              LockOutcome::disconnected);
  expect_lock(on(BluezStep::command_write, "org.bluez.Error.NotAuthorized"), LockOutcome::rejected);
  expect_lock(on(BluezStep::command_write, "org.bluez.Error.Failed",
                 "Operation failed with ATT error: 0x0e"),
              LockOutcome::protocol_error);
  expect_lock(on(BluezStep::command_write, "org.bluez.Error.NotPermitted"),
              LockOutcome::protocol_error);
  expect_lock(on(BluezStep::notify_setup, "org.bluez.Error.NotSupported"),
              LockOutcome::protocol_error);
  EXPECT_EQ(on(BluezStep::notify_setup, "org.bluez.Error.InProgress").verdict, Verdict::retry_once);
}

TEST(ErrorAttribution, TreatsAlreadyDoneAsDone) {
  EXPECT_EQ(on(BluezStep::connect, "org.bluez.Error.AlreadyConnected").verdict,
            Verdict::already_done);
  EXPECT_EQ(
      on(BluezStep::connect, "org.bluez.Error.Failed", "le-connection-already-connected").verdict,
      Verdict::already_done);
  EXPECT_EQ(on(BluezStep::disconnect, "org.bluez.Error.NotConnected").verdict,
            Verdict::already_done);
  EXPECT_EQ(on(BluezStep::adapter, "org.bluez.Error.Failed", "No discovery started").verdict,
            Verdict::already_done);
}

// ---- issue 12: the exact strings of BlueZ 5.62+ (src/error.h:49-66, src/error.c:178-216) --------

TEST(ErrorAttribution, KnowsTheConnectFailureStringsBlueZ562AndLaterSends) {
  auto f = [](const char* m) { return on(BluezStep::connect, "org.bluez.Error.Failed", m); };
  expect_lock(f("le-connection-refused"), LockOutcome::rejected);
  expect_lock(f("le-connection-timeout"), LockOutcome::not_found);
  expect_lock(f("le-connection-abort-by-remote"), LockOutcome::disconnected);
  expect_lock(f("le-connection-link-layer-protocol-error"), LockOutcome::protocol_error);
  EXPECT_EQ(f("le-connection-already-connected").verdict, Verdict::already_done);
  expect_fault(f("le-connection-busy"), "ble-adapter");
  expect_fault(f("le-connection-not-supported"), "ble-adapter");
  expect_fault(f("le-connection-bad-socket"), "ble-adapter");
  expect_fault(f("le-connection-create-socket"), "ble-adapter");
  expect_fault(f("le-connection-invalid-arguments"), "bluetoothd");
  expect_fault(f("le-connection-memory-allocation"), "bluetoothd");
  auto slots = f("le-connection-concurrent-connection-limit");
  expect_fault(slots, "ble-adapter");
  EXPECT_NE(slots.reason.find("connection slot"), std::string::npos) << slots.reason;
  for (const char* m : {"le-connection-refused", "le-connection-busy"})
    EXPECT_FALSE(f(m).unrecognised) << m;
}

// Before 5.62 Device1.Connect answered btd_error_failed(msg, strerror(-err)) (src/device.c, 5.61).
TEST(ErrorAttribution, KnowsThePre562StrerrorFormsOfTheSameFailures) {
  auto f = [](const char* m) { return on(BluezStep::connect, "org.bluez.Error.Failed", m); };
  expect_lock(f("Connection refused"), LockOutcome::rejected);
  expect_lock(f("Connection timed out"), LockOutcome::not_found);
  expect_lock(f("Connection reset by peer"), LockOutcome::disconnected);
  expect_fault(f("Too many links"), "ble-adapter");
  expect_fault(f("Device or resource busy"), "ble-adapter");
  EXPECT_EQ(f("Transport endpoint is already connected").verdict, Verdict::already_done);
}

// create_gatt_dbus_error, src/gatt-client.c:269-293 in 5.66.
TEST(ErrorAttribution, ReadsBlueZsGattErrorNamesAsTheAttCodesBehindThem) {
  // ATT 0x05/0x0c/0x0f: the lock wants a bond, not a lock rejection nor a protocol error.
  auto paired = on(BluezStep::command_write, "org.bluez.Error.NotPermitted", "Not paired");
  EXPECT_EQ(paired.verdict, Verdict::bond_problem) << paired.reason;
  EXPECT_EQ(on(BluezStep::read_value, "org.bluez.Error.NotPermitted", "Not paired").verdict,
            Verdict::bond_problem);
  // ATT 0x0d: the lock rejected the value's length; not the driver's arguments.
  expect_lock(on(BluezStep::command_write, "org.bluez.Error.InvalidArguments", "Invalid Length"),
              LockOutcome::protocol_error);
  expect_lock(on(BluezStep::read_value, "org.bluez.Error.InvalidArguments", "Invalid offset"),
              LockOutcome::protocol_error);
  expect_lock(
      on(BluezStep::command_write, "org.bluez.Error.NotPermitted", "Write not permitted"),
      LockOutcome::protocol_error);
  expect_lock(on(BluezStep::command_write, "org.bluez.Error.NotAuthorized",
                 "Operation Not Authorized"),
              LockOutcome::rejected);
  // Off GATT, InvalidArguments still means BlueZ rejected what the driver sent.
  expect_fault(on(BluezStep::adapter, "org.bluez.Error.InvalidArguments",
                  "Invalid arguments in method call"),
               "bluetoothd");
}

// A request pending when the link drops is failed with BT_ATT_ERROR_UNLIKELY (0x0e,
// src/shared/att.c:1864) before bluetoothd signals Connected=false.
TEST(ErrorAttribution, FlagsAtt0x0eAsAPossibleLinkDrop) {
  auto a = on(BluezStep::command_write, "org.bluez.Error.Failed",
              "Operation failed with ATT error: 0x0e");
  expect_lock(a, LockOutcome::protocol_error);
  EXPECT_TRUE(a.link_may_drop);
  EXPECT_FALSE(on(BluezStep::command_write, "org.bluez.Error.Failed",
                  "Operation failed with ATT error: 0x80")
                   .link_may_drop);
}

// Every row of the documented table classifies as the table says (the README lists the same rows).
TEST(ErrorAttribution, EveryRowOfTheBlueZTableAttributesAsItsRowSays) {
  ASSERT_GE(known_bluez_errors().size(), 25u);
  for (const auto& row : known_bluez_errors()) {
    for (const char* m : {row.message, row.before_5_62}) {
      if (!m[0]) continue;
      auto a = on(row.step, row.name, m);
      EXPECT_EQ(a.verdict, row.verdict) << row.name << " " << m;
      EXPECT_FALSE(a.unrecognised) << row.name << " " << m;
      if (row.verdict == Verdict::lock_outcome || row.verdict == Verdict::retry_connect) {
        EXPECT_EQ(a.outcome, row.outcome) << row.name << " " << m;
      }
      if (row.verdict == Verdict::rig_fault) {
        EXPECT_EQ(a.component, row.component) << m;
      }
    }
  }
}

}  // namespace
}  // namespace lockrig::drivers::bluez
