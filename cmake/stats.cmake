# Statistics library (reports/stats) and its tests. Included from the top-level CMakeLists.txt;
# a scratch project may set LOCKRIG_ROOT to the source tree before including it.
if(NOT DEFINED LOCKRIG_ROOT)
  set(LOCKRIG_ROOT ${CMAKE_SOURCE_DIR})
endif()

# Header-only Boost.Math (Debian libboost-math-dev): distributions, roots, special functions.
find_package(Boost 1.74 REQUIRED)

add_library(lockrig_stats STATIC
  ${LOCKRIG_ROOT}/reports/stats/bayes.cpp
  ${LOCKRIG_ROOT}/reports/stats/changepoint.cpp
  ${LOCKRIG_ROOT}/reports/stats/detail.cpp
  ${LOCKRIG_ROOT}/reports/stats/gate_plan.cpp
  ${LOCKRIG_ROOT}/reports/stats/group_sequential.cpp
  ${LOCKRIG_ROOT}/reports/stats/latency.cpp
  ${LOCKRIG_ROOT}/reports/stats/multiplicity.cpp
  ${LOCKRIG_ROOT}/reports/stats/noninferiority.cpp
  ${LOCKRIG_ROOT}/reports/stats/power.cpp
  ${LOCKRIG_ROOT}/reports/stats/proportion.cpp
  ${LOCKRIG_ROOT}/reports/stats/range.cpp
  ${LOCKRIG_ROOT}/reports/stats/sequential.cpp
  ${LOCKRIG_ROOT}/reports/stats/stratified.cpp
  ${LOCKRIG_ROOT}/reports/stats/two_sample.cpp)
target_include_directories(lockrig_stats PUBLIC ${LOCKRIG_ROOT})
target_link_libraries(lockrig_stats PUBLIC Boost::headers)
target_compile_features(lockrig_stats PUBLIC cxx_std_20)

if(LOCKRIG_BUILD_TESTS)
  enable_testing()
  find_package(GTest REQUIRED)
  include(GoogleTest)

  file(GLOB lockrig_stats_test_sources CONFIGURE_DEPENDS
       ${LOCKRIG_ROOT}/tests/reports/stats_*_test.cpp)
  add_executable(lockrig_stats_tests ${lockrig_stats_test_sources})
  target_link_libraries(lockrig_stats_tests PRIVATE lockrig_stats GTest::gtest_main)
  # stats_range_test runs tests/reports/range_reference.R (issue 14).
  target_compile_definitions(lockrig_stats_tests PRIVATE
                             LOCKRIG_STATS_TESTS_DIR="${LOCKRIG_ROOT}/tests/reports")
  # The prefix keeps these names apart from other suites (e.g. a power-supply "Power" suite).
  gtest_discover_tests(lockrig_stats_tests DISCOVERY_TIMEOUT 60 TEST_PREFIX "stats." PROPERTIES
                       LABELS unit)

  # Test-only probe: answers statistics queries on stdin with JSON, for the cross-check against
  # R and statsmodels/scipy.
  add_executable(stats_probe ${LOCKRIG_ROOT}/tests/reports/stats_probe.cpp)
  target_link_libraries(stats_probe PRIVATE lockrig_stats)

  # The references run from Debian's interpreter (the python on PATH may lack statsmodels). A
  # missing interpreter, R or statsmodels must fail the suite, never skip it.
  set(LOCKRIG_REFERENCE_PYTHON /usr/bin/python3 CACHE FILEPATH
      "Python with statsmodels and scipy for the statistics reference check")
  add_test(NAME stats_reference_check
           COMMAND ${LOCKRIG_REFERENCE_PYTHON} ${LOCKRIG_ROOT}/tests/reports/reference_check.py
                   --probe $<TARGET_FILE:stats_probe>)
  set_tests_properties(stats_reference_check PROPERTIES LABELS reference TIMEOUT 600)
  # P(candidate worse) against 50-digit mpmath (series, exact sums, Cook's recurrences,
  # quadrature): 1e-9 relative, tiny probabilities included (issues 11 item 7, 18 item 3).
  add_test(NAME stats_bayes_mpmath_check
           COMMAND ${LOCKRIG_REFERENCE_PYTHON} ${LOCKRIG_ROOT}/tests/reports/bayes_mpmath_check.py
                   --probe $<TARGET_FILE:stats_probe>)
  set_tests_properties(stats_bayes_mpmath_check PROPERTIES LABELS reference TIMEOUT 600)
endif()
