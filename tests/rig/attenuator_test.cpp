// RF attenuators (issue 14): the fixture's `attenuators:`, the `attenuate` step and its checks
// against the fixture, the bench (safe level, read-back) and the simulated link budget.
#include <gtest/gtest.h>

#include <string>

#include "drivers/rig_fault.hpp"
#include "drivers/sim/sim.hpp"
#include "rig/base/embedded.hpp"
#include "rig/engine/attenuators.hpp"
#include "rig/engine/bench.hpp"
#include "rig/engine/scenario.hpp"

using namespace lockrig;
using namespace std::chrono_literals;

namespace {

const std::string kLocks = R"(rig: bench
locks:
  - {id: a, material: wood, driver: sim}
  - {id: b, material: steel, driver: sim}
)";

std::string fixture_with(const std::string& attenuators) { return kLocks + attenuators; }

const std::string kOne = R"(attenuators:
  - id: att1
    name: rf_path
    driver: sim
    range: 10dB..90dB
    step: 2dB
    safe: 10dB
    locks: [a]
)";

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(AttenuatorFixture, ParsesRangeStepSafeLevelAndLocks) {
  const Fixture f = parse_fixture(fixture_with(kOne), "rig.yaml");
  ASSERT_EQ(f.attenuators.size(), 1u);
  const auto& a = f.attenuators[0];
  EXPECT_EQ(a.id, "att1");
  EXPECT_EQ(a.name, "rf_path");
  EXPECT_DOUBLE_EQ(a.min_db, 10);
  EXPECT_DOUBLE_EQ(a.max_db, 90);
  EXPECT_DOUBLE_EQ(a.step_db, 2);
  EXPECT_DOUBLE_EQ(a.safe_db, 10);
  EXPECT_EQ(a.locks, std::vector<std::string>{"a"});
  EXPECT_EQ(f.attenuator_for("a", "rf_path"), &a);
  EXPECT_EQ(f.attenuator_for("b", "rf_path"), nullptr);
}

TEST(AttenuatorFixture, SafeLevelOffTheStepIsAnErrorAtTheValue) {
  std::string text = fixture_with(kOne);
  text.replace(text.find("safe: 10dB"), 10, "safe: 11dB");
  const std::string e = error_of([&] { parse_fixture(text, "rig.yaml"); });
  EXPECT_NE(e.find("rig.yaml:11:11"), std::string::npos) << e;
  EXPECT_NE(e.find("11dB"), std::string::npos) << e;
  EXPECT_NE(e.find("10dB..90dB step 2dB"), std::string::npos) << e;
}

TEST(AttenuatorFixture, UnknownLockAndBadRangeAreErrors) {
  std::string text = fixture_with(kOne);
  text.replace(text.find("locks: [a]"), 10, "locks: [c]");
  EXPECT_NE(error_of([&] { parse_fixture(text, "rig.yaml"); }).find("unknown lock \"c\""),
            std::string::npos);
  text = fixture_with(kOne);
  text.replace(text.find("range: 10dB..90dB"), 17, "range: 90dB..10dB");
  EXPECT_NE(error_of([&] { parse_fixture(text, "rig.yaml"); }).find("\"90dB..10dB\""),
            std::string::npos);
}

TEST(AttenuatorLevels, ARangeListsEveryStepWithBothEnds) {
  const auto levels = parse_db_levels(YAML::Load("20dB..30dB step 2.5dB"), "s.yaml", "levels");
  EXPECT_EQ(levels, (std::vector<double>{20, 22.5, 25, 27.5, 30}));
  EXPECT_EQ(parse_db_levels(YAML::Load("[40, 42dB, 44 dB]"), "s.yaml", "levels"),
            (std::vector<double>{40, 42, 44}));
  EXPECT_NE(error_of([] { parse_db_levels(YAML::Load("[]"), "s.yaml", "levels"); })
                .find("has no levels"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_db_levels(YAML::Load("30dB..20dB step 2dB"), "s.yaml", "levels"); })
                .find("runs backwards"),
            std::string::npos);
}

Scenario scenario_with(const std::string& step) {
  return parse_scenarios("name: sweep\nsteps:\n  - " + step + "\n  - unlock: {expect: success}\n",
                         "sweep.yaml")
      .front();
}

TEST(AttenuateStep, ParsesBothFormsAndDescribesItself) {
  const Scenario s = scenario_with("attenuate: {part: rf_path, db: 42}");
  ASSERT_EQ(s.steps[0].kind, Step::Kind::attenuate);
  EXPECT_EQ(s.steps[0].target, "rf_path");
  EXPECT_DOUBLE_EQ(*s.steps[0].db, 42);
  EXPECT_EQ(s.steps[0].describe(), "attenuate rf_path 42dB");
  EXPECT_DOUBLE_EQ(*scenario_with("attenuate: rf_path 44.5dB").steps[0].db, 44.5);
  EXPECT_EQ(s.attenuators_used(), std::vector<std::string>{"rf_path"});
}

TEST(AttenuateStep, ALevelOffTheStepOrOutsideTheRangeIsRefusedAtTheValue) {
  const Fixture f = parse_fixture(fixture_with(kOne), "rig.yaml");
  std::string e = error_of([&] {
    validate_against_fixture(scenario_with("attenuate: {part: rf_path, db: 43}"), f);
  });
  EXPECT_NE(e.find("sweep.yaml:3:36"), std::string::npos) << e;
  EXPECT_NE(e.find("43dB"), std::string::npos) << e;
  EXPECT_NE(e.find("allowed 10dB..90dB step 2dB"), std::string::npos) << e;
  e = error_of([&] {
    validate_against_fixture(scenario_with("attenuate: {part: rf_path, db: 92}"), f);
  });
  EXPECT_NE(e.find("92dB"), std::string::npos) << e;
  EXPECT_NO_THROW(validate_against_fixture(scenario_with("attenuate: {part: rf_path, db: 44}"), f));
}

TEST(AttenuateStep, AnUnknownPartIsAnErrorListingTheRigsAttenuators) {
  const Fixture f = parse_fixture(fixture_with(kOne), "rig.yaml");
  const std::string e = error_of([&] {
    validate_against_fixture(scenario_with("attenuate: {part: rf_pth, db: 40}"), f);
  });
  EXPECT_NE(e.find("sweep.yaml:3:5"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown attenuator \"rf_pth\" (did you mean \"rf_path\"?)"), std::string::npos)
      << e;
}

TEST(AttenuatorBench, SetsTheLevelTheLockSeesAndGoesBackToTheSafeLevel) {
  const Fixture f = parse_fixture(fixture_with(kOne), "rig.yaml");
  VirtualClock clock;
  Bench bench(f, drivers::builtin_drivers(), clock, 1);
  EXPECT_EQ(bench.attenuation_db("a"), 10.0);  // safe level before any command
  EXPECT_EQ(bench.attenuation_db("b"), std::nullopt);
  const BenchEvent e = bench.set_attenuation("a", "rf_path", 56);
  EXPECT_EQ(e.kind, EventKind::set_attenuator);
  EXPECT_EQ(e.value, "56dB");
  EXPECT_EQ(bench.attenuation_db("a"), 56.0);
  bench.restore_safe_state();
  EXPECT_EQ(bench.attenuation_db("a"), 10.0);
  EXPECT_TRUE(bench.safe());
}

TEST(AttenuatorBench, AReadBackMismatchIsARigFaultNamingThePart) {
  std::string text = fixture_with(kOne);
  text += "    settings: {readback_offset_db: 3}\n";
  const Fixture f = parse_fixture(text, "rig.yaml");
  VirtualClock clock;
  try {
    Bench bench(f, drivers::builtin_drivers(), clock, 1);
    bench.set_attenuation("a", "rf_path", 40);
    FAIL() << "expected a rig fault";
  } catch (const drivers::RigFault& e) {
    EXPECT_EQ(e.component(), "attenuator att1 (rf_path)");
    EXPECT_NE(e.message().find("read back 43dB after setting 40dB"), std::string::npos)
        << e.message();
  }
}

// The simulated link budget: success falls from ~1 to ~0 as attenuation rises, later on wood
// (3 dB of door loss) than on steel (17 dB).
TEST(AttenuatorSim, SuccessFallsWithAttenuationEarlierOnSteelThanOnWood) {
  std::string text = fixture_with(kOne);
  text.replace(text.find("locks: [a]"), 10, "locks: [a, b]");
  const Fixture f = parse_fixture(text, "rig.yaml");
  VirtualClock clock;
  Bench bench(f, drivers::builtin_drivers(), clock, 1);
  auto rate = [&](const std::string& id, double db) {
    bench.set_attenuation(id, "rf_path", db);
    drivers::DriverContext ctx{clock, &bench, 7};
    auto lock = drivers::builtin_drivers().lock_driver("sim", {}).create(*f.find_lock(id), ctx);
    int ok = 0;
    for (int i = 0; i < 200; ++i) {
      auto c = lock->connect(5s);
      if (c.outcome == drivers::LockOutcome::success) {
        ok += lock->unlock(5s).outcome == drivers::LockOutcome::success;
        lock->disconnect();
      }
    }
    return ok / 200.0;
  };
  // Mean RSSI -40 - 20 - loss - attenuation against -92 dBm: wood's midpoint near 29 dB.
  EXPECT_GT(rate("a", 10), 0.97);
  EXPECT_LT(rate("a", 40), 0.03);
  const double wood = rate("a", 24), steel = rate("b", 24);
  EXPECT_GT(wood, 0.6);
  EXPECT_LT(steel, 0.05);
}

// The shipped simulated lab (issue 14): its candidate build 2.4.1 is 3 dB less sensitive
// (drivers.sim.firmware_profiles), so behind the same attenuator on the same door panel it is
// found less often near the edge of range than the baseline 2.4.0. Before the profile set
// `sensitivity_dbm`, both builds had the same curve and the rates below were equal within noise.
TEST(AttenuatorSim, TheShippedLabsCandidateLosesRangeAgainstItsBaseline) {
  const Fixture f = load_fixture(kDefaultFixture);
  VirtualClock clock;
  Bench bench(f, drivers::builtin_drivers(), clock, 1);
  auto found = [&](const std::string& id, double db) {
    bench.set_attenuation(id, "rf_path", db);
    drivers::DriverContext ctx{clock, &bench, 11};
    auto lock = drivers::builtin_drivers().lock_driver("sim", {}).create(*f.find_lock(id), ctx);
    EXPECT_EQ(drivers::sim::resolve_lock_model(*f.find_lock(id)).sensitivity_dbm,
              id == "wood-1" ? -92.0 : -89.0);
    int ok = 0;
    for (int i = 0; i < 400; ++i) {
      const auto c = lock->connect(5s);
      ok += c.outcome == drivers::LockOutcome::success;
      lock->disconnect();
    }
    return ok / 400.0;
  };
  // Wood: mean RSSI -40 - 20 - 3 - 27 = -90 dBm, 2 dB above -92 and 1 dB below -89 (sigma 3 dB):
  // visible about 75% against about 37% of the time, before the weak link's failed connections.
  const double baseline = found("wood-1", 27), candidate = found("wood-2", 27);
  EXPECT_GT(baseline - candidate, 0.2) << baseline << " vs " << candidate;
  // At the rig's own path loss (0 dB) both are always found.
  EXPECT_GT(found("wood-2", 0), 0.99);
}

}  // namespace
