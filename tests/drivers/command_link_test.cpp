// The `command` lock link against a scripted fake app harness: results, hangs, crashes, malformed
// output, stderr noise and arguments passed intact.
#include <sys/prctl.h>

#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "drivers/bluez/register.hpp"
#include "drivers/command/command_link.hpp"
#include "drivers/command/process.hpp"
#include "drivers/rig_fault.hpp"
#include "drivers/transcript.hpp"

namespace lockrig::drivers::command {
namespace {

using namespace std::chrono_literals;

CommandConfig config(std::vector<std::string> args) {
  CommandConfig c;
  c.program = {LOCKRIG_FAKE_APP};
  c.program.insert(c.program.end(), args.begin(), args.end());
  c.overrun_grace = 100ms;
  c.term_grace = 200ms;
  return c;
}

std::string temp_path() {
  char name[] = "/tmp/lockrig-fake-app-XXXXXX";
  int fd = ::mkstemp(name);
  if (fd >= 0) ::close(fd);
  return name;
}

pid_t read_pid(const std::string& path) {
  pid_t pid = 0;
  std::ifstream(path) >> pid;
  return pid;
}

bool process_gone(pid_t pid) {
  // Reaped, or a zombie waiting for a reaper that is not us: either way it no longer runs.
  for (int i = 0; i < 100; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    std::getline(stat, text);
    if (!stat || text.find(") Z") != std::string::npos) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

std::string rig_fault(CommandLockLink& link, Duration timeout) {
  try {
    auto r = link.unlock(timeout);
    return std::string("no RigFault but ") + std::string(outcome_name(r.outcome));
  } catch (const RigFault& e) {
    EXPECT_EQ(e.component(), "command");
    return e.what();
  }
}

TEST(CommandLink, ReportsTheOutcomeLatencyAndDetailTheHarnessPrints) {
  CommandLockLink link("wood-1", config({"success"}));
  EXPECT_EQ(link.connect(1s).outcome, LockOutcome::success);
  EXPECT_TRUE(link.connected());
  auto r = link.unlock(5s);
  EXPECT_EQ(r.outcome, LockOutcome::success);
  EXPECT_DOUBLE_EQ(to_ms(r.latency), 812.5);
  EXPECT_EQ(r.detail, "unlocked via app");
}

// A fixture's BLE lock keeps its key in an environment variable (key_env). Validating the
// fixture withholds that variable from every program the rig starts, so an app harness (or its
// version command) never sees another lock's secret; the rest of the environment passes.
TEST(CommandLink, WithholdsVariablesNamedByKeyEnvFromTheHarness) {
  ::setenv("LOCKRIG_TEST_FRONT_DOOR_KEY", "00112233445566778899aabbccddeeff", 1);
  ::setenv("LOCKRIG_TEST_PLAIN", "passes-through", 1);
  DriverRegistry registry;
  register_ble_drivers(registry);
  LockSpec ble;
  ble.id = "wood-1";
  ble.driver = "bluez";
  ble.settings = Settings(YAML::Load(R"(
address: "C4:7C:8D:6A:12:0F"
profile:
  service: fff0
  command: fff1
  status: fff2
  unlock: "01 {seq} {key} 55"
  success: "81 {seq} 00"
  key_env: LOCKRIG_TEST_FRONT_DOOR_KEY
)"),
                          "lab.yaml");
  registry.lock_driver("bluez", {}).validate(ble);

  const std::string unlock_env = temp_path();
  const std::string version_env = temp_path();
  CommandConfig c = config({"env-to", unlock_env});
  c.version_command = {LOCKRIG_FAKE_APP, "env-to", version_env};
  CommandLockLink link("steel-2", c);
  ASSERT_EQ(link.unlock(5s).outcome, LockOutcome::success);
  link.identity(5s);
  for (const auto& path : {unlock_env, version_env}) {
    std::ifstream in(path);
    std::stringstream env;
    env << in.rdbuf();
    EXPECT_NE(env.str().find("LOCKRIG_TEST_PLAIN=passes-through"), std::string::npos) << path;
    EXPECT_EQ(env.str().find("LOCKRIG_TEST_FRONT_DOOR_KEY"), std::string::npos) << path;
    EXPECT_EQ(env.str().find("00112233445566778899aabbccddeeff"), std::string::npos) << path;
    ::unlink(path.c_str());
  }
  // The rig itself still has the key (the bluez link reads it again when it is built), but
  // no longer in its environment (issue 17 item 6), and it is not dumpable while it holds it.
  EXPECT_EQ(std::getenv("LOCKRIG_TEST_FRONT_DOOR_KEY"), nullptr);
  EXPECT_NO_THROW(registry.lock_driver("bluez", {}).validate(ble));
  EXPECT_EQ(::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
  ::unsetenv("LOCKRIG_TEST_PLAIN");
}

TEST(CommandLink, PassesAWellFormedFailureThroughAsALockOutcome) {
  CommandLockLink link("wood-1", config({"rejected"}));
  auto r = link.unlock(5s);
  EXPECT_EQ(r.outcome, LockOutcome::rejected);
  EXPECT_EQ(r.detail, "app shows: access denied");
}

TEST(CommandLink, AcceptsAResultFromAHarnessThatExitsNonZero) {
  CommandLockLink link("wood-1", config({"fail-with-result"}));
  auto r = link.unlock(5s);
  EXPECT_EQ(r.outcome, LockOutcome::timeout);
  EXPECT_NE(r.detail.find("exit code 1"), std::string::npos) << r.detail;
}

TEST(CommandLink, MeasuresTheRunWhenTheHarnessGivesNoLatency) {
  CommandLockLink link("wood-1", config({"no-latency"}));
  auto r = link.unlock(5s);
  EXPECT_EQ(r.outcome, LockOutcome::success);
  EXPECT_GE(to_ms(r.latency), 190);
  EXPECT_LT(to_ms(r.latency), 2000);
}

TEST(CommandLink, PassesArgumentsWithSpacesAndPlaceholdersIntactWithoutAShell) {
  CommandLockLink link("wood 1", config({"echo-args", "Pixel 7  Pro", "{lock_id}", "$HOME;`id`"}));
  auto r = link.unlock(5s);
  EXPECT_EQ(r.detail, "Pixel 7  Pro|wood 1|$HOME;`id`");
}

TEST(CommandLink, FillsInTheBudgetAndTheAttemptNumber) {
  CommandLockLink link("wood-1", config({"echo-args", "{timeout_ms}", "{attempt}", "x"}));
  EXPECT_EQ(link.unlock(1500ms).detail, "1500|1|x");
  EXPECT_EQ(link.unlock(1500ms).detail, "1500|2|x");
}

TEST(CommandLink, IgnoresStderrNoise) {
  CommandLockLink link("wood-1", config({"noise"}));
  auto r = link.unlock(5s);
  EXPECT_EQ(r.outcome, LockOutcome::success);
  EXPECT_DOUBLE_EQ(to_ms(r.latency), 90);
}

TEST(CommandLink, KillsTheWholeProcessGroupOfAHungHarnessAndCallsItARigFault) {
  const std::string pidfile = temp_path();
  CommandLockLink link("wood-1", config({"hang", pidfile}));
  const auto start = std::chrono::steady_clock::now();
  const std::string fault = rig_fault(link, 300ms);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_NE(fault.find("hung"), std::string::npos) << fault;
  EXPECT_NE(fault.find("killed"), std::string::npos) << fault;
  EXPECT_GE(took, 400ms);  // budget + grace
  EXPECT_LT(took, 4s);
  const pid_t child = read_pid(pidfile);
  ASSERT_GT(child, 0);
  EXPECT_TRUE(process_gone(child)) << "the harness's own child survived";
  std::remove(pidfile.c_str());
}

TEST(CommandLink, SendsSigkillWhenTheHarnessIgnoresSigterm) {
  const std::string pidfile = temp_path();
  CommandLockLink link("wood-1", config({"ignore-term", pidfile}));
  EXPECT_NE(rig_fault(link, 200ms).find("hung"), std::string::npos);
  const pid_t child = read_pid(pidfile);
  ASSERT_GT(child, 0);
  EXPECT_TRUE(process_gone(child));
  std::remove(pidfile.c_str());
}

TEST(CommandLink, CanCountAnOverrunAsTheLocksTimeoutWhenConfiguredSo) {
  const std::string pidfile = temp_path();
  CommandConfig c = config({"hang", pidfile});
  c.overrun_is_timeout = true;
  CommandLockLink link("wood-1", c);
  auto r = link.unlock(200ms);
  EXPECT_EQ(r.outcome, LockOutcome::timeout);
  EXPECT_GE(to_ms(r.latency), 290);
  EXPECT_TRUE(process_gone(read_pid(pidfile)));
  std::remove(pidfile.c_str());
}

TEST(CommandLink, CallsACrashARigFaultNamingTheSignalAndStderr) {
  CommandLockLink link("wood-1", config({"crash"}));
  const std::string fault = rig_fault(link, 5s);
  EXPECT_NE(fault.find("crashed (SIGSEGV)"), std::string::npos) << fault;
  EXPECT_NE(fault.find("about to crash"), std::string::npos) << fault;
}

TEST(CommandLink, CallsMalformedOutputARigFault) {
  for (const char* mode : {"malformed", "two-lines", "fail-silently"}) {
    CommandLockLink link("wood-1", config({mode}));
    const std::string fault = rig_fault(link, 5s);
    EXPECT_NE(fault.find("broke the result contract"), std::string::npos) << mode << ": " << fault;
  }
  CommandLockLink silent("wood-1", config({"fail-silently"}));
  const std::string fault = rig_fault(silent, 5s);
  EXPECT_NE(fault.find("exit code 3"), std::string::npos) << fault;
  EXPECT_NE(fault.find("no device connected"), std::string::npos) << fault;
}

TEST(CommandLink, CallsAnUninterpretableButWellFormedResultAProtocolError) {
  CommandLockLink link("wood-1", config({"unknown-outcome"}));
  auto r = link.unlock(5s);
  EXPECT_EQ(r.outcome, LockOutcome::protocol_error);
  EXPECT_NE(r.detail.find("jammed"), std::string::npos) << r.detail;
}

TEST(CommandLink, CallsAProgramThatCannotRunARigFault) {
  CommandConfig c;
  c.program = {"/nonexistent/harness"};
  CommandLockLink link("wood-1", c);
  EXPECT_NE(rig_fault(link, 1s).find("could not be run"), std::string::npos);
}

TEST(CommandLink, ReportsTheAppVersionAsTheClientVersion) {
  CommandConfig c = config({"success"});
  c.version_command = {LOCKRIG_FAKE_APP, "version"};
  CommandLockLink link("wood-1", c);
  auto id = link.identity(5s);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->client_version, "4.12.0 (build 881)");
  EXPECT_TRUE(id->firmware.empty());
}

TEST(CommandLink, RaisesRigFaultWhenTheVersionCommandFails) {
  CommandConfig c = config({"success"});
  c.version_command = {LOCKRIG_FAKE_APP, "fail-silently"};
  CommandLockLink link("wood-1", c);
  EXPECT_THROW(link.identity(5s), RigFault);
}

TEST(CommandLink, AsksTheAdvertisingCommandWhenOneIsConfigured) {
  CommandConfig c = config({"success"});
  EXPECT_TRUE(CommandLockLink("wood-1", c).advertising(1s));
  c.advertising_command = {LOCKRIG_FAKE_APP, "absent"};
  EXPECT_FALSE(CommandLockLink("wood-1", c).advertising(1s));
  c.advertising_command = {LOCKRIG_FAKE_APP, "present"};
  EXPECT_TRUE(CommandLockLink("wood-1", c).advertising(1s));
  c.advertising_command = {LOCKRIG_FAKE_APP, "fail-silently"};
  EXPECT_THROW(CommandLockLink("wood-1", c).advertising(1s), RigFault);
}

TEST(Process, CapturesStdoutAndTheTailOfStderrAndTheExitCode) {
  ProcessOptions o;
  o.max_stderr = 64;
  auto r = run_process({LOCKRIG_FAKE_APP, "noise"}, o);
  EXPECT_TRUE(r.started);
  EXPECT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "{\"outcome\": \"success\", \"latency_ms\": 90}\n");
  EXPECT_LE(r.err_tail.size(), 64u);
  EXPECT_NE(r.err_tail.find("log line 199"), std::string::npos);
}

TEST(Process, ReportsAnExecFailureSeparatelyFromTheProgramsExitCode) {
  auto r = run_process({"no-such-program-lockrig"}, {});
  EXPECT_FALSE(r.started);
  EXPECT_EQ(r.exec_errno, ENOENT);
}

// Issue 15: the harness's argv, stdout, stderr and exit status go to the session's transcript,
// and a lock key (a key_env variable, registered when withheld) is redacted from all of them and
// from the outcome's detail, which the journal stores as the attempt's detail.
TEST(CommandLink, RecordsTheHarnessExchangeInTheTranscriptWithTheLockKeyRedacted) {
  const std::string key = "7f3a9c01d2e4b658";
  ::setenv("LOCKRIG_TEST_TRANSCRIPT_KEY", key.c_str(), 1);
  withhold_from_children("LOCKRIG_TEST_TRANSCRIPT_KEY");
  const std::string key_file = temp_path();
  std::ofstream(key_file) << key;
  VirtualClock clock;
  TranscriptRecorder recorder(clock);
  TranscriptScope scope(&recorder);
  CommandLockLink link("wood-1", config({"leak-key", key_file}));
  ASSERT_EQ(link.connect(1s).outcome, LockOutcome::success);
  const UnlockResult r = link.unlock(5s);
  EXPECT_EQ(r.outcome, LockOutcome::rejected);
  EXPECT_EQ(r.detail, "bad key [redacted]");
  const auto entries = recorder.take();
  std::string all;
  for (const auto& e : entries)
    all += std::string(1, direction_mark(e.direction)) + " " + e.who + ": " + e.text + "\n";
  EXPECT_EQ(all.find(key), std::string::npos) << all;
  EXPECT_NE(all.find("> wood-1 exec: " + std::string(LOCKRIG_FAKE_APP) + " leak-key " + key_file),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("< wood-1 stdout: {\"outcome\": \"rejected\", \"latency_ms\": 120, "
                     "\"detail\": \"bad key [redacted]\"}"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("< wood-1 stderr: debug: using session key [redacted]"), std::string::npos)
      << all;
  EXPECT_NE(all.find("- wood-1 exec: exit code 0 after "), std::string::npos) << all;
  ::unlink(key_file.c_str());
}

}  // namespace
}  // namespace lockrig::drivers::command
