// The fixture's select_build hook (lockrig run --until-decided): parsing, placeholders, errors.
#include <gtest/gtest.h>

#include "rig/engine/fixture.hpp"

using namespace lockrig;
using namespace std::chrono_literals;

namespace {

const std::string kLocks =
    "rig: r1\n"
    "locks:\n"
    "  - {id: a, material: wood, slot: A1, driver: sim}\n";

std::string error_of(const std::string& yaml) {
  try {
    parse_fixture(yaml, "rig.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(FixtureSelectBuild, IsOptional) {
  EXPECT_FALSE(parse_fixture(kLocks, "rig.yaml").select_build.has_value());
}

TEST(FixtureSelectBuild, ExpandsPlaceholdersInEveryArgumentAndNothingElse) {
  const Fixture f = parse_fixture(
      kLocks +
          "select_build:\n  command: [/usr/local/bin/flash, \"--lock={lock}\", \"{slot}\", "
          "\"{build}\", \"$(rm -rf /); {build}\"]\n  timeout: 90s\n",
      "rig.yaml");
  ASSERT_TRUE(f.select_build.has_value());
  EXPECT_EQ(f.select_build->timeout, 90s);
  const auto argv = f.select_build->argv(*f.find_lock("a"), "2.4.1");
  const std::vector<std::string> want = {"/usr/local/bin/flash", "--lock=a", "A1", "2.4.1",
                                         "$(rm -rf /); 2.4.1"};
  EXPECT_EQ(argv, want);
  // A build name that looks like a placeholder is not expanded again.
  EXPECT_EQ(f.select_build->argv(*f.find_lock("a"), "{lock}")[3], "{lock}");
}

TEST(FixtureSelectBuild, DefaultsToTwoMinutes) {
  const Fixture f =
      parse_fixture(kLocks + "select_build: {command: [flash, \"{build}\"]}\n", "rig.yaml");
  EXPECT_EQ(f.select_build->timeout, 120s);
}

TEST(FixtureSelectBuild, RejectsMistakesWithTheirPosition) {
  EXPECT_NE(error_of(kLocks + "select_build: {command: \"flash {build}\"}\n")
                .find("rig.yaml:4:25: select_build command must be a non-empty list"),
            std::string::npos)
      << error_of(kLocks + "select_build: {command: \"flash {build}\"}\n");
  EXPECT_NE(error_of(kLocks + "select_build: {command: [flash, \"{bulid}\"]}\n")
                .find("unknown placeholder \"{bulid}\""),
            std::string::npos);
  EXPECT_NE(error_of(kLocks + "select_build: {command: [flash, \"{bulid}\"]}\n").find("{build}"),
            std::string::npos);
  EXPECT_NE(error_of(kLocks + "select_build: {command: [flash, \"{lock}\"]}\n")
                .find("never passes {build}"),
            std::string::npos);
  EXPECT_NE(error_of(kLocks + "select_build: {command: [flash, \"{build}\"], timeout: 0s}\n")
                .find("timeout must be positive"),
            std::string::npos);
  EXPECT_NE(error_of(kLocks + "select_build: {command: [flash, \"{build}\"], timout: 5s}\n")
                .find("timout"),
            std::string::npos);
  EXPECT_NE(error_of(kLocks + "select_build: {timeout: 5s}\n").find("command"), std::string::npos);
}
