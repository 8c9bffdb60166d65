#include "rig/engine/scenario.hpp"

#include <gtest/gtest.h>

#include "rig/base/embedded.hpp"

using namespace lockrig;
using namespace std::chrono_literals;

namespace {

std::string error_of(const std::string& yaml) {
  try {
    auto s = parse_scenarios(yaml, "sc.yaml");
    Fixture f = load_fixture(kDefaultFixture);
    for (const auto& one : s) validate_against_fixture(one, f);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string one(const std::string& steps) { return "name: t\nrepeat: 2\nsteps:\n" + steps; }

}  // namespace

TEST(Scenario, ParsesEveryShippedScenarioAgainstTheSimLab) {
  Fixture f = load_fixture(kDefaultFixture);
  for (const char* name : {"nightly", "battery-removed", "out-of-range", "door-materials"}) {
    auto list = load_scenarios(std::string("<embedded>/scenarios/") + name + ".yaml");
    ASSERT_FALSE(list.empty()) << name;
    for (const auto& s : list) {
      EXPECT_GT(s.unlock_steps(), 0) << s.name;
      validate_against_fixture(s, f);
    }
  }
}

TEST(Scenario, BatteryRemovedExpectsACleanNotFoundOutsideTheSli) {
  auto list = load_scenarios("<embedded>/scenarios/battery-removed.yaml");
  ASSERT_EQ(list.size(), 1u);
  const Scenario& s = list[0];
  ASSERT_EQ(s.steps[0].kind, Step::Kind::set_switch);
  EXPECT_EQ(s.steps[0].target, "battery");
  EXPECT_FALSE(s.steps[0].on);
  const Step& u = s.steps[2];
  ASSERT_EQ(u.kind, Step::Kind::unlock);
  EXPECT_EQ(u.unlock.expect.name(), "not_found");
  EXPECT_FALSE(u.unlock.sli);
  EXPECT_EQ(u.unlock.within, Duration(10s));
  const Step& recover = s.steps[5];
  EXPECT_EQ(recover.unlock.retry.max_attempts, 5);
  EXPECT_EQ(recover.unlock.retry.backoff, Duration(2s));
  EXPECT_DOUBLE_EQ(recover.unlock.retry.backoff_factor, 1.5);
}

TEST(Scenario, AcceptsTheSwitchShorthandAndDefaults) {
  auto s = parse_scenarios(one("  - switch: rf_shield on\n  - unlock:\n"), "sc.yaml");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].steps[0].target, "rf_shield");
  EXPECT_TRUE(s[0].steps[0].on);
  const UnlockStep& u = s[0].steps[1].unlock;
  EXPECT_TRUE(u.expect.expects_success());
  EXPECT_TRUE(u.sli);
  EXPECT_EQ(u.retry.max_attempts, 1);
  EXPECT_EQ(u.connection, ConnectionPolicy::per_session);
}

TEST(Scenario, BadDurationIsAnErrorAtItsPositionQuotingTheValue) {
  const std::string e = error_of(one("  - wait: 5 sec\n  - unlock:\n"));
  EXPECT_EQ(e, "sc.yaml:4:11: wait must be a duration such as 500ms, 2s, 1.5m or 1h, got \"5 sec\"");
}

TEST(Scenario, UnknownChannelNameSuggestsTheClosestOne) {
  const std::string e = error_of(one("  - switch: {channel: batery, state: off}\n  - unlock:\n"));
  EXPECT_NE(e.find("sc.yaml:4:5: unknown channel \"batery\" (did you mean \"battery\"?)"),
            std::string::npos) << e;
  EXPECT_NE(e.find("has: battery, rf_shield"), std::string::npos) << e;
}

TEST(Scenario, UnknownStepKindAndUnknownKeysAreErrors) {
  EXPECT_NE(error_of(one("  - unlok: {}\n")).find("sc.yaml:4:5: unknown key \"unlok\" in a step (did you mean \"unlock\"?)"),
            std::string::npos);
  EXPECT_NE(error_of(one("  - unlock: {expect: success, whitin: 5s}\n"))
                .find("unknown key \"whitin\" in an unlock step (did you mean \"within\"?)"),
            std::string::npos);
  EXPECT_NE(error_of("name: t\nrepat: 3\nsteps:\n  - unlock:\n").find("sc.yaml:2:1: unknown key \"repat\""),
            std::string::npos);
}

TEST(Scenario, WrongTypesAreErrors) {
  EXPECT_NE(error_of("name: t\nrepeat: many\nsteps:\n  - unlock:\n")
                .find("sc.yaml:2:9: repeat must be a whole number, got \"many\""),
            std::string::npos);
  EXPECT_NE(error_of(one("  - unlock: {sli: maybe}\n")).find("sli must be true or false, got \"maybe\""),
            std::string::npos);
  EXPECT_NE(error_of("name: t\nsteps: {unlock: {}}\n").find("steps must be a non-empty list"),
            std::string::npos);
}

TEST(Scenario, ExpectedFailuresCannotCountTowardTheSli) {
  const std::string e = error_of(one("  - unlock: {expect: not_found, sli: true}\n"));
  EXPECT_NE(e.find("cannot count toward the SLI"), std::string::npos) << e;
  auto s = parse_scenarios(one("  - unlock: {expect: not_found}\n"), "sc.yaml");
  EXPECT_FALSE(s[0].steps[0].unlock.sli);
}

TEST(Scenario, UnknownExpectedOutcomeListsTheKnownOnes) {
  const std::string e = error_of(one("  - unlock: {expect: notfound}\n"));
  EXPECT_NE(e.find("unknown expected outcome \"notfound\" (did you mean \"not_found\"?)"),
            std::string::npos) << e;
}

TEST(Scenario, RetryBoundsAreChecked) {
  EXPECT_NE(error_of(one("  - unlock: {retry: {attempts: 0}}\n")).find("attempts must be between 1 and 100"),
            std::string::npos);
  EXPECT_NE(error_of(one("  - unlock: {retry: {backoff_factor: 0.5}}\n")).find("backoff_factor"),
            std::string::npos);
}

TEST(Scenario, ScenarioWithoutUnlockIsAnError) {
  EXPECT_NE(error_of(one("  - wait: 1s\n")).find("has no unlock step"), std::string::npos);
}

TEST(Scenario, SupplyStepsMustNameAKnownSupplyWithinItsLimits) {
  EXPECT_NE(error_of(one("  - supply: {name: vbatt, volts: 2.5}\n  - unlock:\n"))
                .find("unknown supply \"vbatt\" (did you mean \"vbat\"?)"),
            std::string::npos);
  // The message names the refused value and points at it (line 4, the column of "12").
  EXPECT_EQ(error_of(one("  - supply: {name: vbat, volts: 12}\n  - unlock:\n")),
            "sc.yaml:4:33: volts 12 exceeds the limit 3.6 V of supply \"psu-1\"");
  EXPECT_EQ(error_of(one("  - supply: {name: vbat, volts: 3.0, amps: 1.25}\n  - unlock:\n")),
            "sc.yaml:4:44: amps 1.25 exceeds the limit 1 A of supply \"psu-1\"");
}

TEST(Scenario, SuiteFilesHoldSeveralScenariosWithUniqueNames) {
  auto s = parse_scenarios("suite: s\nscenarios:\n  - {name: a, steps: [{unlock: }]}\n"
                           "  - {name: b, repeat: 4, steps: [{unlock: }]}\n",
                           "sc.yaml");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].repeat, 4);
  EXPECT_NE(error_of("suite: s\nscenarios:\n  - {name: a, steps: [{unlock: }]}\n"
                     "  - {name: a, steps: [{unlock: }]}\n")
                .find("duplicate scenario name \"a\""),
            std::string::npos);
}

TEST(Scenario, SupplyRampsNeedADurationAndStayWithinLimits) {
  auto s = parse_scenarios(one("  - supply: {name: vbat, ramp_to: 2.1, over: 10s, steps: 5}\n  - unlock:\n"), "sc.yaml");
  ASSERT_TRUE(s[0].steps[0].ramp_to);
  EXPECT_DOUBLE_EQ(*s[0].steps[0].ramp_to, 2.1);
  EXPECT_EQ(s[0].steps[0].ramp_steps, 5);
  EXPECT_EQ(s[0].steps[0].duration, Duration(10s));
  EXPECT_NE(error_of(one("  - supply: {name: vbat, ramp_to: 2.1}\n  - unlock:\n")).find("missing required key \"over\""),
            std::string::npos);
  EXPECT_NE(error_of(one("  - supply: {name: vbat, volts: 2, ramp_to: 2.1, over: 1s}\n  - unlock:\n"))
                .find("either volts or ramp_to"),
            std::string::npos);
  EXPECT_EQ(error_of(one("  - supply: {name: vbat, ramp_to: 3.7, over: 1s}\n  - unlock:\n")),
            "sc.yaml:4:35: ramp_to 3.7 exceeds the limit 3.6 V of supply \"psu-1\"");
}
