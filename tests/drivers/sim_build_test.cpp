// The simulated flash (select_build) and the jam knob that sets a build's session failure rate.
#include <gtest/gtest.h>

#include <cmath>

#include "drivers/sim/sim.hpp"
#include "rig/engine/bench.hpp"
#include "rig/engine/fixture.hpp"
#include "rig/engine/session.hpp"

using namespace lockrig;
using namespace std::chrono_literals;

namespace {

const char* kFixture =
    "rig: r\n"
    "drivers:\n"
    "  sim:\n"
    "    firmware_profiles:\n"
    "      \"1.0\": {jam_rate: 0.0}\n"
    "      \"2.0\": {jam_rate: 0.2}\n"
    "locks:\n"
    "  - {id: a, material: wood, driver: sim, settings: {firmware: \"1.0\"}}\n";

struct Rig {
  Fixture fixture = parse_fixture(kFixture, "rig.yaml");
  VirtualClock clock;
  Bench bench{fixture, drivers::builtin_drivers(), clock, 1};
  drivers::SelectedBuilds builds;

  std::unique_ptr<drivers::LockLink> lock(std::uint64_t seed = 1) {
    drivers::DriverContext ctx{clock, &bench, seed, &builds};
    return drivers::builtin_drivers().lock_driver("sim", {}).create(fixture.locks[0], ctx);
  }
};

UnlockStep three_tries() {
  UnlockStep s;
  s.within = 8s;
  s.retry.max_attempts = 3;
  s.retry.backoff = 500ms;
  return s;
}

}  // namespace

TEST(SimBuild, ASelectedBuildReplacesTheFirmwareSettingForLocksCreatedAfterwards) {
  Rig rig;
  auto before = rig.lock();
  rig.builds.select("a", "2.0");
  auto after = rig.lock();
  EXPECT_EQ(before->identity(5s)->firmware, "1.0");
  EXPECT_EQ(after->identity(5s)->firmware, "2.0");
  rig.builds.clear();
  EXPECT_EQ(rig.lock()->identity(5s)->firmware, "1.0");
}

TEST(SimBuild, AJamFailsTheWholeSessionAtTheBuildsRate) {
  Rig rig;
  rig.builds.select("a", "2.0");
  auto link = rig.lock(42);
  const UnlockStep step = three_tries();
  std::atomic<bool> stop{false};
  const int n = 5000;
  int failed = 0, all_attempts_rejected = 0;
  for (int i = 0; i < n; ++i) {
    auto s = run_session(*link, rig.clock, step, stop);
    ASSERT_TRUE(s);
    if (!s->sli_success) {
      ++failed;
      all_attempts_rejected += s->attempts.size() == 3 && s->outcome == "rejected";
    }
  }
  // 20% jams, 4 standard errors either side.
  EXPECT_NEAR(failed / double(n), 0.2, 4 * std::sqrt(0.2 * 0.8 / n));
  EXPECT_GE(all_attempts_rejected, failed - failed / 50) << "retries should not clear a jam";
}
