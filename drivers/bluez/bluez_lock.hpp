// The `bluez` lock link: one lock reached through BlueZ (bluetoothd) over D-Bus, the way a phone
// app reaches it. Lifecycle, discovery, GATT and the unlock exchange live here; what the bytes
// mean is the LockProfile's business, and which failures are the lock's is error_attribution's.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drivers/bluez/bluez_config.hpp"
#include "drivers/bluez/lock_profile.hpp"
#include "drivers/lock_link.hpp"

namespace lockrig::drivers::bluez {

class BluezBus;
class AdapterGate;

class BluezLockLink final : public LockLink {
 public:
  // How long bluetoothd may take to answer the liveness check after a timeout on the lock (at
  // most bus_timeout): a daemon that cannot answer a property read in this time is hung.
  static constexpr std::chrono::seconds kLivenessTimeout{1};

  // Touches no bus until first used, so building a run never fails on a machine without BlueZ.
  BluezLockLink(std::string lock_id, BluezLockConfig config, std::unique_ptr<LockProfile> profile);
  ~BluezLockLink() override;

  ConnectResult connect(Duration timeout) override;
  bool connected() const override;
  UnlockResult unlock(Duration timeout) override;
  // Best effort and never throws: a bus or bluetoothd failure here has been or will be reported by
  // the call that needs the link.
  void disconnect() override;
  std::optional<LockIdentity> identity(Duration timeout) override;
  bool advertising(Duration window) override;
  // Issue 12, item 4: the next connect()/identity() first refreshes BlueZ's GATT cache of the
  // lock (see refresh_gatt_cache) and identity() reads the firmware from the fresh tree.
  void build_changed() override { refresh_pending_ = true; }

  // Issue 12, item 8: the D-Bus exchange with BlueZ since the last take (calls, replies, errors
  // and the signals the link acted on), one line each, oldest first:
  // "2026-12-03T15:30:01.123Z call /org/bluez/hci0/dev_.. org.bluez.Device1.Connect". Bounded
  // (BluezBus::kExchangeLogLimit lines; a first line says how many older ones were dropped).
  // Taking it clears it, so a caller that takes it after each session gets that session's.
  std::vector<std::string> take_exchange_log();

  // How many connect attempts the last connect() made (for tests and the session detail).
  int last_connect_attempts() const { return last_connect_attempts_; }
  // How many times this link had BlueZ drop its cached GATT tree of the lock (RemoveDevice).
  int cache_refreshes() const { return cache_refreshes_; }
  // How many times this link paired the lock through its agent (issue 12, item 4).
  int pairings() const { return pairings_; }

 private:
  struct Observed;
  class Port;
  friend class Port;

  void begin_operation();
  void open_bus();
  void resync();
  void raise_if_faulted() const;
  bool faulted() const;
  bool advert_fresh() const;
  std::optional<int> fresh_rssi(const char* what);
  bool device_matches(const std::string& path) const;
  bool may_adopt(const std::string& path) const;

  bool find_lock(std::chrono::steady_clock::time_point deadline);
  // `recovered`: a stale BlueZ device was removed and rediscovered on the way.
  ConnectResult connect_until(std::chrono::steady_clock::time_point deadline, bool& recovered);
  void check_bluetoothd_answers(const std::string& what);
  void check_adapter_health(const std::string& what);
  // `bonded: true` without a bond in BlueZ: RigFault ble-bond, unless the fixture gives a
  // passkey (`pair:`), when connect_until pairs through pair_lock once the adapter is its turn.
  void check_bond();
  void pair_lock(std::chrono::steady_clock::time_point deadline);
  [[noreturn]] void bond_fault(const std::string& reason);
  void release_slot();
  void cancel_connect();
  void recover_stale_device();
  // Adapter1.RemoveDevice on `path` (which also deletes a bond and BlueZ's GATT cache of the
  // device) and forgets the device; a refusal that is the rig's is a RigFault saying `doing`.
  void remove_device(const std::string& path, const std::string& doing);
  // `reread`: the second look, after a missing service (the tree can lag ServicesResolved).
  std::optional<ConnectResult> enumerate_gatt(bool reread = false);
  std::optional<ConnectResult> start_notify(std::chrono::steady_clock::time_point deadline);
  void forget_link();
  void disconnect_quietly();
  std::string read_string(const std::string& uuid, std::chrono::steady_clock::time_point deadline);
  // Drops BlueZ's cached GATT tree of the lock so the next connection browses it afresh:
  // disconnect, then RemoveDevice, never for a `bonded: true` lock (that deletes the bond).
  // Returns whether the cache was dropped; says what it did in the exchange log.
  bool refresh_gatt_cache(const std::string& why);

  std::string lock_id_;
  BluezLockConfig config_;
  std::unique_ptr<LockProfile> profile_;
  std::unique_ptr<BluezBus> bus_;
  std::unique_ptr<Observed> seen_;

  std::string adapter_path_;
  std::string adapter_label_;  // for messages: "hci0"
  std::string device_path_;
  // Valid while the link is up and enumerated.
  std::string command_path_;
  std::string status_path_;
  std::optional<int> command_mtu_;  // the link's ATT MTU as BlueZ shows it on the command char
  std::map<std::string, std::string> characteristics_;  // uuid → object path, whole device
  bool link_ready_ = false;
  std::string recovery_note_;  // for the detail of the first unlock on a recovered connection
  std::uint32_t sequence_ = 0;
  std::shared_ptr<AdapterGate> gate_;  // shared with the other links on the same adapter
  bool slot_held_ = false;
  int last_connect_attempts_ = 0;
  bool refresh_pending_ = false;  // build_changed(): refresh before next talking to the lock
  int cache_refreshes_ = 0;
  int pairings_ = 0;
};

}  // namespace lockrig::drivers::bluez
