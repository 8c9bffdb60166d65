// Network instrument emulators for tests (see tcp_emulator.hpp).
#include "tests/support/tcp_emulator.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

extern char** environ;

namespace lockrig::testing {

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TcpEmulator::TcpEmulator(const std::string& emulator) {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path dir = std::filesystem::path(LOCKRIG_SERIAL_E2E_DIR) /
                                    (std::string(test->test_suite_name()) + "." + test->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  dir_ = dir.string();

  std::vector<std::string> words;
  std::istringstream in(emulator);
  for (std::string w; in >> w;) words.push_back(w);
  if (words.empty()) throw std::invalid_argument("no emulator named");
  std::vector<std::string> argv = {
      "/usr/bin/python3", std::string(LOCKRIG_EMULATORS_DIR) + "/" + words[0] + "_emulator.py"};
  argv.insert(argv.end(), words.begin() + 1, words.end());
  for (const char* a : {"--tcp", "0", "--port-file"}) argv.emplace_back(a);
  argv.push_back(dir_ + "/port");
  argv.push_back("--state");
  argv.push_back(dir_ + "/state.json");
  argv.push_back("--log");
  argv.push_back(dir_ + "/commands.log");
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);

  std::vector<std::string> env_strings;
  std::vector<char*> env;
  for (char** e = environ; *e; ++e) env.push_back(*e);
  env_strings.push_back("PYTHONDONTWRITEBYTECODE=1");  // keep the source tree clean
  env.push_back(env_strings.back().data());
  env.push_back(nullptr);
  if (posix_spawn(&pid_, raw[0], nullptr, nullptr, raw.data(), env.data()) != 0)
    throw std::runtime_error("cannot start " + argv[1]);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!std::filesystem::exists(dir_ + "/port") ||
         !std::filesystem::exists(dir_ + "/state.json")) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("emulator " + words[0] + " exited at start");
    }
    if (std::chrono::steady_clock::now() > deadline) {
      stop();
      throw std::runtime_error("emulator " + words[0] + " did not start listening");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  port_ = std::stoi(read_file(dir_ + "/port"));
}

TcpEmulator::~TcpEmulator() {
  stop();
}

void TcpEmulator::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string TcpEmulator::address() const {
  return "tcp://127.0.0.1:" + std::to_string(port_);
}

YAML::Node TcpEmulator::state() const {
  return YAML::LoadFile(dir_ + "/state.json");
}

std::string TcpEmulator::log() const {
  return read_file(dir_ + "/commands.log");
}

int unused_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace lockrig::testing
