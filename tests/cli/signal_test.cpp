// SIGINT/SIGTERM during a run: the session in flight is discarded, everything finished is kept,
// the run is marked aborted, the bench is returned to its safe state, exit 128 + signal.
#include <signal.h>

#include "cli_support.hpp"

namespace lockrig::cli_test {
namespace {

const std::string kFixture = "fixtures/sim-lab.yaml";

// Long enough that the run is still going when the signal arrives (about a million sessions).
const std::vector<std::string> kLongRun = {"run", "--repeat",   "20000", "--seed",
                                           "5",   "--progress", "off"};

struct Interrupted {
  Result result;
  long long sessions_before_signal = 0;
};

// Starts `args`, waits until the journal holds at least one session, then sends `sig`.
Interrupted interrupt_after_first_session(std::vector<std::string> args, const std::string& db_path,
                                          int sig) {
  args.insert(args.end(), {"--db", db_path});
  Process p(args, Spawn{"", "", 60s});
  Interrupted out;
  const bool started = eventually(
      [&] {
        out.sessions_before_signal = sessions_so_far(db_path);
        return out.sessions_before_signal > 0 || !p.running();
      },
      30s);
  EXPECT_TRUE(started) << "no session journaled within 30 s";
  EXPECT_TRUE(p.running()) << "the run ended before it could be interrupted";
  p.signal(sig);
  out.result = p.wait();
  return out;
}

void expect_aborted_run_kept_its_finished_sessions(int sig) {
  TempDir tmp;
  const std::string db_path = tmp.file("journal.db");
  const Interrupted run = interrupt_after_first_session(kLongRun, db_path, sig);
  const Result& r = run.result;
  ASSERT_FALSE(r.timed_out) << r.describe();
  ASSERT_TRUE(r.exited) << "lockrig died of the signal instead of handling it\n" << r.describe();
  EXPECT_EQ(r.exit_code, 128 + sig) << r.describe();

  Db db(db_path);
  ASSERT_EQ(db.integer("SELECT count(*) FROM runs"), 1);
  EXPECT_EQ(db.text("SELECT status FROM runs"), "aborted");
  EXPECT_NE(db.text("SELECT ended_at FROM runs"), "NULL");
  const long long sessions = db.integer("SELECT count(*) FROM sessions");
  EXPECT_GE(sessions, run.sessions_before_signal) << "sessions seen before the signal were lost";
  EXPECT_GT(sessions, 0);
  EXPECT_LT(sessions, db.integer("SELECT sessions_planned FROM runs"))
      << "the run was not cut short";
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE attempts = 0"), 0);
  EXPECT_EQ(db.text("SELECT status FROM v_run_summary"), "aborted");
  expect_journal_invariants(db);
  expect_run_ends_in_safe_state(db, load_fixture(source_path(kFixture)));
}

TEST(LockrigInterrupted, BySigtermExits143AndKeepsEveryFinishedSession) {
  expect_aborted_run_kept_its_finished_sessions(SIGTERM);
}

TEST(LockrigInterrupted, BySigintExits130AndKeepsEveryFinishedSession) {
  expect_aborted_run_kept_its_finished_sessions(SIGINT);
}

// A dropped ssh session or closed terminal (SIGHUP) stops the run the same way: exit 129.
TEST(LockrigInterrupted, BySighupExits129AndKeepsEveryFinishedSession) {
  expect_aborted_run_kept_its_finished_sessions(SIGHUP);
}

// `lockrig run 2>&1 | head -1`: the reader goes away early. The run must not die of SIGPIPE
// with the bench unsafe and the run left open; it finishes and closes the run.
TEST(LockrigInterrupted, AClosedOutputPipeDoesNotKillTheRun) {
  TempDir tmp;
  const std::string db_path = tmp.file("journal.db");
  const Result r = lockrig_in_bash(
      "\"$0\" run --repeat 20 --seed 4 --db \"$1\" --progress lines 2>&1 | head -n 1 >/dev/null; "
      "exit \"${PIPESTATUS[0]}\"",
      db_path);
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << "lockrig's exit code " << r.describe();
  Db db(db_path);
  EXPECT_EQ(db.text("SELECT status FROM runs"), "completed");
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions"),
            db.integer("SELECT sessions_planned FROM runs"));
  expect_run_ends_in_safe_state(db, load_fixture(source_path(kFixture)));
}

// runs.exit_code is what an analyst reads later; it must be what the process returned.
TEST(LockrigInterrupted, BySigtermJournalsTheExitCodeItReturns) {
  TempDir tmp;
  const std::string db_path = tmp.file("journal.db");
  const Result r = interrupt_after_first_session(kLongRun, db_path, SIGTERM).result;
  ASSERT_TRUE(r.exited && r.exit_code == 128 + SIGTERM) << r.describe();
  Db db(db_path);
  EXPECT_EQ(db.text("SELECT exit_code FROM runs"), std::to_string(r.exit_code));
  EXPECT_EQ(db.text("SELECT exit_code FROM v_run_summary"), std::to_string(r.exit_code));
}

// On the real clock a scenario can sit in a one-hour wait with the battery cut; an interrupt
// must end it promptly (well inside the helper's timeout) and reconnect the battery.
TEST(LockrigInterrupted, DuringARealTimeWaitStopsPromptlyAndReconnectsTheBattery) {
  TempDir tmp;
  const std::string sc =
      tmp.write("cut-and-hold.yaml",
                "name: cut-and-hold\n"
                "repeat: 3\n"
                "steps:\n"
                "  - unlock: {expect: success, within: 8s, retry: {attempts: 3, backoff: 500ms}}\n"
                "  - switch: battery off\n"
                "  - wait: 1h\n"
                "  - switch: battery on\n");
  const std::string db_path = tmp.file("journal.db");
  Process p({"run", "--clock", "real", "--locks", "wood-1", "--scenario", sc, "--seed", "8",
             "--progress", "off", "--db", db_path},
            Spawn{"", "", 30s});
  ASSERT_TRUE(eventually([&] { return sessions_so_far(db_path) > 0 || !p.running(); }, 20s));
  ASSERT_TRUE(p.running()) << p.wait().describe();
  p.signal(SIGINT);
  const Result r = p.wait();
  ASSERT_FALSE(r.timed_out) << "the one-hour wait was not cut short by SIGINT\n" << r.describe();
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exit_code, 128 + SIGINT) << r.describe();

  const Fixture f = load_fixture(source_path(kFixture));
  Db db(db_path);
  EXPECT_EQ(db.text("SELECT status FROM runs"), "aborted");
  EXPECT_EQ(db.text("SELECT clock FROM runs"), "real");
  // One repetition's unlock finished; the next needs the hour to pass.
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions"), 1);
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE lock_id != 'wood-1'"), 0);
  expect_journal_invariants(db);
  expect_run_ends_in_safe_state(db, f);
}

// A crash (SIGKILL cannot be handled) loses at most the session in flight: every session is
// its own transaction, so the journal stays consistent and usable, the run merely stays open.
TEST(LockrigKilled, OutrightLosesAtMostTheSessionInFlightAndTheJournalStaysUsable) {
  TempDir tmp;
  const std::string db_path = tmp.file("journal.db");
  const Interrupted run = interrupt_after_first_session(kLongRun, db_path, SIGKILL);
  ASSERT_FALSE(run.result.exited) << run.result.describe();
  ASSERT_EQ(run.result.term_signal, SIGKILL);
  {
    Db db(db_path);
    EXPECT_EQ(db.text("SELECT status FROM runs"), "running") << "nobody was left to close the run";
    EXPECT_GE(db.integer("SELECT count(*) FROM sessions"), run.sessions_before_signal);
    expect_journal_invariants(db);
  }
  // The next run appends to the same journal, and `lockrig runs` shows both.
  const Result next =
      lockrig({"run", "--repeat", "1", "--seed", "1", "--db", db_path, "--progress", "off", "-q"});
  ASSERT_TRUE(next.exited && (next.exit_code == 0 || next.exit_code == 1)) << next.describe();
  Db db(db_path);
  EXPECT_EQ(db.column("SELECT status FROM runs ORDER BY id"),
            (std::vector<std::string>{"running", "completed"}));
  expect_journal_invariants(db);
  const Result list = lockrig({"runs", "--db", db_path});
  EXPECT_EQ(list.exit_code, 0) << list.describe();
  for (const auto& uuid : db.column("SELECT uuid FROM runs"))
    EXPECT_NE(list.out.find(uuid), std::string::npos) << list.describe();
}

}  // namespace
}  // namespace lockrig::cli_test
