// Issue 17 item 6: the lock key leaves the rig's environment once read. A harness the rig starts
// (same user) reading /proc/<rig>/environ finds no key, and a core dump of the rig holds none.
#include <signal.h>
#include <stdlib.h>

#include <gtest/gtest.h>

#include "cli_support.hpp"

namespace lockrig::cli_test {

namespace {

const char* kKeyVar = "LOCKRIG_TEST_ACME_LAB_KEY";
const char* kKey = "5ec2e7a11ce0ffee5ec2e7a11ce0ffee";

// A BLE lock whose key is in the environment (validated, so its key is read, but not run) and
// an app harness that runs as the rig's child.
std::string keyed_fixture(const TempDir& tmp, const std::string& harness_mode,
                          const std::string& arg) {
  const std::string fake = source_path("tests/drivers/fake_unlock_app.sh");
  return tmp.write("keyed.yaml",
                   "rig: keyed-lab\n"
                   "locks:\n"
                   "  - id: front-door\n"
                   "    material: wood\n"
                   "    driver: bluez\n"
                   "    settings:\n"
                   "      address: \"C4:7C:8D:6A:12:0F\"\n"
                   "      profile:\n"
                   "        service: fff0\n"
                   "        command: fff1\n"
                   "        status: fff2\n"
                   "        unlock: \"01 {seq} {key} 55\"\n"
                   "        success: \"81 {seq} 00\"\n"
                   "        key_env: " +
                       std::string(kKeyVar) +
                       "\n"
                       "  - id: phone-1\n"
                       "    material: wood\n"
                       "    driver: command\n"
                       "    settings:\n"
                       "      program: [" +
                       fake + ", " + harness_mode + ", " + arg + "]\n");
}

std::string one_unlock(const TempDir& tmp) {
  return tmp.write("one.yaml", "name: one\nrepeat: 1\nsteps:\n  - unlock: {within: 10s}\n");
}

struct KeyInEnvironment {
  KeyInEnvironment() { ::setenv(kKeyVar, kKey, 1); }
  ~KeyInEnvironment() { ::unsetenv(kKeyVar); }
};

}  // namespace

TEST(LockKey, AHarnessCannotReadItFromTheRigsEnvironment) {
  TempDir tmp;
  const std::string seen = tmp.file("parent-environ.txt");
  KeyInEnvironment key;
  const Result r = lockrig({"run", "--fixture", keyed_fixture(tmp, "parent-env-to", seen),
                            "--scenario", one_unlock(tmp), "--locks", "phone-1", "--progress",
                            "off", "-q", "--db", tmp.file("j.db")});
  ASSERT_TRUE(r.exited && r.exit_code == 0) << r.describe();
  ASSERT_TRUE(exists(seen)) << "the harness did not run";
  const std::string environ = read_file(seen);
  EXPECT_EQ(environ.find(kKey), std::string::npos) << "the key is readable in /proc/<rig>/environ";
  // Only the key went: the rest of the rig's environment is as it was.
  EXPECT_NE(environ.find("PATH="), std::string::npos) << environ.substr(0, 2000);
}

TEST(LockKey, ACoreDumpOfTheRigHoldsNoKey) {
  TempDir tmp;
  KeyInEnvironment key;
  const std::string cores = tmp.file("cores");
  ::mkdir(cores.c_str(), 0700);
  const std::string fixture = keyed_fixture(tmp, "abort-parent", "-");
  const std::string scenario = one_unlock(tmp);
  // The harness aborts its parent, the rig, in the middle of a session; the shell lets it dump
  // core into `cores` (core_pattern "core" is relative to the working directory).
  const Result r = lockrig_in_bash("ulimit -c unlimited; cd '" + cores + "' && exec \"$0\" run " +
                                       "--fixture '" + fixture + "' --scenario '" + scenario +
                                       "' --locks phone-1 --progress off -q --db \"$1\"",
                                   tmp.file("j.db"));
  ASSERT_FALSE(r.exited) << r.describe();
  EXPECT_EQ(r.term_signal, SIGABRT) << r.describe();
  int files = 0;
  for (const auto& entry : fs::directory_iterator(cores)) {
    ++files;
    const std::string core = read_file(entry.path().string());
    EXPECT_EQ(core.find(kKey), std::string::npos) << entry.path() << " holds the key";
  }
  // The rig is not dumpable while it holds a key (PR_SET_DUMPABLE 0): no core at all.
  EXPECT_EQ(files, 0);
}

}  // namespace lockrig::cli_test
