// The `minicircuits` driver over USB HID against a double of the attenuators' firmware
// (fake_minicircuits_hid.hpp): finding the device, the exact reports sent, read-back, and the
// rig faults that name the part.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "drivers/minicircuits/minicircuits_attenuator.hpp"
#include "drivers/rig_fault.hpp"
#include "rig/base/clock.hpp"
#include "tests/minicircuits/fake_minicircuits_hid.hpp"

namespace lockrig::drivers::minicircuits {
namespace {

AttenuatorSpec spec_with(const std::string& settings, double max_db = 90) {
  AttenuatorSpec s;
  s.id = "att1";
  s.name = "rf_path";
  s.driver = "minicircuits";
  s.min_db = 0;
  s.max_db = max_db;
  s.step_db = 0.5;
  s.safe_db = 0;
  s.locks = {"a"};
  s.settings = Settings(YAML::Load(settings), "rig.yaml");
  return s;
}

std::unique_ptr<Attenuator> open(fakehid::FakeHidapi& hid, const std::string& settings) {
  VirtualClock clock;
  DriverContext ctx{clock, nullptr, 1};
  return minicircuits_driver(hid).create(spec_with(settings), ctx);
}

std::string fault_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const RigFault& e) {
    return e.what();
  }
  return "(no rig fault)";
}

TEST(MiniCircuitsHidDriver, OpensTheOnlyAttenuatorAndTakesItsRangeFromTheModel) {
  fakehid::FakeHidapi hid;
  hid.add("/dev/hidraw3", "11604210008", "RCDAT-6000-110");
  auto att = open(hid, "{port: usb}");
  const AttenuatorLimits lim = att->limits();
  EXPECT_EQ(lim.min_db, 0);
  EXPECT_EQ(lim.max_db, 110);
  EXPECT_EQ(lim.step_db, 0.25);
  auto* mc = dynamic_cast<MiniCircuitsAttenuator*>(att.get());
  ASSERT_NE(mc, nullptr);
  EXPECT_EQ(mc->model(), "RCDAT-6000-110");
  EXPECT_EQ(mc->serial_number(), "11604210008");
  EXPECT_EQ(mc->where(), "/dev/hidraw3");
}

TEST(MiniCircuitsHidDriver, SendsReportIdZeroThenTheSetReportAndReadsTheLevelBack) {
  fakehid::FakeHidapi hid;
  auto& dev = hid.add("/dev/hidraw3", "11604210008");
  auto att = open(hid, "{port: usb}");
  dev.written.clear();
  att->set_db(42.25);
  ASSERT_EQ(dev.written.size(), 1u);
  std::vector<std::uint8_t> expected(65, 0);
  expected[1] = 19;
  expected[2] = 42;
  expected[3] = 1;
  expected[4] = 1;
  EXPECT_EQ(dev.written[0], expected);
  EXPECT_EQ(att->read_db(), 42.25);
  EXPECT_EQ(dev.written[1][1], 18);
}

TEST(MiniCircuitsHidDriver, AChannelOfAFourChannelModelIsSetAndReadAtItsOwnBytes) {
  fakehid::FakeHidapi hid;
  auto& dev = hid.add("/dev/hidraw3", "12005180001", "RC4DAT-6G-60");
  auto att = open(hid, "{port: usb, channel: 3}");
  att->set_db(30.5);
  EXPECT_EQ(dev.quarters, (std::vector<int>{0, 0, 122, 0}));
  EXPECT_EQ(att->read_db(), 30.5);
}

TEST(MiniCircuitsHidDriver, SkipsALateAnswerToAnEarlierCommand) {
  fakehid::FakeHidapi hid;
  auto& dev = hid.add("/dev/hidraw3", "11604210008");
  auto att = open(hid, "{port: usb}");
  att->set_db(10);
  std::vector<std::uint8_t> stale(64, 0);
  stale[0] = 40;
  dev.answers.push_front(stale);
  EXPECT_EQ(att->read_db(), 10);
}

TEST(MiniCircuitsHidDriver, ReportsTheLevelTheDeviceHoldsSoTheBenchCanCatchAMismatch) {
  fakehid::FakeHidapi hid;
  auto& dev = hid.add("/dev/hidraw3", "11604210008");
  auto att = open(hid, "{port: usb}");
  dev.readback_offset_quarters = 12;  // 3 dB off
  att->set_db(40);
  EXPECT_EQ(att->read_db(), 43);
}

TEST(MiniCircuitsHidDriver, SeveralAttenuatorsNeedASerialAndTheSerialPicksOne) {
  fakehid::FakeHidapi hid;
  hid.add("/dev/hidraw3", "11604210008");
  auto& second = hid.add("/dev/hidraw4", "11604210014");
  const std::string e = fault_of([&] { open(hid, "{port: usb}"); });
  EXPECT_NE(e.find("attenuator att1 (rf_path): cannot open Mini-Circuits attenuator (20ce:0023): "
                   "2 match (\"11604210008\" at /dev/hidraw3, \"11604210014\" at /dev/hidraw4); "
                   "give the serial number of the one to use as `serial:`"),
            std::string::npos)
      << e;
  auto att = open(hid, "{port: usb, serial: \"11604210014\"}");
  att->set_db(5);
  EXPECT_EQ(second.quarters[0], 20);
}

TEST(MiniCircuitsHidDriver, AnAbsentOrSilentOrUnpluggedDeviceIsARigFaultNamingThePart) {
  fakehid::FakeHidapi none;
  std::string e = fault_of([&] { open(none, "{port: usb}"); });
  EXPECT_NE(e.find("attenuator att1 (rf_path): cannot open Mini-Circuits attenuator (20ce:0023): "
                   "none is present (present: none;"),
            std::string::npos)
      << e;

  fakehid::FakeHidapi hid;
  auto& dev = hid.add("/dev/hidraw3", "11604210008");
  auto att = open(hid, "{port: usb, timeout: 50ms}");
  dev.silent = true;
  e = fault_of([&] { att->read_db(); });
  EXPECT_NE(e.find("attenuator att1 (rf_path): Mini-Circuits RCDAT-6000-90 \"11604210008\" at "
                   "/dev/hidraw3: no answer to command 18 within 50ms"),
            std::string::npos)
      << e;
  dev.silent = false;
  dev.unplugged = true;
  e = fault_of([&] { att->set_db(1); });
  EXPECT_NE(e.find("cannot send command 19: No such device (unplugged?)"), std::string::npos) << e;
}

TEST(MiniCircuitsHidDriver, AnotherModelThanTheFixtureNamesIsARigFault) {
  fakehid::FakeHidapi hid;
  hid.add("/dev/hidraw3", "11604210008", "RUDAT-6000-30");
  const std::string e = fault_of([&] { open(hid, "{port: usb, model: RCDAT-6000-90}"); });
  EXPECT_NE(e.find("the device is a RUDAT-6000-30, the fixture names a RCDAT-6000-90"),
            std::string::npos)
      << e;
}

}  // namespace
}  // namespace lockrig::drivers::minicircuits
