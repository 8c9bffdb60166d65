// The real `bluez` driver against python-dbusmock's bluez5 template with lockrig's GATT lock
// model: discovery, connection, identity, the unlock exchange, and every failure class landing in
// its bucket (lock outcome or RigFault).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "drivers/bluez/bluez_lock.hpp"
#include "drivers/bluez/gatt_uuid.hpp"
#include "drivers/bluez/template_profile.hpp"
#include "drivers/rig_fault.hpp"
#include "tests/ble/bluez_mock.hpp"

namespace lockrig::testing {
namespace {

using drivers::LockOutcome;
using drivers::RigFault;
using namespace std::chrono_literals;

constexpr char kLock[] = "C4:7C:8D:6A:12:0F";
constexpr char kOther[] = "F0:99:B6:11:22:33";

std::string settings(const std::string& extra = "") {
  return std::string("address: \"") + kLock + "\"\n" + extra + "profile:" + kMockLockProfileYaml;
}

double ms(Duration d) {
  return to_ms(d);
}

class BluezLock : public ::testing::Test {
 protected:
  void SetUp() override {
    mock_ = std::make_unique<BluezMock>();
    mock_->add_adapter("hci0");
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << "mock bluetoothd log: " << mock_->log_path() << "\n";
  }

  BluezMock& mock() { return *mock_; }

  std::unique_ptr<drivers::LockLink> connected_link(const Knobs& knobs = {}) {
    mock().add_lock(kLock, "LR-100 wood-1", knobs);
    auto link = make_bluez_link(settings());
    auto r = link->connect(3s);
    EXPECT_EQ(r.outcome, LockOutcome::success) << r.detail;
    return link;
  }

  std::unique_ptr<BluezMock> mock_;
};

template <class F>
std::string rig_fault_component(F&& f) {
  try {
    f();
  } catch (const RigFault& e) {
    return e.component() + " | " + e.what();
  }
  return "no RigFault";
}

TEST_F(BluezLock, FindsTheLockByAddressAmongOtherDevicesAndConnects) {
  mock().add_plain_device(kOther, "someone's headphones");
  mock().add_lock(kLock, "LR-100 wood-1",
                  {{"present", sdbus::Variant(false)}, {"rssi", sdbus::Variant(-58)}});
  auto link = make_bluez_link(settings());
  auto r = link->connect(3s);
  ASSERT_EQ(r.outcome, LockOutcome::success) << r.detail;
  EXPECT_TRUE(link->connected());
  ASSERT_TRUE(r.rssi_dbm.has_value());
  EXPECT_EQ(*r.rssi_dbm, -58);
  EXPECT_GT(r.elapsed.count(), 0);
  EXPECT_EQ(mock().stats(kLock)["connect"], 1);
}

TEST_F(BluezLock, FindsTheLockByNameWhenNoAddressIsGiven) {
  mock().add_plain_device(kOther, "LR-100 steel-2");
  mock().add_lock(kLock, "LR-100 wood-1", {{"present", sdbus::Variant(false)}});
  auto link =
      make_bluez_link(std::string("name: \"LR-100 wood-1\"\nprofile:") + kMockLockProfileYaml);
  auto r = link->connect(3s);
  ASSERT_EQ(r.outcome, LockOutcome::success) << r.detail;
  EXPECT_EQ(mock().stats(kLock)["connect"], 1);
}

TEST_F(BluezLock, ReportsNotFoundWhenTheLockNeverAdvertises) {
  mock().add_lock(kLock, "LR-100 wood-1", {{"present", sdbus::Variant(false)}});
  mock().vanish(kLock);
  auto link = make_bluez_link(settings());
  auto r = link->connect(400ms);
  EXPECT_EQ(r.outcome, LockOutcome::not_found) << r.detail;
  EXPECT_GE(ms(r.elapsed), 390);
  EXPECT_LT(ms(r.elapsed), 2500);
  EXPECT_NE(r.detail.find(kLock), std::string::npos) << r.detail;
  EXPECT_FALSE(link->connected());
}

TEST_F(BluezLock, IgnoresADeviceWithoutTheServiceWhenMatchServiceIsOn) {
  mock().add_lock(
      kLock, "LR-100 wood-1",
      {{"present", sdbus::Variant(false)}, {"advertise_service", sdbus::Variant(false)}});
  auto link = make_bluez_link(settings("match_service: true\n"));
  EXPECT_EQ(link->connect(400ms).outcome, LockOutcome::not_found);
}

TEST_F(BluezLock, ReadsFirmwareModelAndManufacturerFromDeviceInformation) {
  mock().add_lock(kLock, "LR-100 wood-1", {{"firmware", sdbus::Variant(std::string("3.0.0-rc2"))}});
  auto link = make_bluez_link(settings());
  auto id = link->identity(3s);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->firmware, "3.0.0-rc2");
  EXPECT_EQ(id->model, "LR-100");
  EXPECT_EQ(id->manufacturer, "Lockrig Test Locks");
  EXPECT_TRUE(id->client_version.empty());
  // It connected only to read, and leaves the lock as it found it.
  EXPECT_FALSE(link->connected());
  EXPECT_EQ(mock().stats(kLock)["disconnect"], 1);
}

TEST_F(BluezLock, LeavesIdentityFieldsEmptyWithoutDeviceInformationService) {
  mock().add_lock(kLock, "LR-100 wood-1", {{"dis", sdbus::Variant(false)}});
  auto id = make_bluez_link(settings())->identity(3s);
  ASSERT_TRUE(id.has_value());
  EXPECT_TRUE(id->firmware.empty());
  EXPECT_TRUE(id->model.empty());
}

TEST_F(BluezLock, ReturnsNoIdentityWhenTheLockIsUnreachable) {
  mock().add_lock(kLock, "LR-100 wood-1", {{"present", sdbus::Variant(false)}});
  mock().vanish(kLock);
  EXPECT_FALSE(make_bluez_link(settings())->identity(300ms).has_value());
}

TEST_F(BluezLock, UnlocksAndMeasuresLatencyFromTheWriteToTheNotification) {
  auto link = connected_link({{"reply_delay_ms", sdbus::Variant(60.0)}});
  auto r = link->unlock(2s);
  EXPECT_EQ(r.outcome, LockOutcome::success) << r.detail;
  EXPECT_GE(ms(r.latency), 59.5);
  EXPECT_LT(ms(r.latency), 60 + 150);
  EXPECT_TRUE(link->connected());
}

TEST_F(BluezLock, ReportsRejectedWhenTheLockRefuses) {
  auto link = connected_link({{"reply", sdbus::Variant(std::string("reject"))}});
  auto r = link->unlock(2s);
  EXPECT_EQ(r.outcome, LockOutcome::rejected) << r.detail;
  EXPECT_NE(r.detail.find("81 01 01"), std::string::npos) << r.detail;
}

TEST_F(BluezLock, ReportsTimeoutWhenNoNotificationArrives) {
  auto link = connected_link({{"reply", sdbus::Variant(std::string("none"))}});
  auto r = link->unlock(300ms);
  EXPECT_EQ(r.outcome, LockOutcome::timeout) << r.detail;
  EXPECT_GE(ms(r.latency), 295);
  EXPECT_LT(ms(r.latency), 1500);
  EXPECT_TRUE(link->connected());  // the runner decides whether to drop the link
}

TEST_F(BluezLock, ReportsProtocolErrorForAStatusThatMatchesNoPattern) {
  auto link = connected_link({{"reply", sdbus::Variant(std::string("garbage"))}});
  auto r = link->unlock(2s);
  EXPECT_EQ(r.outcome, LockOutcome::protocol_error);
  EXPECT_NE(r.detail.find("de ad be ef"), std::string::npos) << r.detail;
}

TEST_F(BluezLock, SkipsALateReplyToAnEarlierCommand) {
  auto link = connected_link({{"reply", sdbus::Variant(std::string("stale_then_success"))}});
  auto r = link->unlock(2s);
  EXPECT_EQ(r.outcome, LockOutcome::success) << r.detail;
  EXPECT_NE(r.detail.find("skipped 1"), std::string::npos) << r.detail;
}

TEST_F(BluezLock, KeepsTheLinkBetweenUnlocksAndEnablesNotificationsOncePerConnection) {
  auto link = connected_link();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(link->unlock(2s).outcome, LockOutcome::success);
  auto s = mock().stats(kLock);
  EXPECT_EQ(s["connect"], 1);
  EXPECT_EQ(s["start_notify"], 1);
  EXPECT_EQ(s["write"], 3);
  link->disconnect();
  EXPECT_FALSE(link->connected());
  ASSERT_EQ(link->connect(3s).outcome, LockOutcome::success);
  EXPECT_EQ(link->unlock(2s).outcome, LockOutcome::success);
  EXPECT_EQ(mock().stats(kLock)["start_notify"], 2);
}

TEST_F(BluezLock, ReportsDisconnectedWhenTheLinkDropsMidCommandAndReconnectsAfterwards) {
  auto link = connected_link({{"disconnect_on_write", sdbus::Variant(true)}});
  auto r = link->unlock(2s);
  EXPECT_EQ(r.outcome, LockOutcome::disconnected) << r.detail;
  EXPECT_LT(ms(r.latency), 1500);
  EXPECT_FALSE(link->connected());
  mock().set_knobs(kLock, {{"disconnect_on_write", sdbus::Variant(false)}});
  ASSERT_EQ(link->connect(3s).outcome, LockOutcome::success);
  EXPECT_EQ(link->unlock(2s).outcome, LockOutcome::success);
}

TEST_F(BluezLock, MapsAnAuthorizationRefusalOfTheWriteToRejected) {
  auto link = connected_link(
      {{"write_error",
        sdbus::Variant(std::string("org.bluez.Error.NotAuthorized: Not Authorized"))}});
  auto r = link->unlock(2s);
  EXPECT_EQ(r.outcome, LockOutcome::rejected) << r.detail;
}

TEST_F(BluezLock, ReportsNotFoundAfterTheLockDisappearsAndConnectsWhenItReappears) {
  auto link = connected_link();
  link->disconnect();
  mock().vanish(kLock);
  EXPECT_EQ(link->connect(400ms).outcome, LockOutcome::not_found);
  EXPECT_FALSE(link->advertising(200ms));
  mock().reappear(kLock);
  EXPECT_TRUE(link->advertising(2s));
  auto r = link->connect(3s);
  ASSERT_EQ(r.outcome, LockOutcome::success) << r.detail;
  EXPECT_EQ(link->unlock(2s).outcome, LockOutcome::success);
}

TEST_F(BluezLock, ReportsDisconnectedWhenTheLockVanishesWhileConnected) {
  auto link = connected_link({{"reply", sdbus::Variant(std::string("none"))}});
  std::thread away([&] {
    std::this_thread::sleep_for(150ms);
    BluezMock* m = mock_.get();
    m->vanish(kLock);
  });
  auto r = link->unlock(3s);
  away.join();
  EXPECT_EQ(r.outcome, LockOutcome::disconnected) << r.detail;
  EXPECT_LT(ms(r.latency), 2000);
}

TEST_F(BluezLock, ReportsTimeoutAndCancelsWhenServicesNeverResolve) {
  mock().add_lock(kLock, "LR-100 wood-1", {{"never_resolve", sdbus::Variant(true)}});
  auto link = make_bluez_link(settings());
  auto r = link->connect(400ms);
  EXPECT_EQ(r.outcome, LockOutcome::timeout) << r.detail;
  EXPECT_EQ(mock().stats(kLock)["disconnect"], 1);
}

TEST_F(BluezLock, ReportsProtocolErrorWhenTheLockLacksTheProfileService) {
  mock().add_lock(kLock, "LR-100 wood-1");
  auto link = make_bluez_link(std::string("address: \"") + kLock +
                              "\"\nprofile:\n  service: fee0\n  command: fee1\n  status: fee2\n"
                              "  unlock: \"01\"\n  success: \"81\"\n");
  auto r = link->connect(3s);
  EXPECT_EQ(r.outcome, LockOutcome::protocol_error);
  EXPECT_NE(r.detail.find("no service fee0"), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find("fff0"), std::string::npos) << r.detail;
}

TEST_F(BluezLock, RecoversADeviceStuckInProgressByRemovingAndRediscoveringIt) {
  mock().add_lock(kLock, "LR-100 wood-1", {{"stuck_in_progress", sdbus::Variant(true)}});
  auto link = make_bluez_link(settings());
  auto r = link->connect(3s);
  ASSERT_EQ(r.outcome, LockOutcome::success) << r.detail;
  auto s = mock().stats(kLock);
  EXPECT_EQ(s["remove"], 1);
  EXPECT_EQ(s["connect"], 2);
  // The recovery is said in the connection's detail and in the first unlock's (which the runner
  // journals), and only there.
  EXPECT_NE(r.detail.find("recovered stale BlueZ device"), std::string::npos) << r.detail;
  auto first = link->unlock(2s);
  EXPECT_EQ(first.outcome, LockOutcome::success);
  EXPECT_NE(first.detail.find("recovered stale BlueZ device: RemoveDevice + rediscovery"),
            std::string::npos)
      << first.detail;
  auto second = link->unlock(2s);
  EXPECT_EQ(second.outcome, LockOutcome::success);
  EXPECT_EQ(second.detail.find("recovered"), std::string::npos) << second.detail;
}

TEST_F(BluezLock, SaysNothingOfARecoveryAfterAPlainConnection) {
  auto link = connected_link();
  auto r = link->unlock(2s);
  EXPECT_EQ(r.outcome, LockOutcome::success);
  EXPECT_EQ(r.detail.find("recovered"), std::string::npos) << r.detail;
}

// bluetoothd busy in a blocking call answers nothing: the Connect that times out is not the lock's
// timeout, because the daemon does not answer a local property read either.
TEST_F(BluezLock, BlamesBluetoothdWhenItDoesNotAnswerAfterAConnectTimeout) {
  mock().add_lock(kLock, "LR-100 wood-1", {{"connect_delay_ms", sdbus::Variant(2500)}});
  auto link = make_bluez_link(settings());
  const std::string fault = rig_fault_component([&] { link->connect(500ms); });
  EXPECT_EQ(fault.rfind("bluetoothd", 0), 0u) << fault;
  EXPECT_NE(fault.find("did not answer a local call"), std::string::npos) << fault;
  EXPECT_NE(fault.find("Device1.Connect timed out"), std::string::npos) << fault;
}

TEST_F(BluezLock, RaisesRigFaultWhenTheDeviceStaysInProgressAfterRecovery) {
  mock().add_lock(kLock, "LR-100 wood-1", {{"always_in_progress", sdbus::Variant(true)}});
  auto link = make_bluez_link(settings());
  const std::string fault = rig_fault_component([&] { link->connect(3s); });
  EXPECT_EQ(fault.rfind("bluetoothd | bluetoothd: lock wood-1 stays", 0), 0u) << fault;
  EXPECT_NE(fault.find("(after RemoveDevice + rediscovery of the stale BlueZ device)"),
            std::string::npos)
      << fault;
}

TEST_F(BluezLock, RetriesOnceAfterALocalConnectionAbort) {
  mock().add_lock(
      kLock, "LR-100 wood-1",
      {{"connect_error",
        sdbus::Variant(std::string("org.bluez.Error.Failed: le-connection-abort-by-local"))},
       {"connect_error_count", sdbus::Variant(1)}});
  auto link = make_bluez_link(settings());
  auto r = link->connect(3s);
  EXPECT_EQ(r.outcome, LockOutcome::success) << r.detail;
  EXPECT_EQ(mock().stats(kLock)["connect"], 2);
}

// Issue 12 item 2: BlueZ reports every failed LE connect as abort-by-local (src/device.c:5353-5370
// in 5.66), so when it persists on a lock seen advertising before every attempt and the adapter is
// healthy, it is the lock's outcome (was: RigFault ble-adapter after two attempts).
TEST_F(BluezLock, ReportsPersistentLocalAbortsOnAnAdvertisingLockAsALockOutcome) {
  mock().add_lock(
      kLock, "LR-100 wood-1",
      {{"connect_error",
        sdbus::Variant(std::string("org.bluez.Error.Failed: le-connection-abort-by-local"))},
       {"connect_error_count", sdbus::Variant(50)}});
  auto link = make_bluez_link(settings("connect_attempts: 3\n"));
  drivers::ConnectResult r;
  EXPECT_EQ(rig_fault_component([&] { r = link->connect(5s); }), "no RigFault");
  EXPECT_EQ(r.outcome, LockOutcome::not_found) << r.detail;
  EXPECT_NE(r.detail.find("le-connection-abort-by-local"), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find("3 connection attempt(s)"), std::string::npos) << r.detail;
  EXPECT_EQ(mock().stats(kLock)["connect"], 3);
}

TEST_F(BluezLock, ReportsNotFoundWhenTheLockDoesNotAnswerTheConnectionRequest) {
  mock().add_lock(kLock, "LR-100 wood-1",
                  {{"connect_error",
                    sdbus::Variant(std::string("org.bluez.Error.Failed: le-connection-timeout"))},
                   {"connect_error_count", sdbus::Variant(1)}});
  auto r = make_bluez_link(settings())->connect(3s);
  EXPECT_EQ(r.outcome, LockOutcome::not_found) << r.detail;
}

TEST_F(BluezLock, RaisesRigFaultWhenBluetoothdIsNotRunning) {
  mock().add_lock(kLock, "LR-100 wood-1");
  auto link = make_bluez_link(settings());
  mock().kill_bluetoothd();
  const std::string fault = rig_fault_component([&] { link->connect(2s); });
  EXPECT_EQ(fault.rfind("bluetoothd", 0), 0u) << fault;
}

TEST_F(BluezLock, RaisesRigFaultWhenBluetoothdDiesMidCommand) {
  auto link = connected_link({{"reply", sdbus::Variant(std::string("none"))}});
  std::thread crash([&] {
    std::this_thread::sleep_for(150ms);
    mock().kill_bluetoothd();
  });
  const auto start = std::chrono::steady_clock::now();
  const std::string fault = rig_fault_component([&] { link->unlock(5s); });
  crash.join();
  EXPECT_EQ(fault.rfind("bluetoothd", 0), 0u) << fault;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);  // noticed, not waited out
  EXPECT_FALSE(link->connected());
}

TEST_F(BluezLock, CarriesOnWhenBluetoothdIsBackAfterACrash) {
  auto link = connected_link();
  mock().kill_bluetoothd();
  EXPECT_EQ(rig_fault_component([&] { link->unlock(1s); }).rfind("bluetoothd", 0), 0u);
  mock_ = std::make_unique<BluezMock>();  // bluetoothd restarted: new owner, fresh objects
  mock().add_adapter("hci0");
  mock().add_lock(kLock, "LR-100 wood-1");
  EXPECT_FALSE(link->connected());
  ASSERT_EQ(link->connect(3s).outcome, LockOutcome::success);
  EXPECT_EQ(link->unlock(2s).outcome, LockOutcome::success);
}

TEST_F(BluezLock, RaisesRigFaultWhenTheAdapterIsRemovedMidCommand) {
  auto link = connected_link({{"reply", sdbus::Variant(std::string("none"))}});
  std::thread unplug([&] {
    std::this_thread::sleep_for(150ms);
    mock().remove_adapter("hci0");
  });
  const auto start = std::chrono::steady_clock::now();
  const std::string fault = rig_fault_component([&] { link->unlock(5s); });
  unplug.join();
  EXPECT_EQ(fault.rfind("ble-adapter", 0), 0u) << fault;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  // And it stays a rig fault while the adapter is missing.
  EXPECT_EQ(rig_fault_component([&] { link->connect(1s); }).rfind("ble-adapter", 0), 0u);
}

TEST_F(BluezLock, RaisesRigFaultWhileTheAdapterIsPoweredOffAndCarriesOnOnceItIsBack) {
  auto link = connected_link();
  link->disconnect();
  mock().power_adapter(false);
  const std::string fault = rig_fault_component([&] { link->connect(1s); });
  EXPECT_EQ(fault.rfind("ble-adapter", 0), 0u) << fault;
  EXPECT_NE(fault.find("powered"), std::string::npos) << fault;
  mock().power_adapter(true);
  EXPECT_EQ(link->connect(3s).outcome, LockOutcome::success);
}

TEST_F(BluezLock, RaisesRigFaultNamingTheAdaptersBlueZHasWhenTheConfiguredOneIsMissing) {
  mock().add_lock(kLock, "LR-100 wood-1");
  auto link = make_bluez_link(settings(), "adapter: hci1");
  const std::string fault = rig_fault_component([&] { link->connect(1s); });
  EXPECT_EQ(fault.rfind("ble-adapter", 0), 0u) << fault;
  EXPECT_NE(fault.find("hci0 (00:01:02:03:04:05)"), std::string::npos) << fault;
}

TEST_F(BluezLock, SelectsTheAdapterByItsAddress) {
  mock().add_lock(kLock, "LR-100 wood-1");
  auto link = make_bluez_link(settings(), "adapter: \"00:01:02:03:04:05\"");
  EXPECT_EQ(link->connect(3s).outcome, LockOutcome::success);
}

// The shape a vendor's authenticated profile takes: a handshake over the link before any unlock.
// This one reads the Model Number and refuses models it was not written for.
class HandshakeProfile final : public drivers::bluez::LockProfile {
 public:
  explicit HandshakeProfile(std::string expected_model)
      : base_(drivers::bluez::TemplateProfile::from_settings(
            Settings(YAML::Load(kMockLockProfileYaml), "test.yaml"))),
        expected_(std::move(expected_model)) {}
  std::string kind() const override { return "test-handshake"; }
  const std::string& service_uuid() const override { return base_->service_uuid(); }
  const std::string& command_uuid() const override { return base_->command_uuid(); }
  const std::string& status_uuid() const override { return base_->status_uuid(); }
  bool write_with_response() const override { return true; }
  std::optional<drivers::bluez::StatusVerdict> on_connected(
      drivers::bluez::GattPort& port) override {
    auto model = port.read(drivers::bluez::kModelNumber);
    if (model.failure) return drivers::bluez::StatusVerdict{*model.failure, model.detail};
    seen_model = std::string(model.value.begin(), model.value.end());
    if (seen_model != expected_)
      return drivers::bluez::StatusVerdict{LockOutcome::rejected,
                                           "handshake refused: model " + seen_model};
    return std::nullopt;
  }
  drivers::bluez::Bytes unlock_command(std::uint32_t sequence) const override {
    return base_->unlock_command(sequence);
  }
  std::optional<drivers::bluez::StatusVerdict> decode_status(
      const drivers::bluez::Bytes& value, std::uint32_t sequence) const override {
    return base_->decode_status(value, sequence);
  }
  std::string seen_model;

 private:
  std::unique_ptr<drivers::bluez::TemplateProfile> base_;
  std::string expected_;
};

TEST_F(BluezLock, RunsAProfileHandshakeOverTheLinkBeforeUnlocking) {
  mock().add_lock(kLock, "LR-100 wood-1");
  drivers::bluez::BluezLockConfig config;
  config.address = kLock;
  auto profile = std::make_unique<HandshakeProfile>("LR-100");
  HandshakeProfile* handshake = profile.get();
  drivers::bluez::BluezLockLink link("wood-1", config, std::move(profile));
  ASSERT_EQ(link.connect(3s).outcome, LockOutcome::success);
  EXPECT_EQ(handshake->seen_model, "LR-100");
  EXPECT_EQ(link.unlock(2s).outcome, LockOutcome::success);
}

TEST_F(BluezLock, FailsTheConnectionWithTheOutcomeAProfileHandshakeReports) {
  mock().add_lock(kLock, "LR-100 wood-1");
  drivers::bluez::BluezLockConfig config;
  config.address = kLock;
  drivers::bluez::BluezLockLink link("wood-1", config,
                                     std::make_unique<HandshakeProfile>("LR-200"));
  auto r = link.connect(3s);
  EXPECT_EQ(r.outcome, LockOutcome::rejected);
  EXPECT_NE(r.detail.find("model LR-100"), std::string::npos) << r.detail;
  EXPECT_FALSE(link.connected());
}

TEST(BluezBus, RaisesRigFaultWhenTheSystemBusGoesAway) {
  ScratchBus scratch;
  const std::string saved = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", scratch.address().c_str(), 1);
  std::string fault;
  {
    BluezMock mock;
    mock.add_adapter("hci0");
    mock.add_lock(kLock, "LR-100 wood-1", {{"reply", sdbus::Variant(std::string("none"))}});
    auto link = make_bluez_link(settings());
    ASSERT_EQ(link->connect(3s).outcome, LockOutcome::success);
    std::thread cut([&] {
      std::this_thread::sleep_for(150ms);
      scratch.kill();
    });
    fault = rig_fault_component([&] { link->unlock(5s); });
    cut.join();
  }
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", saved.c_str(), 1);
  // Whichever notices first: the bus connection itself, or bluetoothd vanishing with it.
  EXPECT_TRUE(fault.rfind("dbus", 0) == 0 || fault.rfind("bluetoothd", 0) == 0) << fault;
}

}  // namespace
}  // namespace lockrig::testing
