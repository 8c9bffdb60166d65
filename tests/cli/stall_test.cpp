// Issue 17 item 1: a controller that did not run (SIGSTOP here; a paused VM, a frozen cgroup or
// CPU starvation in the field) must never be journaled as lock failures. The real binary on the
// real clock, stopped for longer than an unlock's budget, must end with the same SLI as the
// same run left alone.
#include <signal.h>

#include <gtest/gtest.h>

#include "cli_support.hpp"

namespace lockrig::cli_test {

namespace {

// One fast simulated lock with every random failure switched off: left alone, every session
// passes, so any failure in the stopped run is the stop's doing.
const char* kFastLab =
    "rig: stall-lab\n"
    "on_rig_fault: quarantine\n"
    "locks:\n"
    "  - id: fast-1\n"
    "    material: wood\n"
    "    driver: sim\n"
    "    settings: {connect_ms: 20, command_ms: 10, motor_ms: 40, adv_interval_ms: 20,\n"
    "               drop_rate: 0, disconnect_rate: 0, reject_rate: 0, protocol_error_rate: 0}\n";

// One attempt within 1 s: a stop of 1.5 s inside a session makes it a timeout or a late unlock
// unless the stop is noticed.
const char* kQuickUnlocks =
    "name: quick-unlocks\n"
    "repeat: 30\n"
    "steps:\n"
    "  - unlock: {expect: success, within: 1s, retry: {attempts: 1}}\n";

struct Sli {
  long long success = 0, eligible = 0;
};

Sli sli_of(const std::string& db_path) {
  Db db(db_path);
  return Sli{db.integer("SELECT COALESCE(sum(sli_success), 0) FROM sessions"),
             db.integer("SELECT COALESCE(sum(sli_eligible), 0) FROM sessions")};
}

std::vector<std::string> run_args(const TempDir& tmp, const std::string& db) {
  return {"run",
          "--fixture",
          tmp.file("lab.yaml"),
          "--scenario",
          tmp.file("quick.yaml"),
          "--clock",
          "real",
          "--seed",
          "17",
          "--progress",
          "off",
          "-q",
          "--db",
          db};
}

}  // namespace

TEST(ControllerStall, SigstopLongerThanTheBudgetLeavesTheSliAsTheReferenceRun) {
  TempDir tmp;
  tmp.write("lab.yaml", kFastLab);
  tmp.write("quick.yaml", kQuickUnlocks);

  const std::string ref_db = tmp.file("reference.db");
  const Result ref = lockrig(run_args(tmp, ref_db), Spawn{"", "", 60s});
  ASSERT_TRUE(ref.exited && ref.exit_code == 0) << ref.describe();
  const Sli reference = sli_of(ref_db);
  ASSERT_EQ(reference.eligible, 30);

  const std::string db_path = tmp.file("stalled.db");
  Process p(run_args(tmp, db_path), Spawn{"", "", 60s});
  // Stop it mid-run (a few sessions in), for longer than an unlock's `within`.
  ASSERT_TRUE(eventually([&] { return sessions_so_far(db_path) >= 3 || !p.running(); }, 30s));
  ASSERT_TRUE(p.running()) << "the run ended before it could be stopped\n" << p.wait().describe();
  p.signal(SIGSTOP);
  std::this_thread::sleep_for(1500ms);
  p.signal(SIGCONT);
  const Result r = p.wait();
  ASSERT_TRUE(r.exited && r.exit_code == 0) << r.describe();

  const Sli stalled = sli_of(db_path);
  EXPECT_EQ(stalled.success, reference.success);
  EXPECT_EQ(stalled.eligible, reference.eligible);
  Db db(db_path);
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE result = 'fail'"), 0)
      << "a session the controller stalled in was blamed on the lock";
  // The stop was noticed and journaled with its length (the stop lasted 1500 ms).
  const auto stalls = db.rows("SELECT value, detail FROM events WHERE kind = 'controller_stall'");
  ASSERT_FALSE(stalls.empty()) << "the stop went unnoticed";
  EXPECT_GE(std::stoll(stalls.front()[0].value_or("0")), 1000);
  EXPECT_NE(stalls.front()[1].value_or("").find("controller_stall"), std::string::npos);
  // Latency figures hold no stalled session: every journaled unlock took well under the stop.
  EXPECT_LT(db.integer("SELECT max(ended_ns - started_ns) FROM sessions WHERE sli_success = 1"),
            1'000'000'000LL);
}

}  // namespace lockrig::cli_test
