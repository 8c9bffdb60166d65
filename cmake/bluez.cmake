# The BLE lock driver (`bluez`: BlueZ over D-Bus via sdbus-c++) and the app-driven `command` lock
# link, with their tests. Included by the top-level CMakeLists.txt once lockrig_core exists.
# Debian packages: libsdbus-c++-dev (build); python3-dbusmock, dbus (the `ble` tests).
if(NOT DEFINED LOCKRIG_ROOT)
  set(LOCKRIG_ROOT ${CMAKE_SOURCE_DIR})
endif()

# sdbus-c++'s pkg-config file is broken on a clean Debian 12 machine; its CMake package is not.
find_package(sdbus-c++ REQUIRED)

add_library(lockrig_ble STATIC
  ${LOCKRIG_ROOT}/drivers/bluez/adapter_gate.cpp
  ${LOCKRIG_ROOT}/drivers/bluez/bluez_bus.cpp
  ${LOCKRIG_ROOT}/drivers/bluez/bluez_config.cpp
  ${LOCKRIG_ROOT}/drivers/bluez/bluez_lock.cpp
  ${LOCKRIG_ROOT}/drivers/bluez/error_attribution.cpp
  ${LOCKRIG_ROOT}/drivers/bluez/gatt_uuid.cpp
  ${LOCKRIG_ROOT}/drivers/bluez/lock_profile.cpp
  ${LOCKRIG_ROOT}/drivers/bluez/probe.cpp
  ${LOCKRIG_ROOT}/drivers/bluez/register.cpp
  ${LOCKRIG_ROOT}/drivers/bluez/secret.cpp
  ${LOCKRIG_ROOT}/drivers/bluez/template_profile.cpp
  ${LOCKRIG_ROOT}/drivers/command/command_link.cpp
  ${LOCKRIG_ROOT}/drivers/command/process.cpp
  ${LOCKRIG_ROOT}/drivers/command/result_json.cpp)
target_link_libraries(lockrig_ble PUBLIC lockrig_drivers PRIVATE SDBusCpp::sdbus-c++)

if(LOCKRIG_BUILD_TESTS)
  enable_testing()
  find_package(GTest REQUIRED)
  include(GoogleTest)

  # Pure parts and the command link (real processes, no D-Bus).
  add_executable(lockrig_ble_unit_tests
    ${LOCKRIG_ROOT}/tests/drivers/ble_profile_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/ble_error_attribution_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/ble_config_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/command_result_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/command_link_test.cpp)
  target_link_libraries(lockrig_ble_unit_tests PRIVATE lockrig_ble GTest::gtest_main)
  target_compile_definitions(lockrig_ble_unit_tests PRIVATE
    LOCKRIG_FAKE_APP="${LOCKRIG_ROOT}/tests/drivers/fake_unlock_app.sh"
    LOCKRIG_SOURCE_ROOT="${LOCKRIG_ROOT}")
  gtest_discover_tests(lockrig_ble_unit_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)

  # The real driver against python-dbusmock's bluez5 template. Each test re-executes itself under
  # dbus-run-session with its own mock bluetoothd, so it never touches the machine's system bus.
  add_executable(lockrig_ble_mock_tests
    ${LOCKRIG_ROOT}/tests/ble/bluez_mock.cpp
    ${LOCKRIG_ROOT}/tests/ble/private_bus_main.cpp
    ${LOCKRIG_ROOT}/tests/ble/bluez_lock_test.cpp
    ${LOCKRIG_ROOT}/tests/ble/bluez_probe_test.cpp
    ${LOCKRIG_ROOT}/tests/ble/bluez_latency_test.cpp
    ${LOCKRIG_ROOT}/tests/ble/bluez_reality_test.cpp)
  target_link_libraries(lockrig_ble_mock_tests PRIVATE lockrig_ble SDBusCpp::sdbus-c++ GTest::gtest)
  target_compile_definitions(lockrig_ble_mock_tests PRIVATE
    LOCKRIG_BLE_MOCK_DIR="${LOCKRIG_ROOT}/tests/ble")
  gtest_discover_tests(lockrig_ble_mock_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS ble TIMEOUT 120)

  # Black-box: the real `lockrig` binary (`run`, `probe`) against the same mock, sharing the
  # test's private bus (the child inherits DBUS_SYSTEM_BUS_ADDRESS), checked through its journal.
  add_executable(lockrig_ble_run_tests
    ${LOCKRIG_ROOT}/tests/ble/bluez_mock.cpp
    ${LOCKRIG_ROOT}/tests/ble/private_bus_main.cpp
    ${LOCKRIG_ROOT}/tests/ble/lockrig_run_ble_test.cpp)
  target_link_libraries(lockrig_ble_run_tests PRIVATE lockrig_app SQLite::SQLite3 SDBusCpp::sdbus-c++
                        GTest::gtest)
  target_compile_definitions(lockrig_ble_run_tests PRIVATE
    LOCKRIG_BLE_MOCK_DIR="${LOCKRIG_ROOT}/tests/ble"
    LOCKRIG_SOURCE_DIR="${LOCKRIG_ROOT}"
    LOCKRIG_BINARY="$<TARGET_FILE:lockrig>")
  add_dependencies(lockrig_ble_run_tests lockrig)
  gtest_discover_tests(lockrig_ble_run_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS ble TIMEOUT 120)
endif()
