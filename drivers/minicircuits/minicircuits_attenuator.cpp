// Mini-Circuits programmable attenuator driver (see minicircuits_attenuator.hpp).
#include "drivers/minicircuits/minicircuits_attenuator.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "drivers/net/tcp_stream.hpp"
#include "drivers/rig_fault.hpp"
#include "drivers/serial/protocol_error.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::minicircuits {

namespace {

using namespace std::chrono_literals;
constexpr Duration kDefaultTimeout = 2s;  // ACTS http.py:45 waits 2 s for an HTTP answer
constexpr std::size_t kMaxHttpAnswer = 64 * 1024;

bool on_quarter_grid(double db) {
  const double q = db * 4;
  return std::abs(q - std::round(q)) < 1e-6;
}

std::string usb_id(std::uint16_t vid, std::uint16_t pid) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04x:%04x", vid, pid);
  return buf;
}

std::string component_of(const AttenuatorSpec& spec) {
  return "attenuator " + spec.id + " (" + spec.name + ")";
}

}  // namespace

MiniCircuitsSettings parse_settings(const AttenuatorSpec& spec) {
  const Settings& s = spec.settings;
  s.require_known_keys({"port", "serial", "model", "channel", "timeout"}, "minicircuits settings");
  spec.shared.require_known_keys({"timeout"}, "fixture-wide minicircuits settings");
  MiniCircuitsSettings out;
  if (!s.has("port"))
    throw ConfigError(s.has("serial") ? s.where("serial") : spec.where,
                      "attenuator " + quote(spec.id) +
                          " needs `port:` in its settings: usb, or http://HOST[:PORT] or "
                          "telnet://HOST[:PORT] for an Ethernet model");
  const std::string port = s.require_string("port");
  if (port == "usb") {
    out.usb = true;
  } else if (auto address = parse_http_address(port)) {
    out.http = *address;
  } else {
    throw ConfigError(s.where("port"),
                      "port must be usb, http://HOST[:PORT] or telnet://HOST[:PORT] (the "
                      "attenuator's address on the network), got " +
                          quote(port));
  }
  out.serial = s.get_string("serial", "");
  if (!out.serial.empty() && !out.usb)
    throw ConfigError(s.where("serial"),
                      "`serial` picks one of several USB attenuators; an Ethernet model is chosen "
                      "by its address in `port` (remove `serial`)");
  const long long channel = s.get_int("channel", 0);
  if (channel < 0 || channel > 4)
    throw ConfigError(s.where("channel"), "channel must be 1..4 (a channel of an RC4DAT), got " +
                                              std::to_string(channel));
  out.channel = static_cast<int>(channel);
  out.model = s.get_string("model", "");
  out.timeout = s.get_duration("timeout", spec.shared.get_duration("timeout", kDefaultTimeout));
  if (out.timeout < 10ms || out.timeout > 60s)
    throw ConfigError(s.has("timeout") ? s.where("timeout") : spec.shared.where("timeout"),
                      "timeout must be between 10ms and 60s, got " + format_duration(out.timeout));

  // Levels the device can take: 0.25 dB steps from 0 (the HID report's quarter field).
  const std::string id = quote(spec.id);
  if (spec.min_db < 0 || !on_quarter_grid(spec.min_db) || !on_quarter_grid(spec.step_db))
    throw ConfigError(spec.where, "attenuator " + id +
                                      ": a Mini-Circuits attenuator sets levels from 0dB in "
                                      "0.25dB steps; range start " +
                                      format_number(spec.min_db) + "dB and step " +
                                      format_number(spec.step_db) +
                                      "dB must be multiples of 0.25dB");
  if (!out.model.empty()) {
    const auto max = max_db_of_model(out.model);
    if (!max)
      throw ConfigError(s.where("model"),
                        "model " + quote(out.model) +
                            " does not end in its maximum attenuation like RCDAT-6000-90");
    if (spec.max_db > *max + 1e-9)
      throw ConfigError(spec.where, "attenuator " + id + " range " + format_number(spec.min_db) +
                                        "dB.." + format_number(spec.max_db) + "dB exceeds the " +
                                        out.model + "'s 0dB.." + format_number(*max) + "dB");
  }
  return out;
}

MiniCircuitsAttenuator::MiniCircuitsAttenuator(const AttenuatorSpec& spec,
                                               const MiniCircuitsSettings& settings)
    : component_(component_of(spec)), settings_(settings), where_(settings.http.str()) {
  std::string model;
  try {
    model = value_of(ask(":MN?", "the model name (MN?)"), "MN");
    serial_ = value_of(ask(":SN?", "the serial number (SN?)"), "SN");
  } catch (const serial::ProtocolError& e) {
    fault(std::string("not a Mini-Circuits attenuator? ") + e.what());
  }
  identify(model);
}

MiniCircuitsAttenuator::MiniCircuitsAttenuator(const AttenuatorSpec& spec,
                                               const MiniCircuitsSettings& settings,
                                               usbhid::HidBackend& backend)
    : component_(component_of(spec)), settings_(settings) {
  std::vector<usbhid::HidDeviceInfo> present;
  try {
    present = backend.enumerate();
  } catch (const std::exception& e) {
    throw RigFault(component_, "cannot list HID devices: " + std::string(e.what()));
  }
  const std::string wanted =
      "Mini-Circuits attenuator (" + usb_id(kVid, kAttenuatorPid) + ")" +
      (settings.serial.empty() ? "" : " with serial number " + quote(settings.serial));
  std::vector<std::string> seen;
  struct Candidate {
    std::string path, serial;
    std::unique_ptr<usbhid::HidHandle> handle;
  };
  std::vector<Candidate> found;
  for (const auto& d : present) {
    if (d.vid != kVid || d.pid != kAttenuatorPid) continue;
    std::string why;
    auto handle = backend.open(d.path, why);
    if (!handle) {
      seen.push_back(d.path + " (cannot open: " + why + ")");
      continue;
    }
    hid_ = std::move(handle);
    where_ = d.path;
    std::string serial;
    try {
      serial = decode_hid_text(
          hid_exchange(encode_hid_query(HidCode::serial_number), HidCode::serial_number),
          HidCode::serial_number);
    } catch (const RigFault& e) {
      seen.push_back(d.path + " (" + e.message() + ")");
      continue;
    } catch (const serial::ProtocolError& e) {
      seen.push_back(d.path + " (" + e.what() + ")");
      continue;
    }
    seen.push_back(quote(serial) + " at " + d.path);
    if (!settings.serial.empty() && serial != settings.serial) continue;
    found.push_back({d.path, serial, std::move(hid_)});
  }
  hid_.reset();
  const std::string listing = seen.empty() ? "none" : join(seen, ", ");
  if (found.empty())
    throw RigFault(component_, "cannot open " + wanted + ": none is present (present: " + listing +
                                   "; is it plugged in, and may this user open /dev/hidraw*?)");
  if (found.size() > 1)
    throw RigFault(component_, "cannot open " + wanted + ": " + std::to_string(found.size()) +
                                   " match (" + listing +
                                   "); give the serial number of the one to use as `serial:`");
  where_ = found.front().path;
  serial_ = found.front().serial;
  hid_ = std::move(found.front().handle);
  std::string model;
  try {
    model =
        decode_hid_text(hid_exchange(encode_hid_query(HidCode::model_name), HidCode::model_name),
                        HidCode::model_name);
  } catch (const serial::ProtocolError& e) {
    fault(std::string("garbled model name: ") + e.what());
  }
  identify(model);
}

MiniCircuitsAttenuator::~MiniCircuitsAttenuator() = default;

void MiniCircuitsAttenuator::identify(const std::string& model) {
  model_ = model;
  if (!settings_.model.empty() && model != settings_.model)
    fault("the device is a " + model + ", the fixture names a " + settings_.model +
          " (another attenuator at this address, or a wrong `model:`?)");
  const auto max = max_db_of_model(model);
  if (!max)
    fault("cannot tell the range of model " + quote(model) +
          ": its name does not end in its maximum attenuation like RCDAT-6000-90");
  limits_ = {0, *max, kStepDb};
}

void MiniCircuitsAttenuator::fault(const std::string& message) const {
  throw RigFault(component_, "Mini-Circuits " + (model_.empty() ? "attenuator" : model_) +
                                 (serial_.empty() ? "" : " " + quote(serial_)) + " at " + where_ +
                                 ": " + message);
}

std::string MiniCircuitsAttenuator::ask(const std::string& command, std::string_view waiting_for) {
  const std::string body =
      settings_.http.telnet ? telnet_ask(command, waiting_for) : http_get(command, waiting_for);
  // An unknown command is answered "-99 Unrecognized Command" (acidbourbon/lab_bench
  // workdir/python_modules/mini_circuits_rcdat.py checks for it).
  if (body.rfind("-99", 0) == 0)
    fault("does not know the command " + quote(command) + ": " + quote(body));
  return body;
}

std::string MiniCircuitsAttenuator::telnet_ask(const std::string& command,
                                               std::string_view waiting_for) {
  const net::TcpAddress tcp{settings_.http.host, settings_.http.port};
  try {
    if (!telnet_)
      telnet_ = std::make_unique<net::TcpStream>(
          tcp, settings_.timeout, component_,
          "Mini-Circuits " + (model_.empty() ? "attenuator" : model_));
    telnet_->discard_input();
    telnet_->write(telnet_line(command), settings_.timeout);
    std::string line = telnet_->read_until("\r\n", 4096, settings_.timeout, waiting_for);
    line.resize(line.size() - 2);
    const std::size_t b = line.find_first_not_of(" \t\r\n");
    return b == std::string::npos ? std::string() : line.substr(b);
  } catch (const net::NetError& e) {
    telnet_.reset();  // the next command connects again
    std::string message = e.message();
    for (std::size_t at; (at = message.find(tcp.str())) != std::string::npos;)
      message.replace(at, tcp.str().size(), where_);
    throw RigFault(component_, message);
  }
}

std::string MiniCircuitsAttenuator::http_get(const std::string& command,
                                             std::string_view waiting_for) {
  const net::TcpAddress tcp{settings_.http.host, settings_.http.port};
  std::string raw;
  try {
    net::TcpStream stream(tcp, settings_.timeout, component_,
                          "Mini-Circuits " + (model_.empty() ? "attenuator" : model_));
    stream.write(http_request(command, settings_.http), settings_.timeout);
    raw = stream.read_until_closed(kMaxHttpAnswer, settings_.timeout, waiting_for,
                                   http_response_complete);
  } catch (const net::NetError& e) {
    // Name the address as the fixture writes it.
    std::string message = e.message();
    for (std::size_t at; (at = message.find(tcp.str())) != std::string::npos;)
      message.replace(at, tcp.str().size(), where_);
    throw RigFault(component_, message);
  }
  if (raw.empty())
    fault("closed the connection without answering GET /" + command +
          " (another client connected, or the device is restarting?)");
  HttpAnswer answer;
  try {
    answer = parse_http_response(raw);
  } catch (const serial::ProtocolError& e) {
    fault("garbled answer to GET /" + command + ": " + e.what());
  }
  if (answer.status != 200)
    fault("GET /" + command + " answered HTTP status " + std::to_string(answer.status));
  return answer.body;
}

std::vector<std::uint8_t> MiniCircuitsAttenuator::hid_exchange(const HidReport& report,
                                                               HidCode code) {
  const int command = static_cast<int>(code);
  // hidapi takes the report id first: 0, as the attenuator has one unnumbered report.
  std::array<std::uint8_t, kReportSize + 1> out{};
  std::copy(report.begin(), report.end(), out.begin() + 1);
  if (hid_->write(out) < 0)
    fault("cannot send command " + std::to_string(command) + ": " + hid_->error() +
          " (unplugged?)");
  const auto deadline = std::chrono::steady_clock::now() + settings_.timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      fault("no answer to command " + std::to_string(command) + " within " +
            format_duration(settings_.timeout));
    std::array<std::uint8_t, kReportSize> in{};
    const int n = hid_->read_timeout(in, static_cast<int>(left.count()));
    if (n < 0)
      fault("lost while waiting for the answer to command " + std::to_string(command) + ": " +
            hid_->error() + " (unplugged?)");
    if (n == 0) continue;
    const std::span<const std::uint8_t> got(in.data(), static_cast<std::size_t>(n));
    // A late answer to an earlier command is skipped, as ssmdevices does
    // (_minicircuits_usb.py:78-84).
    if (hid_answers(got, code)) return {got.begin(), got.end()};
  }
}

void MiniCircuitsAttenuator::set_db(double db) {
  std::lock_guard lock(mutex_);
  if (db < limits_.min_db || db > limits_.max_db + 1e-9 || !on_quarter_grid(db))
    throw std::invalid_argument("attenuator: " + format_number(db) + "dB is not a level the " +
                                model_ + " takes (0dB.." + format_number(limits_.max_db) +
                                "dB in 0.25dB steps)");
  if (hid_) {
    hid_exchange(encode_hid_set_attenuation(db, std::max(1, settings_.channel)),
                 HidCode::set_attenuation);
    return;
  }
  const std::string command = set_command(db, settings_.channel);
  const std::string body = ask(command, "the answer to " + command);
  if (!set_accepted(body))
    fault("refused " + format_db(db) + "dB: " + (settings_.http.telnet ? "" : "GET /") + command +
          " answered " + quote(body) + " (1 means done)");
}

std::optional<double> MiniCircuitsAttenuator::read_db() {
  std::lock_guard lock(mutex_);
  try {
    if (hid_) {
      const int channel = std::max(1, settings_.channel);
      return decode_hid_attenuation(
          hid_exchange(encode_hid_query(HidCode::read_attenuation), HidCode::read_attenuation),
          channel);
    }
    const std::string command = read_command(settings_.channel);
    return parse_attenuation(ask(command, "the answer to " + command));
  } catch (const serial::ProtocolError& e) {
    fault(std::string("garbled attenuation read-back: ") + e.what());
  }
}

AttenuatorDriver minicircuits_driver(usbhid::HidBackend& backend) {
  AttenuatorDriver d;
  d.name = "minicircuits";
  d.summary =
      "Mini-Circuits RCDAT/RUDAT/RC4DAT programmable attenuator over USB HID (port: usb) or "
      "Ethernet (port: http://HOST or telnet://HOST); read back after every level";
  d.simulated = false;
  d.validate = [](const AttenuatorSpec& spec) { parse_settings(spec); };
  d.create = [&backend](const AttenuatorSpec& spec,
                        const DriverContext&) -> std::unique_ptr<Attenuator> {
    const MiniCircuitsSettings s = parse_settings(spec);
    if (s.usb) return std::make_unique<MiniCircuitsAttenuator>(spec, s, backend);
    return std::make_unique<MiniCircuitsAttenuator>(spec, s);
  };
  return d;
}

}  // namespace lockrig::drivers::minicircuits
