// The serial transport end to end: libserialport opening emulated ports by path, by-id link and
// USB identity, listing them, and reporting silence and hang-ups.
#include <gtest/gtest.h>

#include <array>

#include "drivers/serial/transport.hpp"
#include "tests/support/serial_harness_gtest.hpp"
#include "tests/support/serial_specs.hpp"

namespace lockrig::drivers::serial {
namespace {

using lockrig::testing::by_id_link;
using lockrig::testing::mentions;
using lockrig::testing::rig_fault_from;
using namespace std::chrono_literals;

constexpr Framing k9600{};
constexpr std::array<std::uint8_t, 3> kRelayOneOn{0xFF, 0x01, 0x01};
constexpr std::array<std::uint8_t, 3> kRelayOneStatus{0xFF, 0x01, 0x03};

void expect_relay_one_switches(SerialPort& port) {
  port.write(kRelayOneOn, 500ms);
  // A KMTronic board does not answer a status request while it is still switching
  // (tiiuae/ci-test-automation Robot-Framework/lib/KMTronicLibrary.py:78 waits 0.1 s); the
  // emulator now does the same.
  port.pause(100ms);
  port.write(kRelayOneStatus, 500ms);
  EXPECT_EQ(port.read_exact(3, 500ms, "status"), (Bytes{0xFF, 0x01, 0x01}));
}

TEST(SerialTransportEndToEnd, OpensByDevicePathAndExchangesBytes) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "kmtronic --model kmtronic-1"}});
  SerialPort port({"/dev/ttyS0", {}, {}}, k9600, "relays", "KMTronic board");
  EXPECT_EQ(port.device(), "/dev/ttyS0");
  expect_relay_one_switches(port);
}

TEST(SerialTransportEndToEnd, OpensByUsbIdentity) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyUSB0", "kmtronic --model kmtronic-1", "0403:6001:KM0001"}});
  SerialPort port({"", parse_usb_id("0403:6001"), {}}, k9600, "relays", "KMTronic board");
  EXPECT_EQ(port.device(), "/dev/ttyUSB0");
  expect_relay_one_switches(port);
}

TEST(SerialTransportEndToEnd, OpensByIdLinkUnderTheDeviceName) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyUSB0", "kmtronic --model kmtronic-1", "0403:6001:KM0001"}});
  const std::string link = by_id_link("ttyUSB0");
  EXPECT_EQ(link, "/dev/serial/by-id/usb-lockrig_emulated_kmtronic_KM0001-if00-port0");
  SerialPort port({link, {}, {}}, k9600, "relays", "KMTronic board");
  EXPECT_EQ(port.device(), "/dev/ttyUSB0");
  expect_relay_one_switches(port);
}

TEST(SerialTransportEndToEnd, UsbSerialNumberPicksOneOfTwoIdenticalAdapters) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyUSB0", "kmtronic --model kmtronic-1", "0403:6001:AAAA"},
                                {"ttyUSB1", "kmtronic --model kmtronic-1", "0403:6001:BBBB"}});
  SerialPort port({"", parse_usb_id("0403:6001:BBBB"), {}}, k9600, "relays", "KMTronic board");
  EXPECT_EQ(port.device(), "/dev/ttyUSB1");
  expect_relay_one_switches(port);
  EXPECT_EQ(lockrig::testing::emulator_state("ttyUSB0")["commands"].as<int>(), 0);
}

TEST(SerialTransportEndToEnd, AmbiguousUsbIdentityIsAConfigErrorNamingTheCandidates) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyUSB0", "kmtronic --model kmtronic-1", "0403:6001:AAAA"},
                                {"ttyUSB1", "kmtronic --model kmtronic-1", "0403:6001:BBBB"}});
  try {
    SerialPort port({"", parse_usb_id("0403:6001"), {"bench.yaml", 4, 10}}, k9600, "relays",
                    "KMTronic board");
    FAIL() << "opened an ambiguous port";
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind("bench.yaml:4:10: usb \"0403:6001\" matches 2 ports", 0), 0u) << m;
    EXPECT_TRUE(mentions(m, "/dev/ttyUSB0 (USB 0403:6001:AAAA)")) << m;
    EXPECT_TRUE(mentions(m, "/dev/ttyUSB1 (USB 0403:6001:BBBB)")) << m;
  }
}

TEST(SerialTransportEndToEnd, ListsEmulatedPortsWithUsbDetailsAndById) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyUSB0", "lcus", "1a86:7523:LC0001"}, {"ttyS1", "lcus"}});
  bool saw_usb = false, saw_native = false;
  for (const SerialPortInfo& p : list_serial_ports()) {
    if (p.name == "/dev/ttyUSB0") {
      saw_usb = true;
      EXPECT_EQ(p.transport, "usb");
      EXPECT_EQ(p.usb_vid, 0x1a86);
      EXPECT_EQ(p.usb_pid, 0x7523);
      EXPECT_EQ(p.usb_serial, "LC0001");
      EXPECT_EQ(p.usb_manufacturer, "lockrig");
      EXPECT_EQ(p.usb_product, "emulated lcus");
      EXPECT_TRUE(mentions(p.description, "emulated lcus")) << p.description;
      EXPECT_EQ(p.by_id, "/dev/serial/by-id/usb-lockrig_emulated_lcus_LC0001-if00-port0");
    }
    if (p.name == "/dev/ttyS1") {
      saw_native = true;
      EXPECT_EQ(p.transport, "native");
      EXPECT_FALSE(p.usb_vid);
      EXPECT_EQ(p.by_id, "");
    }
  }
  EXPECT_TRUE(saw_usb);
  EXPECT_TRUE(saw_native);
}

TEST(SerialTransportEndToEnd, SilenceIsASerialErrorAfterTheTimeout) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "kmtronic --model kmtronic-1 --stop-after 0"}});
  SerialPort port({"/dev/ttyS0", {}, {}}, k9600, "relays", "KMTronic board");
  port.write(kRelayOneStatus, 500ms);
  const auto fault = rig_fault_from([&] { port.read_exact(3, 200ms, "the status of relay 1"); });
  EXPECT_EQ(fault.message,
            "relays: KMTronic board on \"/dev/ttyS0\": no answer within 200ms (waiting for the "
            "status of relay 1)");
  EXPECT_GE(fault.elapsed, 200ms);
  EXPECT_LT(fault.elapsed, 200ms + 1s);
}

TEST(SerialTransportEndToEnd, SlowAnswersWithinTheTimeoutArrive) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "kmtronic --model kmtronic-1 --delay-ms 150"}});
  SerialPort port({"/dev/ttyS0", {}, {}}, k9600, "relays", "KMTronic board");
  expect_relay_one_switches(port);
}

TEST(SerialTransportEndToEnd, AHangUpIsReportedAtOnceNotAfterTheTimeout) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "kmtronic --model kmtronic-1 --vanish-after 1"}});
  SerialPort port({"/dev/ttyS0", {}, {}}, k9600, "relays", "KMTronic board");
  port.write(kRelayOneOn, 500ms);
  const auto fault = rig_fault_from([&] { port.read_exact(3, 5s, "anything"); });
  EXPECT_TRUE(mentions(fault.message, "vanished")) << fault.message;
  EXPECT_LT(fault.elapsed, 1s);
}

TEST(SerialTransportEndToEnd, WritingToAVanishedPortIsASerialErrorWithTheSystemMessage) {
  LOCKRIG_UNDER_SERIAL_HARNESS({{"ttyS0", "kmtronic --model kmtronic-1 --vanish-after 1"}});
  SerialPort port({"/dev/ttyS0", {}, {}}, k9600, "relays", "KMTronic board");
  port.write(kRelayOneOn, 500ms);
  lockrig::testing::wait_for_emulator("ttyS0",
                                      [](const YAML::Node& s) { return s["vanished"].as<bool>(); });
  const auto fault = rig_fault_from([&] { port.write(kRelayOneOn, 500ms); });
  EXPECT_EQ(fault.message,
            "relays: cannot write to KMTronic board \"/dev/ttyS0\": Input/output error (was the "
            "device unplugged or reset?)");
}

}  // namespace
}  // namespace lockrig::drivers::serial
