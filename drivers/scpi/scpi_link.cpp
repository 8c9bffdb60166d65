// The SCPI driver's links (see scpi_link.hpp).
#include "drivers/scpi/scpi_link.hpp"

#include <fcntl.h>
#include <linux/usb/tmc.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "drivers/rig_fault.hpp"
#include "drivers/serial/transport.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::scpi {

namespace {

constexpr std::size_t kMaxLine = 256;

class SerialLink final : public ScpiLink {
 public:
  SerialLink(const serial::PortLocator& where, const serial::Framing& framing, Duration timeout,
             const std::string& component, const std::string& what)
      : timeout_(timeout),
        port_(where, framing, component, what),
        address_(quote(port_.device())) {}

  const std::string& address() const override { return address_; }
  void write(const std::string& command) override {
    port_.write(command, timeout_);
    port_.drain(timeout_);
  }
  std::string read_line(std::string_view waiting_for) override {
    return port_.read_until(kTerminator, kMaxLine, timeout_, waiting_for);
  }
  void discard_input() override { port_.discard_input(); }

 protected:
  void raise(const std::string& message) const override { port_.fault(message); }

 private:
  static constexpr std::string_view kTerminator = "\n";
  Duration timeout_;
  serial::SerialPort port_;
  std::string address_;
};

class TcpLink final : public ScpiLink {
 public:
  TcpLink(const net::TcpAddress& where, Duration timeout, const std::string& component,
          const std::string& what)
      : timeout_(timeout), stream_(where, timeout, component, what) {}

  const std::string& address() const override { return stream_.address(); }
  void write(const std::string& command) override { stream_.write(command, timeout_); }
  std::string read_line(std::string_view waiting_for) override {
    return stream_.read_until("\n", kMaxLine, timeout_, waiting_for);
  }
  void discard_input() override { stream_.discard_input(); }

 protected:
  void raise(const std::string& message) const override { stream_.fault(message); }

 private:
  Duration timeout_;
  net::TcpStream stream_;
};

// The Linux usbtmc driver (/dev/usbtmcN): each write() is one message to the instrument, each
// read() asks for its answer and blocks until it comes or the driver's timeout passes, which is
// set to the fixture's timeout.
class UsbtmcLink final : public ScpiLink {
 public:
  UsbtmcLink(const std::string& device, Duration timeout, std::string component, std::string what)
      : component_(std::move(component)), what_(std::move(what)), address_(quote(device)) {
    fd_ = ::open(device.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0) {
      const int err = errno;
      throw RigFault(component_, "cannot open " + what_ + " " + address_ + ": " +
                                     std::strerror(err) + hint_for(err));
    }
    const auto ms = static_cast<__u32>(std::ceil(to_ms(timeout)));
    if (::ioctl(fd_, USBTMC_IOCTL_SET_TIMEOUT, &ms) != 0) {
      const int err = errno;
      ::close(fd_);
      fd_ = -1;
      throw RigFault(component_, "cannot open " + what_ + " " + address_ + ": " +
                                     (err == ENOTTY ? std::string("not a USBTMC device")
                                                    : std::string(std::strerror(err))) +
                                     " (usbtmc: wants a /dev/usbtmcN node of the kernel's usbtmc "
                                     "driver)");
    }
    timeout_ = timeout;
  }
  ~UsbtmcLink() override {
    if (fd_ >= 0) ::close(fd_);
  }

  const std::string& address() const override { return address_; }
  void write(const std::string& command) override {
    const ssize_t n = ::write(fd_, command.data(), command.size());
    if (n < 0) fail("cannot send", errno);
    if (static_cast<std::size_t>(n) != command.size())
      fault("sent " + std::to_string(n) + " of " + std::to_string(command.size()) + " bytes");
  }
  std::string read_line(std::string_view waiting_for) override {
    std::string line;
    char buf[kMaxLine];
    while (line.empty() || line.back() != '\n') {
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == ETIMEDOUT)
        fault("no answer within " + format_duration(timeout_) + " (waiting for " +
              std::string(waiting_for) + ")");
      if (n < 0) fail("cannot read", errno);
      if (n == 0) fault("no answer (waiting for " + std::string(waiting_for) + ")");
      line.append(buf, static_cast<std::size_t>(n));
      if (line.size() > kMaxLine)
        fault("answer longer than " + std::to_string(kMaxLine) + " bytes (waiting for " +
              std::string(waiting_for) + ")");
    }
    return line;
  }
  // The usbtmc driver hands over an answer only when asked (read), so nothing arrives unasked.
  void discard_input() override {}

 protected:
  void raise(const std::string& message) const override {
    throw RigFault(component_, what_ + " on " + address_ + ": " + message);
  }

 private:
  static std::string hint_for(int err) {
    switch (err) {
      case EACCES:
      case EPERM:
        return " (does a udev rule give this user the usbtmc device?)";
      case ENOENT:
      case ENODEV:
      case ENXIO:
        return " (is it plugged in and switched to USBTMC? `ls /dev/usbtmc*`)";
      default:
        return "";
    }
  }
  [[noreturn]] void fail(const char* action, int err) const {
    fault(std::string(action) + ": " + std::strerror(err) +
          (err == EIO || err == ENODEV ? " (was the instrument unplugged or switched off?)" : ""));
  }

  std::string component_;
  std::string what_;
  std::string address_;
  Duration timeout_{};
  int fd_ = -1;
};

}  // namespace

namespace {

// One line of a sysfs attribute ("f4ec\n" -> "f4ec"); empty when it cannot be read.
std::string sysfs_line(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

// The kernel's usbtmc driver registers each instrument as usbmisc device "usbtmc%d" (Linux
// drivers/usb/class/usbtmc.c: usb_register_dev with usbtmc_class; drivers/usb/core/file.c: the
// "usbmisc" class), so /sys/class/usbmisc/usbtmcN/device is the USB interface and idVendor,
// idProduct and serial sit on its parent, the USB device (the layout OpenWrt's umbim mbim.sh
// resolves the same way for cdc-wdm nodes: readlink -f /sys/class/usbmisc/$dev/device).
std::string find_usbtmc_node(const serial::UsbId& id, const std::string& component,
                             const std::string& what, const std::string& sysfs) {
  namespace fs = std::filesystem;
  std::vector<std::string> matches, present;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(sysfs, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("usbtmc", 0) != 0) continue;
    const fs::path usb_device = fs::canonical(entry.path() / "device", ec).parent_path();
    if (ec) continue;
    const std::string vid = sysfs_line(usb_device / "idVendor");
    const std::string pid = sysfs_line(usb_device / "idProduct");
    const std::string serial = sysfs_line(usb_device / "serial");
    present.push_back(name + " " + vid + ":" + pid + (serial.empty() ? "" : ":" + serial));
    const auto parsed = serial::parse_usb_id(vid + ":" + pid);
    if (parsed && id.matches(parsed->vid, parsed->pid, serial)) matches.push_back(name);
  }
  std::sort(present.begin(), present.end());
  if (matches.size() == 1) return "/dev/" + matches.front();
  const std::string listed = present.empty() ? "none" : join(present, ", ");
  if (matches.empty())
    throw RigFault(component, "cannot open " + what + " at USB " + id.str() +
                                  ": no USBTMC instrument with that identity is present (present: " +
                                  listed + "; is it plugged in and switched to USBTMC?)");
  throw RigFault(component, "cannot open " + what + " at USB " + id.str() + ": " +
                                std::to_string(matches.size()) +
                                " USBTMC instruments match (present: " + listed +
                                "); add the serial number: usbtmc:VID:PID:SERIAL");
}

std::unique_ptr<ScpiLink> open_link(const ScpiAddress& address, const serial::Framing& framing,
                                    Duration timeout, const std::string& component,
                                    const std::string& what) {
  switch (address.kind) {
    case ScpiAddress::Kind::tcp:
      return std::make_unique<TcpLink>(address.tcp, timeout, component, what);
    case ScpiAddress::Kind::usbtmc:
      return std::make_unique<UsbtmcLink>(
          address.usbtmc_id ? find_usbtmc_node(*address.usbtmc_id, component, what)
                            : address.device,
          timeout, component, what);
    case ScpiAddress::Kind::serial:
      break;
  }
  return std::make_unique<SerialLink>(address.port, framing, timeout, component, what);
}

}  // namespace lockrig::drivers::scpi
