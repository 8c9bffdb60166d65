// `lockrig probe --fixture F`'s network-instrument part against tests/emulators/scpi_emulator.py
// listening on 127.0.0.1: each SCPI supply reached by address is asked *IDN? with its model's
// pause and nothing else; a refused, reset or silent connection, a missing USBTMC node and a
// foreign instrument are rig faults naming the part and its address, and the other parts are
// still asked.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "drivers/scpi/scpi_probe.hpp"
#include "drivers/scpi/scpi_supply.hpp"
#include "tests/support/serial_specs.hpp"
#include "tests/support/tcp_emulator.hpp"

namespace lockrig::drivers {
namespace {

using namespace lockrig::testing;
using namespace std::chrono_literals;

struct Printed {
  std::string text;
  int failed = -1;
};

Printed probe(const std::vector<SupplySpec>& supplies) {
  char* buf = nullptr;
  std::size_t size = 0;
  std::FILE* out = open_memstream(&buf, &size);
  Printed p;
  p.failed = scpi::print_configured_instruments(supplies, out);
  std::fclose(out);
  p.text.assign(buf, size);
  std::free(buf);
  return p;
}

SupplySpec at(const std::string& id, const std::string& port, const std::string& model,
              int output = 1) {
  SupplySpec s = supply_spec(
      "scpi", "{port: \"" + port + "\", model: " + model + ", timeout: 1s}", output);
  s.id = id;
  return s;
}

TEST(ScpiProbe, AsksEachNetworkInstrumentItsIdentityAndSetsNothing) {
  TcpEmulator emu("scpi --model dp832");
  const Printed p = probe({at("vbat", emu.address(), "dp832")});
  EXPECT_EQ(p.failed, 0);
  EXPECT_EQ(p.text,
            "network instruments in the fixture (1):\n"
            "  vbat       Rigol DP832 at " + emu.address() + ": *IDN? \"" +
                emu.state()["identity"].as<std::string>() + "\"\n");
  EXPECT_EQ(emu.state()["commands"].as<int>(), 1) << emu.log();
  EXPECT_TRUE(mentions(emu.log(), "'*IDN?'")) << emu.log();
}

// Two outputs of one Siglent are two parts: the second *IDN? comes on a new connection right
// after the first answer, and a Siglent ignores a command that comes sooner than its pause
// (python-spd3303x spd3303x/__init__.py:139-144), so without the model's pacing it would look
// silent.
TEST(ScpiProbe, KeepsTheModelsPauseBetweenParts) {
  TcpEmulator emu("scpi --model spd3303x --min-gap-ms 90");
  const Printed p = probe({at("vbat", emu.address(), "spd3303x", 1),
                           at("aux", emu.address(), "spd3303x", 2)});
  EXPECT_EQ(p.failed, 0) << p.text;
  EXPECT_TRUE(mentions(p.text, "  vbat       Siglent SPD3303X at " + emu.address() + ": *IDN? "))
      << p.text;
  EXPECT_TRUE(mentions(p.text, "  aux        Siglent SPD3303X at " + emu.address() + ": *IDN? "))
      << p.text;
  const YAML::Node state = emu.state();
  EXPECT_EQ(state["too_soon"].as<int>(), 0) << emu.log();
  EXPECT_GE(state["min_gap_ms"].as<double>(), 90.0);
  EXPECT_EQ(state["connections"].as<int>(), 2);
}

TEST(ScpiProbe, ARefusedConnectionNamesThePartAndAddressAndTheOthersAreStillAsked) {
  TcpEmulator emu("scpi --model e36312a");
  const std::string refused = "tcp://127.0.0.1:" + std::to_string(unused_loopback_port());
  const auto start = std::chrono::steady_clock::now();
  const Printed p = probe({at("vbat", refused, "spd3303x"), at("aux", emu.address(), "e36312a")});
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(p.failed, 1);
  EXPECT_TRUE(mentions(p.text, "network instruments in the fixture (2):\n"
                               "  vbat       rig fault: vbat: cannot connect to Siglent SPD3303X "
                               "at " + refused + ": Connection refused"))
      << p.text;
  EXPECT_TRUE(mentions(p.text, "\n  aux        Keysight E36312A at " + emu.address() + ": *IDN? "))
      << p.text;
}

TEST(ScpiProbe, AResetConnectionIsARigFault) {
  TcpEmulator emu("scpi --reset-on 1");
  const Printed p = probe({at("vbat", emu.address(), "spd3303x")});
  EXPECT_EQ(p.failed, 1);
  EXPECT_TRUE(mentions(p.text, "  vbat       rig fault: vbat: Siglent SPD3303X at " +
                                   emu.address() +
                                   ": the connection failed (waiting for the answer to "
                                   "\"*IDN?\"): Connection reset by peer"))
      << p.text;
}

TEST(ScpiProbe, ASilentInstrumentIsARigFaultWithinTheTimeout) {
  TcpEmulator emu("scpi --stop-after 0");
  const auto start = std::chrono::steady_clock::now();
  const Printed p = probe({at("vbat", emu.address(), "spd3303x")});
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(p.failed, 1);
  EXPECT_TRUE(mentions(p.text, "  vbat       rig fault: vbat: Siglent SPD3303X at " +
                                   emu.address() +
                                   ": no answer within 1s (waiting for the answer to \"*IDN?\")"))
      << p.text;
}

TEST(ScpiProbe, AnotherInstrumentThanConfiguredIsARigFault) {
  TcpEmulator emu("scpi --model e36312a");
  const Printed p = probe({at("vbat", emu.address(), "dp832")});
  EXPECT_EQ(p.failed, 1);
  EXPECT_TRUE(mentions(p.text, "answers *IDN? with \"Keysight Technologies,E36312A\", which is "
                               "not a Rigol DP832; check `model:` and `port:`"))
      << p.text;
}

TEST(ScpiProbe, AMissingUsbtmcNodeIsARigFaultNamingIt) {
  const Printed p = probe({at("vbat", "usbtmc:/dev/usbtmc-lockrig-absent", "spd3303x")});
  EXPECT_EQ(p.failed, 1);
  EXPECT_TRUE(mentions(p.text, "  vbat       rig fault: vbat: cannot open Siglent SPD3303X "
                               "\"/dev/usbtmc-lockrig-absent\": No such file or directory"))
      << p.text;
}

TEST(ScpiProbe, SuppliesOnASerialLineAreNotNetworkInstruments) {
  const Printed p = probe({supply_spec("scpi", "{port: /dev/ttyUSB0}"),
                           supply_spec("korad", "{port: /dev/ttyACM0}")});
  EXPECT_EQ(p.failed, 0);
  EXPECT_EQ(p.text,
            "network instruments in the fixture (0):\n"
            "  none (no supply has a tcp:// or usbtmc: port)\n");
}

}  // namespace
}  // namespace lockrig::drivers
