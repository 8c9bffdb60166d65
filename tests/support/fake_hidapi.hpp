// A double of hidapi for the `usbhid` tests: boards that answer reports as their firmware does
// according to darrylb123/usbrelay (libusbrelay.c:195-204,386-403) and labgrid
// (usb_hid_relay.py:61-95), next to a device that is no relay board (a mouse dongle).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "drivers/usbhid/hid_backend.hpp"
#include "drivers/usbhid/usbhid_protocol.hpp"

namespace lockrig::drivers::usbhid::fakehid {

struct FakeBoard {
  HidDeviceInfo info;
  std::string id;  // dcttech: the 5-character serial in the state report
  std::uint8_t relays = 0;
  int stuck = 0;  // a relay that ignores switching
  bool unplugged = false;
  std::vector<std::vector<std::uint8_t>> written;
};

class FakeHandle final : public HidHandle {
 public:
  explicit FakeHandle(FakeBoard& b) : b_(b) {}
  int write(std::span<const std::uint8_t> report) override {
    if (b_.unplugged) return -1;
    b_.written.emplace_back(report.begin(), report.end());
    if (b_.info.vid == kDcttechVid && report.size() >= 3 && report[0] == 0x00 &&
        (report[1] == 0xFF || report[1] == 0xFD) && report[2] != b_.stuck) {
      const std::uint8_t bit = static_cast<std::uint8_t>(1u << (report[2] - 1));
      b_.relays = report[1] == 0xFF ? (b_.relays | bit) : (b_.relays & ~bit);
    }
    if (b_.info.vid == kLcusHidVid && report.size() == 4 && report[0] == 0xA0) {
      const std::uint8_t bit = static_cast<std::uint8_t>(1u << (report[1] - 1));
      b_.relays = report[2] ? (b_.relays | bit) : (b_.relays & ~bit);
    }
    return static_cast<int>(report.size());
  }
  int get_feature_report(std::span<std::uint8_t> report) override {
    if (b_.unplugged || b_.info.vid != kDcttechVid || report.size() < 9 || report[0] != 0x01)
      return -1;
    std::fill(report.begin(), report.end(), 0);
    for (std::size_t i = 0; i < b_.id.size(); ++i) report[i] = static_cast<std::uint8_t>(b_.id[i]);
    report[7] = b_.relays;
    return 9;
  }
  int read_timeout(std::span<std::uint8_t> report, int) override {
    if (b_.unplugged) return -1;
    report[0] = 0xA0;
    return 4;
  }
  std::string error() const override { return b_.unplugged ? "No such device" : "bad report"; }

 private:
  FakeBoard& b_;
};

class FakeHidapi final : public HidBackend {
 public:
  std::vector<FakeBoard> boards;
  std::string enumerate_error;  // not empty: enumerate() throws it, as hidapi_backend() does
  std::string open_error;       // not empty: open() fails with it (permissions)
  std::vector<HidDeviceInfo> enumerate() override {
    if (!enumerate_error.empty()) throw std::runtime_error(enumerate_error);
    std::vector<HidDeviceInfo> out;
    for (const auto& b : boards) out.push_back(b.info);
    out.push_back({"/dev/hidraw9", 0x046d, 0xc52b, "USB Receiver", ""});  // a mouse dongle
    return out;
  }
  std::unique_ptr<HidHandle> open(const std::string& path, std::string& why) override {
    if (!open_error.empty()) {
      why = open_error;
      return nullptr;
    }
    for (auto& b : boards)
      if (b.info.path == path) return std::make_unique<FakeHandle>(b);
    why = "No such file or directory";
    return nullptr;
  }
};

inline FakeBoard dcttech(const std::string& path, const std::string& id, int relays) {
  FakeBoard b;
  b.info = {path, kDcttechVid, kDcttechPid, "USBRelay" + std::to_string(relays), ""};
  b.id = id;
  return b;
}

}  // namespace lockrig::drivers::usbhid::fakehid
