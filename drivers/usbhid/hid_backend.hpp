// The few hidapi calls the HID relay driver makes, behind an interface: the real one is
// hidapi_backend.cpp (libhidapi-hidraw), and tests put a double of the boards' firmware here.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace lockrig::drivers::usbhid {

struct HidDeviceInfo {
  std::string path;  // hidapi's path, e.g. /dev/hidraw3
  std::uint16_t vid = 0;
  std::uint16_t pid = 0;
  std::string product;        // USB product string ("USBRelay2"), "" when the device has none
  std::string serial_number;  // USB serial number string, often empty on these boards
};

// An open device. Return values as hidapi's: bytes transferred, or -1 with error() saying why.
class HidHandle {
 public:
  virtual ~HidHandle() = default;
  virtual int write(std::span<const std::uint8_t> report) = 0;
  virtual int get_feature_report(std::span<std::uint8_t> report) = 0;
  virtual int read_timeout(std::span<std::uint8_t> report, int milliseconds) = 0;
  virtual std::string error() const = 0;
};

class HidBackend {
 public:
  virtual ~HidBackend() = default;
  // Every HID device present; throws std::runtime_error when enumeration fails.
  virtual std::vector<HidDeviceInfo> enumerate() = 0;
  // nullptr when the device cannot be opened; `why` then says why.
  virtual std::unique_ptr<HidHandle> open(const std::string& path, std::string& why) = 0;
};

// libhidapi-hidraw.
HidBackend& hidapi_backend();

}  // namespace lockrig::drivers::usbhid
