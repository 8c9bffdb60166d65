// hidapi behind HidBackend (see hid_backend.hpp). Needs libhidapi-dev (hidapi-hidraw).
#include <hidapi/hidapi.h>

#include <cwchar>
#include <mutex>
#include <stdexcept>

#include "drivers/usbhid/hid_backend.hpp"

namespace lockrig::drivers::usbhid {

namespace {

std::string narrow(const wchar_t* w) {
  if (!w) return {};
  std::string out;
  for (; *w; ++w) out += (*w >= 0x20 && *w < 0x7F) ? static_cast<char>(*w) : '?';
  return out;
}

class HidapiHandle final : public HidHandle {
 public:
  explicit HidapiHandle(hid_device* device) : device_(device) {}
  ~HidapiHandle() override { hid_close(device_); }

  int write(std::span<const std::uint8_t> report) override {
    return hid_write(device_, report.data(), report.size());
  }
  int get_feature_report(std::span<std::uint8_t> report) override {
    return hid_get_feature_report(device_, report.data(), report.size());
  }
  int read_timeout(std::span<std::uint8_t> report, int milliseconds) override {
    return hid_read_timeout(device_, report.data(), report.size(), milliseconds);
  }
  std::string error() const override {
    const std::string e = narrow(hid_error(device_));
    return e.empty() ? "unknown hidapi error" : e;
  }

 private:
  hid_device* device_;
};

class Hidapi final : public HidBackend {
 public:
  std::vector<HidDeviceInfo> enumerate() override {
    init();
    std::vector<HidDeviceInfo> out;
    hid_device_info* list = hid_enumerate(0, 0);
    for (hid_device_info* d = list; d; d = d->next)
      out.push_back({d->path ? d->path : "", d->vendor_id, d->product_id, narrow(d->product_string),
                     narrow(d->serial_number)});
    hid_free_enumeration(list);
    return out;
  }

  std::unique_ptr<HidHandle> open(const std::string& path, std::string& why) override {
    init();
    hid_device* device = hid_open_path(path.c_str());
    if (!device) {
      why = narrow(hid_error(nullptr));
      if (why.empty() || why == "Success") why = "cannot open (is the user allowed to use it?)";
      return nullptr;
    }
    return std::make_unique<HidapiHandle>(device);
  }

 private:
  void init() {
    std::call_once(once_, [] {
      if (hid_init() != 0) throw std::runtime_error("hid_init failed");
    });
  }
  std::once_flag once_;
};

}  // namespace

HidBackend& hidapi_backend() {
  static Hidapi backend;
  return backend;
}

}  // namespace lockrig::drivers::usbhid
