// A rig whose lock key must never reach the journal or anything made from it (issue 15's secrets
// rule): a BLE lock references the key with key_env (so the key is a registered secret), and the
// app harness of the other lock reads it from a file and prints it, on stderr and in its result
// detail (a careless harness).
#pragma once

#include <cctype>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/cli/cli_support.hpp"

namespace lockrig::cli_test {

struct KeyRig {
  std::string fixture, scenario, key_file;
};

// `key` in hex; `env` the variable the BLE lock reads it from; `rig` the fixture's rig name.
inline KeyRig key_rig(const TempDir& tmp, const std::string& key, const std::string& env,
                      const std::string& rig) {
  ::setenv(env.c_str(), key.c_str(), 1);
  KeyRig k;
  k.key_file = tmp.write("key.txt", key);
  const std::string fake = source_path("tests/drivers/fake_unlock_app.sh");
  k.fixture = tmp.write("keys.yaml",
                        "rig: " + rig + "\n"
                        "locks:\n"
                        "  - id: phone-1\n"
                        "    material: wood\n"
                        "    driver: command\n"
                        "    settings:\n"
                        "      program: [" + fake + ", leak-key, " + k.key_file + "]\n"
                        "  - id: ble-1\n"
                        "    material: steel\n"
                        "    driver: bluez\n"
                        "    settings:\n"
                        "      address: \"C4:7C:8D:6A:12:0F\"\n"
                        "      profile:\n"
                        "        service: fff0\n"
                        "        command: fff1\n"
                        "        status: fff2\n"
                        "        unlock: \"01 {key}\"\n"
                        "        success: \"81\"\n"
                        "        key_env: " + env + "\n");
  k.scenario = tmp.write("one.yaml", "name: one\nrepeat: 2\nsteps:\n  - unlock:\n");
  return k;
}

// Every spelling of the hex key a leak could take: as given, upper case, and its raw bytes.
inline std::vector<std::string> key_spellings(const std::string& hex) {
  std::string upper = hex, raw;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    raw += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return {hex, upper, raw};
}

}  // namespace lockrig::cli_test
