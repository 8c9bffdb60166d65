// BLE probing for `lockrig probe`.
#include "drivers/bluez/probe.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>

#include "drivers/bluez/bluez_bus.hpp"
#include "drivers/bluez/bluez_config.hpp"
#include "drivers/bluez/gatt_uuid.hpp"
#include "drivers/command/process.hpp"
#include "drivers/rig_fault.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::bluez {

namespace {

[[noreturn]] void fail(const BluezCallError& e, BluezStep step) {
  Attribution a = attribute_bluez_error(e.error(), step);
  // Reading BlueZ's own state involves no lock: any error there is bluetoothd's unless the table
  // names another component.
  const bool named = a.verdict == Verdict::rig_fault && !a.component.empty();
  throw RigFault(named ? a.component : "bluetoothd", "probe: " + a.reason);
}

std::vector<BleAdapterInfo> adapters_in(const ManagedObjects& objects) {
  std::vector<BleAdapterInfo> out;
  for (const auto& [path, ifaces] : objects) {
    auto a = ifaces.find(kAdapterIface);
    if (a == ifaces.end()) continue;
    BleAdapterInfo info;
    info.name = path.substr(path.rfind('/') + 1);
    info.address = prop_string(a->second, "Address").value_or("");
    info.alias =
        prop_string(a->second, "Alias").value_or(prop_string(a->second, "Name").value_or(""));
    info.powered = prop_bool(a->second, "Powered").value_or(false);
    info.discovering = prop_bool(a->second, "Discovering").value_or(false);
    out.push_back(info);
  }
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.name < y.name; });
  return out;
}

}  // namespace

bool names_adapter(const BleAdapterInfo& adapter, const std::string& name_or_address) {
  if (adapter.name == name_or_address) return true;
  const auto wanted = normalize_address(name_or_address);
  return wanted && normalize_address(adapter.address) == wanted;
}

std::vector<BleAdapterInfo> list_ble_adapters(Duration bus_timeout) {
  BluezBus bus;
  try {
    return adapters_in(bus.managed_objects(bus_timeout));
  } catch (const BluezCallError& e) {
    fail(e, BluezStep::enumerate);
  }
}

std::vector<VisibleBleDevice> scan_ble_devices(const std::string& adapter, Duration duration,
                                               const std::vector<std::string>& service_uuids,
                                               Duration bus_timeout) {
  BluezBus bus;
  ManagedObjects objects;
  try {
    objects = bus.managed_objects(bus_timeout);
  } catch (const BluezCallError& e) {
    fail(e, BluezStep::enumerate);
  }
  std::string adapter_path;
  std::vector<std::string> names;
  for (const auto& info : adapters_in(objects)) {
    names.push_back(info.name);
    if (names_adapter(info, adapter)) adapter_path = "/org/bluez/" + info.name;
  }
  if (adapter_path.empty())
    throw RigFault("ble-adapter", "probe: BlueZ has no adapter " + quote(adapter) +
                                      "; it has: " + (names.empty() ? "none" : join(names, ", ")));

  // What the scan itself reported, from BlueZ's signals: BlueZ drops RSSI (and TxPower) of the
  // devices it found when the discovery session ends, so what the tree says after StopDiscovery
  // is not what was on air. A device counts as on air when it appeared or its RSSI changed while
  // we listened.
  struct Heard {
    std::optional<int> rssi;
    std::optional<std::string> name;
    std::optional<std::vector<std::string>> uuids;
  };
  std::map<std::string, Heard> heard;
  const std::string prefix = adapter_path + "/";
  auto note = [&heard](const std::string& path, const Properties& p) {
    Heard& h = heard[path];
    if (auto rssi = prop_int(p, "RSSI")) h.rssi = rssi;
    if (auto name = prop_string(p, "Name")) h.name = name;
    if (p.count("UUIDs")) h.uuids = prop_strings(p, "UUIDs");
  };
  bus.subscribe(
      "type='signal',interface='org.freedesktop.DBus.ObjectManager',member='InterfacesAdded',path='"
      "/'",
      [&](sdbus::Message& m) {
        sdbus::ObjectPath path;
        Interfaces ifaces;
        m >> path >> ifaces;
        auto d = ifaces.find(kDeviceIface);
        if (d != ifaces.end() && path.rfind(prefix, 0) == 0) note(path, d->second);
      });
  bus.subscribe(
      "type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
      "path_namespace='" +
          adapter_path + "'",
      [&](sdbus::Message& m) {
        std::string iface;
        Properties changed;
        m >> iface;
        m >> changed;
        const std::string path = m.getPath();
        if (iface != kDeviceIface || path.rfind(prefix, 0) != 0) return;
        // Only an RSSI update is an advertisement; a name or UUID change of a device not heard
        // from is kept in case it is (a later RSSI update in the same scan).
        if (changed.count("RSSI") || heard.count(path)) note(path, changed);
      });

  Properties filter{{"Transport", sdbus::Variant(std::string("le"))}};
  std::vector<std::string> uuids;
  for (const auto& u : service_uuids) uuids.push_back(normalize_uuid(u).value_or(u));
  if (!uuids.empty()) filter["UUIDs"] = sdbus::Variant(uuids);
  try {
    bus.call(adapter_path, kAdapterIface, "SetDiscoveryFilter", bus_timeout, filter);
    bus.call(adapter_path, kAdapterIface, "StartDiscovery", bus_timeout);
  } catch (const BluezCallError& e) {
    Attribution a = attribute_bluez_error(e.error(), BluezStep::adapter);
    if (a.verdict == Verdict::rig_fault) throw RigFault(a.component, "probe: " + a.reason);
  }
  bus.wait_until(std::chrono::steady_clock::now() + duration, [] { return false; });
  // The tree is read while discovery still runs, so it still carries the RSSI of what was seen.
  std::optional<BluezCallError> snapshot_error;
  try {
    objects = bus.managed_objects(bus_timeout);
  } catch (const BluezCallError& e) {
    snapshot_error = e;
  }
  try {
    bus.call(adapter_path, kAdapterIface, "StopDiscovery", bus_timeout);
  } catch (const BluezCallError& e) {
    Attribution a = attribute_bluez_error(e.error(), BluezStep::adapter);
    if (a.verdict == Verdict::rig_fault) throw RigFault(a.component, "probe: " + a.reason);
  }
  if (snapshot_error) fail(*snapshot_error, BluezStep::enumerate);
  bus.dispatch();  // signals that arrived with the replies

  std::vector<VisibleBleDevice> out;
  for (const auto& [path, ifaces] : objects) {
    auto d = ifaces.find(kDeviceIface);
    if (d == ifaces.end() || path.rfind(prefix, 0) != 0) continue;
    const Properties& p = d->second;
    const auto h = heard.find(path);
    const Heard* during = h == heard.end() ? nullptr : &h->second;
    VisibleBleDevice dev;
    dev.address = prop_string(p, "Address").value_or("");
    dev.name = prop_string(p, "Name")
                   .value_or(during && during->name ? *during->name
                                                    : prop_string(p, "Alias").value_or(""));
    dev.rssi_dbm = prop_int(p, "RSSI");
    if (!dev.rssi_dbm && during) dev.rssi_dbm = during->rssi;
    dev.connected = prop_bool(p, "Connected").value_or(false);
    dev.paired = prop_bool(p, "Paired").value_or(false);
    dev.bonded = prop_bool(p, "Bonded").value_or(dev.paired);
    std::vector<std::string> advertised = prop_strings(p, "UUIDs");
    if (advertised.empty() && during && during->uuids) advertised = *during->uuids;
    for (const auto& u : advertised) dev.service_uuids.push_back(normalize_uuid(u).value_or(u));
    if (!during && !dev.rssi_dbm && !dev.connected) continue;
    if (!uuids.empty() && std::none_of(uuids.begin(), uuids.end(), [&](const std::string& u) {
          return std::find(dev.service_uuids.begin(), dev.service_uuids.end(), u) !=
                 dev.service_uuids.end();
        }))
      continue;
    out.push_back(dev);
  }
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
    return x.rssi_dbm.value_or(-1000) > y.rssi_dbm.value_or(-1000);
  });
  return out;
}

void print_ble_probe(const std::string& adapter, Duration scan) {
  auto adapters = list_ble_adapters();
  const auto named = [&](const BleAdapterInfo& a) {
    return adapter.empty() || names_adapter(a, adapter);
  };
  if (!adapter.empty() && std::none_of(adapters.begin(), adapters.end(), named)) {
    std::vector<std::string> have;
    for (const auto& a : adapters) have.push_back(a.name + " (" + a.address + ")");
    throw UsageError("--adapter " + quote(adapter) + ": BlueZ has no such adapter; it has: " +
                     (have.empty() ? "none" : join(have, ", ")));
  }
  std::printf("BLE adapters (%zu):\n", adapters.size());
  for (const auto& a : adapters)
    std::printf("  %-6s %s  %s%s%s\n", a.name.c_str(), a.address.c_str(), a.alias.c_str(),
                a.powered ? "  powered" : "  NOT powered", a.discovering ? ", discovering" : "");
  for (const auto& a : adapters) {
    if (!named(a) || scan.count() == 0) continue;
    if (!a.powered) {
      if (!adapter.empty())
        std::fprintf(stderr, "%s is not powered: not scanned\n", a.name.c_str());
      continue;
    }
    std::fprintf(stderr, "scanning with %s for %s...\n", a.name.c_str(),
                 format_duration(scan).c_str());
    auto devices = scan_ble_devices(a.name, scan);
    std::printf("BLE devices seen by %s (%zu):\n", a.name.c_str(), devices.size());
    for (const auto& d : devices)
      std::printf("  %s  %-24s %5s dBm  %s%s\n", d.address.c_str(), d.name.c_str(),
                  d.rssi_dbm ? std::to_string(*d.rssi_dbm).c_str() : "?",
                  join(d.service_uuids, " ").c_str(), d.connected ? "  (connected)" : "");
  }
}

namespace {
// "5.55" -> true, "5.66" / "5.100" -> false; false when it is not a version at all.
bool older_than_5_62(const std::string& version) {
  int major = 0, minor = 0;
  if (std::sscanf(version.c_str(), "%d.%d", &major, &minor) != 2) return false;
  return major < 5 || (major == 5 && minor < 62);
}
}  // namespace

BluetoothdVersion find_bluetoothd_version() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("LOCKRIG_BLUETOOTHD"); env && *env) candidates.push_back(env);
  candidates.push_back("/usr/libexec/bluetooth/bluetoothd");  // Debian 12, BlueZ 5.66
  candidates.push_back("/usr/lib/bluetooth/bluetoothd");      // older Debian and Ubuntu
  for (const auto& path : candidates) {
    if (::access(path.c_str(), X_OK) != 0) continue;
    command::ProcessOptions options;
    options.timeout = std::chrono::seconds(2);
    options.max_stdout = 256;
    const auto r = command::run_process({path, "--version"}, options);
    std::string v = r.exited && r.exit_code == 0 ? r.out : "";
    v.erase(v.find_last_not_of(" \t\r\n") + 1);
    return {path, printable(v)};
  }
  return {};
}

std::string bluez_gatt_cache_setting(const std::string& main_conf) {
  // BlueZ's src/main.conf documents "#Cache = always" under [GATT] as the default, and
  // src/main.c parses it as always / yes / no.
  std::ifstream in(main_conf);
  std::string line, section, value = "always";
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#' || line[first] == ';') continue;
    line = line.substr(first);
    if (line[0] == '[') {
      section = line.substr(1, line.find(']') - 1);
      continue;
    }
    const auto eq = line.find('=');
    if (section != "GATT" || eq == std::string::npos) continue;
    std::string key = line.substr(0, eq), v = line.substr(eq + 1);
    key.erase(key.find_last_not_of(" \t") + 1);
    v.erase(0, v.find_first_not_of(" \t"));
    v.erase(v.find_last_not_of(" \t\r") + 1);
    if (key == "Cache" && !v.empty()) value = v;
  }
  return value;
}

int print_configured_ble_locks(const std::vector<LockSpec>& locks, Duration scan, std::FILE* out,
                               const std::string& main_conf) {
  struct Wanted {
    const LockSpec* spec;
    BluezLockConfig config;
  };
  std::map<std::string, std::vector<Wanted>> by_adapter;  // as the fixture names the adapter
  for (const auto& spec : locks) {
    if (spec.driver != "bluez") continue;
    BluezLockConfig config = parse_bluez_config(spec);
    by_adapter[config.adapter].push_back({&spec, std::move(config)});
  }
  if (by_adapter.empty()) return 0;
  std::size_t total = 0;
  for (const auto& [name, wanted] : by_adapter) total += wanted.size();
  std::fprintf(out, "BLE locks in the fixture (%zu):\n", total);
  const BluetoothdVersion daemon = find_bluetoothd_version();
  if (daemon.path.empty())
    std::fprintf(out, "  bluetoothd: not found (/usr/libexec/bluetooth/bluetoothd); version "
                      "unknown\n");
  else
    std::fprintf(out, "  bluetoothd %s (%s)%s\n",
                 daemon.version.empty() ? "(no answer to --version)" : daemon.version.c_str(),
                 daemon.path.c_str(),
                 older_than_5_62(daemon.version)
                     ? ": older than 5.62; lockrig's error table is written for the connect "
                       "error names of 5.62 and later (drivers/bluez/README.md, Error attribution)"
                     : "");
  const std::string cache = bluez_gatt_cache_setting(main_conf);
  std::fprintf(out, "  BlueZ GATT cache: %s (%s [GATT] Cache)%s\n", cache.c_str(),
               main_conf.c_str(),
               cache == "no" ? ""
                             : ": after flashing firmware that changes the GATT layout, clear "
                               "the lock's cache (`bluetoothctl remove ADDR` for an unbonded "
                               "lock) or set Cache = no");
  const auto adapters = list_ble_adapters();
  std::vector<std::string> have;
  for (const auto& a : adapters) have.push_back(a.name + " (" + a.address + ")");
  int not_ready = 0;
  auto problem = [&](const Wanted& w, const std::string& what, const std::string& fix) {
    ++not_ready;
    std::fprintf(out, "  %-10s NOT READY: %s; fix: %s\n", w.spec->id.c_str(), what.c_str(),
                 fix.c_str());
  };
  for (const auto& [name, wanted] : by_adapter) {
    const auto adapter = std::find_if(adapters.begin(), adapters.end(),
                                      [&](const BleAdapterInfo& a) { return names_adapter(a, name); });
    if (adapter == adapters.end()) {
      for (const auto& w : wanted)
        problem(w, "BlueZ has no adapter " + quote(name) + " (it has: " +
                       (have.empty() ? "none" : join(have, ", ")) + ")",
                "plug the adapter in, or name one BlueZ has in drivers.bluez.adapter");
      continue;
    }
    if (wanted.size() > 1)
      std::fprintf(out, "  %s serves %zu locks: they take turns on it (one discovery and connect "
                        "at a time); give locks their own adapter to run them in parallel\n",
                   adapter->name.c_str(), wanted.size());
    if (!adapter->powered) {
      for (const auto& w : wanted)
        problem(w, adapter->name + " is powered off",
                "`bluetoothctl power on` (or `rfkill unblock bluetooth` if it is blocked)");
      continue;
    }
    std::fprintf(stderr, "scanning with %s for %s...\n", adapter->name.c_str(),
                 format_duration(scan).c_str());
    const auto devices = scan_ble_devices(adapter->name, scan);
    for (const auto& w : wanted) {
      const auto d = std::find_if(devices.begin(), devices.end(), [&](const VisibleBleDevice& v) {
        return w.config.address ? v.address == *w.config.address
                                : w.config.name && v.name == *w.config.name;
      });
      const std::string who = w.config.address ? *w.config.address
                                               : "name " + quote(w.config.name.value_or(""));
      if (d == devices.end()) {
        problem(w, who + " not heard advertising in " + format_duration(scan) + " on " +
                       adapter->name,
                "check the lock is powered (battery relay on, supply output on), outside the RF "
                "shield, and that `address:`/`name:` match `lockrig probe --scan 10s`");
        continue;
      }
      if (w.config.bonded && !d->bonded) {
        problem(w, d->address + " is `bonded: true` but BlueZ holds no bond with it",
                "pair it once on this rig (`bluetoothctl pair " + d->address + "`, then `trust`)");
        continue;
      }
      std::fprintf(out, "  %-10s ready: %s on %s, RSSI %s dBm%s%s\n", w.spec->id.c_str(),
                   d->address.c_str(), adapter->name.c_str(),
                   d->rssi_dbm ? std::to_string(*d->rssi_dbm).c_str() : "?",
                   d->bonded ? ", bonded" : "", d->connected ? ", connected" : "");
    }
  }
  return not_ready;
}

}  // namespace lockrig::drivers::bluez
