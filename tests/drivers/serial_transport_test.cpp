// The serial transport without emulators: port naming, error reporting, and failures to open.
#include "drivers/serial/transport.hpp"

#include <gtest/gtest.h>
#include <libserialport.h>

#include <cerrno>

namespace lockrig::drivers::serial {
namespace {

std::string open_error(const PortLocator& where) {
  try {
    SerialPort port(where, Framing{}, "relays", "LCUS-4 relay board");
  } catch (const SerialError& e) {
    EXPECT_EQ(e.component(), "relays");
    return e.what();
  }
  return "(opened)";
}

TEST(UsbId, ParsesVendorAndProduct) {
  auto id = parse_usb_id("1a86:7523");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->vid, 0x1a86);
  EXPECT_EQ(id->pid, 0x7523);
  EXPECT_EQ(id->serial, "");
  EXPECT_EQ(id->str(), "1a86:7523");
}

TEST(UsbId, ParsesASerialNumberThatMayContainColons) {
  auto id = parse_usb_id("0403:6001:AB:12");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->serial, "AB:12");
  EXPECT_EQ(id->str(), "0403:6001:AB:12");
}

TEST(UsbId, RejectsMalformedIdentities) {
  for (const char* bad :
       {"", "1a86", "1a86:", ":7523", "xyz:7523", "1a86:7523:", "12345:0001", "1a86:75 3"})
    EXPECT_FALSE(parse_usb_id(bad)) << bad;
}

TEST(UsbId, MatchesAnySerialWhenNoneIsGiven) {
  EXPECT_TRUE(parse_usb_id("1a86:7523")->matches(0x1a86, 0x7523, "whatever"));
  EXPECT_FALSE(parse_usb_id("1a86:7523:A")->matches(0x1a86, 0x7523, "B"));
  EXPECT_FALSE(parse_usb_id("1a86:7523")->matches(0x1a86, 0x7524, ""));
}

TEST(SerialBytes, RendersHexWithSpaces) {
  EXPECT_EQ(to_hex(Bytes{0xA0, 0x01, 0x01, 0xA2}), "A0 01 01 A2");
  EXPECT_EQ(to_hex(Bytes{}), "");
}

TEST(SerialTransport, CheckPassesCountsThrough) {
  EXPECT_EQ(check(0, "cannot read from", "/dev/ttyS0", "relays"), 0);
  EXPECT_EQ(check(7, "cannot read from", "/dev/ttyS0", "relays"), 7);
}

TEST(SerialTransport, CheckTurnsOsFailuresIntoOneExceptionQuotingThePortAndTheSystemMessage) {
  errno = EACCES;
  try {
    check(SP_ERR_FAIL, "cannot open relay board", "/dev/ttyUSB0", "relays");
    FAIL() << "no exception";
  } catch (const SerialError& e) {
    EXPECT_STREQ(e.what(),
                 "relays: cannot open relay board \"/dev/ttyUSB0\": Permission denied "
                 "(is the user in group dialout?)");
    EXPECT_EQ(e.port(), "/dev/ttyUSB0");
  }
}

TEST(SerialTransport, CheckReportsLibraryErrorsThatAreNotOsErrors) {
  EXPECT_THROW(check(SP_ERR_ARG, "cannot open", "/dev/null", "x"), SerialError);
  EXPECT_THROW(check(SP_ERR_SUPP, "cannot open", "/dev/null", "x"), SerialError);
  EXPECT_THROW(check(SP_ERR_MEM, "cannot open", "/dev/null", "x"), SerialError);
}

TEST(SerialTransport, SerialErrorsAreRigFaults) {
  EXPECT_THROW(check(SP_ERR_ARG, "cannot open", "/dev/null", "x"), RigFault);
}

TEST(SerialTransport, MissingDeviceIsARigFaultNamingThePortWithAHint) {
  const std::string e = open_error({"/dev/ttyLOCKRIG-missing", {}, {}});
  EXPECT_EQ(e,
            "relays: cannot open LCUS-4 relay board \"/dev/ttyLOCKRIG-missing\": No such file or "
            "directory (is it plugged in? `lockrig probe` lists the serial ports present)");
}

TEST(SerialTransport, RefusesADeviceThatIsNotASerialPort) {
  const std::string e = open_error({"/dev/null", {}, {}});
  EXPECT_NE(e.find("\"/dev/null\": rejected by libserialport"), std::string::npos) << e;
}

TEST(SerialTransport, AbsentUsbIdentityIsARigFaultListingThePortsPresent) {
  const std::string e = open_error({"", parse_usb_id("ffff:fffe:NOPE"), {}});
  EXPECT_NE(e.find("no serial port with USB id \"ffff:fffe:NOPE\" is present (present: "),
            std::string::npos)
      << e;
}

TEST(SerialTransport, ListsPortsSortedByName) {
  const auto ports = list_serial_ports();
  for (std::size_t i = 1; i < ports.size(); ++i) EXPECT_LE(ports[i - 1].name, ports[i].name);
  for (const auto& p : ports) EXPECT_FALSE(p.transport.empty()) << p.name;
}

}  // namespace
}  // namespace lockrig::drivers::serial
