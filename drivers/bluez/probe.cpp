// BLE probing for `lockrig probe`.
#include "drivers/bluez/probe.hpp"

#include <algorithm>
#include <set>

#include "drivers/bluez/bluez_bus.hpp"
#include "drivers/bluez/bluez_config.hpp"
#include "drivers/bluez/gatt_uuid.hpp"
#include "drivers/rig_fault.hpp"
#include "rig/text.hpp"

namespace lockrig::drivers::bluez {

namespace {

[[noreturn]] void fail(const BluezCallError& e, BluezStep step) {
  Attribution a = attribute_bluez_error(e.error(), step);
  throw RigFault(a.component, "probe: " + a.reason);
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
  const auto wanted_address = normalize_address(adapter);
  for (const auto& info : adapters_in(objects)) {
    names.push_back(info.name);
    if (info.name == adapter ||
        (wanted_address && normalize_address(info.address) == wanted_address))
      adapter_path = "/org/bluez/" + info.name;
  }
  if (adapter_path.empty())
    throw RigFault("ble-adapter", "probe: BlueZ has no adapter " + quote(adapter) +
                                      "; it has: " + (names.empty() ? "none" : join(names, ", ")));

  // Devices that showed an advertisement while we listened (a new object, or an RSSI update).
  std::set<std::string> seen;
  const std::string prefix = adapter_path + "/";
  bus.subscribe(
      "type='signal',interface='org.freedesktop.DBus.ObjectManager',member='InterfacesAdded',path='"
      "/'",
      [&](sdbus::Message& m) {
        sdbus::ObjectPath path;
        Interfaces ifaces;
        m >> path >> ifaces;
        if (ifaces.count(kDeviceIface) && path.rfind(prefix, 0) == 0) seen.insert(path);
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
        if (iface == kDeviceIface && changed.count("RSSI")) seen.insert(m.getPath());
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
  try {
    bus.call(adapter_path, kAdapterIface, "StopDiscovery", bus_timeout);
    objects = bus.managed_objects(bus_timeout);
  } catch (const BluezCallError& e) {
    Attribution a = attribute_bluez_error(e.error(), BluezStep::adapter);
    if (a.verdict == Verdict::rig_fault) throw RigFault(a.component, "probe: " + a.reason);
  }

  std::vector<VisibleBleDevice> out;
  for (const auto& [path, ifaces] : objects) {
    auto d = ifaces.find(kDeviceIface);
    if (d == ifaces.end() || path.rfind(prefix, 0) != 0) continue;
    const Properties& p = d->second;
    VisibleBleDevice dev;
    dev.address = prop_string(p, "Address").value_or("");
    dev.name = prop_string(p, "Name").value_or(prop_string(p, "Alias").value_or(""));
    dev.rssi_dbm = prop_int(p, "RSSI");
    dev.connected = prop_bool(p, "Connected").value_or(false);
    for (const auto& u : prop_strings(p, "UUIDs"))
      dev.service_uuids.push_back(normalize_uuid(u).value_or(u));
    if (!seen.count(path) && !dev.rssi_dbm && !dev.connected) continue;
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

}  // namespace lockrig::drivers::bluez
