// A double of hidapi with Mini-Circuits attenuators behind it, answering 64-byte reports as the
// independent sources show the firmware does: the answer echoes the command code in byte 0
// (ssmdevices _minicircuits_usb.py:78-84); 18 answers whole dB and quarter steps per channel
// (rudatctrl rudat_6000_90_attenuator.cpp:96, ssmdevices attenuators.py:57-69); 19 sets
// (rudatctrl :111-114); 40 and 41 answer text from byte 1 ended by 0 (ssmdevices :57-60).
// hidapi's write takes the report id first; over hidraw a leading 0 is not sent (hidapi
// hid_write's documentation), so the device sees the 64 bytes after it.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "drivers/minicircuits/minicircuits_protocol.hpp"
#include "drivers/usbhid/hid_backend.hpp"

namespace lockrig::drivers::minicircuits::fakehid {

struct FakeAttenuator {
  usbhid::HidDeviceInfo info;
  std::string model = "RCDAT-6000-90";
  std::string serial = "11604210008";
  std::vector<int> quarters = std::vector<int>(4, 0);  // level per channel, in 0.25 dB
  int readback_offset_quarters = 0;                    // 18 answers the level plus this
  bool silent = false;                                 // takes reports, never answers
  bool unplugged = false;
  std::vector<std::vector<std::uint8_t>> written;  // as given to hid_write
  std::deque<std::vector<std::uint8_t>> answers;   // queued for hid_read
};

class FakeHandle final : public usbhid::HidHandle {
 public:
  explicit FakeHandle(FakeAttenuator& a) : a_(a) {}
  int write(std::span<const std::uint8_t> report) override {
    if (a_.unplugged) return -1;
    a_.written.emplace_back(report.begin(), report.end());
    if (report.empty() || report[0] != 0 || report.size() != kReportSize + 1) return -1;
    const std::span<const std::uint8_t> r = report.subspan(1);
    if (a_.silent) return static_cast<int>(report.size());
    std::vector<std::uint8_t> answer(kReportSize, 0);
    answer[0] = r[0];
    switch (r[0]) {
      case 18:
        for (int c = 0; c < 4; ++c) {
          const int q = a_.quarters[static_cast<std::size_t>(c)] + a_.readback_offset_quarters;
          answer[static_cast<std::size_t>(2 * c + 1)] = static_cast<std::uint8_t>(q / 4);
          answer[static_cast<std::size_t>(2 * c + 2)] = static_cast<std::uint8_t>(q % 4);
        }
        break;
      case 19:
        a_.quarters[static_cast<std::size_t>(r[3] - 1)] = r[1] * 4 + r[2];
        break;
      case 40:
      case 41: {
        const std::string& text = r[0] == 40 ? a_.model : a_.serial;
        for (std::size_t i = 0; i < text.size(); ++i)
          answer[i + 1] = static_cast<std::uint8_t>(text[i]);
        break;
      }
      default:
        return static_cast<int>(report.size());
    }
    a_.answers.push_back(answer);
    return static_cast<int>(report.size());
  }
  int get_feature_report(std::span<std::uint8_t>) override { return -1; }
  int read_timeout(std::span<std::uint8_t> report, int) override {
    if (a_.unplugged) return -1;
    if (a_.answers.empty()) return 0;  // hidapi: timed out
    const auto answer = a_.answers.front();
    a_.answers.pop_front();
    const std::size_t n = std::min(report.size(), answer.size());
    std::copy(answer.begin(), answer.begin() + static_cast<std::ptrdiff_t>(n), report.begin());
    return static_cast<int>(n);
  }
  std::string error() const override { return a_.unplugged ? "No such device" : "bad report"; }

 private:
  FakeAttenuator& a_;
};

class FakeHidapi final : public usbhid::HidBackend {
 public:
  std::deque<FakeAttenuator> devices;  // deque: handles keep references
  std::vector<usbhid::HidDeviceInfo> enumerate() override {
    std::vector<usbhid::HidDeviceInfo> out;
    for (const auto& d : devices) out.push_back(d.info);
    out.push_back({"/dev/hidraw9", 0x16C0, 0x05DF, "USBRelay2", ""});  // a relay board
    return out;
  }
  std::unique_ptr<usbhid::HidHandle> open(const std::string& path, std::string& why) override {
    for (auto& d : devices)
      if (d.info.path == path) return std::make_unique<FakeHandle>(d);
    why = "No such file or directory";
    return nullptr;
  }
  FakeAttenuator& add(const std::string& path, const std::string& serial,
                      const std::string& model = "RCDAT-6000-90") {
    FakeAttenuator a;
    a.info = {path, kVid, kAttenuatorPid, "Mini-Circuits", ""};
    a.serial = serial;
    a.model = model;
    devices.push_back(a);
    return devices.back();
  }
};

}  // namespace lockrig::drivers::minicircuits::fakehid
