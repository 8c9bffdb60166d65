// The systemd units and the nightly script: the units pass `systemd-analyze verify` (skipped
// when systemd-analyze is not installed), and nightly.sh resumes an interrupted run before it
// would start a new one, then writes the JUnit report.
#include "cli_support.hpp"

namespace lockrig::cli_test {
namespace {

TEST(Packaging, SystemdUnitsPassSystemdAnalyzeVerify) {
  const std::string analyze = "/usr/bin/systemd-analyze";
  if (!exists(analyze)) GTEST_SKIP() << "systemd-analyze is not installed";
  TempDir tmp;
  // The service's ExecStart must exist for verify: point it at this tree's script.
  std::string service = read_file(source_path("packaging/systemd/lockrig-nightly.service"));
  service = replace_once(service, "ExecStart=/usr/local/lib/lockrig/nightly.sh",
                         "ExecStart=" + source_path("scripts/nightly.sh"));
  tmp.write("lockrig-nightly.service", service);
  tmp.write("lockrig-nightly.timer",
            read_file(source_path("packaging/systemd/lockrig-nightly.timer")));
  const Result r =
      lockrig({"verify", tmp.file("lockrig-nightly.service"), tmp.file("lockrig-nightly.timer")},
              Spawn{tmp.path(), analyze, 60s});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.err, "") << r.describe();
}

TEST(Packaging, TheTimerFiresNightlyWithARandomDelayAndCatchesUpMissedNights) {
  const std::string timer = read_file(source_path("packaging/systemd/lockrig-nightly.timer"));
  EXPECT_NE(timer.find("\nOnCalendar=*-*-* 01:30:00\n"), std::string::npos);
  EXPECT_NE(timer.find("\nRandomizedDelaySec="), std::string::npos);
  EXPECT_NE(timer.find("\nPersistent=true\n"), std::string::npos);
  const std::string service = read_file(source_path("packaging/systemd/lockrig-nightly.service"));
  EXPECT_NE(service.find("\nType=oneshot\n"), std::string::npos);
  EXPECT_NE(service.find("\nEnvironmentFile="), std::string::npos);
  EXPECT_EQ(service.find("PrivateDevices=yes"), std::string::npos) << "would hide serial adapters";
}

TEST(Packaging, NightlyScriptResumesAnInterruptedRunThenWritesTheJunitReport) {
  TempDir tmp;
  // An interrupted night: killed after its first sessions. The whole run takes a fraction of a
  // second, and on a loaded machine this poll may not get to look before the run is over: a
  // kill that lands after the run was closed as completed (the process on its way out) leaves
  // nothing to resume, and the nightly would rightly start a new run. Try again, on a fresh
  // journal, until the kill leaves the run `running`.
  std::string db_path;
  for (int attempt = 1;; ++attempt) {
    db_path = tmp.file("lockrig-" + std::to_string(attempt) + ".db");
    Process p({"run", "--repeat", "5", "--seed", "9", "--db", db_path, "--progress", "off", "-q"});
    ASSERT_TRUE(eventually([&] { return sessions_so_far(db_path) > 0 || !p.running(); }, 30s));
    p.signal(SIGKILL);
    const Result killed = p.wait();
    if (!killed.exited && Db(db_path).text("SELECT status FROM runs") == "running") break;
    if (attempt == 10) GTEST_SKIP() << "the run finished before it could be killed, 10 times";
  }

  const std::string env =
      "LOCKRIG=" + binary() + " LOCKRIG_DB=" + db_path + " LOCKRIG_JUNIT=" + tmp.file("junit.xml") +
      " LOCKRIG_LOCK_FILE=" + tmp.file("rig.lock") + " LOCKRIG_RUN_ARGS='--repeat 1 --seed 2'";
  Result r = lockrig({"-c", env + " exec " + source_path("scripts/nightly.sh")},
                     Spawn{tmp.path(), "/bin/sh", 120s});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.describe();
  EXPECT_NE(r.err.find("resuming interrupted run 1"), std::string::npos) << r.describe();
  {
    Db db(db_path);
    EXPECT_EQ(db.integer("SELECT count(*) FROM runs"), 1) << "a new run instead of the resume";
    EXPECT_EQ(db.text("SELECT status FROM runs"), "completed");
    EXPECT_EQ(db.integer("SELECT count(*) FROM sessions"),
              db.integer("SELECT sessions_planned FROM runs"));
  }
  const std::string junit = read_file(tmp.file("junit.xml"));
  EXPECT_NE(junit.find("<testsuite"), std::string::npos) << junit.substr(0, 400);

  // Nothing to resume the next night: a new run with the configured options, and this time the
  // exports are configured too.
  const std::string exports = tmp.file("exports");
  const std::string textfile = tmp.file("lockrig.prom");
  r = lockrig({"-c", env + " LOCKRIG_TEXTFILE=" + textfile + " LOCKRIG_EXPORT_DIR=" + exports +
                         " exec " + source_path("scripts/nightly.sh")},
              Spawn{tmp.path(), "/bin/sh", 120s});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.describe();
  EXPECT_NE(r.err.find("starting the nightly run"), std::string::npos) << r.describe();
  Db db(db_path);
  EXPECT_EQ(db.integer("SELECT count(*) FROM runs"), 2);
  EXPECT_EQ(db.text("SELECT seed FROM runs WHERE id = 2"), "2");

  // The exports describe the night that just ran: the textfile is complete OpenMetrics (parsed
  // for real in ops_test.cpp), the NDJSON holds exactly that run's sessions.
  const std::string prom = read_file(textfile);
  EXPECT_NE(prom.find("# TYPE lockrig_"), std::string::npos) << prom.substr(0, 400);
  EXPECT_EQ(prom.substr(prom.size() - 6), "# EOF\n");
  const std::string uuid2 = db.text("SELECT uuid FROM runs WHERE id = 2");
  const std::string night = db.text("SELECT strftime('%Y-%m-%d', 'now')");
  const std::string ndjson = read_file(exports + "/sessions-" + night + ".ndjson");
  long long lines = 0, of_run2 = 0;
  for (std::size_t at = 0, nl; (nl = ndjson.find('\n', at)) != std::string::npos; at = nl + 1) {
    ++lines;
    if (ndjson.compare(at, nl - at, "") != 0 &&
        ndjson.substr(at, nl - at).find("\"" + uuid2 + "\"") != std::string::npos)
      ++of_run2;
  }
  EXPECT_EQ(lines, db.integer("SELECT count(*) FROM sessions WHERE run_id = 2"));
  EXPECT_EQ(of_run2, lines) << "only the night's run is exported";
  EXPECT_GT(read_file(exports + "/attempts-" + night + ".ndjson").size(), 0u);
}

// `lockrig runs --interrupted` failing (a locked or unreadable journal) is not "nothing to
// resume": the script stops with its status instead of starting a new run beside a run that may
// be waiting to be resumed.
TEST(Packaging, NightlyScriptStartsNoRunWhenItCannotListTheInterruptedRuns) {
  TempDir tmp;
  const std::string db_path = tmp.write("lockrig.db", "");
  const std::string calls = tmp.file("calls");
  const std::string fake = tmp.write(
      "lockrig",
      "#!/bin/sh\n"
      "echo \"$*\" >> '" + calls + "'\n"
      "case $1 in runs) echo 'lockrig: error: database is locked' >&2; exit 2 ;; esac\n"
      "exit 0\n");
  fs::permissions(fake, fs::perms::owner_exec, fs::perm_options::add);
  const std::string env = "LOCKRIG=" + fake + " LOCKRIG_DB=" + db_path +
                          " LOCKRIG_JUNIT=" + tmp.file("junit.xml");
  const Result r = lockrig({"-c", env + " exec " + source_path("scripts/nightly.sh")},
                           Spawn{tmp.path(), "/bin/sh", 60s});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_EQ(read_file(calls), "runs --db " + db_path + " --interrupted\n") << r.describe();
  EXPECT_NE(r.err.find("lockrig runs exited 2"), std::string::npos) << r.describe();
}

}  // namespace
}  // namespace lockrig::cli_test
