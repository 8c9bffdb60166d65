// The `minicircuits` driver over Ethernet against tests/emulators/minicircuits_emulator.py on
// 127.0.0.1 (which follows the device as ACTS, lab_bench and msdk drive it, not this driver),
// and the fixture checks that run before anything is contacted.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>

#include "drivers/minicircuits/minicircuits_attenuator.hpp"
#include "drivers/registry.hpp"
#include "drivers/rig_fault.hpp"
#include "rig/engine/bench.hpp"
#include "rig/engine/fixture.hpp"
#include "tests/support/tcp_emulator.hpp"

namespace lockrig::drivers::minicircuits {
namespace {

using lockrig::testing::TcpEmulator;

std::string http_of(const TcpEmulator& emu) {
  return "http://127.0.0.1:" + std::to_string(emu.port());
}

std::string fixture_text(const std::string& settings, const std::string& range = "0dB..80dB",
                         const std::string& step = "0.5dB", const std::string& safe = "0dB") {
  return "rig: bench\n"
         "locks:\n"
         "  - {id: a, material: wood, driver: sim}\n"
         "attenuators:\n"
         "  - id: att1\n"
         "    name: rf_path\n"
         "    driver: minicircuits\n"
         "    range: " +
         range +
         "\n"
         "    step: " +
         step +
         "\n"
         "    safe: " +
         safe +
         "\n"
         "    locks: [a]\n"
         "    settings: " +
         settings + "\n";
}

std::unique_ptr<Attenuator> open(const std::string& settings) {
  const Fixture f = parse_fixture(fixture_text(settings), "rig.yaml");
  VirtualClock clock;
  DriverContext ctx{clock, nullptr, 1};
  return builtin_drivers().attenuator_driver("minicircuits", {}).create(f.attenuators[0], ctx);
}

std::string fault_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const RigFault& e) {
    return e.what();
  }
  return "(no rig fault)";
}

// "rig.yaml:LINE:COL" of the first `token` in `text`.
std::string at(const std::string& text, const std::string& token) {
  const std::size_t pos = text.find(token);
  const std::size_t line_start = text.rfind('\n', pos) + 1;
  const long line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(pos), '\n');
  return "rig.yaml:" + std::to_string(line) + ":" + std::to_string(pos - line_start + 1);
}

std::string config_error_of(const std::string& text) {
  try {
    const Fixture f = parse_fixture(text, "rig.yaml");
    validate_fixture_drivers(f, builtin_drivers());
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(MiniCircuitsHttpDriver, AsksModelAndSerialAndTakesTheRangeFromTheModel) {
  TcpEmulator emu("minicircuits --model RCDAT-6000-110 --serial 11911120033");
  auto att = open("{port: " + http_of(emu) + "}");
  EXPECT_EQ(att->limits().max_db, 110);
  EXPECT_EQ(att->limits().step_db, 0.25);
  auto* mc = dynamic_cast<MiniCircuitsAttenuator*>(att.get());
  ASSERT_NE(mc, nullptr);
  EXPECT_EQ(mc->model(), "RCDAT-6000-110");
  EXPECT_EQ(mc->serial_number(), "11911120033");
  EXPECT_EQ(emu.log(), "GET /:MN? HTTP/1.0\nGET /:SN? HTTP/1.0\n");
}

TEST(MiniCircuitsHttpDriver, SetsWithSetattAndReadsBackWithAttQuery) {
  TcpEmulator emu("minicircuits");
  auto att = open("{port: " + http_of(emu) + "}");
  att->set_db(42.25);
  EXPECT_EQ(emu.state()["attenuation"].as<double>(), 42.25);
  EXPECT_EQ(att->read_db(), 42.25);
  const std::string log = emu.log();
  EXPECT_NE(log.find("GET /:SETATT=42.25 HTTP/1.0\nGET /:ATT? HTTP/1.0\n"), std::string::npos)
      << log;
  EXPECT_EQ(emu.state()["unknown"].as<int>(), 0);
}

// The Telnet port: the same commands as CR LF lines on one connection (ACTS telnet.py:44).
TEST(MiniCircuitsTelnetDriver, SendsTheCommandsAsLinesOnOneConnection) {
  TcpEmulator emu("minicircuits --telnet --model RCDAT-6000-110");
  auto att = open("{port: \"telnet://127.0.0.1:" + std::to_string(emu.port()) + "\"}");
  EXPECT_EQ(att->limits().max_db, 110);
  att->set_db(33.75);
  EXPECT_EQ(emu.state()["attenuation"].as<double>(), 33.75);
  EXPECT_EQ(att->read_db(), 33.75);
  EXPECT_EQ(emu.log(), ":MN?\n:SN?\n:SETATT=33.75\n:ATT?\n");
}

TEST(MiniCircuitsTelnetDriver, ADroppedConnectionIsARigFaultNamingTheTelnetAddress) {
  TcpEmulator emu("minicircuits --telnet --stop-after 3");
  const std::string where = "telnet://127.0.0.1:" + std::to_string(emu.port());
  auto att = open("{port: \"" + where + "\", timeout: 300ms}");
  att->set_db(1);
  const std::string e = fault_of([&] { att->read_db(); });
  EXPECT_NE(e.find("attenuator att1 (rf_path): "), std::string::npos) << e;
  EXPECT_NE(e.find(" at " + where + ": "), std::string::npos) << e;
  EXPECT_NE(e.find("closed the connection"), std::string::npos) << e;
}

// Whether the device ends its answers in CR LF differs between units (the emulator's notes).
TEST(MiniCircuitsHttpDriver, TakesAnswersWithLineEndsAndContentLengthAlike) {
  TcpEmulator emu("minicircuits --crlf --content-length");
  auto att = open("{port: " + http_of(emu) + "}");
  att->set_db(7.5);
  EXPECT_EQ(att->read_db(), 7.5);
}

// A device that keeps the connection open after an answer with Content-Length is answered at
// once; without a length, only the close can end an answer, and the timeout says so (next test).
TEST(MiniCircuitsHttpDriver, AnAnswerWithItsLengthEndsWithoutWaitingForTheClose) {
  TcpEmulator emu("minicircuits --keep-open --content-length");
  // Waiting for the close would run into the timeout, a rig fault.
  auto att = open("{port: " + http_of(emu) + ", timeout: 1s}");
  att->set_db(12.5);
  EXPECT_EQ(att->read_db(), 12.5);
}

// (One emulator per test: an emulator's files live in a directory named after the test.)
TEST(MiniCircuitsHttpDriver, AnAnswerWithoutLengthFromADeviceThatKeepsTheConnectionTimesOut) {
  TcpEmulator open_ended("minicircuits --keep-open");
  const std::string e =
      fault_of([&] { open("{port: " + http_of(open_ended) + ", timeout: 200ms}"); });
  EXPECT_NE(e.find("the answer did not end within 200ms (waiting for the model name (MN?)"),
            std::string::npos)
      << e;
}

TEST(MiniCircuitsHttpDriver, AChannelOfAFourChannelModelUsesTheChanCommands) {
  TcpEmulator emu("minicircuits --model RC4DAT-6G-60 --channels 4");
  auto att = open("{port: " + http_of(emu) + ", channel: 2}");
  att->set_db(12.5);
  EXPECT_EQ(emu.state()["levels"][1].as<double>(), 12.5);
  EXPECT_EQ(emu.state()["levels"][0].as<double>(), 0);
  EXPECT_EQ(att->read_db(), 12.5);
  EXPECT_NE(emu.log().find("GET /CHAN:2:SETATT:12.5 HTTP/1.0\nGET /CHAN:2:ATT? HTTP/1.0\n"),
            std::string::npos)
      << emu.log();
}

TEST(MiniCircuitsHttpDriver, ARefusedSetIsARigFaultNamingThePartAndTheAnswer) {
  TcpEmulator emu("minicircuits --refuse-set");
  auto att = open("{port: " + http_of(emu) + "}");
  const std::string e = fault_of([&] { att->set_db(20); });
  EXPECT_NE(e.find("attenuator att1 (rf_path): Mini-Circuits RCDAT-6000-90 \"11604210008\" at " +
                   http_of(emu) + ": refused 20dB: GET /:SETATT=20 answered \"0\" (1 means done)"),
            std::string::npos)
      << e;
}

TEST(MiniCircuitsHttpDriver, AnUnreachableOrSilentDeviceIsARigFaultNamingThePartAndAddress) {
  const std::string refused =
      "http://127.0.0.1:" + std::to_string(lockrig::testing::unused_loopback_port());
  std::string e = fault_of([&] { open("{port: " + refused + "}"); });
  EXPECT_NE(e.find("attenuator att1 (rf_path): cannot connect to Mini-Circuits attenuator at " +
                   refused + ": Connection refused"),
            std::string::npos)
      << e;

  TcpEmulator emu("minicircuits --stop-after 2");
  auto att = open("{port: " + http_of(emu) + ", timeout: 200ms}");
  e = fault_of([&] { att->set_db(3); });
  EXPECT_NE(e.find("attenuator att1 (rf_path): Mini-Circuits RCDAT-6000-90 \"11604210008\" at " +
                   http_of(emu) + ": closed the connection without answering GET /:SETATT=3"),
            std::string::npos)
      << e;
}

// A single-channel unit does not know the CHAN commands: its "-99 Unrecognized Command" answer
// is quoted, not read as a level.
TEST(MiniCircuitsHttpDriver, AnUnrecognizedCommandAnswerIsARigFaultQuotingIt) {
  TcpEmulator emu("minicircuits");
  auto att = open("{port: " + http_of(emu) + ", channel: 3}");
  const std::string e = fault_of([&] { att->set_db(6); });
  EXPECT_NE(e.find(": does not know the command \"CHAN:3:SETATT:6\": \"-99 Unrecognized "
                   "Command. MN:RCDAT-6000-90\""),
            std::string::npos)
      << e;
  EXPECT_EQ(emu.state()["unknown"].as<int>(), 1);
}

TEST(MiniCircuitsHttpDriver, AFixtureNamingAnotherModelIsARigFault) {
  TcpEmulator emu("minicircuits --model RUDAT-6000-30");
  const std::string e =
      fault_of([&] { open("{port: " + http_of(emu) + ", model: RCDAT-6000-90}"); });
  EXPECT_NE(e.find("the device is a RUDAT-6000-30, the fixture names a RCDAT-6000-90"),
            std::string::npos)
      << e;
}

// The bench compares the read-back with the level it set (rig/engine/bench.cpp) and goes to
// the safe level on the way out.
TEST(MiniCircuitsHttpDriver, TheBenchTurnsAReadBackMismatchIntoARigFaultNamingThePart) {
  TcpEmulator emu("minicircuits --readback-offset 3");
  const Fixture f = parse_fixture(
      fixture_text("{port: " + http_of(emu) + "}", "0dB..80dB", "0.5dB", "10dB"), "rig.yaml");
  VirtualClock clock;
  try {
    Bench bench(f, builtin_drivers(), clock, 1);
    bench.set_attenuation("a", "rf_path", 40);
    FAIL() << "expected a rig fault";
  } catch (const RigFault& e) {
    EXPECT_EQ(e.component(), "attenuator att1 (rf_path)");
    EXPECT_NE(e.message().find("read back 43dB after setting 40dB"), std::string::npos)
        << e.message();
  }
}

TEST(MiniCircuitsFixture, BadPortSerialChannelAndModelAreErrorsAtTheValue) {
  std::string text = fixture_text("{port: \"htp://10.0.0.7\"}");
  std::string e = config_error_of(text);
  EXPECT_NE(
      e.find(at(text, "\"htp:") + ": port must be usb, http://HOST[:PORT] or telnet://HOST[:PORT]"),
      std::string::npos)
      << e;
  EXPECT_NE(e.find("got \"htp://10.0.0.7\""), std::string::npos) << e;
  text = fixture_text("{port: \"http://10.0.0.7\", serial: \"1160\"}");
  e = config_error_of(text);
  EXPECT_NE(e.find(at(text, "\"1160\"") + ": `serial` picks one of several USB attenuators"),
            std::string::npos)
      << e;
  text = fixture_text("{port: usb, channel: 5}");
  e = config_error_of(text);
  EXPECT_NE(e.find(at(text, "5}") + ": channel must be 1..4 (a channel of an RC4DAT), got 5"),
            std::string::npos)
      << e;
  text = fixture_text("{port: usb, model: ZX76}");
  e = config_error_of(text);
  EXPECT_NE(e.find(at(text, "ZX76") + ": model \"ZX76\" does not end in its maximum attenuation"),
            std::string::npos)
      << e;
  text = fixture_text("{port: usb, prot: 1}");
  e = config_error_of(text);
  EXPECT_NE(e.find("rig.yaml:12:"), std::string::npos) << e;
  EXPECT_NE(e.find("prot"), std::string::npos) << e;
  text = fixture_text("{}");
  e = config_error_of(text);
  EXPECT_NE(e.find(at(text, "id: att1") + ": attenuator \"att1\" needs `port:`"), std::string::npos)
      << e;
}

TEST(MiniCircuitsFixture, LevelsOffTheQuarterDbGridOrBeyondTheModelAreErrors) {
  const std::string text = fixture_text("{port: usb}", "0dB..80dB", "0.1dB");
  std::string e = config_error_of(text);
  EXPECT_NE(
      e.find(at(text, "id: att1") + ": attenuator \"att1\": a Mini-Circuits attenuator sets levels "
                                    "from 0dB in 0.25dB steps; range start 0dB and step 0.1dB"),
      std::string::npos)
      << e;
  e = config_error_of(fixture_text("{port: usb, model: RCDAT-6000-60}", "0dB..80dB"));
  EXPECT_NE(e.find(at(text, "id: att1") + ": attenuator \"att1\" range 0dB..80dB exceeds the "
                                          "RCDAT-6000-60's 0dB..60dB"),
            std::string::npos)
      << e;
  EXPECT_EQ(config_error_of(
                fixture_text("{port: usb, model: RCDAT-6000-90}", "20dB..80dB", "0.25dB", "20dB")),
            "(no error)");
}

// Without `model:` the range is checked once the device has named itself.
TEST(MiniCircuitsFixture, ARangeBeyondTheDeviceIsAConfigErrorWhenTheBenchOpensIt) {
  TcpEmulator emu("minicircuits --model RCDAT-6000-30");
  const Fixture f = parse_fixture(fixture_text("{port: " + http_of(emu) + "}"), "rig.yaml");
  VirtualClock clock;
  try {
    Bench bench(f, builtin_drivers(), clock, 1);
    FAIL() << "expected a configuration error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("attenuator \"att1\" covers 0dB..30dB; the fixture's "
                                         "range 0dB..80dB does not fit"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace lockrig::drivers::minicircuits
