// The driver's one connection to BlueZ over the system bus, used from a single thread. There is
// deliberately no event-loop thread: the calling thread dispatches incoming messages itself while
// it waits (wait_until), so signal handlers run on the caller's thread without locks, a
// notification is timestamped as soon as it is read off the socket, and a broken bus surfaces as a
// RigFault in the caller instead of an exception escaping a library thread. This is also the one
// place where sdbus-c++ errors become the driver's exceptions.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "drivers/bluez/error_attribution.hpp"
#include "drivers/bluez/lock_profile.hpp"
#include "rig/base/clock.hpp"

namespace lockrig::drivers::bluez {

inline constexpr char kBluezService[] = "org.bluez";
inline constexpr char kAdapterIface[] = "org.bluez.Adapter1";
inline constexpr char kDeviceIface[] = "org.bluez.Device1";
inline constexpr char kGattServiceIface[] = "org.bluez.GattService1";
inline constexpr char kGattCharIface[] = "org.bluez.GattCharacteristic1";
inline constexpr char kPropertiesIface[] = "org.freedesktop.DBus.Properties";
inline constexpr char kObjectManagerIface[] = "org.freedesktop.DBus.ObjectManager";

using Properties = std::map<std::string, sdbus::Variant>;
using Interfaces = std::map<std::string, Properties>;
using ManagedObjects = std::map<sdbus::ObjectPath, Interfaces>;
using SteadyTime = std::chrono::steady_clock::time_point;

// A call to BlueZ came back with an error (or none before its timeout).
class BluezCallError : public std::runtime_error {
 public:
  explicit BluezCallError(BluezError e)
      : std::runtime_error(e.name + ": " + e.message), error_(std::move(e)) {}
  const BluezError& error() const { return error_; }

 private:
  BluezError error_;
};

// Property reads that treat an absent or differently typed value as absent.
std::optional<std::string> prop_string(const Properties& p, const std::string& key);
std::optional<bool> prop_bool(const Properties& p, const std::string& key);
std::optional<int> prop_int(const Properties& p, const std::string& key);  // int16 (RSSI)
std::vector<std::string> prop_strings(const Properties& p, const std::string& key);
std::optional<Bytes> prop_bytes(const Properties& p, const std::string& key);

// One line of the D-Bus exchange with BlueZ (issue 12, item 8): what the driver sent, what came
// back and which signals it acted on, with the time it happened on the steady clock.
struct ExchangeEntry {
  enum class Kind { call, reply, error, signal, note };  // note: the driver's own remark
  SteadyTime at{};
  Kind kind = Kind::call;
  std::string path;
  std::string member;  // "org.bluez.Device1.Connect", "PropertiesChanged"
  std::string detail;  // error name and message; a signal's interface and changed keys
};
const char* exchange_kind_name(ExchangeEntry::Kind kind);

class BluezBus {
 public:
  // The bounded exchange log keeps the last kExchangeLogLimit entries.
  static constexpr std::size_t kExchangeLogLimit = 512;

  // Connects to the system bus ($DBUS_SYSTEM_BUS_ADDRESS if set). RigFault("dbus") if impossible.
  BluezBus();
  ~BluezBus();
  BluezBus(const BluezBus&) = delete;
  BluezBus& operator=(const BluezBus&) = delete;

  // Synchronous call to org.bluez; BluezCallError on an error reply or timeout.
  template <class... Args>
  sdbus::MethodReply call(const std::string& path, const char* iface, const char* method,
                          Duration timeout, const Args&... args) {
    return invoke(kBluezService, path, iface, method, timeout,
                  [&](sdbus::MethodCall& m) { ((m << args), ...); }, describe_args(args...));
  }

  // Sends a call whose outcome is handed to `on_done` (nullopt = success) from dispatch() or
  // wait_until(). Cancel the returned handle to drop a reply nobody waits for any more.
  using DoneHandler = std::function<void(std::optional<BluezError>)>;
  template <class... Args>
  sdbus::PendingAsyncCall call_async(const std::string& path, const char* iface, const char* method,
                                     Duration timeout, DoneHandler on_done, const Args&... args) {
    return invoke_async(path, iface, method, timeout, std::move(on_done),
                        [&](sdbus::MethodCall& m) { ((m << args), ...); }, describe_args(args...));
  }

  ManagedObjects managed_objects(Duration timeout);
  // Unique bus name currently owning org.bluez; nullopt when bluetoothd is not on the bus.
  std::optional<std::string> bluez_owner(Duration timeout);

  // Delivers matching signals to `handler` (on this thread, from dispatch/wait_until) for the
  // life of this object. Exceptions from decoding a malformed signal are contained.
  void subscribe(const std::string& match_rule, std::function<void(sdbus::Message&)> handler);

  // The exchange since the last take (oldest first); `dropped` counts entries the bound pushed out.
  std::vector<ExchangeEntry> take_exchange_log(std::size_t* dropped = nullptr);
  void note(ExchangeEntry::Kind kind, std::string path, std::string member, std::string detail);
  // Issue 15: from now on every note() also goes to the calling thread's session transcript
  // (drivers/transcript.hpp) as `who` ("<lock id> dbus"): calls as sent ('>'), replies, errors and
  // signals as received ('<'). The transcript redacts registered secrets (the lock key).
  void set_transcript_who(std::string who) { transcript_who_ = std::move(who); }
  // Bytes as a log entry shows them: hex, then ASCII (drivers::hex_and_ascii).
  static std::string bytes_text(const Bytes& bytes);

  // The connection, for an object the link exports on it (the pairing agent): its method calls
  // are served by dispatch() and wait_until() like the signals.
  sdbus::IConnection& connection() { return *connection_; }

  // Processes everything already received, without blocking. RigFault("dbus") if the bus broke.
  void dispatch();
  // Processes incoming messages until done() holds or the deadline passes; returns done().
  bool wait_until(SteadyTime deadline, const std::function<bool()>& done);

 private:
  using Append = std::function<void(sdbus::MethodCall&)>;
  // What a call's log entry shows of its arguments: the byte arrays (a GATT WriteValue's value)
  // in hex and ASCII.
  template <class... Args>
  static std::string describe_args(const Args&... args) {
    std::string out;
    (describe_arg(out, args), ...);
    return out;
  }
  template <class T>
  static void describe_arg(std::string& out, const T& arg) {
    if constexpr (std::is_same_v<T, Bytes>) out += (out.empty() ? "" : " ") + bytes_text(arg);
  }
  sdbus::MethodReply invoke(const char* destination, const std::string& path, const char* iface,
                            const char* method, Duration timeout, const Append& append,
                            const std::string& args_detail = "");
  sdbus::PendingAsyncCall invoke_async(const std::string& path, const char* iface,
                                       const char* method, Duration timeout, DoneHandler on_done,
                                       const Append& append, const std::string& args_detail = "");
  sdbus::IProxy& proxy(const char* destination, const std::string& path);

  std::unique_ptr<sdbus::IConnection> connection_;
  std::vector<sdbus::Slot> slots_;
  std::map<std::string, std::unique_ptr<sdbus::IProxy>> proxies_;
  std::deque<ExchangeEntry> log_;
  std::size_t log_dropped_ = 0;
  std::string transcript_who_;
};

}  // namespace lockrig::drivers::bluez
