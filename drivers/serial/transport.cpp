// The serial transport on libserialport (see transport.hpp).
#include "drivers/serial/transport.hpp"

#include <libserialport.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <thread>

#include "drivers/transcript.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::serial {

namespace {

using SteadyClock = std::chrono::steady_clock;

// What an operator can do about an OS error on a serial port.
std::string hint_for(int err) {
  switch (err) {
    case EACCES:
    case EPERM:
      return " (is the user in group dialout?)";
    case ENOENT:
    case ENODEV:
    case ENXIO:
      return " (is it plugged in? `lockrig probe` lists the serial ports present)";
    case EBUSY:
      return " (is another program using it? `fuser -v` names it)";
    case EIO:
      return " (was the device unplugged or reset?)";
    default:
      return "";
  }
}

// libserialport treats 0 as "wait forever"; a deadline that has just passed must not become one.
unsigned timeout_ms(Duration d) {
  double ms = std::ceil(to_ms(d));
  return ms < 1 ? 1u : static_cast<unsigned>(std::min(ms, 3.6e6));
}

struct PortListDeleter {
  void operator()(sp_port** list) const { sp_free_port_list(list); }
};
struct ConfigDeleter {
  void operator()(sp_port_config* config) const { sp_free_config(config); }
};

std::string or_empty(const char* s) {
  return s ? std::string(s) : std::string();
}

// udev's stable names: /dev/serial/by-id/<link> -> ../../ttyUSB0.
std::map<std::string, std::string> by_id_links() {
  std::map<std::string, std::string> links;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/dev/serial/by-id", ec)) {
    std::error_code target_ec;
    auto target = std::filesystem::canonical(entry.path(), target_ec);
    if (!target_ec) links.emplace(target.string(), entry.path().string());
  }
  return links;
}

std::string describe_port(const SerialPortInfo& p) {
  std::string s = p.name;
  if (p.usb_vid && p.usb_pid) {
    UsbId id{*p.usb_vid, *p.usb_pid, p.usb_serial};
    s += " (USB " + id.str() + ")";
  }
  return s;
}

}  // namespace

int check(int rc, std::string_view action, const std::string& port, const std::string& component) {
  if (rc >= 0) return rc;
  std::string reason;
  std::string hint;
  switch (rc) {
    case SP_ERR_FAIL: {
      // Read errno's message before anything else can overwrite it.
      int err = sp_last_error_code();
      char* message = sp_last_error_message();
      reason = message ? message : "unknown system error";
      sp_free_error_message(message);
      hint = hint_for(err);
      break;
    }
    case SP_ERR_ARG:
      reason = "rejected by libserialport (not a serial port the kernel knows?)";
      break;
    case SP_ERR_MEM:
      reason = "out of memory";
      break;
    case SP_ERR_SUPP:
      reason = "not supported by this port";
      break;
    default:
      reason = "libserialport error " + std::to_string(rc);
  }
  throw SerialError(component, port,
                    std::string(action) + " " + quote(port) + ": " + reason + hint);
}

std::vector<SerialPortInfo> list_serial_ports() {
  sp_port** raw = nullptr;
  check(sp_list_ports(&raw), "cannot list serial ports in", "/sys/class/tty", "serial ports");
  std::unique_ptr<sp_port*, PortListDeleter> list(raw);
  const auto links = by_id_links();

  std::vector<SerialPortInfo> ports;
  for (sp_port** p = list.get(); *p; ++p) {
    SerialPortInfo info;
    info.name = or_empty(sp_get_port_name(*p));
    info.description = or_empty(sp_get_port_description(*p));
    switch (sp_get_port_transport(*p)) {
      case SP_TRANSPORT_USB: {
        info.transport = "usb";
        int vid = 0, pid = 0;
        if (sp_get_port_usb_vid_pid(*p, &vid, &pid) == SP_OK) {
          info.usb_vid = static_cast<std::uint16_t>(vid);
          info.usb_pid = static_cast<std::uint16_t>(pid);
        }
        info.usb_serial = or_empty(sp_get_port_usb_serial(*p));
        info.usb_manufacturer = or_empty(sp_get_port_usb_manufacturer(*p));
        info.usb_product = or_empty(sp_get_port_usb_product(*p));
        break;
      }
      case SP_TRANSPORT_BLUETOOTH:
        info.transport = "bluetooth";
        break;
      default:
        info.transport = "native";
    }
    if (auto it = links.find(info.name); it != links.end()) info.by_id = it->second;
    ports.push_back(std::move(info));
  }
  std::sort(ports.begin(), ports.end(),
            [](const SerialPortInfo& a, const SerialPortInfo& b) { return a.name < b.name; });
  return ports;
}

std::string resolve_port(const PortLocator& where, const std::string& component,
                         std::string_view what) {
  if (where.usb) {
    std::vector<SerialPortInfo> present = list_serial_ports();
    std::vector<const SerialPortInfo*> matches;
    for (const auto& p : present)
      if (p.usb_vid && p.usb_pid && where.usb->matches(*p.usb_vid, *p.usb_pid, p.usb_serial))
        matches.push_back(&p);
    if (matches.size() == 1) return matches.front()->name;
    std::vector<std::string> names;
    if (matches.empty()) {
      for (const auto& p : present) names.push_back(describe_port(p));
      throw SerialError(component, where.str(),
                        "cannot open " + std::string(what) + ": no serial port with USB id " +
                            quote(where.usb->str()) + " is present (present: " +
                            (names.empty() ? "none" : join(names, ", ")) + "; is it plugged in?)");
    }
    for (const auto* p : matches) names.push_back(describe_port(*p));
    throw ConfigError(where.where, "usb " + quote(where.usb->str()) + " matches " +
                                       std::to_string(matches.size()) + " ports (" +
                                       join(names, ", ") +
                                       "); add the serial number as VID:PID:SERIAL");
  }
  std::error_code ec;
  auto device = std::filesystem::canonical(where.path, ec);
  if (ec)
    throw SerialError(component, where.path,
                      "cannot open " + std::string(what) + " " + quote(where.path) + ": " +
                          ec.message() + hint_for(ec.value()));
  return device.string();
}

void SerialPort::PortDeleter::operator()(sp_port* port) const {
  sp_close(port);  // harmless on a port that never opened
  sp_free_port(port);
}

SerialPort::SerialPort(const PortLocator& where, const Framing& framing, std::string component,
                       std::string what)
    : component_(std::move(component)), what_(std::move(what)) {
  device_ = resolve_port(where, component_, what_);
  const std::string cannot_open = "cannot open " + what_;
  sp_port* raw = nullptr;
  check(sp_get_port_by_name(device_.c_str(), &raw), cannot_open);
  port_.reset(raw);
  check(sp_open(port_.get(), SP_MODE_READ_WRITE), cannot_open);

  sp_port_config* raw_config = nullptr;
  check(sp_new_config(&raw_config), cannot_open);
  std::unique_ptr<sp_port_config, ConfigDeleter> config(raw_config);
  const sp_parity parity = framing.parity == Parity::odd    ? SP_PARITY_ODD
                           : framing.parity == Parity::even ? SP_PARITY_EVEN
                                                            : SP_PARITY_NONE;
  const std::string cannot_configure = "cannot configure " + what_;
  check(sp_set_config_baudrate(config.get(), framing.baud), cannot_configure);
  check(sp_set_config_bits(config.get(), framing.data_bits), cannot_configure);
  check(sp_set_config_parity(config.get(), parity), cannot_configure);
  check(sp_set_config_stopbits(config.get(), framing.stop_bits), cannot_configure);
  check(sp_set_config_flowcontrol(config.get(), SP_FLOWCONTROL_NONE), cannot_configure);
  check(sp_set_config(port_.get(), config.get()), cannot_configure);
  // Whatever the device sent before we listened (boot banners, half replies) is noise.
  check(sp_flush(port_.get(), SP_BUF_BOTH), cannot_configure);
}

SerialPort::~SerialPort() = default;

int SerialPort::check(int rc, std::string_view action) const {
  return serial::check(rc, action, device_, component_);
}

void SerialPort::fault(const std::string& message) const {
  throw SerialError(component_, device_, what_ + " on " + quote(device_) + ": " + message);
}

void SerialPort::write(std::span<const std::uint8_t> bytes, Duration timeout) {
  // Evidence (issue 15): what the rig sent, before it is sent, so a write that fails is shown too.
  transcript_bytes(TranscriptDirection::to_device, component_, bytes);
  const int sent =
      check(sp_blocking_write(port_.get(), bytes.data(), bytes.size(), timeout_ms(timeout)),
            "cannot write to " + what_);
  if (static_cast<std::size_t>(sent) < bytes.size())
    fault("write timed out after " + format_duration(timeout) + " (" + std::to_string(sent) +
          " of " + std::to_string(bytes.size()) + " bytes sent)");
}

void SerialPort::write(std::string_view text, Duration timeout) {
  write(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), timeout);
}

void SerialPort::drain(Duration timeout) {
  // Not sp_drain(): tcdrain() has no timeout, and a wedged USB adapter would hang the rig in it.
  const auto deadline = SteadyClock::now() + timeout;
  while (check(sp_output_waiting(port_.get()), "cannot drain output to " + what_) > 0) {
    if (SteadyClock::now() >= deadline)
      fault("output not transmitted within " + format_duration(timeout) +
            " (adapter wedged or flow control stuck?)");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void SerialPort::discard_input() {
  pending_.clear();
  check(sp_flush(port_.get(), SP_BUF_INPUT), "cannot flush input from " + what_);
}

bool SerialPort::fill(SteadyClock::time_point deadline) {
  int fd = -1;
  check(sp_get_port_handle(port_.get(), &fd), "cannot read from " + what_);
  for (;;) {
    const auto now = SteadyClock::now();
    if (now >= deadline) return false;
    pollfd p{fd, POLLIN, 0};
    // libserialport's blocking reads spin until their timeout on a hung-up port; polling the
    // handle ourselves sees the hang-up (an unplugged adapter) at once.
    const int ready = ::poll(&p, 1, static_cast<int>(timeout_ms(deadline - now)));
    if (ready < 0) {
      if (errno == EINTR) continue;
      fault(std::string("cannot wait for input: ") + std::strerror(errno));
    }
    if (ready == 0) continue;
    if (p.revents & POLLIN) {
      std::uint8_t buf[256];
      const int got =
          check(sp_nonblocking_read(port_.get(), buf, sizeof buf), "cannot read from " + what_);
      if (got > 0) {
        // Evidence (issue 15): every chunk as it arrived, asked for or not.
        transcript_bytes(TranscriptDirection::from_device, component_,
                         std::span<const std::uint8_t>(buf, static_cast<std::size_t>(got)));
        pending_.insert(pending_.end(), buf, buf + got);
        return true;
      }
    }
    if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
      fault("the port hung up; the device vanished (unplugged, reset or lost power?)");
  }
}

void SerialPort::timed_out(Duration timeout, std::string_view waiting_for,
                           std::span<const std::uint8_t> partial) const {
  std::string message = "no answer within " + format_duration(timeout) + " (waiting for " +
                        std::string(waiting_for) + ")";
  if (!partial.empty())
    message = "incomplete answer within " + format_duration(timeout) + " (waiting for " +
              std::string(waiting_for) + ", got " + to_hex(partial) + ")";
  fault(message);
}

Bytes SerialPort::read_exact(std::size_t count, Duration timeout, std::string_view waiting_for) {
  const auto deadline = SteadyClock::now() + timeout;
  while (pending_.size() < count)
    if (!fill(deadline)) timed_out(timeout, waiting_for, pending_);
  Bytes out(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(count));
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(count));
  return out;
}

std::optional<Bytes> SerialPort::try_read_exact(std::size_t count, Duration timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (pending_.size() < count)
    if (!fill(deadline)) return std::nullopt;
  return read_exact(count, timeout, "");
}

void SerialPort::pause(Duration duration) {
  const auto deadline = SteadyClock::now() + duration;
  while (fill(deadline)) {
  }
}

std::string SerialPort::read_until(std::string_view terminator, std::size_t max, Duration timeout,
                                   std::string_view waiting_for) {
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    auto it = std::search(pending_.begin(), pending_.end(), terminator.begin(), terminator.end());
    if (it != pending_.end()) {
      auto end = it + static_cast<std::ptrdiff_t>(terminator.size());
      std::string out(pending_.begin(), end);
      pending_.erase(pending_.begin(), end);
      return out;
    }
    if (pending_.size() >= max)
      fault("answer longer than " + std::to_string(max) + " bytes without " + quote(terminator) +
            " (waiting for " + std::string(waiting_for) +
            "): " + quote(std::string(pending_.begin(), pending_.end())));
    if (!fill(deadline)) timed_out(timeout, waiting_for, pending_);
  }
}

Bytes SerialPort::read_burst(std::size_t max, Duration timeout, Duration quiet,
                             std::string_view waiting_for) {
  const auto deadline = SteadyClock::now() + timeout;
  while (pending_.empty())
    if (!fill(deadline)) timed_out(timeout, waiting_for, pending_);
  while (pending_.size() < max && fill(SteadyClock::now() + quiet)) {
  }
  const std::size_t n = std::min(max, pending_.size());
  Bytes out(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
  return out;
}

}  // namespace lockrig::drivers::serial
