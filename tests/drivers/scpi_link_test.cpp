// The SCPI driver's addresses and links that need no instrument: TCP address parsing and the
// USBTMC link's refusals.
#include "drivers/scpi/scpi_link.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "drivers/net/tcp_stream.hpp"
#include "drivers/rig_fault.hpp"

namespace lockrig::drivers::scpi {
namespace {

using net::parse_tcp_address;

TEST(TcpAddress, ParsesHostAndPortWithRawScpiAsTheDefaultPort) {
  auto a = parse_tcp_address("tcp://10.0.0.5:5025");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "10.0.0.5");
  EXPECT_EQ(a->port, 5025);
  a = parse_tcp_address("tcp://psu-3.lab");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->port, net::kScpiRawPort);
  EXPECT_EQ(a->str(), "tcp://psu-3.lab:5025");
  a = parse_tcp_address("tcp://[fe80::1]:5026");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "fe80::1");
  EXPECT_EQ(a->str(), "tcp://[fe80::1]:5026");
}

TEST(TcpAddress, RejectsWhatIsNotOne) {
  for (const char* text : {"10.0.0.5:5025", "tcp://", "tcp://:5025", "tcp://host:", "tcp://host:0",
                           "tcp://host:65536", "tcp://host:50x", "tcp://[fe80::1", "tcp://a/b"})
    EXPECT_FALSE(parse_tcp_address(text)) << text;
}

std::string open_error(const std::string& device) {
  ScpiAddress a;
  a.kind = ScpiAddress::Kind::usbtmc;
  a.device = device;
  try {
    open_link(a, {}, std::chrono::seconds(1), "vbat", "Rigol DP832");
  } catch (const RigFault& e) {
    return e.what();
  }
  return "(opened)";
}

TEST(UsbtmcLink, AMissingDeviceIsARigFaultNamingIt) {
  EXPECT_EQ(open_error("/dev/usbtmc-lockrig-absent"),
            "vbat: cannot open Rigol DP832 \"/dev/usbtmc-lockrig-absent\": No such file or "
            "directory (is it plugged in and switched to USBTMC? `ls /dev/usbtmc*`)");
}

TEST(UsbtmcLink, RefusesADeviceThatIsNotUsbtmc) {
  EXPECT_EQ(open_error("/dev/null"),
            "vbat: cannot open Rigol DP832 \"/dev/null\": not a USBTMC device (usbtmc: wants a "
            "/dev/usbtmcN node of the kernel's usbtmc driver)");
}

// A usbmisc class directory laid out as the kernel makes it: usbtmcN/device links to the USB
// interface, whose parent (the USB device) holds idVendor, idProduct and serial.
class FakeUsbmisc {
 public:
  FakeUsbmisc() {
    char tmpl[] = "/tmp/lockrig-usbmisc-XXXXXX";
    root_ = mkdtemp(tmpl);
    std::filesystem::create_directories(root_ / "class" / "usbmisc");
  }
  ~FakeUsbmisc() { std::filesystem::remove_all(root_); }
  void add(const std::string& node, const std::string& usb_dev, const std::string& vid,
           const std::string& pid, const std::string& serial) {
    namespace fs = std::filesystem;
    const fs::path dev = root_ / "devices" / usb_dev;
    fs::create_directories(dev / (usb_dev + ":1.0"));
    std::ofstream(dev / "idVendor") << vid << "\n";
    std::ofstream(dev / "idProduct") << pid << "\n";
    if (!serial.empty()) std::ofstream(dev / "serial") << serial << "\n";
    fs::create_directories(root_ / "class" / "usbmisc" / node);
    fs::create_symlink("../../../devices/" + usb_dev + "/" + usb_dev + ":1.0",
                       root_ / "class" / "usbmisc" / node / "device");
  }
  std::string dir() const { return (root_ / "class" / "usbmisc").string(); }

 private:
  std::filesystem::path root_;
};

std::string find_error(const std::string& id, const FakeUsbmisc& sys) {
  try {
    return find_usbtmc_node(*serial::parse_usb_id(id), "vbat", "Siglent SPD3303X", sys.dir());
  } catch (const RigFault& e) {
    return e.what();
  }
}

TEST(UsbtmcByUsbId, FindsTheNodeOfTheInstrumentWithThatIdentity) {
  FakeUsbmisc sys;
  sys.add("usbtmc0", "1-2", "1ab1", "0e11", "DP8C1");
  sys.add("usbtmc1", "1-3", "f4ec", "1430", "SPD3X2");
  sys.add("hiddev0", "1-4", "f4ec", "1430", "");  // another usbmisc device, not an instrument
  EXPECT_EQ(find_usbtmc_node(*serial::parse_usb_id("f4ec:1430"), "vbat", "x", sys.dir()),
            "/dev/usbtmc1");
  EXPECT_EQ(find_usbtmc_node(*serial::parse_usb_id("1AB1:0E11:DP8C1"), "vbat", "x", sys.dir()),
            "/dev/usbtmc0");
}

TEST(UsbtmcByUsbId, NoneOrSeveralMatchingIsARigFaultListingWhatIsPresent) {
  FakeUsbmisc sys;
  sys.add("usbtmc0", "1-2", "f4ec", "1430", "SPD3X1");
  sys.add("usbtmc1", "1-3", "f4ec", "1430", "SPD3X2");
  EXPECT_EQ(find_error("1ab1:0e11", sys),
            "vbat: cannot open Siglent SPD3303X at USB 1ab1:0e11: no USBTMC instrument with that "
            "identity is present (present: usbtmc0 f4ec:1430:SPD3X1, usbtmc1 f4ec:1430:SPD3X2; is "
            "it plugged in and switched to USBTMC?)");
  EXPECT_EQ(find_error("f4ec:1430", sys),
            "vbat: cannot open Siglent SPD3303X at USB f4ec:1430: 2 USBTMC instruments match "
            "(present: usbtmc0 f4ec:1430:SPD3X1, usbtmc1 f4ec:1430:SPD3X2); add the serial "
            "number: usbtmc:VID:PID:SERIAL");
  EXPECT_EQ(find_usbtmc_node(*serial::parse_usb_id("f4ec:1430:SPD3X2"), "vbat", "x", sys.dir()),
            "/dev/usbtmc1");
}

}  // namespace
}  // namespace lockrig::drivers::scpi
