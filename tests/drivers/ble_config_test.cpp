// Settings of the `bluez` and `command` drivers as a fixture writes them, validated through the
// registry entries the runner uses — including the example lock in drivers/bluez/README.md.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "drivers/bluez/bluez_config.hpp"
#include "drivers/bluez/register.hpp"

namespace lockrig::drivers {
namespace {

LockSpec spec(const std::string& driver, const std::string& settings,
              const std::string& shared = "") {
  LockSpec s;
  s.id = "wood-1";
  s.driver = driver;
  s.settings = Settings(YAML::Load(settings), "lab.yaml");
  s.shared = Settings(shared.empty() ? YAML::Node() : YAML::Load(shared), "lab.yaml");
  return s;
}

const char* kProfile = R"(
profile:
  service: fff0
  command: fff1
  status: fff2
  unlock: "01 {seq} 55"
  success: "81 {seq} 00"
)";

std::string validate_error(const std::string& driver, const std::string& settings,
                           const std::string& shared = "") {
  DriverRegistry r;
  register_ble_drivers(r);
  try {
    r.lock_driver(driver, {}).validate(spec(driver, settings, shared));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(BleDriverRegistration, RegistersBluezAndCommandAsRealDrivers) {
  DriverRegistry r;
  register_ble_drivers(r);
  EXPECT_EQ(r.lock_driver_names(), (std::vector<std::string>{"bluez", "command"}));
  EXPECT_FALSE(r.lock_driver("bluez", {}).simulated);
  EXPECT_FALSE(r.lock_driver("command", {}).simulated);
}

TEST(BluezConfig, NormalizesTheAddressAndTakesTheAdapterFromTheFixtureBlock) {
  auto c =
      bluez::parse_bluez_config(spec("bluez", std::string("address: c4:7c:8d:6a:12:0f") + kProfile,
                                     "adapter: hci1\nbus_timeout: 2s"));
  EXPECT_EQ(c.address, "C4:7C:8D:6A:12:0F");
  EXPECT_EQ(c.adapter, "hci1");
  EXPECT_EQ(c.bus_timeout, std::chrono::seconds(2));
  EXPECT_FALSE(c.match_service);
}

TEST(BluezConfig, LetsALockOverrideTheFixtureAdapter) {
  auto c = bluez::parse_bluez_config(spec(
      "bluez", std::string("address: C4:7C:8D:6A:12:0F\nadapter: 00:1a:7d:da:71:13") + kProfile,
      "adapter: hci0"));
  EXPECT_EQ(c.adapter, "00:1A:7D:DA:71:13");
}

TEST(BluezConfig, ExplainsEachInvalidSetting) {
  EXPECT_NE(validate_error("bluez", std::string("address: C4:7C:8D:6A:12") + kProfile)
                .find("Bluetooth address"),
            std::string::npos);
  EXPECT_NE(validate_error("bluez", kProfile).find("needs an address"), std::string::npos);
  EXPECT_NE(validate_error("bluez", "address: C4:7C:8D:6A:12:0F").find("profile"),
            std::string::npos);
  EXPECT_NE(
      validate_error("bluez", std::string("address: C4:7C:8D:6A:12:0F") + kProfile, "adapter: usb0")
          .find("\"usb0\""),
      std::string::npos);
  EXPECT_NE(validate_error("bluez", std::string("adress: C4:7C:8D:6A:12:0F") + kProfile)
                .find("did you mean \"address\""),
            std::string::npos);
  EXPECT_NE(validate_error("bluez",
                           std::string("address: C4:7C:8D:6A:12:0F\nbus_timeout: 1ms") + kProfile)
                .find("bus_timeout"),
            std::string::npos);
  const std::string located = validate_error("bluez", std::string("address: nope") + kProfile);
  EXPECT_EQ(located.rfind("lab.yaml:1:", 0), 0u) << located;
}

TEST(BluezConfig, AcceptsALockFoundByNameAlone) {
  EXPECT_EQ(validate_error("bluez", std::string("name: \"LR-100 wood-1\"") + kProfile), "");
}

TEST(CommandConfig, RequiresAProgramThatExists) {
  EXPECT_NE(validate_error("command", "version_command: [true]").find("needs program"),
            std::string::npos);
  EXPECT_NE(validate_error("command", "program: [no-such-harness-xyz]").find("not in PATH"),
            std::string::npos);
  EXPECT_NE(validate_error("command", "program: [./missing.sh]").find("not an executable"),
            std::string::npos);
  EXPECT_EQ(validate_error("command", "program: [true, \"{lock_id}\"]"), "");
}

TEST(CommandConfig, SaysOnceWhatIsWrongWithAProgramAndHintsAtTheListForm) {
  const std::string e = validate_error("command", "program: \"./harness.sh unlock\"");
  EXPECT_NE(e.find("program: \"./harness.sh unlock\" is not an executable file"),
            std::string::npos)
      << e;
  EXPECT_EQ(e.find("program program"), std::string::npos) << e;
  EXPECT_NE(e.find("without a shell"), std::string::npos) << e;
  EXPECT_NE(e.find("program: [./harness.sh, unlock]"), std::string::npos) << e;
  const std::string in_path = validate_error("command", "program: \"app-harness-xyz unlock\"");
  EXPECT_NE(in_path.find("program: [app-harness-xyz, unlock]"), std::string::npos) << in_path;
  // A list is already the right form: no hint.
  const std::string listed = validate_error("command", "program: [./missing.sh, unlock]");
  EXPECT_NE(listed.find("not an executable file"), std::string::npos) << listed;
  EXPECT_EQ(listed.find("without a shell"), std::string::npos) << listed;
}

const char* kKeyedProfile = R"(
profile:
  service: fff0
  command: fff1
  status: fff2
  unlock: "01 {seq} {key} 55"
  success: "81 {seq} 00"
)";

TEST(BluezSecret, SaysAnEmptyKeyIsEmpty) {
  ::setenv("LOCKRIG_TEST_EMPTY_KEY", "", 1);
  const std::string e =
      validate_error("bluez", std::string("address: C4:7C:8D:6A:12:0F") + kKeyedProfile +
                                  "  key_env: LOCKRIG_TEST_EMPTY_KEY\n");
  EXPECT_NE(e.find("environment variable LOCKRIG_TEST_EMPTY_KEY is empty"), std::string::npos)
      << e;
  EXPECT_EQ(e.find("hex digits"), std::string::npos) << e;
  ::unsetenv("LOCKRIG_TEST_EMPTY_KEY");
}

TEST(BluezSecret, GivesTheOsReasonAKeyFileCannotBeRead) {
  const std::string missing =
      validate_error("bluez", std::string("address: C4:7C:8D:6A:12:0F") + kKeyedProfile +
                                  "  key_file: /nonexistent/lockrig/wood-1.key\n");
  EXPECT_NE(missing.find("No such file or directory"), std::string::npos) << missing;
  const std::string dir = validate_error(
      "bluez", std::string("address: C4:7C:8D:6A:12:0F") + kKeyedProfile + "  key_file: /tmp\n");
  EXPECT_NE(dir.find("Is a directory"), std::string::npos) << dir;
}

TEST(CommandConfig, TakesDefaultsFromTheFixtureBlockAndChecksOnOverrun) {
  EXPECT_EQ(validate_error("command", "{}", "program: [true]\nversion_command: [echo, 1.0]"), "");
  EXPECT_NE(
      validate_error("command", "program: [true]\non_overrun: ignore").find("rig_fault or timeout"),
      std::string::npos);
}

// The README's example is what people copy: it must stay valid.
TEST(BluezReadme, ExampleLockEntryValidates) {
  std::ifstream in(std::string(LOCKRIG_SOURCE_ROOT) + "/drivers/bluez/README.md");
  ASSERT_TRUE(in) << "README not found";
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  const std::string marker = "<!-- example-fixture -->\n```yaml\n";
  auto start = text.find(marker);
  ASSERT_NE(start, std::string::npos);
  start += marker.size();
  const std::string yaml = text.substr(start, text.find("```", start) - start);
  YAML::Node root = YAML::Load(yaml);
  ::setenv("FRONT_DOOR_LOCK_KEY", "00112233445566778899aabbccddeeff", 1);
  DriverRegistry r;
  register_ble_drivers(r);
  int checked = 0;
  for (const auto& lock : root["locks"]) {
    LockSpec s;
    s.id = lock["id"].as<std::string>();
    s.driver = lock["driver"].as<std::string>();
    s.settings = Settings(lock["settings"], "README.md");
    s.shared = Settings(root["drivers"][s.driver], "README.md");
    EXPECT_NO_THROW(r.lock_driver(s.driver, {}).validate(s)) << s.id;
    ++checked;
  }
  EXPECT_GE(checked, 2);
}

// Issue 12: bonded, connect_attempts and max_connections (lock settings, or the fixture's
// drivers.bluez block for the last two), each out-of-range value named with its location.
TEST(BluezConfig, ReadsTheBondAndConnectionSettingsOfIssue12) {
  auto c = bluez::parse_bluez_config(
      spec("bluez", std::string("address: c4:7c:8d:6a:12:0f\nbonded: true\nconnect_attempts: 6") +
                        kProfile,
           "adapter: hci0\nmax_connections: 2"));
  EXPECT_TRUE(c.bonded);
  EXPECT_EQ(c.connect_attempts, 6);
  EXPECT_EQ(c.max_connections, 2);
  auto d = bluez::parse_bluez_config(
      spec("bluez", std::string("address: c4:7c:8d:6a:12:0f") + kProfile));
  EXPECT_FALSE(d.bonded);
  EXPECT_EQ(d.connect_attempts, 4);
  EXPECT_EQ(d.max_connections, 0);

  const std::string e = validate_error(
      "bluez", std::string("address: c4:7c:8d:6a:12:0f\nconnect_attempts: 0") + kProfile);
  EXPECT_NE(e.find("lab.yaml:2:"), std::string::npos) << e;
  EXPECT_NE(e.find("connect_attempts must be between 1 and 20, got 0"), std::string::npos) << e;
  const std::string m = validate_error("bluez", std::string("address: c4:7c:8d:6a:12:0f") + kProfile,
                                       "max_connections: 99");
  EXPECT_NE(m.find("max_connections must be between 0 and 32, got 99"), std::string::npos) << m;
}

// Issue 12 item 4: `pair:` (a block with key_env or key_file holding the lock's 6-digit
// passkey) on a `bonded: true` lock. Mistakes are located; the passkey is never quoted.
TEST(BluezConfig, ReadsThePairingPasskeyFromTheLocksSecretAndNeverQuotesIt) {
  ::setenv("LOCKRIG_CONFIG_TEST_PASSKEY", "012345", 1);
  auto c = bluez::parse_bluez_config(spec(
      "bluez", std::string("address: c4:7c:8d:6a:12:0f\nbonded: true\npair:\n  key_env: "
                           "LOCKRIG_CONFIG_TEST_PASSKEY") +
                   kProfile));
  ASSERT_TRUE(c.pair_passkey.has_value());
  EXPECT_EQ(*c.pair_passkey, 12345u);
  EXPECT_NE(c.pair_source.find("LOCKRIG_CONFIG_TEST_PASSKEY"), std::string::npos) << c.pair_source;

  const std::string unbonded = validate_error(
      "bluez", std::string("address: c4:7c:8d:6a:12:0f\npair: {key_env: LOCKRIG_CONFIG_TEST_PASSKEY}") +
                   kProfile);
  EXPECT_EQ(unbonded.rfind("lab.yaml:2:", 0), 0u) << unbonded;
  EXPECT_NE(unbonded.find("bonded: true"), std::string::npos) << unbonded;

  const std::string flag = validate_error(
      "bluez", std::string("address: c4:7c:8d:6a:12:0f\nbonded: true\npair: true") + kProfile);
  EXPECT_EQ(flag.rfind("lab.yaml:3:", 0), 0u) << flag;
  EXPECT_NE(flag.find("key_env or key_file"), std::string::npos) << flag;

  ::setenv("LOCKRIG_CONFIG_TEST_BAD_PASSKEY", "12ab56", 1);
  const std::string bad = validate_error(
      "bluez", std::string("address: c4:7c:8d:6a:12:0f\nbonded: true\npair:\n  key_env: "
                           "LOCKRIG_CONFIG_TEST_BAD_PASSKEY") +
                   kProfile);
  EXPECT_EQ(bad.rfind("lab.yaml:4:", 0), 0u) << bad;
  EXPECT_NE(bad.find("6 decimal digits"), std::string::npos) << bad;
  EXPECT_EQ(bad.find("12ab56"), std::string::npos) << bad;
}

}  // namespace
}  // namespace lockrig::drivers
