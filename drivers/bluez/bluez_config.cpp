// Settings parsing for the `bluez` driver.
#include "drivers/bluez/bluez_config.hpp"

#include <algorithm>
#include <cctype>

#include "drivers/bluez/secret.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::bluez {

std::optional<std::string> normalize_address(const std::string& text) {
  if (text.size() != 17) return std::nullopt;
  std::string out = text;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i % 3 == 2) {
      if (out[i] != ':') return std::nullopt;
      continue;
    }
    if (!std::isxdigit(static_cast<unsigned char>(out[i]))) return std::nullopt;
    out[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[i])));
  }
  return out;
}

namespace {

std::string read_adapter(const Settings& s) {
  const std::string text = s.require_string("adapter");
  if (auto addr = normalize_address(text)) return *addr;
  bool hci = text.size() > 3 && text.compare(0, 3, "hci") == 0;
  for (std::size_t i = 3; hci && i < text.size(); ++i)
    hci = std::isdigit(static_cast<unsigned char>(text[i])) != 0;
  if (!hci)
    throw ConfigError(s.where("adapter"),
                      "adapter must be an adapter name such as \"hci0\" or its address such as "
                      "\"00:1A:7D:DA:71:13\", got " +
                          quote(text));
  return text;
}

Duration read_bus_timeout(const Settings& s, Duration fallback) {
  Duration d = s.get_duration("bus_timeout", fallback);
  if (d < std::chrono::milliseconds(100) || d > std::chrono::minutes(2))
    throw ConfigError(s.where("bus_timeout"),
                      "bus_timeout must be between 100ms and 2m, got " + format_duration(d));
  return d;
}

}  // namespace

BluezLockConfig parse_bluez_config(const LockSpec& spec) {
  const Settings& shared = spec.shared;
  const Settings& s = spec.settings;
  shared.require_known_keys(
      {"adapter", "bus_timeout", "connect_attempts", "max_connections", "rssi_max_age"},
                            "the fixture's drivers.bluez block");
  s.require_known_keys({"address", "name", "match_service", "adapter", "bus_timeout", "profile",
                        "bonded", "pair", "connect_attempts", "max_connections", "rssi_max_age"},
                       "the settings of bluez lock " + quote(spec.id));
  BluezLockConfig c;
  if (shared.has("adapter")) c.adapter = read_adapter(shared);
  if (s.has("adapter")) c.adapter = read_adapter(s);
  if (shared.has("bus_timeout")) c.bus_timeout = read_bus_timeout(shared, c.bus_timeout);
  if (s.has("bus_timeout")) c.bus_timeout = read_bus_timeout(s, c.bus_timeout);

  auto read_int = [](const Settings& from, const char* key, long long lo, long long hi,
                     int fallback) {
    if (!from.has(key)) return fallback;
    const long long v = from.get_int(key, fallback);
    if (v < lo || v > hi)
      throw ConfigError(from.where(key), std::string(key) + " must be between " +
                                             std::to_string(lo) + " and " + std::to_string(hi) +
                                             ", got " + std::to_string(v));
    return static_cast<int>(v);
  };
  c.connect_attempts = read_int(shared, "connect_attempts", 1, 20, c.connect_attempts);
  c.connect_attempts = read_int(s, "connect_attempts", 1, 20, c.connect_attempts);
  c.max_connections = read_int(shared, "max_connections", 0, 32, c.max_connections);
  c.max_connections = read_int(s, "max_connections", 0, 32, c.max_connections);
  c.bonded = s.get_bool("bonded", false);
  if (s.has("pair")) {
    // The passkey a lock shows or has printed on it, six decimal digits (Core Vol 3 Part H
    // 2.3.5.3: 000000-999999), read through the lock-secret machinery so it is never printed.
    if (!c.bonded)
      throw ConfigError(s.where("pair"),
                        "pair: is for a lock that must be bonded; set `bonded: true` as well");
    if (!s.node()["pair"].IsMap())
      throw ConfigError(s.where("pair"),
                        "pair: must be a block with key_env or key_file holding the lock's "
                        "6-digit passkey, e.g. `pair: {key_env: WOOD1_PASSKEY}`");
    const Settings block = s.child("pair");
    block.require_known_keys({"key_env", "key_file"}, "the pair block of bluez lock " + quote(spec.id));
    auto secret = Secret::from_settings(block);
    if (!secret)
      throw ConfigError(s.where("pair"),
                        "pair: needs key_env or key_file holding the lock's 6-digit passkey");
    static const char* hex = "0123456789abcdef";
    std::string digits;
    for (const std::uint8_t b : secret->bytes()) {
      digits += hex[b >> 4];
      digits += hex[b & 15];
    }
    const bool decimal =
        digits.size() == 6 && std::all_of(digits.begin(), digits.end(), [](char ch) {
          return ch >= '0' && ch <= '9';
        });
    if (!decimal)
      throw ConfigError(block.where(block.has("key_env") ? "key_env" : "key_file"),
                        "the passkey in " + secret->source() +
                            " must be 6 decimal digits (a passkey below 100000 with its leading "
                            "zeros)");
    c.pair_passkey = static_cast<std::uint32_t>(std::stoul(digits));
    c.pair_source = secret->source();
  }
  auto read_age = [](const Settings& from, Duration fallback) {
    if (!from.has("rssi_max_age")) return fallback;
    const Duration d = from.get_duration("rssi_max_age", fallback);
    if (d < std::chrono::milliseconds(100) || d > std::chrono::minutes(10))
      throw ConfigError(from.where("rssi_max_age"),
                        "rssi_max_age must be between 100ms and 10m, got " + format_duration(d));
    return d;
  };
  c.rssi_max_age = read_age(s, read_age(shared, c.rssi_max_age));

  if (s.has("address")) {
    const std::string text = s.require_string("address");
    c.address = normalize_address(text);
    if (!c.address)
      throw ConfigError(
          s.where("address"),
          "address must be a Bluetooth address such as \"C4:7C:8D:6A:12:0F\", got " + quote(text));
  }
  if (s.has("name")) c.name = s.require_string("name");
  if (!c.address && !c.name)
    throw ConfigError(s.where(), "bluez lock " + quote(spec.id) +
                                     " needs an address: (or at least a name:) to be found by");
  c.match_service = s.get_bool("match_service", false);
  if (!s.has("profile"))
    throw ConfigError(s.where(), "bluez lock " + quote(spec.id) +
                                     " needs a profile: block describing its unlock exchange");
  return c;
}

}  // namespace lockrig::drivers::bluez
