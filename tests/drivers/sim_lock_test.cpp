#include "drivers/sim/sim.hpp"

#include <gtest/gtest.h>

#include "drivers/rig_fault.hpp"
#include "rig/engine/bench.hpp"
#include "rig/base/embedded.hpp"

using namespace lockrig;
using namespace std::chrono_literals;
using drivers::LockOutcome;

namespace {

struct SimRig {
  Fixture fixture = load_fixture(kDefaultFixture);
  VirtualClock clock;
  Bench bench{fixture, drivers::builtin_drivers(), clock, 1};

  std::unique_ptr<drivers::LockLink> lock(const std::string& id, std::uint64_t seed = 1) {
    drivers::DriverContext ctx{clock, &bench, seed};
    return drivers::builtin_drivers().lock_driver("sim", {}).create(*fixture.find_lock(id), ctx);
  }
};

// Connect + unlock once; the outcome of the first phase that did not succeed.
LockOutcome try_unlock(drivers::LockLink& l) {
  auto c = l.connect(5s);
  if (c.outcome != LockOutcome::success) return c.outcome;
  auto u = l.unlock(5s);
  l.disconnect();
  return u.outcome;
}

double success_rate(drivers::LockLink& l, int n) {
  int ok = 0;
  for (int i = 0; i < n; ++i) ok += try_unlock(l) == LockOutcome::success;
  return static_cast<double>(ok) / n;
}

}  // namespace

TEST(SimLock, ReadsItsFirmwareAndModelFromTheFixture) {
  SimRig rig;
  auto id = rig.lock("wood-2")->identity(5s);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->firmware, "2.4.1");
  EXPECT_EQ(id->model, "Acme Bolt 3");
}

TEST(SimLock, CuttingTheBatteryRelayMakesTheLockUnreachable) {
  SimRig rig;
  auto lock = rig.lock("wood-1");
  EXPECT_TRUE(lock->advertising(2s));
  rig.bench.set_channel("wood-1", "battery", false);
  EXPECT_FALSE(lock->advertising(2s));
  auto c = lock->connect(5s);
  EXPECT_EQ(c.outcome, LockOutcome::not_found);
  EXPECT_NE(c.detail.find("battery disconnected"), std::string::npos) << c.detail;
  EXPECT_FALSE(rig.lock("wood-1")->identity(5s).has_value());
  rig.bench.set_channel("wood-1", "battery", true);
  EXPECT_EQ(try_unlock(*lock), LockOutcome::success);
}

TEST(SimLock, ClosingTheRfShieldPutsBothLocksOnThePanelOutOfRange) {
  SimRig rig;
  auto a = rig.lock("glass-1"), b = rig.lock("glass-2"), other = rig.lock("wood-1");
  rig.bench.set_channel("glass-1", "rf_shield", true);
  EXPECT_EQ(a->connect(5s).outcome, LockOutcome::not_found);
  EXPECT_EQ(b->connect(5s).outcome, LockOutcome::not_found);
  EXPECT_TRUE(other->advertising(2s));
}

TEST(SimLock, CuttingPowerWhileConnectedDropsTheLink) {
  SimRig rig;
  auto lock = rig.lock("alu-1");
  ASSERT_EQ(lock->connect(5s).outcome, LockOutcome::success);
  rig.bench.set_channel("alu-1", "battery", false);
  EXPECT_EQ(lock->unlock(5s).outcome, LockOutcome::disconnected);
  EXPECT_FALSE(lock->connected());
}

TEST(SimLock, SupplyBelowBrownOutTurnsTheLockOffAndAWeakSupplyStallsTheMotor) {
  SimRig rig;
  auto lock = rig.lock("steel-1");
  rig.bench.set_supply("steel-1", "vbat", 2.0, std::nullopt, std::nullopt);
  EXPECT_EQ(lock->connect(5s).outcome, LockOutcome::not_found);
  rig.bench.set_supply("steel-1", "vbat", 2.5, std::nullopt, std::nullopt);
  int stalls = 0;
  for (int i = 0; i < 2000; ++i) {
    if (lock->connect(5s).outcome != LockOutcome::success) continue;
    auto u = lock->unlock(5s);
    stalls += u.outcome == LockOutcome::rejected && u.detail.find("stalled") != std::string::npos;
    lock->disconnect();
  }
  EXPECT_GT(stalls, 40);  // weak_stall_rate 5% of ~2000
  rig.bench.set_supply("steel-1", "vbat", 3.0, std::nullopt, false);
  EXPECT_EQ(lock->connect(5s).outcome, LockOutcome::not_found) << "output off = no power";
}

TEST(SimLock, SteelDoorsUnlockLessReliablyThanWood) {
  SimRig rig;
  auto wood = rig.lock("wood-1"), steel = rig.lock("steel-1");
  const double w = success_rate(*wood, 20000), s = success_rate(*steel, 20000);
  EXPECT_GT(w, 0.99);
  EXPECT_GT(w - s, 0.003) << "wood " << w << " steel " << s;
}

TEST(SimLock, TheSameSeedReplaysTheSameBehaviour) {
  auto sequence = [](std::uint64_t seed) {
    SimRig rig;
    auto lock = rig.lock("alu-2", seed);
    std::vector<std::pair<LockOutcome, std::int64_t>> out;
    for (int i = 0; i < 500; ++i) {
      auto c = lock->connect(5s);
      if (c.outcome != LockOutcome::success) {
        out.emplace_back(c.outcome, c.elapsed.count());
        continue;
      }
      auto u = lock->unlock(5s);
      out.emplace_back(u.outcome, u.latency.count());
      lock->disconnect();
    }
    return out;
  };
  EXPECT_EQ(sequence(7), sequence(7));
  EXPECT_NE(sequence(7), sequence(8));
}

TEST(SimLock, LatencyIsChargedToTheVirtualClock) {
  SimRig rig;
  auto lock = rig.lock("wood-1");
  const TimePoint t0 = rig.clock.now();
  ASSERT_EQ(lock->connect(5s).outcome, LockOutcome::success);
  auto u = lock->unlock(5s);
  ASSERT_EQ(u.outcome, LockOutcome::success);
  EXPECT_GT(u.latency, Duration(100ms));
  EXPECT_LT(u.latency, Duration(3s));
  EXPECT_GE(rig.clock.now() - t0, u.latency);
}

TEST(SimLock, AdapterFaultKnobRaisesARigFaultNotALockOutcome) {
  Fixture f = parse_fixture("rig: r\nlocks:\n  - {id: a, material: wood, driver: sim, settings: "
                            "{adapter_fault_rate: 1}}\n",
                            "f.yaml");
  VirtualClock clock;
  Bench bench(f, drivers::builtin_drivers(), clock, 1);
  drivers::DriverContext ctx{clock, &bench, 1};
  auto lock = drivers::builtin_drivers().lock_driver("sim", {}).create(f.locks[0], ctx);
  EXPECT_THROW(lock->connect(5s), drivers::RigFault);
}

TEST(SimLock, FirmwareProfilesAndLockKnobsOverrideInThatOrder) {
  Fixture f = parse_fixture(
      "rig: r\ndrivers:\n  sim:\n    drop_rate: 0.1\n    firmware_profiles:\n      \"9.9\": "
      "{drop_rate: 0.2, motor_ms: 100}\nlocks:\n  - {id: a, material: steel, driver: sim, "
      "settings: {firmware: \"9.9\", motor_ms: 200}}\n  - {id: b, material: wood, driver: sim}\n",
      "f.yaml");
  auto a = drivers::sim::resolve_lock_model(f.locks[0]);
  EXPECT_DOUBLE_EQ(a.drop_rate, 0.2);
  EXPECT_DOUBLE_EQ(a.motor_ms, 200);
  EXPECT_DOUBLE_EQ(a.material_loss_db, 17);
  auto b = drivers::sim::resolve_lock_model(f.locks[1]);
  EXPECT_DOUBLE_EQ(b.drop_rate, 0.1);
}

TEST(SimSwitch, StopsAnsweringAfterTheConfiguredNumberOfCommands) {
  Fixture f = parse_fixture(
      "rig: r\nlocks:\n  - {id: a, material: wood, driver: sim}\nswitches:\n  - id: s\n    driver: "
      "sim\n    settings: {channels: 2, stop_answering_after: 3}\n    channels:\n      - {name: "
      "battery, channel: 1, locks: [a], safe: on}\n",
      "f.yaml");
  VirtualClock clock;
  Bench bench(f, drivers::builtin_drivers(), clock, 1);
  bench.set_channel("a", "battery", false);
  bench.set_channel("a", "battery", true);
  bench.set_channel("a", "battery", false);
  EXPECT_THROW(bench.set_channel("a", "battery", true), drivers::RigFault);
  auto events = bench.restore_safe_state();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(events[0].detail.find("FAILED"), std::string::npos);
  EXPECT_FALSE(bench.safe());
}
