// main() of the `ble` suite: re-executes the test binary under dbus-run-session so every run gets
// a private bus, and points DBUS_SYSTEM_BUS_ADDRESS at it. The driver keeps calling
// sdbus::createSystemBusConnection() unchanged, and a test can never reach the machine's real
// bluetoothd.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  bool listing = false;
  for (int i = 1; i < argc; ++i)
    listing = listing || std::strcmp(argv[i], "--gtest_list_tests") == 0;

  if (!listing && std::getenv("LOCKRIG_BLE_PRIVATE_BUS") == nullptr) {
    char self[4096];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
      std::cerr << "cannot find the test binary to re-execute under dbus-run-session\n";
      return 1;
    }
    self[n] = '\0';
    ::setenv("LOCKRIG_BLE_PRIVATE_BUS", "1", 1);
    std::vector<char*> args = {const_cast<char*>("dbus-run-session"), const_cast<char*>("--"),
                               self};
    for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::cerr << "cannot run dbus-run-session (" << std::strerror(errno)
              << "); install the Debian package dbus\n";
    return 1;
  }
  if (!listing) {
    const char* session = std::getenv("DBUS_SESSION_BUS_ADDRESS");
    if (session == nullptr || *session == '\0') {
      std::cerr << "dbus-run-session gave no DBUS_SESSION_BUS_ADDRESS\n";
      return 1;
    }
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", session, 1);
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
