# Serial lab-hardware drivers (relay boards, bench supplies) on libserialport, with their tests.
# Included from the top-level CMakeLists.txt once target lockrig_core exists. LOCKRIG_ROOT lets a
# scratch project that is not the repository's top level include this file.
if(NOT DEFINED LOCKRIG_ROOT)
  set(LOCKRIG_ROOT ${CMAKE_SOURCE_DIR})
endif()

find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBSERIALPORT REQUIRED IMPORTED_TARGET libserialport)
# USB HID relay boards (drivers/usbhid) through the kernel's hidraw: Debian libhidapi-dev.
pkg_check_modules(HIDAPI REQUIRED IMPORTED_TARGET hidapi-hidraw)

add_library(lockrig_serial STATIC
  ${LOCKRIG_ROOT}/drivers/serial/bytes.cpp
  ${LOCKRIG_ROOT}/drivers/serial/port_locator.cpp
  ${LOCKRIG_ROOT}/drivers/serial/serial_settings.cpp
  ${LOCKRIG_ROOT}/drivers/serial/transport.cpp
  ${LOCKRIG_ROOT}/drivers/serial/warning.cpp
  ${LOCKRIG_ROOT}/drivers/serial/register.cpp
  ${LOCKRIG_ROOT}/drivers/lcus/lcus_protocol.cpp
  ${LOCKRIG_ROOT}/drivers/lcus/lcus_board.cpp
  ${LOCKRIG_ROOT}/drivers/numato/numato_protocol.cpp
  ${LOCKRIG_ROOT}/drivers/numato/numato_board.cpp
  ${LOCKRIG_ROOT}/drivers/kmtronic/kmtronic_protocol.cpp
  ${LOCKRIG_ROOT}/drivers/kmtronic/kmtronic_board.cpp
  ${LOCKRIG_ROOT}/drivers/devantech/devantech_protocol.cpp
  ${LOCKRIG_ROOT}/drivers/devantech/devantech_board.cpp
  ${LOCKRIG_ROOT}/drivers/korad/korad_protocol.cpp
  ${LOCKRIG_ROOT}/drivers/korad/korad_supply.cpp
  ${LOCKRIG_ROOT}/drivers/net/tcp_stream.cpp
  ${LOCKRIG_ROOT}/drivers/scpi/scpi_link.cpp
  ${LOCKRIG_ROOT}/drivers/scpi/scpi_protocol.cpp
  ${LOCKRIG_ROOT}/drivers/scpi/scpi_supply.cpp
  ${LOCKRIG_ROOT}/drivers/scpi/scpi_probe.cpp
  ${LOCKRIG_ROOT}/drivers/usbhid/usbhid_protocol.cpp
  ${LOCKRIG_ROOT}/drivers/usbhid/usbhid_board.cpp
  ${LOCKRIG_ROOT}/drivers/usbhid/usbhid_probe.cpp
  ${LOCKRIG_ROOT}/drivers/usbhid/hidapi_backend.cpp
  ${LOCKRIG_ROOT}/drivers/minicircuits/minicircuits_protocol.cpp
  ${LOCKRIG_ROOT}/drivers/minicircuits/minicircuits_attenuator.cpp)
target_include_directories(lockrig_serial PUBLIC ${LOCKRIG_ROOT})
target_link_libraries(lockrig_serial PUBLIC lockrig_drivers PkgConfig::LIBSERIALPORT
  PkgConfig::HIDAPI)

if(LOCKRIG_BUILD_TESTS)
  enable_testing()
  find_package(GTest REQUIRED)
  include(GoogleTest)

  # Byte-level tests of the pure protocol parts and the settings checks: no port involved.
  add_executable(lockrig_serial_tests
    ${LOCKRIG_ROOT}/tests/drivers/lcus_protocol_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/numato_protocol_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/kmtronic_protocol_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/devantech_protocol_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/korad_protocol_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/scpi_protocol_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/scpi_link_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/usbhid_protocol_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/usbhid_board_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/usbhid_probe_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/serial_settings_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/serial_transport_test.cpp)
  target_link_libraries(lockrig_serial_tests PRIVATE lockrig_serial GTest::gtest_main)
  gtest_discover_tests(lockrig_serial_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)

  # The LD_PRELOAD shim that lets libserialport open ptys (see tests/support/pty_modem_shim.cpp).
  add_library(lockrig_pty_modem_shim MODULE ${LOCKRIG_ROOT}/tests/support/pty_modem_shim.cpp)
  target_link_libraries(lockrig_pty_modem_shim PRIVATE ${CMAKE_DL_LIBS})

  # End to end through libserialport against the emulators in tests/emulators/. Each test re-runs
  # itself under tests/support/serial_harness.py (root: private mount namespace); it is reported
  # as skipped when not root.
  add_executable(lockrig_serial_e2e_tests
    ${LOCKRIG_ROOT}/tests/support/serial_harness_gtest.cpp
    ${LOCKRIG_ROOT}/tests/drivers/serial_transport_e2e_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/lcus_e2e_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/numato_e2e_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/kmtronic_e2e_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/devantech_e2e_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/korad_e2e_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/scpi_e2e_test.cpp
    ${LOCKRIG_ROOT}/tests/support/tcp_emulator.cpp
    ${LOCKRIG_ROOT}/tests/drivers/scpi_tcp_e2e_test.cpp
    ${LOCKRIG_ROOT}/tests/drivers/scpi_probe_tcp_e2e_test.cpp)
  target_link_libraries(lockrig_serial_e2e_tests PRIVATE lockrig_serial GTest::gtest_main)
  target_compile_definitions(lockrig_serial_e2e_tests PRIVATE
    LOCKRIG_SERIAL_HARNESS="${LOCKRIG_ROOT}/tests/support/serial_harness.py"
    LOCKRIG_EMULATORS_DIR="${LOCKRIG_ROOT}/tests/emulators"
    LOCKRIG_PTY_SHIM="$<TARGET_FILE:lockrig_pty_modem_shim>"
    LOCKRIG_SERIAL_E2E_DIR="${CMAKE_CURRENT_BINARY_DIR}/serial-e2e")
  add_dependencies(lockrig_serial_e2e_tests lockrig_pty_modem_shim)
  gtest_discover_tests(lockrig_serial_e2e_tests DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS serial TIMEOUT 90)
  # The Korad emulator's pause rule on synthetic timestamps: robust to its own late wake-ups.
  add_test(NAME korad_emulator_selftest
           COMMAND /usr/bin/python3 ${LOCKRIG_ROOT}/tests/emulators/korad_emulator_selftest.py)
  set_tests_properties(korad_emulator_selftest PROPERTIES LABELS serial)
endif()
