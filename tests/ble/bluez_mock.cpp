// Starting and steering the mock bluetoothd for the `ble` tests.
#include "tests/ble/bluez_mock.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "drivers/bluez/register.hpp"
#include "rig/base/clock.hpp"
#include "rig/base/settings.hpp"

extern char** environ;

namespace lockrig::testing {

namespace {

// Method bodies run inside the mock; they hand over to lockmock.py, loaded into that process.
std::string delegate(const std::string& function) {
  const std::string dir = LOCKRIG_BLE_MOCK_DIR;
  // No bytecode cache: it would land in the source tree.
  return "import sys\nsys.dont_write_bytecode = True\nif '" + dir +
         "' not in sys.path: sys.path.insert(0, '" + dir + "')\nimport lockmock\nret = lockmock." +
         function + "(self, *args)";
}

pid_t spawn(const std::vector<std::string>& argv, int stdout_fd = -1) {
  std::vector<char*> cargv;
  std::vector<std::string> copy = argv;
  for (auto& a : copy) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stdout_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, cargv[0], &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  return pid;
}

void stop(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 200; ++i) {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

}  // namespace

const char* const kMockLockProfileYaml = R"(
  service: fff0
  command: fff1
  status: fff2
  unlock: "01 {seq} 55"
  success: "81 {seq} 00"
  failures:
    "81 {seq} 01": rejected
)";

BluezMock::BluezMock() {
  char tmpl[] = "/tmp/lockrig-bluez-mock-XXXXXX";
  int fd = ::mkstemp(tmpl);
  if (fd >= 0) ::close(fd);
  log_path_ = tmpl;
  pid_ = spawn({"/usr/bin/python3", "-m", "dbusmock", "--template", "bluez5", "-l", log_path_});

  bus_ = sdbus::createSystemBusConnection();
  auto daemon = sdbus::createProxy(*bus_, "org.freedesktop.DBus", "/org/freedesktop/DBus");
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    bool owned = false;
    daemon->callMethod("NameHasOwner")
        .onInterface("org.freedesktop.DBus")
        .withArguments(std::string("org.bluez"))
        .storeResultsTo(owned);
    if (owned) break;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error(
          "the dbusmock bluez5 template exited at start (is the Debian package "
          "python3-dbusmock installed?); log: " +
          log_path_);
    }
    if (std::chrono::steady_clock::now() > give_up)
      throw std::runtime_error("the dbusmock bluez5 template did not claim org.bluez in 20 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  root_ = sdbus::createProxy(*bus_, "org.bluez", "/");

  using Method = sdbus::Struct<std::string, std::string, std::string, std::string>;
  std::vector<Method> methods = {
      {"AddAdapter", "s", "s", delegate("add_adapter")},
      {"AddLock", "sssa{sv}", "s", delegate("add_lock")},
      {"SetKnobs", "sa{sv}", "", delegate("set_knobs")},
      {"Vanish", "s", "", delegate("vanish")},
      {"Reappear", "s", "", delegate("reappear")},
      {"PowerOff", "s", "", delegate("power_off")},
      {"Flash", "sss", "", delegate("flash")},
      {"Stats", "s", "a{sv}", delegate("stats")},
      {"AdapterStats", "s", "a{sv}", delegate("adapter_stats")},
  };
  control("org.freedesktop.DBus.Mock", "AddMethods",
          [&](sdbus::MethodCall& m) { m << std::string("org.lockrig.LockMock") << methods; });
}

BluezMock::~BluezMock() {
  root_.reset();
  bus_.reset();
  stop(pid_);
  ::unlink(log_path_.c_str());
}

sdbus::MethodReply BluezMock::control(const char* iface, const char* method,
                                      const std::function<void(sdbus::MethodCall&)>& args) {
  auto call = root_->createMethodCall(iface, method);
  args(call);
  return root_->callMethod(call, 10'000'000);
}

void BluezMock::add_adapter(const std::string& name) {
  control("org.lockrig.LockMock", "AddAdapter", [&](sdbus::MethodCall& m) { m << name; });
}

void BluezMock::add_lock(const std::string& address, const std::string& name, const Knobs& knobs,
                         const std::string& adapter) {
  control("org.lockrig.LockMock", "AddLock",
          [&](sdbus::MethodCall& m) { m << adapter << address << name << knobs; });
}

void BluezMock::add_plain_device(const std::string& address, const std::string& name,
                                 const std::string& adapter) {
  control("org.bluez.Mock", "AddDevice",
          [&](sdbus::MethodCall& m) { m << adapter << address << name; });
}

void BluezMock::set_knobs(const std::string& address, const Knobs& knobs) {
  control("org.lockrig.LockMock", "SetKnobs", [&](sdbus::MethodCall& m) { m << address << knobs; });
}

void BluezMock::vanish(const std::string& address) {
  control("org.lockrig.LockMock", "Vanish", [&](sdbus::MethodCall& m) { m << address; });
}

void BluezMock::flash(const std::string& address, const std::string& firmware,
                      const std::string& layout) {
  control("org.lockrig.LockMock", "Flash",
          [&](sdbus::MethodCall& m) { m << address << firmware << layout; });
}

void BluezMock::power_off(const std::string& address) {
  control("org.lockrig.LockMock", "PowerOff", [&](sdbus::MethodCall& m) { m << address; });
}

void BluezMock::reappear(const std::string& address) {
  control("org.lockrig.LockMock", "Reappear", [&](sdbus::MethodCall& m) { m << address; });
}

std::map<std::string, std::int64_t> BluezMock::stats(const std::string& address) {
  auto reply =
      control("org.lockrig.LockMock", "Stats", [&](sdbus::MethodCall& m) { m << address; });
  std::map<std::string, sdbus::Variant> raw;
  reply >> raw;
  std::map<std::string, std::int64_t> out;
  for (auto& [k, v] : raw) out[k] = v.get<std::int64_t>();
  return out;
}

std::map<std::string, std::int64_t> BluezMock::adapter_stats(const std::string& name) {
  auto reply =
      control("org.lockrig.LockMock", "AdapterStats", [&](sdbus::MethodCall& m) { m << name; });
  std::map<std::string, sdbus::Variant> raw;
  reply >> raw;
  std::map<std::string, std::int64_t> out;
  for (auto& [k, v] : raw) out[k] = v.get<std::int64_t>();
  return out;
}

void BluezMock::remove_adapter(const std::string& name) {
  control("org.bluez.Mock", "RemoveAdapter", [&](sdbus::MethodCall& m) { m << name; });
}

void BluezMock::power_adapter(bool on, const std::string& name) {
  // The mock's Properties.Set stores the value and emits PropertiesChanged, as BlueZ does.
  auto adapter = sdbus::createProxy(*bus_, "org.bluez", "/org/bluez/" + name);
  adapter->callMethod("Set")
      .onInterface("org.freedesktop.DBus.Properties")
      .withArguments(std::string("org.bluez.Adapter1"), std::string("Powered"), sdbus::Variant(on));
}

void BluezMock::kill_bluetoothd() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::unique_ptr<drivers::LockLink> make_bluez_link(const std::string& settings_yaml,
                                                   const std::string& shared_yaml) {
  drivers::DriverRegistry registry;
  drivers::register_ble_drivers(registry);
  drivers::LockSpec spec;
  spec.id = "wood-1";
  spec.model = "LR-100";
  spec.material = "wood";
  spec.slot = "A1";
  spec.driver = "bluez";
  spec.settings = Settings(YAML::Load(settings_yaml), "test-fixture.yaml");
  spec.shared = Settings(YAML::Load(shared_yaml), "test-fixture.yaml");
  const auto& entry = registry.lock_driver("bluez", spec.where);
  entry.validate(spec);
  static RealClock clock;
  return entry.create(spec, drivers::DriverContext{clock, nullptr, 0});
}

ScratchBus::ScratchBus() {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe");
  pid_ = spawn({"dbus-daemon", "--session", "--nofork", "--print-address=1"}, fds[1]);
  ::close(fds[1]);
  std::string text;
  char c;
  while (::read(fds[0], &c, 1) == 1 && c != '\n') text += c;
  ::close(fds[0]);
  if (text.empty()) throw std::runtime_error("dbus-daemon printed no address");
  address_ = text;
}

ScratchBus::~ScratchBus() {
  kill();
}

void ScratchBus::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace lockrig::testing
