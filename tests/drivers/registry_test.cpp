#include "drivers/registry.hpp"

#include <gtest/gtest.h>

using namespace lockrig;

TEST(DriverRegistry, TheSimulatedDriverIsRegisteredForEveryPartKind) {
  const auto& r = drivers::builtin_drivers();
  EXPECT_TRUE(r.lock_driver("sim", {}).simulated);
  EXPECT_TRUE(r.switch_driver("sim", {}).simulated);
  EXPECT_TRUE(r.supply_driver("sim", {}).simulated);
}

TEST(DriverRegistry, UnknownNamesAreConfigErrorsListingTheKnownOnes) {
  const auto& r = drivers::builtin_drivers();
  try {
    r.switch_driver("lcsu", SourceLocation{"rig.yaml", 12, 5});
    FAIL();
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind("rig.yaml:12:5: unknown switch driver \"lcsu\"", 0), 0u) << m;
    EXPECT_NE(m.find("known switch drivers: "), std::string::npos) << m;
    EXPECT_NE(m.find("sim"), std::string::npos) << m;
  }
}

TEST(DriverRegistry, RegisteringANameTwiceIsAProgrammingError) {
  drivers::DriverRegistry r;
  r.add(drivers::LockDriver{"x", "", true, nullptr, nullptr});
  EXPECT_THROW(r.add(drivers::LockDriver{"x", "", true, nullptr, nullptr}), std::logic_error);
}
