// GoogleTest side of the serial harness (see serial_harness_gtest.hpp).
#include "tests/support/serial_harness_gtest.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace lockrig::testing {

namespace {

const char* state_dir() {
  return std::getenv("LOCKRIG_EMU_STATE_DIR");
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

HarnessRun run_under_serial_harness(const std::vector<EmulatedDevice>& devices) {
  if (const char* dir = state_dir(); dir && *dir) return HarnessRun::inside;
  if (::geteuid() != 0) return HarnessRun::skipped;

  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string full_name = std::string(test->test_suite_name()) + "." + test->name();
  const std::filesystem::path dir = std::filesystem::path(LOCKRIG_SERIAL_E2E_DIR) / full_name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  std::vector<std::string> argv = {
      "/usr/bin/python3", LOCKRIG_SERIAL_HARNESS, "--shim",    LOCKRIG_PTY_SHIM,
      "--state-dir",      dir.string(),           "--timeout", "60"};
  for (const auto& d : devices) {
    argv.push_back("--device");
    argv.push_back(d.name + "=" + d.emulator);
    if (!d.usb.empty()) {
      argv.push_back("--usb");
      argv.push_back(d.name + "=" + d.usb);
    }
  }
  argv.push_back("--");
  argv.push_back(std::filesystem::read_symlink("/proc/self/exe").string());
  argv.push_back("--gtest_filter=" + full_name);
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);

  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = 0;
  if (posix_spawn(&pid, raw[0], nullptr, nullptr, raw.data(), environ) != 0) {
    ADD_FAILURE() << "cannot start " << argv[0];
    return HarnessRun::finished;
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (code != 0)
    ADD_FAILURE() << "the test body failed under the serial harness (exit " << code
                  << "); its output is above, emulator state and logs are in " << dir;
  return HarnessRun::finished;
}

YAML::Node emulator_state(const std::string& name) {
  return YAML::LoadFile(std::string(state_dir()) + "/" + name + ".json");
}

YAML::Node wait_for_emulator(const std::string& name,
                             const std::function<bool(const YAML::Node&)>& done,
                             std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    YAML::Node state = emulator_state(name);
    if (done(state) || std::chrono::steady_clock::now() > deadline) return state;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string emulator_log(const std::string& name) {
  return read_file(std::string(state_dir()) + "/" + name + ".log");
}

std::string by_id_link(const std::string& name) {
  YAML::Node devices = YAML::LoadFile(std::string(state_dir()) + "/devices.json");
  return devices[name]["by_id"].as<std::string>();
}

}  // namespace lockrig::testing
