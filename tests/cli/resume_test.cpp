// Crash-safe resume: a run killed outright (SIGKILL at random points) and continued with
// `lockrig run --resume` journals exactly what an uninterrupted run with the same seed journals,
// the bench is made safe before anything else on resume, and a plan item that keeps crashing
// the controller is quarantined. Also the rig lock (--lock-file) and journald log format.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <random>

#include "cli_support.hpp"

namespace lockrig::cli_test {
namespace {

const std::string kFixture = "fixtures/sim-lab.yaml";

// Every finished session of the run with everything about it that must not depend on where the
// run was cut: outcomes, attempts, latencies and RSSI (times on the run's clock do depend).
std::vector<std::vector<std::string>> session_content(const Db& db) {
  return db.table(
      "SELECT s.lock_id, s.scenario, s.repetition, s.step, s.result, s.outcome, s.attempts, "
      "s.sli_eligible, s.sli_success, s.first_attempt_success, a.attempt, a.outcome, a.class, "
      "a.phase, COALESCE(printf('%.3f', a.latency_ms), 'NULL'), COALESCE(a.rssi_dbm, 'NULL') "
      "FROM sessions s JOIN attempts a ON a.session_id = s.id "
      "ORDER BY s.lock_id, s.scenario, s.repetition, s.step, a.attempt");
}

// The run's totals as `lockrig runs` and reports see them.
std::vector<std::string> totals(const Db& db) {
  return db
      .table(
          "SELECT sessions, sli_sessions, sli_successes, rig_fault_sessions, failed_assertions, "
          "status, exit_code FROM v_run_summary")
      .at(0);
}

// Runs in a journal that may not exist yet or may have been killed while its schema was being
// created (an empty file).
long long runs_so_far(const std::string& path) {
  try {
    return runs_in(path);
  } catch (const std::exception&) {
    return 0;
  }
}

// Polls the journal until it holds `n` sessions, or the process ends.
bool wait_for_sessions(Process& p, const std::string& db_path, long long n) {
  std::optional<Db> db;
  for (;;) {
    if (!p.running()) return false;
    if (!db && runs_so_far(db_path) > 0) db.emplace(db_path);
    if (db && db->integer("SELECT count(*) FROM sessions") >= n) return true;
    std::this_thread::sleep_for(1ms);
  }
}

// Whether some process holds a flock on `path` (false when the file does not exist).
bool lock_is_held(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0;
  ::close(fd);
  return held;
}

// After each `resumed` event the next events are the bench's safe-state block, before any
// other bench action, interrupted note or session of that part.
void expect_safe_state_first_on_every_resume(const Db& db, const Fixture& f) {
  const std::size_t parts = safe_state_parts(f);
  const auto resumed = db.column("SELECT id FROM events WHERE kind = 'resumed' ORDER BY id");
  for (const auto& id : resumed) {
    const auto next = db.column("SELECT kind FROM events WHERE id > " + id + " ORDER BY id LIMIT " +
                                std::to_string(parts));
    ASSERT_EQ(next.size(), parts);
    for (const auto& k : next) EXPECT_EQ(k, "safe_state") << "after resumed event " << id;
  }
}

TEST(LockrigResume, SigkillAtRandomPointsThenResumeJournalsWhatAnUninterruptedRunDoes) {
  TempDir tmp;
  const Fixture f = load_fixture(source_path(kFixture));
  std::mt19937 rng(20261122);
  int kills = 0, episodes = 0;
  // A few seeds; each run is killed repeatedly until a resume completes it.
  while (kills < 50) {
    ++episodes;
    ASSERT_LT(episodes, 40) << "runs complete too fast to be killed: only " << kills << " kills";
    const std::string seed = std::to_string(100 + episodes);
    const std::vector<std::string> base = {"run", "--repeat",   "12",  "--seed",
                                           seed,  "--progress", "off", "-q"};
    const std::string ref_db = tmp.file("ref-" + seed + ".db");
    const std::string db_path = tmp.file("cut-" + seed + ".db");
    auto args_for = [&](const std::string& db, bool resume) {
      std::vector<std::string> a =
          resume ? std::vector<std::string>{"run", "--resume", "--progress", "off", "-q"} : base;
      a.insert(a.end(), {"--db", db});
      if (!resume) a.insert(a.end(), {"--fixture", source_path(kFixture)});
      return a;
    };
    const Result ref = lockrig(args_for(ref_db, false));
    ASSERT_TRUE(ref.exited && (ref.exit_code == 0 || ref.exit_code == 1)) << ref.describe();
    const long long planned = Db(ref_db).integer("SELECT sessions_planned FROM runs");

    bool started = false, done = false, killed_after_close = false;
    int kills_here = 0;
    while (!done) {
      Process p(args_for(db_path, started), Spawn{"", "", 60s});
      const long long before = sessions_so_far(db_path);
      // Mostly mid-run after a random number of new sessions; sometimes at once (journal open,
      // safe state, identities).
      std::uniform_int_distribution<long long> step(0, planned / 10);
      const long long k = step(rng);
      if (k == 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 15));
      else
        wait_for_sessions(p, db_path, before + k);
      if (p.running()) {
        p.signal(SIGKILL);
        const Result r = p.wait();
        if (!r.exited && r.term_signal == SIGKILL) {
          ++kills;
          ++kills_here;
          if (runs_so_far(db_path) == 0) continue;  // killed before the run was journaled
          started = true;
          // Killed on its way out, after the run was closed: nothing left to resume.
          if (Db(db_path).text("SELECT status FROM runs") != "running") {
            killed_after_close = true;
            done = true;
            continue;
          }
          // `lockrig runs` sees the run as interrupted and names it for --resume.
          if (kills_here == 1) {
            const Result listed = lockrig({"runs", "--db", db_path, "--interrupted"});
            ASSERT_TRUE(listed.exited && listed.exit_code == 0) << listed.describe();
            EXPECT_EQ(listed.out, Db(db_path).text("SELECT max(id) FROM runs") + "\n")
                << listed.describe();
          }
          continue;
        }
        ASSERT_TRUE(r.exited) << r.describe();
        ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.describe();
      } else {
        const Result r = p.wait();
        ASSERT_TRUE(r.exited && (r.exit_code == 0 || r.exit_code == 1)) << r.describe();
        EXPECT_EQ(r.exit_code, ref.exit_code) << r.describe();
      }
      started = true;
      done = true;
    }

    const Db ref_j(ref_db), cut(db_path);
    ASSERT_EQ(cut.integer("SELECT count(*) FROM runs"), 1) << "seed " << seed;
    EXPECT_EQ(cut.text("SELECT status FROM runs"), "completed") << "seed " << seed;
    expect_journal_invariants(cut);  // includes PRAGMA integrity_check = ok
    // Zero lost, zero duplicated: the same (lock, scenario, repetition, step) set, each once.
    EXPECT_EQ(cut.integer("SELECT count(*) FROM sessions"), planned) << "seed " << seed;
    EXPECT_EQ(cut.integer("SELECT count(*) FROM (SELECT DISTINCT lock_id, scenario, repetition, "
                          "step FROM sessions)"),
              planned);
    EXPECT_EQ(totals(cut), totals(ref_j)) << "seed " << seed << ", " << kills_here << " kills";
    EXPECT_TRUE(session_content(cut) == session_content(ref_j))
        << "seed " << seed << ": sessions differ from the uninterrupted run";
    // Each resume that got going journaled itself as the next part of the run.
    const auto parts = cut.column("SELECT value FROM events WHERE kind = 'resumed' ORDER BY id");
    for (std::size_t i = 0; i < parts.size(); ++i)
      EXPECT_EQ(parts[i], "part " + std::to_string(i + 2));
    EXPECT_EQ(cut.integer("SELECT count(*) FROM events WHERE kind = 'quarantine'"), 0)
        << "kill -9 must never count as a crash of the item in flight";
    expect_safe_state_first_on_every_resume(cut, f);
    expect_run_ends_in_safe_state(cut, f);
    // The run lock goes with the finished run; a part killed after it closed the run but before
    // it removed the file leaves the file behind, held by nobody, and the run is not listed as
    // interrupted.
    const std::string run_lock = db_path + ".run-" + cut.text("SELECT uuid FROM runs") + ".lock";
    if (killed_after_close) {
      EXPECT_FALSE(lock_is_held(run_lock)) << run_lock;
      const Result listed = lockrig({"runs", "--db", db_path, "--interrupted"});
      EXPECT_TRUE(listed.exited && listed.exit_code == 0 && listed.out.empty())
          << listed.describe();
    } else {
      EXPECT_FALSE(exists(run_lock)) << "seed " << seed;
    }
  }
  std::printf("[ resume ] %d SIGKILLs over %d runs\n", kills, episodes);
}

// Under on_rig_fault: continue a rig fault abandons the rest of its plan item. A resumed run
// must treat such an item as done, as the uninterrupted run did: the same sessions, the same
// items abandoned, never their skipped steps run after all.
TEST(LockrigResume, ItemsAbandonedUnderContinueStayAbandonedAcrossResumes) {
  TempDir tmp;
  std::string text = read_file(source_path(kFixture));
  text = replace_once(text, "on_rig_fault: quarantine", "on_rig_fault: continue");
  text = replace_once(text, "slot: A1, driver: sim, settings: {firmware: 2.4.0}",
                      "slot: A1, driver: sim, settings: {firmware: 2.4.0, adapter_fault_rate: 0.05}");
  const std::string fx = tmp.write("continue.yaml", text);
  const std::vector<std::string> base = {"run", "--fixture", fx, "--repeat", "8", "--seed", "77",
                                         "--progress", "off", "-q"};
  auto with_db = [](std::vector<std::string> args, const std::string& db) {
    args.insert(args.end(), {"--db", db});
    return args;
  };
  const std::string ref_db = tmp.file("ref.db"), db_path = tmp.file("cut.db");
  const Result ref = lockrig(with_db(base, ref_db));
  ASSERT_TRUE(ref.exited && ref.exit_code == 3) << ref.describe();
  const Db ref_j(ref_db);
  const auto abandoned = [](const Db& db) {
    return db.column("SELECT DISTINCT lock_id || ' ' || target FROM events WHERE kind = "
                     "'item_abandoned' ORDER BY 1");
  };
  ASSERT_FALSE(abandoned(ref_j).empty()) << "no item was abandoned: raise adapter_fault_rate";
  const long long planned = ref_j.integer("SELECT sessions_planned FROM runs");

  // Killed after a third and after two thirds of the sessions, then resumed to the end.
  for (const long long at : {planned / 3, 2 * planned / 3}) {
    Process p(at == planned / 3 ? with_db(base, db_path)
                                : with_db({"run", "--resume", "--progress", "off", "-q"}, db_path),
              Spawn{"", "", 60s});
    if (wait_for_sessions(p, db_path, at)) p.signal(SIGKILL);
    p.wait();
  }
  if (Db(db_path).text("SELECT status FROM runs") == "running") {
    const Result last = lockrig(with_db({"run", "--resume", "--progress", "off", "-q"}, db_path));
    ASSERT_TRUE(last.exited && last.exit_code == 3) << last.describe();
  }
  const Db cut(db_path);
  EXPECT_GE(cut.integer("SELECT count(*) FROM events WHERE kind = 'resumed'"), 1)
      << "the run finished before it could be killed";
  EXPECT_EQ(cut.text("SELECT status FROM runs"), "rig_fault");
  EXPECT_EQ(abandoned(cut), abandoned(ref_j));
  EXPECT_TRUE(session_content(cut) == session_content(ref_j))
      << "sessions differ from the uninterrupted run";
  EXPECT_EQ(totals(cut), totals(ref_j));
  expect_journal_invariants(cut);
}

TEST(LockrigResume, APlanItemThatKeepsCrashingTheControllerIsQuarantined) {
  TempDir tmp;
  std::string text = read_file(source_path(kFixture));
  text = replace_once(text, "slot: A1, driver: sim, settings: {firmware: 2.4.0}",
                      "slot: A1, driver: sim, settings: {firmware: 2.4.0, crash_controller_on: "
                      "\"daily-unlock#2\"}");
  const std::string fx = tmp.write("crashy.yaml", text);
  const std::string db_path = tmp.file("j.db");
  const std::vector<std::string> common = {"--db", db_path, "--progress", "off", "-q"};
  auto with = [&](std::vector<std::string> a) {
    a.insert(a.end(), common.begin(), common.end());
    return a;
  };

  Result r = lockrig(with({"run", "--fixture", fx, "--repeat", "3", "--seed", "4"}));
  ASSERT_FALSE(r.exited) << r.describe();
  EXPECT_EQ(r.term_signal, SIGABRT) << r.describe();
  const Result listed = lockrig({"runs", "--db", db_path});
  EXPECT_NE(listed.out.find("interrupted"), std::string::npos) << listed.describe();
  EXPECT_NE(listed.out.find("lockrig run --resume 1"), std::string::npos) << listed.describe();

  r = lockrig(with({"run", "--resume"}));  // crashes again on the same item
  ASSERT_FALSE(r.exited) << r.describe();
  EXPECT_EQ(r.term_signal, SIGABRT) << r.describe();
  {
    Db db(db_path);
    EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE kind = 'interrupted' AND value = "
                         "'crash' AND lock_id = 'wood-1' AND target = 'daily-unlock#2'"),
              1);
    EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE kind = 'quarantine'"), 0);
  }

  r = lockrig(with({"run", "--resume", "1"}));  // second crash noted: the item is skipped
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.describe();
  EXPECT_NE(r.err.find("quarantined"), std::string::npos) << r.describe();

  Db db(db_path);
  EXPECT_EQ(db.text("SELECT status FROM runs"), "completed");
  EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE kind = 'interrupted' AND value = "
                       "'crash' AND lock_id = 'wood-1' AND target = 'daily-unlock#2'"),
            2);
  // Other items in flight during the crashes were noted as stopped, never quarantined.
  EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE kind = 'interrupted' AND value = 'crash' "
                       "AND NOT (lock_id = 'wood-1' AND target = 'daily-unlock#2')"),
            0);
  EXPECT_EQ(
      db.table("SELECT lock_id, target, value FROM events WHERE kind = 'quarantine'"),
      (std::vector<std::vector<std::string>>{{"wood-1", "daily-unlock#2", "controller_crash"}}));
  // Everything but that item's one session ran, once.
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions"),
            db.integer("SELECT sessions_planned FROM runs") - 1);
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE lock_id = 'wood-1' AND scenario = "
                       "'daily-unlock' AND repetition = 2"),
            0);
  EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE kind = 'resumed'"), 2);
  expect_journal_invariants(db);
  expect_safe_state_first_on_every_resume(db, load_fixture(fx));
  expect_run_ends_in_safe_state(db, load_fixture(fx));

  // Nothing left to resume.
  r = lockrig(with({"run", "--resume"}));
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  EXPECT_NE(r.err.find("no interrupted run"), std::string::npos) << r.describe();
}

TEST(LockrigResume, RefusesFilesThatChangedSinceTheRunStartedAndForeignOptions) {
  TempDir tmp;
  const std::string fx = tmp.write("lab.yaml", read_file(source_path(kFixture)));
  const std::string db_path = tmp.file("j.db");
  Process p({"run", "--fixture", fx, "--repeat", "20000", "--seed", "1", "--db", db_path,
             "--progress", "off"});
  ASSERT_TRUE(wait_for_sessions(p, db_path, 1));
  p.signal(SIGKILL);
  p.wait();

  Result r = lockrig({"run", "--resume", "--seed", "2", "--db", db_path});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  EXPECT_NE(r.err.find("--seed cannot be given"), std::string::npos) << r.describe();

  write_file(fx, read_file(fx) + "\n# edited\n");
  const long long sessions = sessions_so_far(db_path);
  r = lockrig({"run", "--resume", "--db", db_path, "--progress", "off"});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  EXPECT_NE(r.err.find("changed since run 1 started"), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find(fx), std::string::npos) << r.describe();
  EXPECT_EQ(sessions_so_far(db_path), sessions) << "a refused resume wrote sessions";
  Db db(db_path);
  EXPECT_EQ(db.text("SELECT status FROM runs"), "running");
  EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE kind = 'resumed'"), 0);

  r = lockrig({"run", "--resume", "--db", tmp.file("none.db")});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.describe();
  EXPECT_FALSE(exists(tmp.file("none.db"))) << "--resume created a journal";

  r = lockrig({"run", "--resume", "7", "--db", db_path});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  EXPECT_NE(r.err.find("no run 7"), std::string::npos) << r.describe();

  // The files are gone for good: give up on the run instead; its sessions stay.
  const std::string uuid = db.text("SELECT uuid FROM runs");
  r = lockrig({"runs", "--db", db_path, "--abandon", "1"});
  ASSERT_TRUE(r.exited && r.exit_code == 0) << r.describe();
  EXPECT_EQ(db.text("SELECT status FROM runs"), "aborted");
  EXPECT_EQ(db.text("SELECT exit_code FROM runs"), "137");
  EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE kind = 'abandoned'"), 1);
  EXPECT_EQ(sessions_so_far(db_path), sessions);
  EXPECT_FALSE(exists(db_path + ".run-" + uuid + ".lock"));
  EXPECT_EQ(lockrig({"runs", "--db", db_path, "--interrupted"}).out, "");
  expect_journal_invariants(db);
  r = lockrig({"runs", "--db", db_path, "--abandon", "1"});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  EXPECT_NE(r.err.find("not interrupted"), std::string::npos) << r.describe();
}

TEST(LockrigLockFile, ASecondRunOnTheSameRigExits75NamingTheHolderUntilTheHolderIsKilled) {
  TempDir tmp;
  const std::string lock = tmp.file("rig.lock");
  const std::string db1 = tmp.file("a.db");
  Process first({"run", "--repeat", "20000", "--seed", "1", "--db", db1, "--progress", "off",
                 "--lock-file", lock});
  ASSERT_TRUE(wait_for_sessions(first, db1, 1));

  const std::string db2 = tmp.file("b.db");
  Result r = lockrig({"run", "--repeat", "1", "--db", db2, "--lock-file", lock});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exit_code, 75) << r.describe();
  EXPECT_NE(r.err.find("pid " + std::to_string(first.pid())), std::string::npos) << r.describe();
  EXPECT_EQ(runs_in(db2), 0) << "the refused run journaled something";

  first.signal(SIGKILL);  // the kernel drops the lock with the process
  first.wait();
  r = lockrig({"run", "--repeat", "1", "--seed", "1", "--db", db2, "--lock-file", lock, "-q",
               "--progress", "off"});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.describe();
  EXPECT_EQ(runs_in(db2), 1);
}

TEST(LockrigLogFormat, JournalFormatPrefixesEveryLinePriorityAndDrawsNothing) {
  TempDir tmp;
  // JOURNAL_STREAM naming stderr's device:inode is how systemd says stderr is the journal.
  const Result r =
      lockrig({"-c",
               "JOURNAL_STREAM=$(stat -L -c '%d:%i' /proc/self/fd/2) exec \"$0\" run --repeat 1 "
               "--seed 3 --db j.db --progress bar --scenario /nonexistent.yaml; ",
               binary()},
              Spawn{tmp.path(), "/bin/sh", 60s});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_EQ(r.err.rfind("<3>lockrig: error:", 0), 0u) << r.describe();

  const Result ok = lockrig({"run", "--repeat", "1", "--seed", "3", "--db", tmp.file("k.db"),
                             "--log-format", "journal", "--progress", "bar"});
  ASSERT_TRUE(ok.exited) << ok.describe();
  EXPECT_NE(ok.err.find("<6>run "), std::string::npos) << ok.describe();
  EXPECT_NE(ok.err.find("<6>progress: "), std::string::npos) << ok.describe();
  EXPECT_EQ(ok.err.find('\033'), std::string::npos) << "ANSI escape in journal output";
  EXPECT_EQ(ok.err.find('\r'), std::string::npos) << "redrawn bar in journal output";
  std::istringstream lines(ok.err);
  for (std::string line; std::getline(lines, line);)
    EXPECT_TRUE(line.size() > 3 && line[0] == '<' && line[2] == '>') << "no priority: " << line;

  const Result plain = lockrig({"run", "--repeat", "1", "--seed", "3", "--db", tmp.file("l.db"),
                                "--log-format", "plain", "--progress", "lines"});
  EXPECT_EQ(plain.err.find("<6>"), std::string::npos) << plain.describe();
  const Result bad = lockrig({"run", "--log-format", "syslog", "--db", tmp.file("m.db")});
  EXPECT_TRUE(bad.exited && bad.exit_code == 2) << bad.describe();
  EXPECT_NE(bad.err.find("\"syslog\""), std::string::npos) << bad.describe();
}

}  // namespace
}  // namespace lockrig::cli_test
