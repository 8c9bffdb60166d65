// The SCPI driver's addresses and links that need no instrument: TCP address parsing and the
// USBTMC link's refusals.
#include "drivers/scpi/scpi_link.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace lockrig::drivers::scpi
