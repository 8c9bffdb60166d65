// sdbus-c++ plumbing for the BlueZ driver: calls with deadlines, signal subscriptions and a
// dispatch loop on the caller's thread.
#include "drivers/bluez/bluez_bus.hpp"

#include <poll.h>

#include <cerrno>

#include "drivers/rig_fault.hpp"
#include "drivers/transcript.hpp"

namespace lockrig::drivers::bluez {

namespace {

std::uint64_t to_usec(Duration d) {
  // 0 would mean "the library's default of 25 s" to sd-bus; a call always gets at least 1 us.
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return us < 1 ? 1 : static_cast<std::uint64_t>(us);
}

bool is_timeout_name(const std::string& name) {
  return name == "org.freedesktop.DBus.Error.Timeout" ||
         name == "org.freedesktop.DBus.Error.NoReply" || name == "System.Error.ETIMEDOUT";
}

BluezError to_bluez_error(const sdbus::Error& e, SteadyTime started, Duration timeout) {
  BluezError out{e.getName(), e.getMessage(), false};
  // A timeout can be ours or the bus daemon's (NoReply when bluetoothd exits mid-call); only the
  // elapsed time tells them apart. 1 ms of slack covers the poll granularity.
  if (is_timeout_name(out.name))
    out.deadline_passed =
        std::chrono::steady_clock::now() - started + std::chrono::milliseconds(1) >= timeout;
  return out;
}

template <class T>
std::optional<T> get_as(const Properties& p, const std::string& key) {
  auto it = p.find(key);
  if (it == p.end()) return std::nullopt;
  try {
    if (!it->second.containsValueOfType<T>()) return std::nullopt;
    return it->second.get<T>();
  } catch (const sdbus::Error&) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<std::string> prop_string(const Properties& p, const std::string& key) {
  if (auto s = get_as<std::string>(p, key)) return s;
  if (auto o = get_as<sdbus::ObjectPath>(p, key)) return std::string(*o);
  return std::nullopt;
}
std::optional<bool> prop_bool(const Properties& p, const std::string& key) {
  return get_as<bool>(p, key);
}
std::optional<int> prop_int(const Properties& p, const std::string& key) {
  if (auto v = get_as<std::int16_t>(p, key)) return *v;
  if (auto v = get_as<std::int32_t>(p, key)) return *v;
  return std::nullopt;
}
std::vector<std::string> prop_strings(const Properties& p, const std::string& key) {
  return get_as<std::vector<std::string>>(p, key).value_or(std::vector<std::string>{});
}
std::optional<Bytes> prop_bytes(const Properties& p, const std::string& key) {
  return get_as<std::vector<std::uint8_t>>(p, key);
}

const char* exchange_kind_name(ExchangeEntry::Kind kind) {
  switch (kind) {
    case ExchangeEntry::Kind::call:
      return "call";
    case ExchangeEntry::Kind::reply:
      return "reply";
    case ExchangeEntry::Kind::error:
      return "error";
    case ExchangeEntry::Kind::signal:
      return "signal";
    case ExchangeEntry::Kind::note:
      return "note";
  }
  return "?";
}

std::string BluezBus::bytes_text(const Bytes& bytes) {
  return hex_and_ascii(std::span<const std::uint8_t>(bytes.data(), bytes.size()));
}

void BluezBus::note(ExchangeEntry::Kind kind, std::string path, std::string member,
                    std::string detail) {
  // Issue 15: the session transcript (a no-op on a thread without a recorder, e.g. lockrig probe).
  if (!transcript_who_.empty())
    transcript_text(kind == ExchangeEntry::Kind::call   ? TranscriptDirection::to_device
                    : kind == ExchangeEntry::Kind::note ? TranscriptDirection::note
                                                        : TranscriptDirection::from_device,
                    transcript_who_,
                    std::string(exchange_kind_name(kind)) + " " + member + " " + path +
                        (detail.empty() ? "" : " " + detail));
  if (log_.size() >= kExchangeLogLimit) {
    log_.pop_front();
    ++log_dropped_;
  }
  log_.push_back({std::chrono::steady_clock::now(), kind, std::move(path), std::move(member),
                  std::move(detail)});
}

std::vector<ExchangeEntry> BluezBus::take_exchange_log(std::size_t* dropped) {
  std::vector<ExchangeEntry> out(std::make_move_iterator(log_.begin()),
                                 std::make_move_iterator(log_.end()));
  if (dropped) *dropped = log_dropped_;
  log_.clear();
  log_dropped_ = 0;
  return out;
}

BluezBus::BluezBus() {
  try {
    connection_ = sdbus::createSystemBusConnection();
  } catch (const sdbus::Error& e) {
    throw RigFault("dbus", "cannot connect to the system bus (" + e.getName() + ": " +
                               e.getMessage() + "); is dbus-daemon running?");
  }
}

BluezBus::~BluezBus() {
  // Proxies and match slots refer to the connection: release them first.
  proxies_.clear();
  slots_.clear();
}

sdbus::IProxy& BluezBus::proxy(const char* destination, const std::string& path) {
  const std::string key = std::string(destination) + '\n' + path;
  auto it = proxies_.find(key);
  if (it == proxies_.end())
    it = proxies_.emplace(key, sdbus::createProxy(*connection_, destination, path)).first;
  return *it->second;
}

sdbus::MethodReply BluezBus::invoke(const char* destination, const std::string& path,
                                    const char* iface, const char* method, Duration timeout,
                                    const Append& append, const std::string& args_detail) {
  const SteadyTime started = std::chrono::steady_clock::now();
  const std::string member = std::string(iface) + "." + method;
  note(ExchangeEntry::Kind::call, path, member, args_detail);
  try {
    sdbus::IProxy& p = proxy(destination, path);
    auto call = p.createMethodCall(iface, method);
    append(call);
    auto reply = p.callMethod(call, to_usec(timeout));
    note(ExchangeEntry::Kind::reply, path, member, "");
    return reply;
  } catch (const sdbus::Error& e) {
    BluezError err = to_bluez_error(e, started, timeout);
    note(ExchangeEntry::Kind::error, path, member, err.name + ": " + err.message);
    throw BluezCallError(std::move(err));
  }
}

sdbus::PendingAsyncCall BluezBus::invoke_async(const std::string& path, const char* iface,
                                               const char* method, Duration timeout,
                                               DoneHandler on_done, const Append& append,
                                               const std::string& args_detail) {
  const SteadyTime started = std::chrono::steady_clock::now();
  const std::string member = std::string(iface) + "." + method;
  note(ExchangeEntry::Kind::call, path, member,
       args_detail.empty() ? "async" : "async " + args_detail);
  try {
    sdbus::IProxy& p = proxy(kBluezService, path);
    auto call = p.createMethodCall(iface, method);
    append(call);
    return p.callMethod(
        call,
        [this, path, member, on_done = std::move(on_done), started, timeout](
            sdbus::MethodReply&, const sdbus::Error* error) {
          if (error) {
            BluezError err = to_bluez_error(*error, started, timeout);
            note(ExchangeEntry::Kind::error, path, member, err.name + ": " + err.message);
            on_done(std::move(err));
          } else {
            note(ExchangeEntry::Kind::reply, path, member, "");
            on_done(std::nullopt);
          }
        },
        to_usec(timeout));
  } catch (const sdbus::Error& e) {
    BluezError err = to_bluez_error(e, started, timeout);
    note(ExchangeEntry::Kind::error, path, member, err.name + ": " + err.message);
    throw BluezCallError(std::move(err));
  }
}

ManagedObjects BluezBus::managed_objects(Duration timeout) {
  auto reply = call("/", kObjectManagerIface, "GetManagedObjects", timeout);
  ManagedObjects objects;
  try {
    reply >> objects;
  } catch (const sdbus::Error& e) {
    throw BluezCallError({"org.freedesktop.DBus.Error.InvalidSignature",
                          "GetManagedObjects returned an unexpected shape: " + e.getMessage(),
                          false});
  }
  return objects;
}

std::optional<std::string> BluezBus::bluez_owner(Duration timeout) {
  try {
    auto reply = invoke("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                        "GetNameOwner", timeout,
                        [](sdbus::MethodCall& m) { m << std::string(kBluezService); });
    std::string owner;
    reply >> owner;
    return owner;
  } catch (const BluezCallError& e) {
    if (e.error().name == "org.freedesktop.DBus.Error.NameHasNoOwner") return std::nullopt;
    throw;
  }
}

void BluezBus::subscribe(const std::string& match_rule,
                         std::function<void(sdbus::Message&)> handler) {
  try {
    slots_.push_back(
        connection_->addMatch(match_rule, [handler = std::move(handler)](sdbus::Message& m) {
          try {
            handler(m);
          } catch (const sdbus::Error&) {
            // A signal whose arguments do not have the documented types: not ours to act on.
          }
        }));
  } catch (const sdbus::Error& e) {
    throw RigFault(
        "dbus", "cannot subscribe to BlueZ signals (" + e.getName() + ": " + e.getMessage() + ")");
  }
}

void BluezBus::dispatch() {
  try {
    while (connection_->processPendingRequest()) {
    }
  } catch (const sdbus::Error& e) {
    throw RigFault("dbus",
                   "lost the system bus connection (" + e.getName() + ": " + e.getMessage() + ")");
  }
}

bool BluezBus::wait_until(SteadyTime deadline, const std::function<bool()>& done) {
  for (;;) {
    try {
      // One message at a time, so done() is checked right after the message that satisfies it.
      while (connection_->processPendingRequest())
        if (done()) return true;
    } catch (const sdbus::Error& e) {
      throw RigFault(
          "dbus", "lost the system bus connection (" + e.getName() + ": " + e.getMessage() + ")");
    }
    if (done()) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    auto data = connection_->getEventLoopPollData();
    int wait_ms =
        static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count());
    const int library_ms = data.getPollTimeout();  // pending call timeouts inside sd-bus
    if (library_ms >= 0 && library_ms < wait_ms) wait_ms = library_ms;
    pollfd fd{data.fd, data.events, 0};
    if (::poll(&fd, 1, wait_ms) < 0 && errno != EINTR)
      throw RigFault("dbus",
                     "waiting on the system bus failed (errno " + std::to_string(errno) + ")");
  }
}

}  // namespace lockrig::drivers::bluez
