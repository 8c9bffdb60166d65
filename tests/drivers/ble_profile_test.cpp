// The pure part of the BLE driver: UUID spellings, hex templates and patterns, the template
// profile's encode/decode and its fixture validation, and lock secrets.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "drivers/bluez/gatt_uuid.hpp"
#include "drivers/bluez/lock_profile.hpp"
#include "drivers/bluez/template_profile.hpp"

namespace lockrig::drivers::bluez {
namespace {

Settings block(const std::string& yaml, const std::string& file = "lab.yaml") {
  return Settings(YAML::Load(yaml), file);
}

const std::string kProfile = R"(
service: fff0
command: fff1
status: fff2
unlock: "01 {seq} 55"
success: "81 {seq} 00"
failures:
  "81 {seq} 01": rejected
  "81 {seq} 02": rejected
  "81 {seq} *": protocol_error
)";

std::string config_error(const std::string& yaml) {
  try {
    make_lock_profile(block(yaml));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(GattUuid, ExpandsShortFormsOntoTheBluetoothBase) {
  EXPECT_EQ(normalize_uuid("fff0"), "0000fff0-0000-1000-8000-00805f9b34fb");
  EXPECT_EQ(normalize_uuid("0x180A"), "0000180a-0000-1000-8000-00805f9b34fb");
  EXPECT_EQ(normalize_uuid("0000FFF0"), "0000fff0-0000-1000-8000-00805f9b34fb");
  EXPECT_EQ(normalize_uuid("6E400001-B5A3-F393-E0A9-E50E24DCCA9E"),
            "6e400001-b5a3-f393-e0a9-e50e24dcca9e");
  EXPECT_FALSE(normalize_uuid("fff").has_value());
  EXPECT_FALSE(normalize_uuid("6e400001b5a3f393e0a9e50e24dcca9e").has_value());
  EXPECT_FALSE(normalize_uuid("zzzz").has_value());
}

TEST(GattUuid, DisplaysBaseUuidsInTheirShortForm) {
  EXPECT_EQ(display_uuid("0000180a-0000-1000-8000-00805f9b34fb"), "180a");
  EXPECT_EQ(display_uuid("6e400001-b5a3-f393-e0a9-e50e24dcca9e"),
            "6e400001-b5a3-f393-e0a9-e50e24dcca9e");
}

TEST(ByteTemplate, EncodesTheSequenceNumberInEveryWidth) {
  std::string why;
  auto t = ByteTemplate::parse("aa {seq} {seq16le} {seq16be} 0b", ByteTemplate::Use::command, &why);
  ASSERT_TRUE(t) << why;
  EXPECT_EQ(t->encode(0x1234, nullptr), (Bytes{0xaa, 0x34, 0x34, 0x12, 0x12, 0x34, 0x0b}));
}

TEST(ByteTemplate, AcceptsContiguousAndColonSeparatedHex) {
  auto t = ByteTemplate::parse("0155:AA,bb", ByteTemplate::Use::command, nullptr);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->encode(0, nullptr), (Bytes{0x01, 0x55, 0xaa, 0xbb}));
}

TEST(ByteTemplate, InsertsTheKeyWhereTheCommandSaysSo) {
  auto t = ByteTemplate::parse("02 {key} {seq}", ByteTemplate::Use::command, nullptr);
  ASSERT_TRUE(t);
  const Bytes key{0xde, 0xad};
  EXPECT_TRUE(t->uses_key());
  EXPECT_EQ(t->encode(7, &key), (Bytes{0x02, 0xde, 0xad, 0x07}));
}

TEST(ByteTemplate, RejectsWildcardsInCommandsAndKeysInPatterns) {
  std::string why;
  EXPECT_FALSE(ByteTemplate::parse("01 ?? 55", ByteTemplate::Use::command, &why));
  EXPECT_NE(why.find("wildcard"), std::string::npos) << why;
  EXPECT_FALSE(ByteTemplate::parse("81 {key}", ByteTemplate::Use::pattern, &why));
  EXPECT_NE(why.find("{key}"), std::string::npos) << why;
  EXPECT_FALSE(ByteTemplate::parse("81 {sequence}", ByteTemplate::Use::pattern, &why));
  EXPECT_NE(why.find("{sequence}"), std::string::npos) << why;
  EXPECT_FALSE(ByteTemplate::parse("81 * 00", ByteTemplate::Use::pattern, &why));
  EXPECT_FALSE(ByteTemplate::parse("8", ByteTemplate::Use::pattern, &why));
  EXPECT_FALSE(ByteTemplate::parse("  ", ByteTemplate::Use::pattern, &why));
}

TEST(ByteTemplate, MatchesWildcardsTrailingRestAndExactLength) {
  auto p = ByteTemplate::parse("81 ?? 00 *", ByteTemplate::Use::pattern, nullptr);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->matches({0x81, 0x09, 0x00}, 1));
  EXPECT_TRUE(p->matches({0x81, 0x09, 0x00, 0x12, 0x13}, 1));
  EXPECT_FALSE(p->matches({0x81, 0x09}, 1));
  auto exact = ByteTemplate::parse("81 {seq} 00", ByteTemplate::Use::pattern, nullptr);
  ASSERT_TRUE(exact);
  EXPECT_FALSE(exact->matches({0x81, 0x05, 0x00, 0x00}, 5));
  EXPECT_FALSE(exact->matches({0x81, 0x04, 0x00}, 5));
  EXPECT_TRUE(exact->matches({0x81, 0x04, 0x00}, std::nullopt));
}

TEST(TemplateProfile, EncodesTheUnlockCommandWithTheSequenceNumberWrappingAtOneByte) {
  auto p = make_lock_profile(block(kProfile));
  EXPECT_EQ(p->kind(), "template");
  EXPECT_EQ(p->service_uuid(), "0000fff0-0000-1000-8000-00805f9b34fb");
  EXPECT_EQ(p->unlock_command(5), (Bytes{0x01, 0x05, 0x55}));
  EXPECT_EQ(p->unlock_command(256 + 3), (Bytes{0x01, 0x03, 0x55}));
  EXPECT_TRUE(p->write_with_response());
}

TEST(TemplateProfile, DecodesSuccessAndEachFailurePatternToItsOutcome) {
  auto p = make_lock_profile(block(kProfile));
  auto ok = p->decode_status({0x81, 0x05, 0x00}, 5);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->outcome, LockOutcome::success);
  EXPECT_EQ(p->decode_status({0x81, 0x05, 0x02}, 5)->outcome, LockOutcome::rejected);
  auto odd = p->decode_status({0x81, 0x05, 0x7f}, 5);
  EXPECT_EQ(odd->outcome, LockOutcome::protocol_error);
  EXPECT_NE(odd->meaning.find("81 05 7f"), std::string::npos) << odd->meaning;
}

TEST(TemplateProfile, TreatsAReplyCarryingAnotherSequenceNumberAsLateAndKeepsWaiting) {
  auto p = make_lock_profile(block(kProfile));
  EXPECT_FALSE(p->decode_status({0x81, 0x04, 0x00}, 5).has_value());
  EXPECT_FALSE(p->decode_status({0x81, 0x04, 0x01}, 5).has_value());
}

TEST(TemplateProfile, CallsAStatusThatFitsNoPatternAProtocolError) {
  auto p = make_lock_profile(block(kProfile));
  auto v = p->decode_status({0xde, 0xad}, 5);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->outcome, LockOutcome::protocol_error);
  EXPECT_NE(v->meaning.find("de ad"), std::string::npos);
}

TEST(TemplateProfile, TriesPatternsInTheOrderWritten) {
  auto p = make_lock_profile(block(R"(
service: fff0
command: fff1
status: fff2
unlock: "01"
success: ["81 00", "82 00"]
failures: {"81 *": protocol_error, "?? 07": rejected}
)"));
  EXPECT_EQ(p->decode_status({0x82, 0x00}, 1)->outcome, LockOutcome::success);
  EXPECT_EQ(p->decode_status({0x81, 0x07}, 1)->outcome, LockOutcome::protocol_error);
  EXPECT_EQ(p->decode_status({0x82, 0x07}, 1)->outcome, LockOutcome::rejected);
}

TEST(TemplateProfile, SupportsWritesWithoutResponse) {
  auto p = make_lock_profile(block(kProfile + "write: command\n"));
  EXPECT_FALSE(p->write_with_response());
  EXPECT_NE(config_error(kProfile + "write: reliable\n").find("request"), std::string::npos);
}

TEST(TemplateProfileSettings, PointsAtTheLineOfABadUuid) {
  const std::string e =
      config_error("service: fff\ncommand: fff1\nstatus: fff2\nunlock: \"01\"\nsuccess: \"81\"\n");
  EXPECT_EQ(e.rfind("lab.yaml:1:", 0), 0u) << e;
  EXPECT_NE(e.find("\"fff\""), std::string::npos) << e;
}

TEST(TemplateProfileSettings, NamesTheMissingKeys) {
  EXPECT_NE(config_error("service: fff0\ncommand: fff1\nstatus: fff2\nsuccess: \"81\"\n")
                .find("\"unlock\""),
            std::string::npos);
  EXPECT_NE(
      config_error("service: fff0\ncommand: fff1\nstatus: fff2\nunlock: \"01\"\n").find("success"),
      std::string::npos);
  EXPECT_NE(config_error("").find("profile"), std::string::npos);
}

TEST(TemplateProfileSettings, SuggestsTheOutcomeAFailurePatternProbablyMeant) {
  const std::string e = config_error(kProfile + "  \"81 {seq} 09\": rejcted\n");
  EXPECT_NE(e.find("did you mean \"rejected\""), std::string::npos) << e;
  EXPECT_NE(
      config_error(kProfile + "  \"81 {seq} 09\": success\n").find("success patterns go under"),
      std::string::npos);
}

TEST(TemplateProfileSettings, RejectsUnknownKeysAndKinds) {
  EXPECT_NE(config_error(kProfile + "sucess: \"81\"\n").find("did you mean \"success\""),
            std::string::npos);
  EXPECT_NE(config_error("kind: vendor-x\n").find("known: template"), std::string::npos);
}

TEST(LockSecret, ReadsTheKeyFromAnEnvironmentVariableIntoTheCommand) {
  ::setenv("LOCKRIG_TEST_LOCK_KEY", "00112233 44556677", 1);
  auto p = make_lock_profile(block(R"(
service: fff0
command: fff1
status: fff2
unlock: "02 {key} {seq}"
success: "81 {seq} 00"
key_env: LOCKRIG_TEST_LOCK_KEY
)"));
  EXPECT_EQ(p->unlock_command(1),
            (Bytes{0x02, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x01}));
}

// Issue 17 item 6: a key file others may read is refused, as OpenSSH refuses a private key
// (openssh-portable authfile.c, sshkey_perm_ok(): owned by the user and any 077 bit set), naming
// the file and its mode; the key itself is never quoted.
TEST(LockSecret, RefusesAKeyFileThatGroupOrOthersMayRead) {
  char dir[] = "/tmp/lockrig-key-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string key = std::string(dir) + "/wood-1.key";
  std::ofstream(key) << "a1:b2\n";
  const std::string profile =
      "service: fff0\ncommand: fff1\nstatus: fff2\nunlock: \"{key}\"\nsuccess: \"81\"\n"
      "key_file: wood-1.key\n";
  const std::string fixture = std::string(dir) + "/lab.yaml";
  for (const mode_t mode : {0644, 0640, 0604, 0660}) {
    ::chmod(key.c_str(), mode);
    std::string e;
    try {
      (void)make_lock_profile(block(profile, fixture));
    } catch (const ConfigError& err) {
      e = err.what();
    }
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
    EXPECT_NE(e.find("has permissions " + std::string(octal) + ", too open"), std::string::npos)
        << octal << ": " << e;
    EXPECT_NE(e.find(key), std::string::npos) << e;
    EXPECT_EQ(e.find("a1:b2"), std::string::npos) << e;
  }
  for (const mode_t mode : {0600, 0400}) {
    ::chmod(key.c_str(), mode);
    EXPECT_NO_THROW((void)make_lock_profile(block(profile, fixture))) << mode;
  }
  std::remove(key.c_str());
  ::rmdir(dir);
}

TEST(LockSecret, ReadsAKeyFileRelativeToTheFixture) {
  char dir[] = "/tmp/lockrig-key-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::ofstream(std::string(dir) + "/wood-1.key") << "a1:b2\n";
  ::chmod((std::string(dir) + "/wood-1.key").c_str(), 0600);  // others may not read a key
  auto p =
      make_lock_profile(block("service: fff0\ncommand: fff1\nstatus: fff2\nunlock: "
                              "\"{key}\"\nsuccess: \"81\"\nkey_file: wood-1.key\n",
                              std::string(dir) + "/lab.yaml"));
  EXPECT_EQ(p->unlock_command(1), (Bytes{0xa1, 0xb2}));
  std::remove((std::string(dir) + "/wood-1.key").c_str());
  ::rmdir(dir);
}

TEST(LockSecret, NeverQuotesTheSecretInErrors) {
  ::setenv("LOCKRIG_TEST_BAD_KEY", "s3cr3t-passphrase", 1);
  const std::string e = config_error(
      "service: fff0\ncommand: fff1\nstatus: fff2\nunlock: \"{key}\"\nsuccess: \"81\"\nkey_env: "
      "LOCKRIG_TEST_BAD_KEY\n");
  EXPECT_NE(e.find("LOCKRIG_TEST_BAD_KEY"), std::string::npos) << e;
  EXPECT_EQ(e.find("s3cr3t"), std::string::npos) << e;
}

TEST(LockSecret, RequiresAKeyExactlyWhenTheCommandUsesOne) {
  ::unsetenv("LOCKRIG_TEST_UNSET_KEY");
  ::setenv("LOCKRIG_TEST_HEX_KEY", "00", 1);
  const std::string base = "service: fff0\ncommand: fff1\nstatus: fff2\nsuccess: \"81\"\n";
  EXPECT_NE(config_error(base + "unlock: \"{key}\"\n").find("key_file"), std::string::npos);
  EXPECT_NE(config_error(base + "unlock: \"01\"\nkey_env: LOCKRIG_TEST_HEX_KEY\n").find("no {key}"),
            std::string::npos);
  EXPECT_NE(
      config_error(base + "unlock: \"{key}\"\nkey_env: LOCKRIG_TEST_UNSET_KEY\n").find("unset"),
      std::string::npos);
  EXPECT_NE(config_error(base + "unlock: \"{key}\"\nkey_env: A\nkey_file: b\n").find("not both"),
            std::string::npos);
  EXPECT_NE(config_error(base + "unlock: \"{key}\"\nkey_file: /nonexistent/lock.key\n")
                .find("cannot read"),
            std::string::npos);
}

TEST(ToHex, SpacesBytesAndCutsLongValues) {
  EXPECT_EQ(to_hex({0x81, 0x0a}), "81 0a");
  EXPECT_EQ(to_hex({}), "(empty)");
  EXPECT_EQ(to_hex(Bytes(40, 0xff), 2), "ff ff …(40 bytes)");
}

}  // namespace
}  // namespace lockrig::drivers::bluez
