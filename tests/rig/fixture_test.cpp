#include "rig/engine/fixture.hpp"

#include <gtest/gtest.h>

#include "rig/base/embedded.hpp"

using namespace lockrig;

namespace {

std::string error_of(const std::string& yaml) {
  try {
    parse_fixture(yaml, "rig.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

const char* kMinimal =
    "rig: r1\n"
    "locks:\n"
    "  - {id: a, material: wood, driver: sim}\n"
    "  - {id: b, material: steel, driver: sim}\n";

}  // namespace

TEST(Fixture, ParsesTheShippedSimulatedLab) {
  Fixture f = load_fixture(kDefaultFixture);
  EXPECT_EQ(f.rig, "sim-lab");
  EXPECT_EQ(f.locks.size(), 8u);
  std::set<std::string> materials, firmware;
  for (const auto& l : f.locks) {
    materials.insert(l.material);
    firmware.insert(l.settings.get_string("firmware", ""));
  }
  EXPECT_GE(materials.size(), 4u);
  EXPECT_EQ(firmware.size(), 2u);
  EXPECT_TRUE(f.lock_has_channel("wood-1", "battery"));
  EXPECT_TRUE(f.lock_has_channel("wood-2", "rf_shield"));
  EXPECT_FALSE(f.lock_has_channel("wood-1", "nonexistent"));
  ASSERT_NE(f.supply_for("steel-1", "vbat"), nullptr);
  EXPECT_EQ(f.supply_for("wood-1", "vbat"), nullptr);
  EXPECT_EQ(f.sha256.size(), 64u);
  validate_fixture_drivers(f, drivers::builtin_drivers());
}

TEST(Fixture, ParsesTheCommentedRealLabExample) {
  const std::string path = std::string(LOCKRIG_SOURCE_DIR) + "/fixtures/real-lab.example.yaml";
  Fixture f = load_fixture(path);
  EXPECT_FALSE(f.locks.empty());
  EXPECT_FALSE(f.switches.empty());
}

TEST(Fixture, ReportsYamlSyntaxErrorsWithLineAndColumn) {
  EXPECT_NE(error_of("rig: r1\nlocks: [\n  {id: a\n").find("rig.yaml:"), std::string::npos);
  const std::string e = error_of("rig: r1\nlocks:\n  - {id: a, material: wood, driver: sim}\n   bad: [\n");
  EXPECT_NE(e.find("rig.yaml:4:"), std::string::npos) << e;
  EXPECT_NE(e.find("YAML syntax error"), std::string::npos) << e;
}

TEST(Fixture, RejectsUnknownKeysSuggestingTheClosest) {
  const std::string e = error_of(std::string(kMinimal) + "swtiches: []\n");
  EXPECT_NE(e.find("rig.yaml:5:1: unknown key \"swtiches\""), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean \"switches\""), std::string::npos) << e;
}

TEST(Fixture, RejectsUnknownMaterialSuggestingTheClosest) {
  const std::string e = error_of("rig: r1\nlocks:\n  - {id: a, material: steal, driver: sim}\n");
  EXPECT_NE(e.find("rig.yaml:3:23: unknown door material \"steal\""), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean \"steel\""), std::string::npos) << e;
}

TEST(Fixture, RejectsDuplicateLockIdsAndDuplicateKeys) {
  EXPECT_NE(error_of("rig: r1\nlocks:\n  - {id: a, material: wood, driver: sim}\n"
                     "  - {id: a, material: wood, driver: sim}\n")
                .find("rig.yaml:4:10: duplicate lock id \"a\""),
            std::string::npos);
  EXPECT_NE(error_of("rig: r1\nrig: r2\nlocks:\n  - {id: a, material: wood, driver: sim}\n")
                .find("rig.yaml:2:1: duplicate key \"rig\""),
            std::string::npos);
}

TEST(Fixture, RejectsWrongTypes) {
  EXPECT_NE(error_of("rig: [a, b]\nlocks:\n  - {id: a, material: wood, driver: sim}\n")
                .find("rig name must be a single value, not a list"),
            std::string::npos);
  EXPECT_NE(error_of("rig: r1\nlocks: {id: a}\n").find("locks must be a non-empty list"),
            std::string::npos);
  const std::string e = error_of(std::string(kMinimal) +
                                 "switches:\n  - id: s\n    driver: sim\n    channels:\n"
                                 "      - {name: battery, channel: one, locks: [a], safe: on}\n");
  EXPECT_NE(e.find("rig.yaml:9:34: channel must be a whole number, got \"one\""), std::string::npos) << e;
}

TEST(Fixture, RejectsChannelsWiredToUnknownLocks) {
  const std::string e = error_of(std::string(kMinimal) +
                                 "switches:\n  - id: s\n    driver: sim\n    channels:\n"
                                 "      - {name: battery, channel: 1, locks: [a, bb], safe: on}\n");
  EXPECT_NE(e.find("names unknown lock \"bb\" (did you mean \"b\"?)"), std::string::npos) << e;
  EXPECT_NE(e.find("rig.yaml:9:48"), std::string::npos) << e;
}

TEST(Fixture, RejectsAChannelNumberUsedTwiceOnOneBoard) {
  const std::string e = error_of(std::string(kMinimal) +
                                 "switches:\n  - id: s\n    driver: sim\n    channels:\n"
                                 "      - {name: battery, channel: 1, locks: [a], safe: on}\n"
                                 "      - {name: battery, channel: 1, locks: [b], safe: on}\n");
  EXPECT_NE(e.find("channel 1 is used twice on board \"s\""), std::string::npos) << e;
}

TEST(Fixture, RejectsTwoChannelsOfTheSameNameOnOneLock) {
  const std::string e = error_of(std::string(kMinimal) +
                                 "switches:\n  - id: s\n    driver: sim\n    channels:\n"
                                 "      - {name: battery, channel: 1, locks: [a], safe: on}\n"
                                 "      - {name: battery, channel: 2, locks: [a], safe: on}\n");
  EXPECT_NE(e.find("lock \"a\" already has a channel named \"battery\""), std::string::npos) << e;
}

TEST(Fixture, RejectsSupplyNominalAboveItsLimits) {
  const std::string e = error_of(std::string(kMinimal) +
                                 "supplies:\n  - {id: p, name: vbat, driver: sim, locks: [a],\n"
                                 "     nominal: {volts: 5, amps: 0.5}, limits: {volts: 3.6, amps: 1}}\n");
  EXPECT_NE(e.find("exceeds its limits"), std::string::npos) << e;
}

TEST(Fixture, UnknownDriverIsAConfigErrorListingTheKnownOnes) {
  Fixture f = parse_fixture("rig: r1\nlocks:\n  - {id: a, material: wood, driver: simm}\n", "rig.yaml");
  try {
    validate_fixture_drivers(f, drivers::builtin_drivers());
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("rig.yaml:3:5: unknown lock driver \"simm\" (did you mean \"sim\"?)"),
              std::string::npos) << m;
    EXPECT_NE(m.find("known lock drivers: "), std::string::npos) << m;
  }
}

TEST(Fixture, SimSettingsAreValidatedStrictly) {
  Fixture f = parse_fixture(
      "rig: r1\nlocks:\n  - {id: a, material: wood, driver: sim, settings: {drop_rat: 0.1}}\n",
      "rig.yaml");
  try {
    validate_fixture_drivers(f, drivers::builtin_drivers());
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean \"drop_rate\""), std::string::npos) << e.what();
  }
  Fixture g = parse_fixture(
      "rig: r1\nlocks:\n  - {id: a, material: wood, driver: sim, settings: {drop_rate: 2}}\n",
      "rig.yaml");
  try {
    validate_fixture_drivers(g, drivers::builtin_drivers());
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    // Bounds as written, not std::to_string's "0.000000 and 1.000000".
    EXPECT_NE(std::string(e.what()).find("drop_rate must be between 0 and 1, got \"2\""),
              std::string::npos)
        << e.what();
  }
}

TEST(Fixture, MissingFileNamesThePathAndReason) {
  try {
    load_fixture("/nonexistent/rig.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot read \"/nonexistent/rig.yaml\": No such file or directory");
  }
}
