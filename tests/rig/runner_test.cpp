#include "rig/engine/runner.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "drivers/sim/sim.hpp"
#include "rig/engine/bench.hpp"
#include "rig/base/clock.hpp"
#include "rig/base/embedded.hpp"
#include "rig/journal/sql.hpp"  // the raw handle, to check what was written

using namespace lockrig;
namespace fs = std::filesystem;

namespace {

struct Quiet : RunObserver {};

struct Fresh {
  std::string path;
  Journal journal;
  explicit Fresh(const std::string& name)
      : path(fs::temp_directory_path() / ("lockrig-runner-" + std::to_string(getpid()) + "-" + name + ".db")),
        journal(open_fresh(path)) {}
  ~Fresh() {
    if (std::getenv("LOCKRIG_KEEP_TMP")) return;  // keep the journal for a look
    for (const char* s : {"", "-wal", "-shm"}) fs::remove(path + s);
  }
  static Journal open_fresh(const std::string& p) {
    for (const char* s : {"", "-wal", "-shm"}) fs::remove(p + s);
    return Journal::open(p);
  }
};

long long count(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  sqlite_check(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), db, "prepare");
  long long n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  return n;
}

std::string dump(sqlite3* db) {
  const char* sql =
      "SELECT s.lock_id, s.scenario, s.repetition, s.step, s.result, s.outcome, s.started_ns, "
      "s.ended_ns, a.attempt, a.outcome, a.latency_ms, a.rssi_dbm, a.detail FROM sessions s JOIN "
      "attempts a ON a.session_id = s.id ORDER BY 1, 2, 3, 4, 9";
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
  std::string out;
  while (sqlite3_step(st) == SQLITE_ROW) {
    for (int c = 0; c < 13; ++c) {
      auto t = sqlite3_column_text(st, c);
      out += t ? reinterpret_cast<const char*>(t) : "NULL";
      out += '|';
    }
    out += '\n';
  }
  sqlite3_finalize(st);
  return out;
}

RunOutcome run(Fresh& j, const Fixture& f, const std::vector<Scenario>& sc, RunOptions o,
               const std::atomic<bool>* stop = nullptr) {
  static const std::atomic<bool> never{false};
  Quiet quiet;
  return run_plan(f, sc, drivers::builtin_drivers(), j.journal, o, quiet, stop ? *stop : never);
}

}  // namespace

TEST(Runner, JournalsEveryPlannedSessionAndRestoresTheSafeState) {
  Fresh j("basic");
  Fixture f = load_fixture(kDefaultFixture);
  auto sc = load_scenarios(kDefaultScenarios);
  RunOptions o;
  o.seed = 3;
  o.plan.repeat_override = 4;
  RunOutcome out = run(j, f, sc, o);
  const Plan plan = make_plan(f, sc, o.plan);
  EXPECT_EQ(out.status, "completed");
  EXPECT_EQ(out.counters.sessions, plan.total_sessions);
  EXPECT_EQ(count(journal_db(j.journal), "SELECT count(*) FROM sessions"), plan.total_sessions);
  EXPECT_EQ(count(journal_db(j.journal), "SELECT count(*) FROM attempts"), out.counters.attempts);
  EXPECT_EQ(count(journal_db(j.journal), "SELECT count(*) FROM run_locks WHERE firmware IN ('2.4.0','2.4.1')"), 8);
  // Expected failures are assertions, never SLI events.
  EXPECT_EQ(count(journal_db(j.journal), "SELECT count(*) FROM sessions WHERE expect != 'success' AND sli_eligible"), 0);
  EXPECT_GT(count(journal_db(j.journal), "SELECT count(*) FROM attempts WHERE class = 'expected'"), 0);
  // Safe state at start and at the end: 12 channels + 1 supply + 4 attenuators each time.
  EXPECT_EQ(count(journal_db(j.journal), "SELECT count(*) FROM events WHERE kind = 'safe_state'"), 34);
  EXPECT_TRUE(out.safe_state_restored);
  EXPECT_EQ(count(journal_db(j.journal), "SELECT count(*) FROM runs WHERE status = 'completed' AND ended_at IS NOT NULL"), 1);
}

TEST(Runner, TheSameSeedWritesTheSameJournal) {
  Fixture f = load_fixture(kDefaultFixture);
  auto sc = load_scenarios(kDefaultScenarios);
  RunOptions o;
  o.plan.repeat_override = 3;
  o.seed = 11;
  Fresh a("seed-a"), b("seed-b"), c("seed-c");
  run(a, f, sc, o);
  o.jobs = 1;  // a different interleaving of the groups must not change the content
  run(b, f, sc, o);
  o.seed = 12;
  run(c, f, sc, o);
  const std::string da = dump(journal_db(a.journal));
  EXPECT_FALSE(da.empty());
  EXPECT_EQ(da, dump(journal_db(b.journal)));
  EXPECT_NE(da, dump(journal_db(c.journal)));
}

TEST(Runner, ARelayThatStopsAnsweringAbortsTheRunUnderTheAbortPolicy) {
  Fresh j("abort");
  Fixture f = parse_fixture(
      "rig: r\non_rig_fault: abort\nlocks:\n  - {id: a, material: wood, driver: sim}\n"
      "  - {id: b, material: wood, driver: sim}\nswitches:\n  - id: s\n    driver: sim\n"
      "    settings: {channels: 2, stop_answering_after: 6}\n    channels:\n"
      "      - {name: battery, channel: 1, locks: [a], safe: on}\n"
      "      - {name: battery, channel: 2, locks: [b], safe: on}\n",
      "f.yaml");
  auto sc = load_scenarios("<embedded>/scenarios/battery-removed.yaml");
  RunOptions o;
  o.jobs = 1;
  RunOutcome out = run(j, f, sc, o);
  EXPECT_EQ(out.status, "rig_fault");
  EXPECT_EQ(out.exit_code, exit_code::rig_fault);
  EXPECT_NE(out.abort_reason.find("no reply"), std::string::npos) << out.abort_reason;
  EXPECT_LT(out.counters.sessions, make_plan(f, sc, o.plan).total_sessions);
  EXPECT_EQ(count(journal_db(j.journal), "SELECT count(*) FROM events WHERE kind = 'rig_fault'"), 1);
  EXPECT_FALSE(out.safe_state_restored) << "the dead board cannot be switched back";
  EXPECT_EQ(count(journal_db(j.journal), "SELECT count(*) FROM runs WHERE status = 'rig_fault' AND exit_code = 3"), 1);
}

// A board that misses one command while the bench is being made safe gets a second try: the
// bench ends safe, and the journal keeps the first failure next to the outcome.
TEST(Runner, ASafeStateCommandThatFailsOnceIsTriedAgain) {
  Fresh j("glitch");
  // Two channels: commands 1-2 are the start safe state; 1 scenario with no switching, so
  // commands 3-4 are the end safe state, and the first of those is missed once.
  Fixture f = parse_fixture(
      "rig: r\non_rig_fault: abort\nlocks:\n  - {id: a, material: wood, driver: sim}\n"
      "  - {id: b, material: wood, driver: sim}\nswitches:\n  - id: s\n    driver: sim\n"
      "    settings: {channels: 2, miss_command: 3}\n    channels:\n"
      "      - {name: battery, channel: 1, locks: [a], safe: on}\n"
      "      - {name: battery, channel: 2, locks: [b], safe: on}\n",
      "f.yaml");
  auto sc = parse_scenarios("name: plain\nrepeat: 2\nsteps:\n  - unlock:\n", "s.yaml");
  RunOptions o;
  RunOutcome out = run(j, f, sc, o);
  EXPECT_TRUE(out.safe_state_restored);
  EXPECT_EQ(out.status, "completed");
  EXPECT_EQ(count(journal_db(j.journal), "SELECT count(*) FROM events WHERE kind = 'safe_state' AND "
                                  "detail LIKE '%took a second try, the first failed: %missed "
                                  "command 3%'"),
            1);
  EXPECT_EQ(count(journal_db(j.journal), "SELECT count(*) FROM events WHERE kind = 'safe_state' AND "
                                  "detail LIKE 'FAILED%'"),
            0);
}

TEST(Runner, QuarantineStopsOnlyTheLocksWiredToTheFaultyHardware) {
  Fresh j("quarantine");
  Fixture f = parse_fixture(
      "rig: r\non_rig_fault: quarantine\nlocks:\n  - {id: a, material: wood, driver: sim}\n"
      "  - {id: b, material: steel, driver: sim}\nswitches:\n  - id: bad\n    driver: sim\n"
      "    settings: {channels: 1, stop_answering_after: 4}\n    channels:\n"
      "      - {name: battery, channel: 1, locks: [a], safe: on}\n  - id: good\n    driver: sim\n"
      "    settings: {channels: 1}\n    channels:\n"
      "      - {name: battery, channel: 1, locks: [b], safe: on}\n",
      "f.yaml");
  auto sc = load_scenarios("<embedded>/scenarios/battery-removed.yaml");
  RunOptions o;
  o.plan.repeat_override = 5;
  RunOutcome out = run(j, f, sc, o);
  EXPECT_EQ(out.status, "rig_fault");
  EXPECT_EQ(count(journal_db(j.journal), "SELECT count(*) FROM sessions WHERE lock_id = 'b'"), 10);
  EXPECT_LT(count(journal_db(j.journal), "SELECT count(*) FROM sessions WHERE lock_id = 'a'"), 10);
  EXPECT_EQ(count(journal_db(j.journal), "SELECT count(*) FROM events WHERE kind = 'quarantine' AND target = 'a'"), 1);
}

TEST(Runner, RigFaultSessionsAreExcludedFromTheSli) {
  Fresh j("adapter");
  Fixture f = parse_fixture("rig: r\non_rig_fault: continue\nlocks:\n  - {id: a, material: wood, "
                            "driver: sim, settings: {adapter_fault_rate: 0.2}}\n",
                            "f.yaml");
  auto sc = load_scenarios("<embedded>/scenarios/door-materials.yaml");
  RunOptions o;
  o.plan.repeat_override = 200;
  RunOutcome out = run(j, f, sc, o);
  // `continue` runs every item, but a run that met rig faults did not run as planned.
  EXPECT_EQ(out.status, "rig_fault");
  EXPECT_EQ(out.exit_code, exit_code::rig_fault);
  EXPECT_GT(out.counters.rig_faults, 10);
  EXPECT_EQ(count(journal_db(j.journal), "SELECT count(*) FROM sessions WHERE result = 'rig_fault' AND sli_eligible"), 0);
  EXPECT_EQ(count(journal_db(j.journal), "SELECT count(*) FROM v_sli_sessions"), 200 - out.counters.rig_faults);
}

TEST(Runner, AStopRequestKeepsFinishedSessionsAndMarksTheRunAborted) {
  Fresh j("stop");
  Fixture f = load_fixture(kDefaultFixture);
  auto sc = load_scenarios(kDefaultScenarios);
  RunOptions o;
  o.plan.repeat_override = 100000;
  // Stops the run from the writer thread once sessions are being journaled.
  struct StopOnceRunning : RunObserver {
    std::atomic<bool> stop{false};
    void progress(const RunCounters& c, long long) override {
      if (c.sessions > 500) stop = true;
    }
  } observer;
  RunOutcome out =
      run_plan(f, sc, drivers::builtin_drivers(), j.journal, o, observer, observer.stop);
  EXPECT_EQ(out.status, "aborted");
  EXPECT_GT(out.counters.sessions, 0);
  EXPECT_LT(out.counters.sessions, make_plan(f, sc, o.plan).total_sessions);
  EXPECT_EQ(count(journal_db(j.journal), "SELECT count(*) FROM sessions"), out.counters.sessions);
  EXPECT_EQ(count(journal_db(j.journal), "SELECT count(*) FROM sessions s WHERE attempts != (SELECT count(*) FROM attempts WHERE session_id = s.id)"), 0);
  EXPECT_TRUE(out.safe_state_restored);
  // The bench's 12 channels, 1 supply and 4 attenuators were put back last, after everything else.
  EXPECT_EQ(count(journal_db(j.journal), "SELECT count(*) FROM (SELECT kind FROM events ORDER BY id DESC LIMIT 17) WHERE kind = 'safe_state'"), 17);
  EXPECT_EQ(count(journal_db(j.journal), "SELECT count(*) FROM events WHERE kind = 'safe_state'"), 34);
}

TEST(Runner, WaitUntilLooksAgainOnlyEveryPollInterval) {
  // A lock that is always visible and answers at once, counting how often it is asked.
  struct AlwaysThere : drivers::LockLink {
    Clock& clock;
    std::atomic<int>& asked;
    AlwaysThere(Clock& c, std::atomic<int>& n) : clock(c), asked(n) {}
    drivers::ConnectResult connect(Duration) override { return {}; }
    bool connected() const override { return false; }
    drivers::UnlockResult unlock(Duration) override { return {}; }
    void disconnect() override {}
    std::optional<drivers::LockIdentity> identity(Duration) override { return drivers::LockIdentity{"1", "m", "x", ""}; }
    bool advertising(Duration) override {
      ++asked;
      return true;
    }
  };
  static std::atomic<int> asked{0};
  drivers::DriverRegistry reg;
  drivers::sim::register_sim_drivers(reg);
  reg.add(drivers::LockDriver{"always", "", true, nullptr,
                              [](const drivers::LockSpec&, const drivers::DriverContext& ctx) {
                                return std::make_unique<AlwaysThere>(ctx.clock, asked);
                              }});
  Fixture f = parse_fixture("rig: r\nlocks:\n  - {id: a, material: wood, driver: always}\n", "f.yaml");
  auto sc = parse_scenarios("name: w\nsteps:\n  - wait_until: {condition: not_advertising, timeout: 3s, poll: 500ms}\n"
                            "  - unlock:\n",
                            "w.yaml");
  Fresh j("poll");
  Quiet quiet;
  static const std::atomic<bool> never{false};
  RunOutcome out = run_plan(f, sc, reg, j.journal, RunOptions{}, quiet, never);
  EXPECT_EQ(out.counters.failed_assertions, 1) << "the lock never stopped advertising";
  EXPECT_GE(asked.load(), 6);
  EXPECT_LE(asked.load(), 7) << "3 s at one look per 500 ms";
}

// A configuration mistake met while opening the very first part (nothing opened yet, so nothing
// to make safe) stays a configuration error (exit 2), not a rig fault; after a part was opened,
// the message says that part was made safe.
TEST(Bench, AConfigurationMistakeOpeningTheFirstPartStaysAConfigurationError) {
  drivers::DriverRegistry reg;
  drivers::sim::register_sim_drivers(reg);
  reg.add(drivers::SwitchDriver{
      "picky", "refuses its settings when opened", true, nullptr,
      [](const drivers::SwitchBoardSpec& spec, const drivers::DriverContext&)
          -> std::unique_ptr<drivers::SwitchBoard> {
        throw ConfigError(spec.where, "usb id \"1a86:7523\" matches two ports");
      }});
  VirtualClock clock;
  const char* picky =
      "  - id: picky-relays\n    driver: picky\n    channels:\n"
      "      - {name: rf_shield, channel: 1, locks: [a], safe: off}\n";
  const std::string head =
      "rig: r\nlocks:\n  - {id: a, material: wood, driver: sim}\nswitches:\n";
  const Fixture first = parse_fixture(head + picky, "f.yaml");
  try {
    Bench b(first, reg, clock, 1);
    FAIL() << "the picky board opened";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("nothing had been opened before it"), std::string::npos)
        << e.what();
  } catch (const std::exception& e) {
    FAIL() << "not a configuration error: " << e.what();
  }
  const Fixture second = parse_fixture(
      head + "  - id: relays\n    driver: sim\n    settings: {channels: 1}\n    channels:\n"
             "      - {name: battery, channel: 1, locks: [a], safe: on}\n" + picky,
      "f.yaml");
  try {
    Bench b(second, reg, clock, 1);
    FAIL() << "the picky board opened";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("already opened and put into their safe state: board "
                                         "\"relays\""),
              std::string::npos)
        << e.what();
  }
}
