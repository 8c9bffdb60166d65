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

TEST(ErrorAttribution, RetriesALocalConnectionAbortOnceBeforeDecidingOnTheEvidence) {
  auto a = on(BluezStep::connect, "org.bluez.Error.Failed", "le-connection-abort-by-local");
  EXPECT_EQ(a.verdict, Verdict::retry_once);
  EXPECT_NE(a.reason.find("le-connection-abort-by-local"), std::string::npos);
  EXPECT_EQ(
      on(BluezStep::connect, "org.bluez.Error.Failed", "Software caused connection abort").verdict,
      Verdict::retry_once);
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
  expect_lock(on(BluezStep::connect, "org.bluez.Error.Failed", "le-connection-key-missing"),
              LockOutcome::rejected);
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
  // As a Failed message it is nothing the table knows: investigate.
  expect_fault(on(BluezStep::connect, "org.bluez.Error.Failed", "ConnectionAttemptFailed"),
               "bluetoothd");
}

TEST(ErrorAttribution, BlamesTheAdapterForNotSupportedOutsideGatt) {
  expect_fault(on(BluezStep::adapter, "org.bluez.Error.NotSupported"), "ble-adapter");
  expect_fault(on(BluezStep::connect, "org.bluez.Error.NotSupported"), "ble-adapter");
  expect_fault(on(BluezStep::remove_device, "org.bluez.Error.NotSupported"), "ble-adapter");
  expect_lock(on(BluezStep::command_write, "org.bluez.Error.NotSupported"),
              LockOutcome::protocol_error);
}

TEST(ErrorAttribution, MapsLocalConnectionFailuresToTheAdapter) {
  expect_fault(on(BluezStep::connect, "org.bluez.Error.Failed", "le-adapter-not-powered"),
               "ble-adapter");
  expect_fault(on(BluezStep::connect, "org.bluez.Error.Failed", "le-connection-link-limit-reached"),
               "ble-adapter");
}

TEST(ErrorAttribution, FlagsUnrecognisedConnectFailuresAsRigFaultsToInvestigate) {
  auto a = on(BluezStep::connect, "org.bluez.Error.Failed", "something new");
  expect_fault(a, "bluetoothd");
  EXPECT_NE(a.reason.find("something new"), std::string::npos);
  expect_fault(on(BluezStep::connect, "org.freedesktop.DBus.Python.KeyError"), "bluetoothd");
}

TEST(ErrorAttribution, AttributesGattFailuresAfterConnectingToTheLock) {
  expect_lock(on(BluezStep::command_write, "org.bluez.Error.Failed", "Not connected"),
              LockOutcome::disconnected);
  expect_lock(on(BluezStep::command_write, "org.bluez.Error.NotConnected"),
              LockOutcome::disconnected);
  expect_lock(on(BluezStep::command_write, "org.bluez.Error.NotAuthorized"), LockOutcome::rejected);
  expect_lock(on(BluezStep::command_write, "org.bluez.Error.Failed",
                 "Operation failed with ATT error: 0x05"),
              LockOutcome::rejected);
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
  EXPECT_EQ(on(BluezStep::connect, "org.bluez.Error.Failed", "le-already-connected").verdict,
            Verdict::already_done);
  EXPECT_EQ(on(BluezStep::disconnect, "org.bluez.Error.NotConnected").verdict,
            Verdict::already_done);
  EXPECT_EQ(on(BluezStep::adapter, "org.bluez.Error.Failed", "No discovery started").verdict,
            Verdict::already_done);
}

}  // namespace
}  // namespace lockrig::drivers::bluez
