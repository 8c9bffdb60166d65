// The HID relay part of `lockrig probe` (see usbhid_probe.hpp).
#include "drivers/usbhid/usbhid_probe.hpp"

#include <exception>
#include <optional>
#include <string>

#include "drivers/registry.hpp"
#include "drivers/rig_fault.hpp"
#include "drivers/serial/protocol_error.hpp"
#include "drivers/usbhid/usbhid_board.hpp"
#include "drivers/usbhid/usbhid_protocol.hpp"
#include "rig/base/clock.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::usbhid {

namespace {

const UsbHidModel* model_of(Family family, int channels) {
  for (const UsbHidModel& m : models())
    if (m.family == family && m.channels == channels) return &m;
  return nullptr;
}

// The dcttech board id from its state report, or why it could not be read.
std::string read_board_id(HidBackend& backend, const std::string& path, std::string& why) {
  auto handle = backend.open(path, why);
  if (!handle) {
    why = "cannot open: " + why + "; may this user open /dev/hidraw*?";
    return {};
  }
  DcttechReport buf = dcttech_state_request();
  const int n = handle->get_feature_report(buf);
  if (n < 8) {
    why = "no state report: " + handle->error();
    return {};
  }
  try {
    return decode_dcttech_state(std::span(buf).first(static_cast<std::size_t>(n))).serial;
  } catch (const serial::ProtocolError& e) {
    why = e.what();
    return {};
  }
}

void print_device_line(std::FILE* out, const HidDeviceInfo& d) {
  std::fprintf(out, "  %s  %04x:%04x  product %s  USB serial %s\n", d.path.c_str(), d.vid, d.pid,
               quote(d.product).c_str(),
               d.serial_number.empty() ? "(none)" : quote(d.serial_number).c_str());
}

}  // namespace

void print_hid_relays(HidBackend& backend, std::FILE* out) {
  std::vector<HidDeviceInfo> present;
  try {
    present = backend.enumerate();
  } catch (const std::exception& e) {
    throw RigFault("hidapi", "cannot list HID devices: " + std::string(e.what()));
  }
  std::vector<const HidDeviceInfo*> boards;
  for (const HidDeviceInfo& d : present)
    if ((d.vid == kDcttechVid && d.pid == kDcttechPid && dcttech_relay_count(d.product)) ||
        d.vid == kLcusHidVid)
      boards.push_back(&d);
  std::fprintf(out, "HID relays (%zu of %zu HID devices):\n", boards.size(), present.size());
  for (const HidDeviceInfo* d : boards) {
    print_device_line(out, *d);
    if (d->vid == kLcusHidVid) {
      // Neither source reads anything back from these boards, so the relay count is unknown.
      std::fprintf(out,
                   "    LCUS-HID relay board, relay count not reported (write-only)\n"
                   "    fixture: driver: usbhid, settings: {model: lcus-hid-N} with N = 1, 2, 4 "
                   "or 8 as on the board; keep one LCUS-HID board plugged in (they cannot be "
                   "told apart)\n");
      continue;
    }
    const int relays = *dcttech_relay_count(d->product);
    const UsbHidModel* model = model_of(Family::dcttech, relays);
    std::string why;
    const std::string id = read_board_id(backend, d->path, why);
    const std::string title = model ? std::string(model->title) : d->product;
    if (why.empty())
      std::fprintf(out, "    %s, %d relay%s, board id %s\n", title.c_str(), relays,
                   relays == 1 ? "" : "s", quote(id).c_str());
    else
      std::fprintf(out, "    %s, %d relay%s, board id unknown (%s)\n", title.c_str(), relays,
                   relays == 1 ? "" : "s", why.c_str());
    if (!model) {
      std::fprintf(out, "    fixture: no usbhid model has %d relays\n", relays);
      continue;
    }
    std::string settings = "model: " + std::string(model->name);
    if (!id.empty()) settings += ", serial: " + id;
    std::fprintf(out, "    fixture: driver: usbhid, settings: {%s}\n", settings.c_str());
  }
}

int print_configured_hid_boards(const std::vector<SwitchBoardSpec>& boards, HidBackend& backend,
                                std::FILE* out) {
  std::vector<const SwitchBoardSpec*> mine;
  for (const SwitchBoardSpec& b : boards)
    if (b.driver == "usbhid") mine.push_back(&b);
  std::fprintf(out, "HID relays in the fixture (%zu):\n", mine.size());
  if (mine.empty()) std::fprintf(out, "  none (no switch board uses driver usbhid)\n");
  static RealClock clock;
  const SwitchDriver driver = usbhid_driver(backend);
  int failed = 0;
  for (const SwitchBoardSpec* spec : mine) {
    try {
      driver.validate(*spec);
      auto board = driver.create(*spec, DriverContext{clock, nullptr, 0});
      const auto& hid = dynamic_cast<const UsbHidBoard&>(*board);
      std::fprintf(out, "  %-10s %s%s at %s, %d relay%s\n", spec->id.c_str(),
                   std::string(hid.model().title).c_str(),
                   hid.board_serial().empty() ? "" : (" " + quote(hid.board_serial())).c_str(),
                   hid.device_path().c_str(), hid.model().channels,
                   hid.model().channels == 1 ? "" : "s");
    } catch (const RigFault& e) {
      ++failed;
      std::fprintf(out, "  %-10s rig fault: %s\n", spec->id.c_str(), e.what());
    }
  }
  return failed;
}

}  // namespace lockrig::drivers::usbhid
