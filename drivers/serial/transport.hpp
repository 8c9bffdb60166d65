// The serial transport every lab-hardware driver talks through: libserialport underneath,
// deadlines on every read and write, and one exception type (SerialError) for anything the port
// itself does wrong. Also lists the ports present, for `lockrig probe`.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/rig_fault.hpp"
#include "drivers/serial/bytes.hpp"
#include "drivers/serial/framing.hpp"
#include "drivers/serial/port_locator.hpp"
#include "rig/base/clock.hpp"

struct sp_port;

namespace lockrig::drivers::serial {

// The port failed: cannot be opened, an OS call failed, it went silent or vanished. It is a rig
// fault: the rig's own hardware misbehaved, never the lock under test.
class SerialError : public RigFault {
 public:
  SerialError(std::string component, std::string port, const std::string& message)
      : RigFault(std::move(component), message), port_(std::move(port)) {}
  const std::string& port() const { return port_; }

 private:
  std::string port_;
};

// The one place libserialport return codes become exceptions. Returns rc when it is not an
// error (byte counts are returned through it). `action` reads like "cannot open relay board".
int check(int rc, std::string_view action, const std::string& port, const std::string& component);

struct SerialPortInfo {
  std::string name;         // device path, e.g. /dev/ttyUSB0
  std::string description;  // libserialport's, e.g. the USB product string
  std::string transport;    // "usb", "native" or "bluetooth"
  std::optional<std::uint16_t> usb_vid;
  std::optional<std::uint16_t> usb_pid;
  std::string usb_serial;
  std::string usb_manufacturer;
  std::string usb_product;
  std::string by_id;  // the /dev/serial/by-id/ link pointing at it, if udev made one
};

// Every serial port the kernel reports, sorted by name. Throws SerialError if enumeration fails.
std::vector<SerialPortInfo> list_serial_ports();

// The device path a locator names right now: by-id links are followed and USB identities are
// looked up. Throws SerialError when nothing matches and ConfigError when a USB identity is
// ambiguous (only the fixture can fix that).
std::string resolve_port(const PortLocator& where, const std::string& component,
                         std::string_view what);

// An open port. Reads keep bytes that arrived beyond what was asked for, so a reply split over
// several USB packets, or followed by the next one, is never lost.
class SerialPort {
 public:
  // `component` is the fixture id the errors blame; `what` names the device in messages
  // ("LCUS-4 relay board").
  SerialPort(const PortLocator& where, const Framing& framing, std::string component,
             std::string what);
  ~SerialPort();
  SerialPort(const SerialPort&) = delete;
  SerialPort& operator=(const SerialPort&) = delete;

  const std::string& device() const { return device_; }
  const std::string& component() const { return component_; }
  const std::string& what() const { return what_; }

  // Writes every byte or throws (timeout, port gone).
  void write(std::span<const std::uint8_t> bytes, Duration timeout);
  void write(std::string_view text, Duration timeout);
  // Waits until the OS has transmitted everything written, or throws after `timeout`.
  void drain(Duration timeout);
  // Drops whatever arrived unasked (a late reply, line noise).
  void discard_input();

  // Exactly `count` bytes, or SerialError naming `waiting_for` when the deadline passes.
  Bytes read_exact(std::size_t count, Duration timeout, std::string_view waiting_for);
  // Exactly `count` bytes, or nullopt when the deadline passes first (what did arrive stays
  // buffered). A hang-up still throws.
  std::optional<Bytes> try_read_exact(std::size_t count, Duration timeout);
  // Waits `duration` while watching the port: bytes that arrive are kept for the next read, and a
  // hang-up throws at once instead of surfacing as a write error after the pause.
  void pause(Duration duration);
  // Everything up to and including `terminator` (at most `max` bytes).
  std::string read_until(std::string_view terminator, std::size_t max, Duration timeout,
                         std::string_view waiting_for);
  // For replies without a terminator: waits up to `timeout` for the first byte, then takes bytes
  // until none arrive for `quiet` or `max` have arrived.
  Bytes read_burst(std::size_t max, Duration timeout, Duration quiet, std::string_view waiting_for);

  // Bytes received but not yet consumed by a read.
  std::size_t buffered() const { return pending_.size(); }

  // Throws SerialError about this port (for replies that make no sense, read-back mismatches).
  [[noreturn]] void fault(const std::string& message) const;

 private:
  // Waits for input until `deadline` (steady clock); false on timeout. Throws if the port hung up.
  bool fill(std::chrono::steady_clock::time_point deadline);
  [[noreturn]] void timed_out(Duration timeout, std::string_view waiting_for,
                              std::span<const std::uint8_t> partial) const;
  int check(int rc, std::string_view action) const;

  struct PortDeleter {
    void operator()(sp_port* port) const;
  };

  std::string component_;
  std::string what_;
  std::string device_;
  std::unique_ptr<sp_port, PortDeleter> port_;
  Bytes pending_;
};

}  // namespace lockrig::drivers::serial
