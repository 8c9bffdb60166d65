// Mini-Circuits programmable attenuator driver (`minicircuits`): RCDAT/RUDAT/RC4DAT models over
// USB HID (through HidBackend: hidapi in the rig, a double in tests) or over Ethernet (HTTP GET,
// one connection per command). The device's range comes from the model name it reports; the
// fixture's range and step must fit it. See README.md beside this file.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "drivers/attenuator.hpp"
#include "drivers/minicircuits/minicircuits_protocol.hpp"
#include "drivers/registry.hpp"
#include "drivers/usbhid/hid_backend.hpp"
#include "rig/base/clock.hpp"

namespace lockrig::drivers::net {
class TcpStream;
}

namespace lockrig::drivers::minicircuits {

struct MiniCircuitsSettings {
  bool usb = false;    // `port: usb`; otherwise `port: http://HOST[:PORT]` or telnet://
  HttpAddress http;    // with http:// or telnet://
  std::string serial;  // usb: the serial number that picks one of several devices
  std::string model;   // expected model name ("RCDAT-6000-90"); empty: any
  int channel = 0;     // 0: a single-channel model; 1..4: a channel of an RC4DAT
  Duration timeout{};
};

// Reads the part's `settings:` and checks them and the fixture's levels against what the model
// can take (0.25 dB steps; the model's range when `model:` is given). ConfigError at the value.
MiniCircuitsSettings parse_settings(const AttenuatorSpec& spec);

// One RCDAT/RUDAT (or one channel of an RC4DAT), over USB HID or HTTP.
class MiniCircuitsAttenuator final : public Attenuator {
 public:
  // Ethernet. Connects (asks the model) at once; RigFault when it is unreachable or is not the
  // model the fixture names.
  MiniCircuitsAttenuator(const AttenuatorSpec& spec, const MiniCircuitsSettings& settings);
  // USB HID: finds the device (by serial number when several are present) and opens it.
  MiniCircuitsAttenuator(const AttenuatorSpec& spec, const MiniCircuitsSettings& settings,
                         usbhid::HidBackend& backend);
  ~MiniCircuitsAttenuator() override;

  AttenuatorLimits limits() const override { return limits_; }
  void set_db(double db) override;
  std::optional<double> read_db() override;

  const std::string& model() const { return model_; }
  const std::string& serial_number() const { return serial_; }
  const std::string& where() const { return where_; }  // "http://..." or the hidraw path

 private:
  // One command over the network, its answer's text (HTTP or Telnet).
  std::string ask(const std::string& command, std::string_view waiting_for);
  std::string http_get(const std::string& command, std::string_view waiting_for);
  std::string telnet_ask(const std::string& command, std::string_view waiting_for);
  std::vector<std::uint8_t> hid_exchange(const HidReport& report, HidCode code);
  void identify(const std::string& model);
  [[noreturn]] void fault(const std::string& message) const;

  std::string component_;
  MiniCircuitsSettings settings_;
  std::mutex mutex_;
  std::unique_ptr<usbhid::HidHandle> hid_;
  std::unique_ptr<net::TcpStream> telnet_;  // telnet://: opened on first use, dropped on a fault
  std::string model_;
  std::string serial_;
  std::string where_;
  AttenuatorLimits limits_;
};

// Registry entry `minicircuits`, on `backend` for `port: usb` (hidapi unless a test gives another).
AttenuatorDriver minicircuits_driver(usbhid::HidBackend& backend = usbhid::hidapi_backend());

}  // namespace lockrig::drivers::minicircuits
