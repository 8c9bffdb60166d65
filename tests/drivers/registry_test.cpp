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

TEST(DriverRegistry, ProbesAreTheFamiliesThatRegisteredOneInOrder) {
  const auto& probes = drivers::builtin_drivers().probes();
  ASSERT_EQ(probes.size(), 4u);
  EXPECT_EQ(probes[0].family, "BLE");
  EXPECT_EQ(probes[0].skip.name, "no-ble");
  EXPECT_EQ(probes[1].family, "serial");
  EXPECT_EQ(probes[1].skip.name, "no-serial");
  EXPECT_EQ(probes[2].family, "HID relays");
  EXPECT_EQ(probes[2].skip.name, "no-hid");
  EXPECT_EQ(probes[3].family, "network instruments");
  EXPECT_EQ(probes[3].skip.name, "no-net");
  // Each family scans, contacts a fixture's parts, or both, and says so in the help.
  for (const auto& p : probes) {
    EXPECT_TRUE(p.scan || p.contact) << p.family;
    EXPECT_EQ(!p.scan, p.lists.empty()) << p.family;
    EXPECT_EQ(!p.contact, p.contacts.empty()) << p.family;
  }
}

TEST(DriverRegistry, AProbeFamilyRegisteredTwiceIsAProgrammingError) {
  drivers::DriverRegistry r;
  r.add(drivers::ProbeEntry{"x", "x", {}, {"no-x", "skip x", false, {}}, {}, nullptr, nullptr, ""});
  EXPECT_THROW(r.add(drivers::ProbeEntry{"x", "x", {}, {"no-x", "skip x", false, {}}, {}, nullptr, nullptr, ""}),
               std::logic_error);
}
