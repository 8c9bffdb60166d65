// How the SCPI supply driver reaches its instrument: a serial line, a raw TCP socket (port 5025)
// or a USBTMC character device, behind one line-oriented interface. Every failure is a rig fault
// naming the part and its address.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "drivers/net/tcp_stream.hpp"
#include "drivers/serial/framing.hpp"
#include "drivers/serial/port_locator.hpp"
#include "rig/base/clock.hpp"

namespace lockrig::drivers::scpi {

// Where the fixture says the instrument is.
struct ScpiAddress {
  enum class Kind { serial, tcp, usbtmc };
  Kind kind = Kind::serial;
  serial::PortLocator port;  // serial: a device path or USB identity
  net::TcpAddress tcp;       // tcp: `port: tcp://HOST:PORT`
  std::string device;        // usbtmc: `port: usbtmc:/dev/usbtmc0`
  std::optional<serial::UsbId> usbtmc_id;  // usbtmc: `port: usbtmc:f4ec:1430[:SERIAL]` instead
};

// The /dev node (e.g. "/dev/usbtmc0") of the one USBTMC instrument present with this USB
// identity, found through sysfs (`sysfs`: the kernel's usbmisc class directory). A RigFault from
// `component` naming the identity and listing what is present when none or several match.
std::string find_usbtmc_node(const serial::UsbId& id, const std::string& component,
                             const std::string& what,
                             const std::string& sysfs = "/sys/class/usbmisc");

class ScpiLink {
 public:
  virtual ~ScpiLink() = default;
  // "\"/dev/ttyUSB0\"", "tcp://10.0.0.5:5025", "\"/dev/usbtmc0\"": as messages quote it.
  virtual const std::string& address() const = 0;
  // A whole command, terminator included.
  virtual void write(const std::string& command) = 0;
  // One answer line, terminator included.
  virtual std::string read_line(std::string_view waiting_for) = 0;
  // Drops what arrived unasked (a late answer).
  virtual void discard_input() = 0;
  // Throws a RigFault about this instrument, naming it and its address.
  [[noreturn]] void fault(const std::string& message) const {
    raise(message);
    std::terminate();  // raise() always throws
  }

 protected:
  virtual void raise(const std::string& message) const = 0;
};

// Opens the link; `component` is the fixture id errors blame, `what` the instrument's title.
std::unique_ptr<ScpiLink> open_link(const ScpiAddress& address, const serial::Framing& framing,
                                    Duration timeout, const std::string& component,
                                    const std::string& what);

}  // namespace lockrig::drivers::scpi
