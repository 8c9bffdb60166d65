# `lockrig report`, `gate` and `plan` (reports/) and their tests. Included from the top-level
# CMakeLists.txt after cmake/stats.cmake; a scratch project may set LOCKRIG_ROOT to the source
# tree before including it.
if(NOT DEFINED LOCKRIG_ROOT)
  set(LOCKRIG_ROOT ${CMAKE_SOURCE_DIR})
endif()

find_package(Boost 1.74 REQUIRED COMPONENTS program_options)

# Every .cpp of reports/ (not reports/stats, its own library): a new renderer needs no edit here.
file(GLOB lockrig_report_sources CONFIGURE_DEPENDS ${LOCKRIG_ROOT}/reports/*.cpp)
add_library(lockrig_report STATIC ${lockrig_report_sources})
target_include_directories(lockrig_report PUBLIC ${LOCKRIG_ROOT})
target_link_libraries(lockrig_report PUBLIC lockrig_journal lockrig_stats Boost::program_options)
target_compile_features(lockrig_report PUBLIC cxx_std_20)

if(LOCKRIG_BUILD_TESTS)
  enable_testing()
  find_package(GTest REQUIRED)
  include(GoogleTest)

  file(GLOB lockrig_report_test_sources CONFIGURE_DEPENDS
       ${LOCKRIG_ROOT}/tests/reports/report_*_test.cpp)
  add_executable(lockrig_report_tests ${lockrig_report_test_sources})
  target_link_libraries(lockrig_report_tests PRIVATE lockrig_report GTest::gtest_main)
  # The tests check JSON and JUnit output with Debian's interpreter (xml.etree, json).
  set(LOCKRIG_REPORT_PYTHON /usr/bin/python3 CACHE FILEPATH
      "Python used by the report tests to parse JSON and JUnit XML")
  target_compile_definitions(lockrig_report_tests PRIVATE
    LOCKRIG_REPORT_PYTHON="${LOCKRIG_REPORT_PYTHON}"
    LOCKRIG_REPORT_TEST_DIR="${LOCKRIG_ROOT}/tests/reports"
    LOCKRIG_SOURCE_DIR="${LOCKRIG_ROOT}")
  gtest_discover_tests(lockrig_report_tests DISCOVERY_TIMEOUT 60 TEST_PREFIX "report."
                       PROPERTIES LABELS unit)
endif()

# The HTML report opened in headless Chromium (Debian `chromium`): renders, charts drawn, hostile
# labels shown as text. Fails, never skips, when Chromium is missing. Registered at the end of the
# top-level directory (cmake_language DEFER), because the `lockrig` target is defined after this
# file is included; a scratch project without a `lockrig` target gets no browser test.
if(LOCKRIG_BUILD_TESTS)
  set(LOCKRIG_CHROMIUM "" CACHE FILEPATH
      "Chromium for the browser test (empty: chromium on PATH at test time)")
  function(lockrig_add_report_browser_test)
    if(NOT TARGET lockrig)
      return()
    endif()
    set(chromium_arg "")
    if(LOCKRIG_CHROMIUM)
      set(chromium_arg --chromium ${LOCKRIG_CHROMIUM})
    endif()
    add_test(NAME report.html_in_headless_chromium
             COMMAND ${LOCKRIG_REPORT_PYTHON}
                     ${LOCKRIG_ROOT}/tests/reports/report_html_browser_test.py
                     $<TARGET_FILE:lockrig> ${chromium_arg})
    set_tests_properties(report.html_in_headless_chromium PROPERTIES LABELS browser TIMEOUT 120
      RUN_SERIAL ON)  # Chromium takes both cores; timing-sensitive emulator tests must not share them
  endfunction()
  cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL lockrig_add_report_browser_test)
endif()
