// A network instrument for tests: one of tests/emulators/ listening on 127.0.0.1 (never any other
// address) on a free port, started for the lifetime of the object. Needs no root, unlike the
// serial harness.
//
//   TcpEmulator emu("scpi --model dp832");
//   auto supply = open_supply(supply_spec("scpi", "{port: " + emu.address() + ", model: dp832}"));
#pragma once

#include <sys/types.h>
#include <yaml-cpp/yaml.h>

#include <string>

namespace lockrig::testing {

class TcpEmulator {
 public:
  // `emulator` is the emulator's name and its options, separated by spaces: "scpi --model dp832".
  explicit TcpEmulator(const std::string& emulator);
  ~TcpEmulator();
  TcpEmulator(const TcpEmulator&) = delete;
  TcpEmulator& operator=(const TcpEmulator&) = delete;

  int port() const { return port_; }
  std::string address() const;  // "tcp://127.0.0.1:PORT"
  YAML::Node state() const;
  std::string log() const;
  // Stops the emulator now (SIGTERM), e.g. to leave nothing listening on its port.
  void stop();

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A loopback port nothing listens on (bound and released at once).
int unused_loopback_port();

}  // namespace lockrig::testing
