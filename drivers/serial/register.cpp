// The serial (and USB HID, network) lab-hardware drivers' entries (relays, supplies, RF
// attenuators), in one explicit table, and their parts of `lockrig probe`: serial ports, HID
// relay boards, configured network instruments.
#include "drivers/serial/register.hpp"

#include <cstdio>

#include "drivers/devantech/devantech_board.hpp"
#include "drivers/kmtronic/kmtronic_board.hpp"
#include "drivers/korad/korad_supply.hpp"
#include "drivers/lcus/lcus_board.hpp"
#include "drivers/minicircuits/minicircuits_attenuator.hpp"
#include "drivers/numato/numato_board.hpp"
#include "drivers/scpi/scpi_probe.hpp"
#include "drivers/scpi/scpi_supply.hpp"
#include "drivers/serial/transport.hpp"
#include "drivers/usbhid/usbhid_board.hpp"
#include "drivers/usbhid/usbhid_probe.hpp"

namespace lockrig::drivers {

namespace {

// Every serial port with its stable USB identity, for fixture settings such as usb: "1a86:7523".
void print_serial_ports() {
  auto ports = serial::list_serial_ports();
  std::printf("serial ports (%zu):\n", ports.size());
  for (const auto& p : ports) {
    char usb[64] = "";
    if (p.usb_vid && p.usb_pid)
      std::snprintf(usb, sizeof usb, "usb %04x:%04x%s%s", *p.usb_vid, *p.usb_pid,
                    p.usb_serial.empty() ? "" : ":", p.usb_serial.c_str());
    std::printf("  %-14s %-8s %-28s %s %s\n", p.name.c_str(), p.transport.c_str(), usb,
                p.description.c_str(), p.by_id.c_str());
  }
}

}  // namespace

void register_serial_drivers(DriverRegistry& registry) {
  registry.add(lcus::lcus_driver());
  registry.add(numato::numato_driver());
  registry.add(kmtronic::kmtronic_driver());
  registry.add(devantech::devantech_driver());
  registry.add(usbhid::usbhid_driver());
  registry.add(korad::korad_driver());
  registry.add(scpi::scpi_driver());
  registry.add(minicircuits::minicircuits_driver());  // RF attenuators over USB HID or HTTP
  registry.add(ProbeEntry{"serial",
                          "serial ports with their stable USB identities\n(for fixture settings "
                          "such as usb: \"1a86:7523\" or port: /dev/serial/by-id/...)",
                          {},
                          {"no-serial", "skip serial ports", false, {}},
                          {},
                          [](const ProbeArgs&) { print_serial_ports(); },
                          {},
                          {}});
  registry.add(ProbeEntry{
      "HID relays",
      "USB HID relay boards (dcttech USBRelayN, LCUS-HID) with their board ids and the fixture "
      "line that selects each",
      {},
      {"no-hid", "skip HID relay boards", false, {}},
      {},
      [](const ProbeArgs&) { usbhid::print_hid_relays(usbhid::hidapi_backend(), stdout); },
      [](const ConfiguredParts& parts, const ProbeArgs&) {
        return usbhid::print_configured_hid_boards(parts.switches, usbhid::hidapi_backend(),
                                                   stdout);
      },
      "its `usbhid` relay boards (opened as a run opens them, board id read, nothing switched)"});
  registry.add(ProbeEntry{
      "network instruments",
      "",
      {},
      {"no-net", "skip network and USBTMC instruments (with --fixture)", false, {}},
      {},
      {},
      [](const ConfiguredParts& parts, const ProbeArgs&) {
        return scpi::print_configured_instruments(parts.supplies, stdout);
      },
      "its SCPI supplies reached by address (tcp://, usbtmc:), asked *IDN? with the model's "
      "pacing (nothing is set)"});
}

}  // namespace lockrig::drivers
