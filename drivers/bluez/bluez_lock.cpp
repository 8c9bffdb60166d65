// The `bluez` lock link. Everything runs on the caller's thread: BlueZ's signals are dispatched
// while the link waits, so the state below only changes inside begin_operation() and the waits.
#include "drivers/bluez/bluez_lock.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>

#include <unistd.h>

#include "drivers/bluez/adapter_gate.hpp"
#include "drivers/bluez/bluez_bus.hpp"
#include "drivers/bluez/gatt_uuid.hpp"
#include "drivers/rig_fault.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::bluez {

namespace {

using Clock = std::chrono::steady_clock;

Duration left(SteadyTime deadline) {
  return std::max(Duration(0), std::chrono::duration_cast<Duration>(deadline - Clock::now()));
}

Duration since(SteadyTime start) {
  return std::chrono::duration_cast<Duration>(Clock::now() - start);
}

std::string printable(const Bytes& raw) {
  std::string s(raw.begin(), raw.end());
  while (!s.empty() &&
         (s.back() == '\0' || s.back() == ' ' || s.back() == '\n' || s.back() == '\r'))
    s.pop_back();
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  return s;
}

// A call that reads BlueZ's own state failed. Whatever the table says about the error, the lock
// took no part in it: anything but a rig fault of a named component is bluetoothd's.
RigFault enumeration_fault(const BluezCallError& e, const std::string& lock_id) {
  Attribution a = attribute_bluez_error(e.error(), BluezStep::enumerate);
  const std::string component = a.verdict == Verdict::rig_fault && !a.component.empty()
                                    ? a.component
                                    : std::string("bluetoothd");
  return RigFault(component, "lock " + lock_id + ": " + a.reason);
}

constexpr char kRecoveredStale[] = "recovered stale BlueZ device: RemoveDevice + rediscovery";

// BlueZ keeps an idle link DISCONNECT_TIMER = 2 s after Disconnect (src/device.c:68,1785 in 5.66);
// bleak waits up to 10 s for Connected=false. A new Connect before then finds a closing link.
constexpr Duration kDisconnectTimer = std::chrono::milliseconds(2000);
constexpr Duration kDisconnectSlack = std::chrono::milliseconds(1500);
// A half-open link after le-connection-abort-by-local is closed by the same path.
constexpr Duration kAbortTeardownLimit = kDisconnectTimer + kDisconnectSlack;
// The discovery filter's RSSI threshold: every advert is at least this strong (see find_lock).
constexpr std::int16_t kEveryAdvertRssi = -127;
// After a GATT error that may mean the link died (ATT 0x0e), how long to look for Connected=false.
constexpr Duration kLinkDropGrace = std::chrono::milliseconds(500);

std::string keys_of(const Properties& p) {
  std::string out;
  for (const auto& [k, v] : p) out += (out.empty() ? "" : ",") + k;
  return out;
}

// The firmware each lock reported last in this process (key: lock id and address or name), so a
// build that changed between two runs of one process (`run --until-decided` blocks) is noticed
// from the Device Information Service even when the rig did not say so (issue 12, item 4).
std::mutex firmware_mu;
std::map<std::string, std::string>& last_firmware() {
  static std::map<std::string, std::string> seen;
  return seen;
}

ConnectResult failed(LockOutcome o, std::string detail) {
  ConnectResult r;
  r.outcome = o;
  r.detail = std::move(detail);
  return r;
}

}  // namespace

struct BluezLockLink::Observed {
  struct DeviceInfo {
    std::string address;
    std::string name;
    std::vector<std::string> uuids;
  };

  std::string bluez_owner;  // unique bus name of bluetoothd; signals from anyone else are ignored
  bool bluez_lost = false;
  bool adapter_lost = false;
  bool adapter_off = false;

  bool device_present = false;
  bool connected = false;
  bool services_resolved = false;
  bool gatt_lost = false;
  bool advert_seen = false;  // an advertisement of the lock since the current discovery started
  std::optional<int> rssi;
  SteadyTime rssi_at{};  // when the RSSI last came with an advertisement
  SteadyTime search_from{};  // when the current discovery started: older adverts do not count
  bool paired = false;   // Device1.Paired / Bonded of the lock's device (src/device.c:2972-2973)
  bool bonded = false;
  std::map<std::string, DeviceInfo> devices;  // every device under the adapter, to match by name

  // The unlock waiter: armed before the write, so a notification that beats the write's reply
  // is still caught.
  bool armed = false;
  std::uint32_t sequence = 0;
  std::optional<StatusVerdict> verdict;
  SteadyTime verdict_at{};
  int skipped = 0;
};

// The link as a profile handshake sees it.
class BluezLockLink::Port final : public GattPort {
 public:
  Port(BluezLockLink& link, SteadyTime deadline) : link_(link), deadline_(deadline) {}

  GattIo read(const std::string& uuid) override {
    GattIo io;
    auto path = path_of(uuid, io);
    if (!path) return io;
    try {
      auto reply =
          link_.bus_->call(*path, kGattCharIface, "ReadValue", left(deadline_), Properties{});
      reply >> io.value;
    } catch (const BluezCallError& e) {
      record(e, BluezStep::read_value, io);
    }
    return io;
  }

  GattIo write(const std::string& uuid, const Bytes& value) override {
    GattIo io;
    auto path = path_of(uuid, io);
    if (!path) return io;
    try {
      link_.bus_->call(*path, kGattCharIface, "WriteValue", left(deadline_), value,
                       Properties{{"type", sdbus::Variant(std::string("request"))}});
    } catch (const BluezCallError& e) {
      record(e, BluezStep::command_write, io);
    }
    return io;
  }

 private:
  std::optional<std::string> path_of(const std::string& uuid, GattIo& io) {
    auto it = link_.characteristics_.find(normalize_uuid(uuid).value_or(uuid));
    if (it != link_.characteristics_.end()) return it->second;
    io.failure = LockOutcome::protocol_error;
    io.detail = "the lock has no characteristic " + display_uuid(uuid);
    return std::nullopt;
  }

  void record(const BluezCallError& e, BluezStep step, GattIo& io) {
    Attribution a = attribute_bluez_error(e.error(), step);
    if (a.verdict == Verdict::bond_problem) link_.bond_fault(a.reason);
    if (a.verdict == Verdict::rig_fault)
      throw RigFault(a.component, "lock " + link_.lock_id_ + ": " + a.reason);
    if (a.verdict == Verdict::lock_outcome && a.outcome == LockOutcome::timeout)
      link_.check_bluetoothd_answers(step_name(step));
    io.failure = a.verdict == Verdict::lock_outcome ? a.outcome : LockOutcome::protocol_error;
    io.detail = a.reason;
  }

  BluezLockLink& link_;
  SteadyTime deadline_;
};

BluezLockLink::BluezLockLink(std::string lock_id, BluezLockConfig config,
                             std::unique_ptr<LockProfile> profile)
    : lock_id_(std::move(lock_id)),
      config_(std::move(config)),
      profile_(std::move(profile)),
      seen_(std::make_unique<Observed>()),
      adapter_label_(config_.adapter) {}

// Leaves the bench as a run expects to find it: a lock left connected stops advertising.
BluezLockLink::~BluezLockLink() {
  disconnect();
  release_slot();
}

void BluezLockLink::release_slot() {
  if (slot_held_ && gate_) gate_->give_slot();
  slot_held_ = false;
}

void BluezLockLink::bond_fault(const std::string& reason) {
  throw RigFault("ble-bond", "lock " + lock_id_ + " via " + adapter_label_ + ": " + reason);
}

std::vector<std::string> BluezLockLink::take_exchange_log() {
  std::vector<std::string> out;
  if (!bus_) return out;
  std::size_t dropped = 0;
  auto entries = bus_->take_exchange_log(&dropped);
  if (dropped > 0)
    out.push_back("(" + std::to_string(dropped) + " older entries dropped; the log keeps " +
                  std::to_string(BluezBus::kExchangeLogLimit) + ")");
  const auto steady_now = Clock::now();
  const auto wall_now = std::chrono::system_clock::now();
  for (const auto& e : entries) {
    const auto wall = wall_now - std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                     steady_now - e.at);
    const std::time_t secs = std::chrono::system_clock::to_time_t(wall);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        wall.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char stamp[96];
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    std::string line = std::string(stamp) + " " + exchange_kind_name(e.kind) + " " + e.path + " " +
                       e.member;
    if (!e.detail.empty()) line += " " + e.detail;
    out.push_back(std::move(line));
  }
  return out;
}

// ---- bus state -------------------------------------------------------------------------------

void BluezLockLink::open_bus() {
  bus_ = std::make_unique<BluezBus>();
  bus_->set_transcript_who(lock_id_ + " dbus");  // issue 15: the session transcript
  auto from_bluez = [this](sdbus::Message& m) {
    return !seen_->bluez_owner.empty() && m.getSender() == seen_->bluez_owner;
  };

  bus_->subscribe(
      "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
      "member='NameOwnerChanged',arg0='org.bluez'",
      [this](sdbus::Message& m) {
        std::string name, old_owner, new_owner;
        m >> name >> old_owner >> new_owner;
        // Any change of owner (exit, crash, restart) invalidates every object path we hold.
        if (name != kBluezService) return;
        bus_->note(ExchangeEntry::Kind::signal, "/org/freedesktop/DBus", "NameOwnerChanged",
                   "org.bluez " + old_owner + " -> " + new_owner);
        if (new_owner != seen_->bluez_owner) seen_->bluez_lost = true;
      });

  bus_->subscribe(
      "type='signal',interface='org.freedesktop.DBus.ObjectManager',member='InterfacesAdded',path='"
      "/'",
      [this, from_bluez](sdbus::Message& m) {
        if (!from_bluez(m)) return;
        sdbus::ObjectPath path;
        Interfaces ifaces;
        m >> path >> ifaces;
        auto dev = ifaces.find(kDeviceIface);
        if (dev == ifaces.end() || adapter_path_.empty() || path.rfind(adapter_path_ + "/", 0) != 0)
          return;
        const Properties& p = dev->second;
        bus_->note(ExchangeEntry::Kind::signal, path, "InterfacesAdded", "Device1 " + keys_of(p));
        Observed::DeviceInfo info{
            prop_string(p, "Address").value_or(""),
            prop_string(p, "Name").value_or(prop_string(p, "Alias").value_or("")),
            prop_strings(p, "UUIDs")};
        seen_->devices[path] = info;
        if (path != device_path_ && !may_adopt(path)) return;
        device_path_ = path;
        seen_->device_present = true;
        seen_->connected = prop_bool(p, "Connected").value_or(false);
        seen_->services_resolved = prop_bool(p, "ServicesResolved").value_or(false);
        seen_->paired = prop_bool(p, "Paired").value_or(false);
        seen_->bonded = prop_bool(p, "Bonded").value_or(false);
        if (auto rssi = prop_int(p, "RSSI")) {
          seen_->rssi = rssi;
          seen_->rssi_at = Clock::now();
          seen_->advert_seen = true;
        }
      });

  bus_->subscribe(
      "type='signal',interface='org.freedesktop.DBus.ObjectManager',member='InterfacesRemoved',"
      "path='/'",
      [this, from_bluez](sdbus::Message& m) {
        if (!from_bluez(m)) return;
        sdbus::ObjectPath path;
        std::vector<std::string> ifaces;
        m >> path >> ifaces;
        auto has = [&](const char* i) {
          return std::find(ifaces.begin(), ifaces.end(), i) != ifaces.end();
        };
        if (path.rfind(adapter_path_, 0) == 0 || path == device_path_)
          bus_->note(ExchangeEntry::Kind::signal, path, "InterfacesRemoved", join(ifaces, ","));
        if (path == adapter_path_ && has(kAdapterIface)) seen_->adapter_lost = true;
        if (has(kDeviceIface)) seen_->devices.erase(path);
        if (path == device_path_ && has(kDeviceIface)) {
          seen_->device_present = false;
          seen_->connected = false;
          seen_->services_resolved = false;
          seen_->gatt_lost = true;
        }
        if (path == status_path_ || path == command_path_) seen_->gatt_lost = true;
      });

  bus_->subscribe(
      "type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
      "path_namespace='/org/bluez'",
      [this, from_bluez](sdbus::Message& m) {
        // Taken first: the latency ends when the notification is read, not when it is decoded.
        const SteadyTime arrived = Clock::now();
        if (!from_bluez(m)) return;
        const std::string path = m.getPath();
        std::string iface;
        Properties changed;
        std::vector<std::string> invalidated;
        m >> iface >> changed >> invalidated;
        if (path == device_path_ || path == status_path_ || path == adapter_path_)
          bus_->note(ExchangeEntry::Kind::signal, path, "PropertiesChanged",
                     iface + " " + keys_of(changed) +
                         (invalidated.empty() ? "" : " invalidated " + join(invalidated, ",")) +
                         // issue 15: a characteristic's notified bytes (the lock's answer)
                         (iface == kGattCharIface && prop_bytes(changed, "Value")
                              ? " Value " + BluezBus::bytes_text(*prop_bytes(changed, "Value"))
                              : ""));
        if (iface == kGattCharIface) {
          if (path != status_path_ || !seen_->armed || seen_->verdict) return;
          auto value = prop_bytes(changed, "Value");
          if (!value) return;
          if (auto v = profile_->decode_status(*value, seen_->sequence)) {
            seen_->verdict = std::move(v);
            seen_->verdict_at = arrived;
          } else {
            ++seen_->skipped;
          }
        } else if (iface == kDeviceIface) {
          auto known = seen_->devices.find(path);
          if (known != seen_->devices.end()) {
            if (auto name = prop_string(changed, "Name")) known->second.name = *name;
            else if (auto alias = prop_string(changed, "Alias"); alias && known->second.name.empty())
              known->second.name = *alias;
            if (changed.count("UUIDs")) known->second.uuids = prop_strings(changed, "UUIDs");
          }
          // Adopted on an advertisement, or when the name that identifies it arrives later than
          // the advertisement did (BlueZ emits RSSI only on moves of 8 dB or more without a
          // filter, src/device.c; the name may come in a later signal).
          if (path != device_path_ &&
              (changed.count("RSSI") || changed.count("Name") || changed.count("Alias")) &&
              may_adopt(path)) {
            device_path_ = path;
            seen_->device_present = true;
            seen_->connected = false;
            seen_->services_resolved = false;
          }
          if (path != device_path_) return;
          if (auto c = prop_bool(changed, "Connected")) {
            seen_->connected = *c;
            if (!*c) seen_->services_resolved = false;
          }
          if (auto r = prop_bool(changed, "ServicesResolved")) seen_->services_resolved = *r;
          if (auto rssi = prop_int(changed, "RSSI")) {
            seen_->rssi = rssi;
            seen_->rssi_at = Clock::now();
            seen_->advert_seen = true;
          }
          // An RSSI invalidated when the discovery session ended stays as the last advertised
          // value (journaled with the attempt); only signals during a session count as on air.
          if (auto v = prop_bool(changed, "Paired")) seen_->paired = *v;
          if (auto v = prop_bool(changed, "Bonded")) seen_->bonded = *v;
        } else if (iface == kAdapterIface && path == adapter_path_) {
          if (auto powered = prop_bool(changed, "Powered"); powered && !*powered)
            seen_->adapter_off = true;
        }
      });
}

bool BluezLockLink::device_matches(const std::string& path) const {
  auto it = seen_->devices.find(path);
  if (it == seen_->devices.end()) return false;
  const auto& d = it->second;
  if (config_.address && normalize_address(d.address) != config_.address) return false;
  if (config_.name && d.name != *config_.name) return false;
  if (config_.match_service &&
      std::find(d.uuids.begin(), d.uuids.end(), profile_->service_uuid()) == d.uuids.end())
    return false;
  return true;
}

// Another device object that fits the lock's description and shows an advertisement becomes the
// lock unless we are connected to the current one: a lock with a rotating address gets a new
// object path, and BlueZ may still hold stale objects of the same name.
bool BluezLockLink::may_adopt(const std::string& path) const {
  if (!device_matches(path)) return false;
  return device_path_.empty() || !seen_->device_present || !seen_->connected;
}

// Issue 12, item 5: on air means an advertisement reported during this search and no older than
// rssi_max_age. BlueZ reports every advert once a discovery filter is set (src/adapter.c:
// 7184-7185 in 5.66) and keeps a device's RSSI while any client of the adapter discovers
// (src/adapter.c:2474-2537,2831-2860), so neither an RSSI in the tree nor one signalled before
// this search says the lock is on air now.
bool BluezLockLink::advert_fresh() const {
  return seen_->advert_seen && seen_->rssi_at >= seen_->search_from &&
         Clock::now() - seen_->rssi_at <= config_.rssi_max_age;
}

// The RSSI for a result: only while its advertisement is at most rssi_max_age old. Its age goes
// to the exchange log and the session transcript either way (the journal's attempt row has no
// field for it).
std::optional<int> BluezLockLink::fresh_rssi(const char* what) {
  if (!seen_->rssi || !bus_) return std::nullopt;
  const bool stamped = seen_->rssi_at != SteadyTime{};
  const Duration age = std::chrono::duration_cast<Duration>(Clock::now() - seen_->rssi_at);
  const bool fresh = stamped && age <= config_.rssi_max_age;
  bus_->note(ExchangeEntry::Kind::note, device_path_, "rssi",
             std::string(what) + ": RSSI " + std::to_string(*seen_->rssi) + " dBm, " +
                 (stamped ? "advertised " + format_duration(age) + " ago" : "of unknown age") +
                 (fresh ? "" : "; older than rssi_max_age " +
                                   format_duration(config_.rssi_max_age) + ", left out of the result"));
  if (!fresh) return std::nullopt;
  return seen_->rssi;
}

bool BluezLockLink::faulted() const {
  return seen_->bluez_lost || seen_->adapter_lost || seen_->adapter_off;
}

void BluezLockLink::raise_if_faulted() const {
  if (seen_->bluez_lost)
    throw RigFault("bluetoothd",
                   "bluetoothd left the system bus (org.bluez changed owner) while lock " +
                       lock_id_ + " was in use");
  if (seen_->adapter_lost)
    throw RigFault("ble-adapter", "adapter " + adapter_label_ +
                                      " disappeared from BlueZ while lock " + lock_id_ +
                                      " was in use");
  if (seen_->adapter_off)
    throw RigFault("ble-adapter", "adapter " + adapter_label_ + " was powered off while lock " +
                                      lock_id_ + " was in use");
}

void BluezLockLink::forget_link() {
  release_slot();
  link_ready_ = false;
  command_path_.clear();
  command_mtu_.reset();
  status_path_.clear();
  characteristics_.clear();
  seen_->gatt_lost = false;
  seen_->armed = false;
}

void BluezLockLink::begin_operation() {
  if (!bus_) open_bus();
  bus_->dispatch();
  if (adapter_path_.empty() || faulted()) resync();
}

// Rebuilds everything from BlueZ's object tree: after start, after bluetoothd restarted, after
// the adapter came back. Throws RigFault while the rig's BLE stack is not usable.
void BluezLockLink::resync() {
  std::optional<std::string> owner;
  ManagedObjects objects;
  try {
    owner = bus_->bluez_owner(config_.bus_timeout);
    if (!owner)
      throw RigFault("bluetoothd",
                     "bluetoothd is not running (nobody owns org.bluez on the system bus)");
    objects = bus_->managed_objects(config_.bus_timeout);
  } catch (const BluezCallError& e) {
    throw enumeration_fault(e, lock_id_);
  }

  // Nothing is kept until the adapter checks pass: a throw leaves adapter_path_ empty, so the next
  // call looks again instead of trusting half-built state.
  forget_link();
  *seen_ = Observed{};
  seen_->bluez_owner = *owner;
  device_path_.clear();
  adapter_path_.clear();

  std::string adapter_path;
  std::vector<std::string> available;
  for (const auto& [path, ifaces] : objects) {
    auto a = ifaces.find(kAdapterIface);
    if (a == ifaces.end()) continue;
    const std::string name = path.substr(path.rfind('/') + 1);
    const std::string address = prop_string(a->second, "Address").value_or("?");
    available.push_back(name + " (" + address + ")");
    if (name == config_.adapter || normalize_address(address) == config_.adapter) {
      adapter_path = path;
      adapter_label_ = name;
      if (!prop_bool(a->second, "Powered").value_or(false))
        throw RigFault("ble-adapter",
                       "adapter " + name + " is powered off (try `bluetoothctl power on`)");
    }
  }
  if (adapter_path.empty())
    throw RigFault("ble-adapter", "BlueZ has no adapter " + quote(config_.adapter) + "; it has: " +
                                      (available.empty() ? "none" : join(available, ", ")));
  adapter_path_ = adapter_path;
  gate_ = AdapterGate::for_adapter(adapter_path_);

  for (const auto& [path, ifaces] : objects) {
    auto d = ifaces.find(kDeviceIface);
    if (d == ifaces.end() || path.rfind(adapter_path_ + "/", 0) != 0) continue;
    const Properties& p = d->second;
    seen_->devices[path] = {prop_string(p, "Address").value_or(""),
                            prop_string(p, "Name").value_or(prop_string(p, "Alias").value_or("")),
                            prop_strings(p, "UUIDs")};
    if (!device_path_.empty() || !device_matches(path)) continue;
    device_path_ = path;
    seen_->device_present = true;
    seen_->connected = prop_bool(p, "Connected").value_or(false);
    seen_->services_resolved = prop_bool(p, "ServicesResolved").value_or(false);
    seen_->paired = prop_bool(p, "Paired").value_or(false);
    seen_->bonded = prop_bool(p, "Bonded").value_or(false);
    seen_->rssi = prop_int(p, "RSSI");
  }
}

// ---- discovery -------------------------------------------------------------------------------

// Runs LE discovery until the lock shows it is on air (or is connected), or the deadline.
bool BluezLockLink::find_lock(SteadyTime deadline) {
  if (seen_->device_present && seen_->connected) return true;
  seen_->advert_seen = false;
  seen_->search_from = Clock::now();

  auto adapter_call = [this](const char* method, auto... args) {
    try {
      bus_->call(adapter_path_, kAdapterIface, method, config_.bus_timeout, args...);
    } catch (const BluezCallError& e) {
      Attribution a = attribute_bluez_error(e.error(), BluezStep::adapter);
      if (a.verdict == Verdict::rig_fault)
        throw RigFault(a.component, "adapter " + adapter_label_ + ": " + a.reason);
    }
  };
  // Service UUIDs go into the filter only when asked for: many locks advertise no service UUID
  // (or only in the scan response), and the filter would then hide them.
  // RSSI -127 (the lowest BlueZ accepts, src/adapter.c:2577-2588 in 5.66) hides nothing and makes
  // BlueZ signal the RSSI of every advert: without a proximity threshold it signals only moves of
  // RSSI_THRESHOLD = 8 dB (src/device.c:76,5849-5886), and since BlueZ commit e004414a1
  // (src/adapter.c:7393-7407,7614-7618 at 690c16d) a Transport-only filter no longer lifts that,
  // as any filter did in 5.66 (src/adapter.c:1854-1857,7184-7187). While another client's scan
  // keeps the lock's RSSI, an advert at the same strength would otherwise say nothing, and an
  // advertising lock would look off air. DuplicateData is left false: it only re-signals
  // ManufacturerData/ServiceData (src/adapter.c:7213-7227), which presence does not read.
  Properties filter{{"Transport", sdbus::Variant(std::string("le"))},
                    {"RSSI", sdbus::Variant(kEveryAdvertRssi)}};
  if (config_.match_service)
    filter["UUIDs"] = sdbus::Variant(std::vector<std::string>{profile_->service_uuid()});
  adapter_call("SetDiscoveryFilter", filter);
  adapter_call("StartDiscovery");

  // The device's state now. Its RSSI is not evidence of being on air: BlueZ keeps RSSI while any
  // client of the adapter discovers (src/adapter.c discovery_cleanup runs only when the last
  // session ends), so a lock switched off during another client's scan still shows one. Only an
  // advertisement reported during this session counts (with a filter set, BlueZ reports every
  // advert: src/adapter.c:7184-7185, device_set_rssi_with_delta(dev, rssi, 0)).
  if (seen_->device_present && !device_path_.empty()) {
    try {
      auto reply = bus_->call(device_path_, kPropertiesIface, "GetAll", config_.bus_timeout,
                              std::string(kDeviceIface));
      Properties p;
      reply >> p;
      seen_->connected = prop_bool(p, "Connected").value_or(seen_->connected);
      seen_->paired = prop_bool(p, "Paired").value_or(seen_->paired);
      seen_->bonded = prop_bool(p, "Bonded").value_or(seen_->bonded);
    } catch (const BluezCallError&) {
      // The device went away between the snapshot and now; discovery will tell.
    }
  }

  const bool found = bus_->wait_until(deadline, [this] {
    return faulted() || (seen_->device_present && (advert_fresh() || seen_->connected));
  });
  // Stopped before connecting: several controllers abort LE connection attempts made while they
  // scan (le-connection-abort-by-local).
  if (!faulted()) adapter_call("StopDiscovery");
  raise_if_faulted();
  return found && seen_->device_present;
}

bool BluezLockLink::advertising(Duration window) {
  begin_operation();
  if (seen_->device_present && seen_->connected) return true;
  return find_lock(Clock::now() + window);
}

// ---- connection ------------------------------------------------------------------------------

void BluezLockLink::cancel_connect() {
  // Disconnect also cancels a connection attempt BlueZ still has pending; without it the next
  // Connect would get InProgress.
  disconnect_quietly();
  seen_->connected = false;
  seen_->services_resolved = false;
}

void BluezLockLink::disconnect_quietly() {
  forget_link();
  if (device_path_.empty()) return;
  try {
    bus_->call(device_path_, kDeviceIface, "Disconnect", config_.bus_timeout);
  } catch (const BluezCallError&) {
    // Not connected, already gone: the goal is reached either way.
  }
}

void BluezLockLink::recover_stale_device() {
  const std::string path = device_path_;
  disconnect_quietly();
  // RemoveDevice deletes the bond with the device (doc/org.bluez.Adapter.rst, RemoveDevice): a
  // bonded lock is only disconnected, and the retry then finds it again or reports why not.
  if (config_.bonded) {
    seen_->connected = false;
    seen_->services_resolved = false;
    return;
  }
  remove_device(path, "removing stale lock");
}

void BluezLockLink::remove_device(const std::string& path, const std::string& doing) {
  try {
    bus_->call(adapter_path_, kAdapterIface, "RemoveDevice", config_.bus_timeout,
               sdbus::ObjectPath(path));
  } catch (const BluezCallError& e) {
    Attribution a = attribute_bluez_error(e.error(), BluezStep::remove_device);
    if (a.verdict == Verdict::rig_fault)
      throw RigFault(a.component,
                     "adapter " + adapter_label_ + ": " + doing + " " + lock_id_ + ": " + a.reason);
  }
  seen_->devices.erase(path);
  device_path_.clear();
  seen_->device_present = false;
  seen_->connected = false;
  seen_->services_resolved = false;
}

// Issue 12, item 4. BlueZ keeps a lock's GATT tree across connections: `[GATT] Cache = always`
// is the default (src/main.c:1010 and src/main.conf in 5.66), under which gatt_cache_cleanup()
// clears nothing on disconnect (src/device.c:648-668), and on reconnect it browses again only
// when the lock has a Database Hash or sends Service Changed (src/shared/gatt-client.c:1400-1425,
// 2026-2031). A build that moved its attributes then meets the old build's handles: writes land on
// other characteristics and the firmware read that labels an A/B run reads the wrong attribute.
// BlueZ 5.66 gives a client one way to drop the cache, Adapter1.RemoveDevice, which deletes the
// device with its cache file (device_remove_stored, src/device.c:4314-4345) and its bond;
// bleak-retry-connector clears the cache the same way (clear_cache, src/bleak_retry_connector/
// bluez.py:270-305 at cce9119). So: disconnect (waiting out DISCONNECT_TIMER), RemoveDevice,
// and let the next connect rediscover and browse the lock. A `bonded: true` lock is only
// disconnected: its cache stays, and the exchange log says how to turn the cache off.
bool BluezLockLink::refresh_gatt_cache(const std::string& why) {
  if (device_path_.empty() || !seen_->device_present) {
    bus_->note(ExchangeEntry::Kind::note, adapter_path_, "gatt-cache",
               why + ": BlueZ holds no device for the lock, so no cached GATT tree either");
    return false;
  }
  const std::string path = device_path_;
  disconnect();
  if (config_.bonded) {
    bus_->note(ExchangeEntry::Kind::note, path, "gatt-cache",
               why + ": the GATT cache of a bonded lock is kept (RemoveDevice would delete the "
                     "bond); BlueZ browses again only if the lock has a Database Hash or sends "
                     "Service Changed. Set `[GATT] Cache = no` in /etc/bluetooth/main.conf on a "
                     "rig that flashes bonded locks");
    return false;
  }
  remove_device(path, "clearing the GATT cache of lock");
  bus_->note(ExchangeEntry::Kind::note, path, "gatt-cache",
             why + ": BlueZ's cached GATT tree dropped (RemoveDevice); the lock is browsed afresh");
  ++cache_refreshes_;
  return true;
}

// A wait on the lock (Connect, GATT) ran out. That is the lock's timeout unless bluetoothd itself
// has stopped answering: a hung daemon times out every call, and the first call to notice is
// usually one on the lock. One cheap local call, on a short timeout, tells the two apart.
void BluezLockLink::check_bluetoothd_answers(const std::string& what) {
  if (!bus_ || adapter_path_.empty()) return;
  const Duration limit = std::min<Duration>(config_.bus_timeout, kLivenessTimeout);
  try {
    bus_->call(adapter_path_, kPropertiesIface, "Get", limit, std::string(kAdapterIface),
               std::string("Powered"));
  } catch (const BluezCallError& e) {
    Attribution a = attribute_bluez_error(e.error(), BluezStep::enumerate);
    if (a.verdict != Verdict::rig_fault) return;
    throw RigFault(a.component.empty() ? "bluetoothd" : a.component,
                   "lock " + lock_id_ + " via " + adapter_label_ + ": " + what +
                       " timed out, and bluetoothd did not answer a local call (Properties.Get " +
                       "on the adapter) within " + format_duration(limit) + " either: " +
                       a.reason);
  }
}

std::optional<ConnectResult> BluezLockLink::enumerate_gatt(bool reread) {
  ManagedObjects objects;
  try {
    objects = bus_->managed_objects(config_.bus_timeout);
  } catch (const BluezCallError& e) {
    throw enumeration_fault(e, lock_id_);
  }
  const std::string prefix = device_path_ + "/";
  std::map<std::string, std::string> services;  // path → uuid
  struct Char {
    std::string path, uuid, service;
    std::optional<int> mtu;  // GattCharacteristic1.MTU, BlueZ >= 5.62 (doc/org.bluez.GattCharacteristic.rst)
  };
  std::vector<Char> chars;
  for (const auto& [path, ifaces] : objects) {
    if (path.rfind(prefix, 0) != 0) continue;
    if (auto s = ifaces.find(kGattServiceIface); s != ifaces.end())
      services[path] = normalize_uuid(prop_string(s->second, "UUID").value_or("")).value_or("");
    if (auto c = ifaces.find(kGattCharIface); c != ifaces.end()) {
      std::optional<int> mtu;
      if (auto m = c->second.find("MTU");
          m != c->second.end() && m->second.containsValueOfType<std::uint16_t>())
        mtu = m->second.get<std::uint16_t>();
      chars.push_back({path,
                       normalize_uuid(prop_string(c->second, "UUID").value_or("")).value_or(""),
                       prop_string(c->second, "Service").value_or(""), mtu});
    }
  }
  characteristics_.clear();
  for (const auto& c : chars) characteristics_.emplace(c.uuid, c.path);

  std::string service_path;
  std::vector<std::string> offered;
  for (const auto& [path, uuid] : services) {
    offered.push_back(display_uuid(uuid));
    if (uuid == profile_->service_uuid() && service_path.empty()) service_path = path;
  }
  if (service_path.empty() && !reread) {
    // ServicesResolved can be true before (or without) the tree being exported: BlueZ sets it
    // even when GATT discovery failed (src/device.c, gatt_client_ready_cb / bluez#1489).
    // bleak-retry-connector re-reads (and clears the cache) when services are missing
    // (src/bleak_retry_connector/__init__.py:507-526). Re-read once before blaming the lock.
    bus_->wait_until(std::min(Clock::now() + kLinkDropGrace, Clock::now() + config_.bus_timeout),
                     [this] { return faulted() || !seen_->connected; });
    raise_if_faulted();
    return enumerate_gatt(true);
  }
  if (service_path.empty()) {
    disconnect_quietly();
    return failed(LockOutcome::protocol_error,
                  "the lock exposes no service " + display_uuid(profile_->service_uuid()) +
                      " (it has: " + (offered.empty() ? "none" : join(offered, ", ")) + ")");
  }
  for (const auto& c : chars) {
    if (c.service != service_path) continue;
    if (c.uuid == profile_->command_uuid() && command_path_.empty()) {
      command_path_ = c.path;
      command_mtu_ = c.mtu;
    }
    if (c.uuid == profile_->status_uuid() && status_path_.empty()) status_path_ = c.path;
  }
  if (command_path_.empty() || status_path_.empty()) {
    const std::string missing =
        command_path_.empty() ? profile_->command_uuid() : profile_->status_uuid();
    disconnect_quietly();
    return failed(LockOutcome::protocol_error, "service " + display_uuid(profile_->service_uuid()) +
                                                   " has no characteristic " +
                                                   display_uuid(missing));
  }
  return std::nullopt;
}

std::optional<ConnectResult> BluezLockLink::start_notify(SteadyTime deadline) {
  for (int attempt = 0;; ++attempt) {
    try {
      bus_->call(status_path_, kGattCharIface, "StartNotify", left(deadline));
      return std::nullopt;
    } catch (const BluezCallError& e) {
      Attribution a = attribute_bluez_error(e.error(), BluezStep::notify_setup);
      if (a.verdict == Verdict::already_done) return std::nullopt;
      if (a.verdict == Verdict::bond_problem) {
        disconnect_quietly();
        bond_fault(a.reason);
      }
      if (a.verdict == Verdict::rig_fault)
        throw RigFault(a.component, "lock " + lock_id_ + ": " + a.reason);
      if ((a.verdict == Verdict::retry_once || a.verdict == Verdict::recover_stale) &&
          attempt == 0 && Clock::now() < deadline)
        continue;
      if (a.verdict == Verdict::lock_outcome && a.outcome == LockOutcome::timeout)
        check_bluetoothd_answers("enabling status notifications");
      disconnect_quietly();
      return failed(a.verdict == Verdict::lock_outcome ? a.outcome : LockOutcome::protocol_error,
                    a.reason);
    }
  }
}

// Issue 12, item 2: after le-connection-abort-by-local, wait (bounded) for the half-open link to
// report Connected=false before anything else, as bleak does (bleak/backends/bluezdbus/client.py:
// 279-299 at 58d2a65), then back off and retry, as bleak-retry-connector does (0.25 s back-off,
// MAX_CONNECT_ATTEMPTS = 4: src/bleak_retry_connector/__init__.py:49,101,139-140 at cce9119).
// BlueZ reports every failed LE connect this way (src/device.c:5353-5370,5402-5404 in 5.66), so a
// persistent abort on a lock that advertised every time is the lock's failure to accept a
// connection, unless the adapter health check says the rig's side is broken.
ConnectResult BluezLockLink::connect_until(SteadyTime deadline, bool& recovered) {
  int local_aborts = 0;
  bool gatt_refreshed = false;
  last_connect_attempts_ = 0;
  // One link of this process at a time discovers and connects through an adapter (item 3).
  struct RadioTurn {
    AdapterGate* gate = nullptr;
    void release() {
      if (gate) gate->give_radio();
      gate = nullptr;
    }
    ~RadioTurn() { release(); }
  } turn;
  for (;;) {
    raise_if_faulted();
    if (!(seen_->device_present && seen_->connected)) {
      if (!find_lock(deadline)) {
        std::string wanted = config_.address ? "address " + *config_.address : "";
        if (config_.name) wanted += (wanted.empty() ? "name " : ", name ") + quote(*config_.name);
        return failed(LockOutcome::not_found, "not seen advertising on " + adapter_label_ +
                                                  " within the budget (looked for " + wanted + ")");
      }
      if (Clock::now() >= deadline)
        return failed(LockOutcome::timeout,
                      "found the lock, but the budget ran out before connecting");
      check_bond();
      // The turn is taken once the lock is found: a link searching for a vanished lock would
      // otherwise keep its neighbours from finding theirs (their not_found became a timeout).
      if (gate_ && !turn.gate) {
        // The lock never got its turn on the shared adapter: the rig's limit, not the lock's
        // (a hung bluetoothd holding another lock's Connect is the usual cause), so a rig fault
        // rather than a lock timeout that would count against this lock's SLI.
        if (!gate_->take_radio(deadline))
          throw RigFault("ble-adapter",
                         "lock " + lock_id_ + ": adapter " + adapter_label_ +
                             " stayed busy with another lock's connection for the whole budget "
                             "(bluetoothd did not finish it); this lock never got its turn");
        turn.gate = gate_.get();
      }
      if (!slot_held_ && gate_) {
        if (!gate_->take_slot(config_.max_connections, deadline))
          throw RigFault("ble-adapter",
                         "lock " + lock_id_ + ": no free connection slot on " + adapter_label_ +
                             " (max_connections " + std::to_string(config_.max_connections) +
                             ") within the budget; this lock never got its turn");
        slot_held_ = true;
      }
      // Pair establishes a link of its own (BlueZ connects LE before pairing, src/device.c:
      // 2846-2858 in 5.66), so it waits for the adapter's turn and a slot like Connect.
      if (config_.bonded && config_.pair_passkey && !seen_->paired && !seen_->bonded)
        pair_lock(deadline);
      ++last_connect_attempts_;
      try {
        bus_->call(device_path_, kDeviceIface, "Connect", left(deadline));
      } catch (const BluezCallError& e) {
        Attribution a = attribute_bluez_error(e.error(), BluezStep::connect);
        switch (a.verdict) {
          case Verdict::already_done:
            break;
          case Verdict::lock_outcome:
            if (a.outcome == LockOutcome::timeout) check_bluetoothd_answers("Device1.Connect");
            cancel_connect();
            return failed(a.outcome, a.reason);
          case Verdict::bond_problem:
            cancel_connect();
            bond_fault(a.reason);
          case Verdict::rig_fault:
            cancel_connect();
            throw RigFault(a.component,
                           "lock " + lock_id_ + " via " + adapter_label_ + ": " + a.reason);
          case Verdict::recover_stale:
            if (recovered)
              throw RigFault("bluetoothd",
                             "lock " + lock_id_ + " stays \"in progress\" in BlueZ");
            recovered = true;
            recover_stale_device();
            continue;
          case Verdict::retry_once:
          case Verdict::retry_connect: {
            ++local_aborts;
            // The half-open link: BlueZ may have shown Connected=true (its signal can still be
            // queued behind the error reply); wait for it to close, back off, and look again.
            auto wait_closed = [&] {
              bus_->dispatch();
              bus_->wait_until(std::min(deadline, Clock::now() + kAbortTeardownLimit),
                               [this] { return faulted() || !seen_->connected; });
              raise_if_faulted();
              return !seen_->connected;
            };
            // The other links on the adapter may use it while this one waits and backs off.
            AdapterGate* const gate = turn.gate;
            turn.release();
            bool closed = wait_closed();
            release_slot();
            const bool out_of_attempts = local_aborts >= config_.connect_attempts;
            const SteadyTime retry_at = Clock::now() + config_.connect_backoff * local_aborts;
            if (!out_of_attempts && closed && retry_at < deadline) {
              bus_->wait_until(retry_at, [this] { return faulted(); });
              raise_if_faulted();
              closed = wait_closed();
              (void)gate;
              if (closed) continue;
            }
            // Persistent: the rig's side answers for itself first.
            check_adapter_health(a.reason);
            cancel_connect();
            return failed(a.outcome,
                          a.reason + "; " + std::to_string(local_aborts) +
                              " connection attempt(s), each after the lock was seen advertising" +
                              (closed ? "" : ", the last half-open link did not close") +
                              "; the adapter is powered and bluetoothd answers");
          }
        }
      }
      seen_->connected = true;  // Connect returned: BlueZ's own signal may still be queued
    }

    bus_->wait_until(deadline,
                     [this] { return faulted() || seen_->services_resolved || !seen_->connected; });
    raise_if_faulted();
    if (!seen_->connected) {
      forget_link();
      return failed(LockOutcome::disconnected,
                    "the link dropped while BlueZ resolved the lock's services");
    }
    if (!seen_->services_resolved) {
      check_bluetoothd_answers("waiting for the lock's services");
      cancel_connect();
      return failed(LockOutcome::timeout,
                    "connected, but BlueZ did not resolve the lock's services in time");
    }
    if (auto r = enumerate_gatt()) {
      // Still missing after the re-read: BlueZ may be serving a cached tree of an older build
      // (Cache=always). Drop the cache and connect once more, as bleak-retry-connector does when
      // services are missing (src/bleak_retry_connector/__init__.py:507-526 at cce9119).
      if (!gatt_refreshed && !config_.bonded && Clock::now() < deadline) {
        gatt_refreshed = true;
        if (refresh_gatt_cache("the profile's service or characteristic is missing from the tree"))
          continue;
      }
      if (gatt_refreshed && !config_.bonded) r->detail += " (also after BlueZ's GATT cache was dropped)";
      return *r;
    }
    if (auto r = start_notify(deadline)) return *r;
    Port port(*this, deadline);
    if (auto refused = profile_->on_connected(port)) {
      disconnect_quietly();
      return failed(refused->outcome, refused->meaning);
    }
    link_ready_ = true;
    ConnectResult ok;
    ok.outcome = LockOutcome::success;
    ok.rssi_dbm = fresh_rssi("connected");
    return ok;
  }
}

// A `bonded: true` lock without a bond in BlueZ cannot be unlocked: its own cause, found before
// the lock is asked anything (issue 12, item 4). Paired/Bonded are Device1 properties
// (src/device.c:2972-2973 in 5.66).
void BluezLockLink::check_bond() {
  if (!config_.bonded || seen_->paired || seen_->bonded) return;
  if (config_.pair_passkey) return;  // paired once the adapter is ours (connect_until)
  bond_fault("the fixture says `bonded: true`, but BlueZ holds no bond for the lock (Paired and "
             "Bonded are false); pair it once on this adapter (bluetoothctl: pair " +
             (config_.address ? *config_.address : std::string("<address>")) +
             ", trust) or re-pair after a firmware flash that erased its bonds");
}

// Issue 12, item 4: pairing through an org.bluez.Agent1 of our own (doc/agent-api.txt in 5.66).
// Device1.Pair uses the agent registered by the caller's connection, else the default agent
// (agent_get(sender), src/agent.c:247-261; pair_device, src/device.c:2794-2866), so the agent
// lives on the link's own connection and never becomes the system's default. KeyboardOnly: the
// lock displays (or has printed) a passkey and the rig types it, so BlueZ asks RequestPasskey.
// As bleak's pair() does (bleak/backends/bluezdbus/client.py:432-469 at 58d2a65), the device is
// then marked Trusted. Any failure is the bond's own cause (RigFault ble-bond), never the lock's
// rejection; the passkey is never written anywhere (the exchange log notes its source only).
void BluezLockLink::pair_lock(SteadyTime deadline) {
  static std::atomic<unsigned> agents{0};
  const std::string agent_path = "/org/lockrig/agent" + std::to_string(::getpid()) + "_" +
                                 std::to_string(++agents);
  const std::string device = device_path_;
  int passkey_requests = 0;
  std::unique_ptr<sdbus::IObject> agent;
  try {
    agent = sdbus::createObject(bus_->connection(), agent_path);
    auto reject = [](const char* what) {
      throw sdbus::Error("org.bluez.Error.Rejected", std::string("lockrig answers only "
                                                                 "RequestPasskey, not ") + what);
    };
    const char* A = "org.bluez.Agent1";
    agent->registerMethod("Release").onInterface(A).implementedAs([] {});
    agent->registerMethod("Cancel").onInterface(A).implementedAs([] {});
    agent->registerMethod("RequestPasskey")
        .onInterface(A)
        .withInputParamNames("device")
        .withOutputParamNames("passkey")
        .implementedAs([this, device, &passkey_requests](const sdbus::ObjectPath& dev) {
          if (dev != device)
            throw sdbus::Error("org.bluez.Error.Rejected", "not the lock this link pairs");
          ++passkey_requests;
          bus_->note(ExchangeEntry::Kind::note, dev, "pair",
                     "RequestPasskey answered with the passkey from " + config_.pair_source);
          return *config_.pair_passkey;
        });
    agent->registerMethod("RequestPinCode").onInterface(A).withInputParamNames("device")
        .withOutputParamNames("pincode")
        .implementedAs([reject](const sdbus::ObjectPath&) -> std::string {
          reject("RequestPinCode");
          return {};
        });
    agent->registerMethod("DisplayPinCode").onInterface(A).withInputParamNames("device", "pincode")
        .implementedAs([reject](const sdbus::ObjectPath&, const std::string&) { reject("DisplayPinCode"); });
    agent->registerMethod("DisplayPasskey").onInterface(A)
        .withInputParamNames("device", "passkey", "entered")
        .implementedAs([](const sdbus::ObjectPath&, std::uint32_t, std::uint16_t) {});
    agent->registerMethod("RequestConfirmation").onInterface(A)
        .withInputParamNames("device", "passkey")
        .implementedAs([reject](const sdbus::ObjectPath&, std::uint32_t) { reject("RequestConfirmation"); });
    agent->registerMethod("RequestAuthorization").onInterface(A).withInputParamNames("device")
        .implementedAs([reject](const sdbus::ObjectPath&) { reject("RequestAuthorization"); });
    agent->registerMethod("AuthorizeService").onInterface(A).withInputParamNames("device", "uuid")
        .implementedAs([reject](const sdbus::ObjectPath&, const std::string&) { reject("AuthorizeService"); });
    agent->finishRegistration();
  } catch (const sdbus::Error& e) {
    throw RigFault("dbus", "lock " + lock_id_ + ": cannot export the pairing agent (" +
                               e.getName() + ": " + e.getMessage() + ")");
  }

  auto rig_side = [&](const BluezCallError& e, const char* doing) {
    Attribution a = attribute_bluez_error(e.error(), BluezStep::adapter);
    if (a.verdict == Verdict::rig_fault && (a.component == "dbus" || a.component == "bluetoothd"))
      throw RigFault(a.component, "lock " + lock_id_ + ": " + doing + ": " + a.reason);
  };
  try {
    bus_->call("/org/bluez", "org.bluez.AgentManager1", "RegisterAgent", config_.bus_timeout,
               sdbus::ObjectPath(agent_path), std::string("KeyboardOnly"));
  } catch (const BluezCallError& e) {
    rig_side(e, "registering the pairing agent");
    bond_fault("BlueZ refused the pairing agent (" + e.error().name + ": " + e.error().message +
               ")");
  }
  struct Unregister {
    BluezLockLink& link;
    std::string path;
    ~Unregister() {
      try {
        link.bus_->call("/org/bluez", "org.bluez.AgentManager1", "UnregisterAgent",
                        link.config_.bus_timeout, sdbus::ObjectPath(path));
      } catch (const std::exception&) {
        // Gone with the connection anyway: BlueZ drops an agent whose owner leaves the bus.
      }
    }
  } unregister{*this, agent_path};

  std::optional<BluezError> pair_error;
  bool pair_done = false;
  sdbus::PendingAsyncCall pending = bus_->call_async(
      device, kDeviceIface, "Pair", left(deadline),
      [&pair_error, &pair_done](std::optional<BluezError> e) {
        pair_done = true;
        pair_error = std::move(e);
      });
  bus_->wait_until(deadline, [&] { return pair_done || faulted(); });
  if (pending.isPending()) pending.cancel();
  raise_if_faulted();
  const std::string asked =
      passkey_requests > 0 ? "" : " (BlueZ never asked this agent for the passkey)";
  if (!pair_done)
    bond_fault("pairing with the passkey from " + config_.pair_source +
               " did not finish within the budget" + asked);
  if (pair_error && pair_error->name != "org.bluez.Error.AlreadyExists") {
    rig_side(BluezCallError(*pair_error), "pairing");
    bond_fault("pairing with the passkey from " + config_.pair_source + " failed (" +
               pair_error->name + ": " + pair_error->message + ")" + asked +
               "; check the passkey, and that the lock is in pairing mode");
  }
  ++pairings_;
  seen_->paired = true;
  try {
    bus_->call(device, kPropertiesIface, "Set", config_.bus_timeout, std::string(kDeviceIface),
               std::string("Trusted"), sdbus::Variant(true));
  } catch (const BluezCallError& e) {
    rig_side(e, "marking the lock trusted");
    bus_->note(ExchangeEntry::Kind::note, device, "pair",
               "paired, but Trusted was refused (" + e.error().name + ")");
  }
  bus_->note(ExchangeEntry::Kind::note, device, "pair",
             "paired through the rig's agent and marked Trusted");
}

// The adapter side of a persistent connect failure: powered, present and answering. RigFault
// "ble-adapter" when not; returns when the rig's side looks sound.
void BluezLockLink::check_adapter_health(const std::string& what) {
  check_bluetoothd_answers(what);
  try {
    auto reply = bus_->call(adapter_path_, kPropertiesIface, "Get", config_.bus_timeout,
                            std::string(kAdapterIface), std::string("Powered"));
    sdbus::Variant v;
    reply >> v;
    if (!v.containsValueOfType<bool>() || !v.get<bool>())
      throw RigFault("ble-adapter", "lock " + lock_id_ + ": " + what + ", and adapter " +
                                        adapter_label_ + " is not powered");
  } catch (const BluezCallError& e) {
    throw RigFault("ble-adapter", "lock " + lock_id_ + ": " + what + ", and adapter " +
                                      adapter_label_ + " does not answer (" + e.error().name +
                                      ")");
  }
}

ConnectResult BluezLockLink::connect(Duration timeout) {
  const SteadyTime start = Clock::now();
  begin_operation();
  ConnectResult r;
  if (refresh_pending_) {
    refresh_pending_ = false;
    refresh_gatt_cache("the rig selected a build on the lock");
  }
  if (link_ready_ && seen_->connected) {
    r.rssi_dbm = fresh_rssi("already connected");
    r.detail = "already connected";
  } else {
    forget_link();
    bool recovered = false;
    try {
      r = connect_until(start + timeout, recovered);
    } catch (const RigFault& e) {
      if (!recovered) throw;
      throw RigFault(e.component(),
                     e.message() + " (after RemoveDevice + rediscovery of the stale BlueZ device)");
    }
    // The recovery is worth a line in the journal; on success it rides on the next unlock's
    // detail (the runner journals a successful connect's detail nowhere).
    if (recovered) {
      r.detail = r.detail.empty() ? kRecoveredStale : r.detail + "; " + kRecoveredStale;
      if (r.outcome == LockOutcome::success) recovery_note_ = kRecoveredStale;
    }
  }
  r.elapsed = since(start);
  if (!r.rssi_dbm && r.outcome != LockOutcome::success) r.rssi_dbm = fresh_rssi("connect failed");
  return r;
}

bool BluezLockLink::connected() const {
  if (!bus_) return false;
  try {
    bus_->dispatch();
  } catch (const RigFault&) {
    return false;
  }
  return link_ready_ && seen_->connected && !seen_->gatt_lost && !faulted();
}

void BluezLockLink::disconnect() {
  recovery_note_.clear();
  if (!bus_) return;
  try {
    bus_->dispatch();
    const bool up = seen_->connected || link_ready_;
    disconnect_quietly();
    // BlueZ closes the link DISCONNECT_TIMER (2 s) after Disconnect; a Connect before then gets
    // the closing link back. Wait for Connected=false past that timer, whatever bus_timeout is.
    if (up && !faulted())
      bus_->wait_until(Clock::now() + std::max(config_.bus_timeout, kDisconnectTimer + kDisconnectSlack),
                       [this] { return !seen_->connected || faulted(); });
  } catch (const std::exception&) {
    forget_link();
  }
}

// ---- unlock ----------------------------------------------------------------------------------

UnlockResult BluezLockLink::unlock(Duration timeout) {
  const SteadyTime start = Clock::now();
  const SteadyTime deadline = start + timeout;
  begin_operation();
  UnlockResult r;
  if (!link_ready_ || !seen_->connected || seen_->gatt_lost) {
    r.rssi_dbm = fresh_rssi("unlock");
    forget_link();
    r.outcome = LockOutcome::disconnected;
    r.detail = "the link was down before the command was sent";
    return r;
  }

  const std::uint32_t sequence = ++sequence_;
  const Bytes command = profile_->unlock_command(sequence);
  // A write without response carries at most ATT MTU - 3 bytes; BlueZ refuses a longer one
  // before anything goes on air ("Failed to initiate write": src/gatt-client.c:1077-1086,
  // src/shared/att.c:340). A write request becomes a long write instead (gatt-client.c:1056-1065).
  // Said here with the sizes, as the rig's (profile's) fault: the lock would never see it.
  if (!profile_->write_with_response() && command_mtu_ &&
      static_cast<int>(command.size()) > *command_mtu_ - 3)
    throw RigFault("ble-profile",
                   "lock " + lock_id_ + ": the unlock command is " + std::to_string(command.size()) +
                       " bytes, but a write without response (`write: command`) carries at most " +
                       std::to_string(*command_mtu_ - 3) + " on this link (ATT MTU " +
                       std::to_string(*command_mtu_) +
                       "); use `write: request` (a long write) or a shorter command");
  seen_->armed = true;
  seen_->sequence = sequence;
  seen_->verdict.reset();
  seen_->skipped = 0;
  std::optional<BluezError> write_error;
  bool write_done = false;

  const SteadyTime sent = Clock::now();
  sdbus::PendingAsyncCall pending;
  try {
    pending = bus_->call_async(
        command_path_, kGattCharIface, "WriteValue", left(deadline),
        [&write_error, &write_done](std::optional<BluezError> e) {
          write_done = true;
          write_error = std::move(e);
        },
        command,
        Properties{{"type", sdbus::Variant(std::string(
                                profile_->write_with_response() ? "request" : "command"))}});
  } catch (const BluezCallError& e) {
    write_done = true;
    write_error = e.error();
  }

  bus_->wait_until(deadline, [&] {
    return seen_->verdict || write_error || !seen_->connected || seen_->gatt_lost || faulted();
  });
  seen_->armed = false;
  // The closure above refers to this frame's locals: its reply must never be delivered later.
  if (pending.isPending()) pending.cancel();
  raise_if_faulted();

  const auto sent_to = [&](SteadyTime t) { return std::chrono::duration_cast<Duration>(t - sent); };
  r.rssi_dbm = fresh_rssi("unlock");
  if (seen_->verdict) {
    r.outcome = seen_->verdict->outcome;
    r.latency = sent_to(seen_->verdict_at);
    r.detail = seen_->verdict->meaning;
  } else if (write_error) {
    Attribution a = attribute_bluez_error(*write_error, BluezStep::command_write);
    if (a.verdict == Verdict::bond_problem) bond_fault(a.reason);
    // BlueZ fails a pending request with ATT 0x0e when the link dies and signals Connected=false
    // after that reply (src/shared/att.c:1864): look at the link before blaming the lock.
    if (a.link_may_drop && !(!seen_->connected || seen_->gatt_lost)) {
      bus_->wait_until(std::min(deadline + kLinkDropGrace, Clock::now() + kLinkDropGrace),
                       [this] { return !seen_->connected || seen_->gatt_lost || faulted(); });
      raise_if_faulted();
    }
    if (a.link_may_drop && (!seen_->connected || seen_->gatt_lost)) {
      a = Attribution{Verdict::lock_outcome, LockOutcome::disconnected, "",
                      "the link dropped while the unlock command was written (" +
                          write_error->name + ": " + write_error->message + ")"};
    }
    if (a.verdict == Verdict::rig_fault)
      throw RigFault(a.component, "lock " + lock_id_ + ": " + a.reason);
    if (a.verdict == Verdict::lock_outcome && a.outcome == LockOutcome::timeout)
      check_bluetoothd_answers("writing the unlock command");
    // Never re-sent: a second unlock command would change what is being measured.
    r.outcome = a.verdict == Verdict::lock_outcome ? a.outcome : LockOutcome::protocol_error;
    r.latency = sent_to(Clock::now());
    r.detail = a.reason;
  } else if (!seen_->connected || seen_->gatt_lost) {
    r.outcome = LockOutcome::disconnected;
    r.latency = sent_to(Clock::now());
    r.detail = "the link dropped after the unlock command was sent";
  } else {
    r.latency = sent_to(Clock::now());
    check_bluetoothd_answers(write_done ? "waiting for the status notification"
                                        : "writing the unlock command");
    r.outcome = LockOutcome::timeout;
    r.detail = std::string("no status notification answered the command within ") +
               format_duration(timeout) +
               (write_done ? "" : " (the write itself was not acknowledged)");
  }
  if (seen_->skipped > 0)
    r.detail += "; skipped " + std::to_string(seen_->skipped) + " late status notification(s)";
  if (!recovery_note_.empty()) {
    r.detail = r.detail.empty() ? recovery_note_ : r.detail + "; " + recovery_note_;
    recovery_note_.clear();
  }
  if (r.outcome == LockOutcome::disconnected) forget_link();
  // A write request the lock never answered stays pending in BlueZ (chrc->write_op): the next
  // WriteValue on the characteristic would get InProgress and send nothing
  // (src/gatt-client.c:1013-1014 in 5.66), and only ATT's 30 s timeout ends it, by dropping the
  // link (src/shared/att.c:32,473-508). An unlock is never re-sent, so the link is closed now
  // (Connected=false awaited) and the next session connects afresh; this session stays the
  // lock's timeout. Unanswered: no reply yet, or our own deadline ended the call.
  if (r.outcome == LockOutcome::timeout && !seen_->verdict && profile_->write_with_response() &&
      (!write_done || (write_error && write_error->deadline_passed))) {
    disconnect();
    r.detail += "; the link was closed so that the next unlock does not meet BlueZ's pending "
                "write request";
  }
  return r;
}

// ---- identity --------------------------------------------------------------------------------

std::string BluezLockLink::read_string(const std::string& uuid, SteadyTime deadline) {
  Port port(*this, deadline);
  if (!characteristics_.count(uuid)) return "";
  GattIo io = port.read(uuid);
  return io.failure ? "" : printable(io.value);
}

std::optional<LockIdentity> BluezLockLink::identity(Duration timeout) {
  const SteadyTime deadline = Clock::now() + timeout;
  begin_operation();
  const bool refresh_first = refresh_pending_;  // connect() does it; then the tree is fresh
  bool was_up = link_ready_ && seen_->connected && !refresh_pending_;
  const std::string key =
      lock_id_ + "@" + config_.address.value_or(config_.name.value_or(std::string()));
  LockIdentity id;
  for (int pass = 0;; ++pass) {
    if ((refresh_pending_ || !(link_ready_ && seen_->connected)) &&
        connect(left(deadline)).outcome != LockOutcome::success)
      return std::nullopt;
    id = LockIdentity{};
    id.firmware = read_string(kFirmwareRevision, deadline);
    id.model = read_string(kModelNumber, deadline);
    id.manufacturer = read_string(kManufacturerName, deadline);
    std::string previous;
    {
      std::lock_guard lk(firmware_mu);
      auto it = last_firmware().find(key);
      if (it != last_firmware().end()) previous = it->second;
    }
    // Another firmware than last time, with no refresh since the build changed: the tree (and
    // so what was just read) may be the old build's. Refresh once and read again.
    if (pass == 0 && !refresh_first && !previous.empty() && id.firmware != previous &&
        Clock::now() < deadline) {
      was_up = false;
      if (refresh_gatt_cache("the lock reports firmware " + quote(id.firmware) + ", " +
                             quote(previous) + " before"))
        continue;
    }
    break;
  }
  {
    std::lock_guard lk(firmware_mu);
    last_firmware()[key] = id.firmware;
  }
  if (!was_up) disconnect();
  return id;
}

}  // namespace lockrig::drivers::bluez
