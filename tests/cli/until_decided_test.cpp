// `lockrig run --until-decided` on the simulated rig: blocks alternate builds through the
// select_build hook (exec'd without a shell), each block is a run of the campaign, the stop rule
// runs as sessions are journaled, and the verdict, evidence and exit code agree with the journal.
#include <cmath>
#include <regex>

#include "cli_support.hpp"

namespace lockrig::cli_test {
namespace {

const std::string kFixture = "fixtures/sim-sequential.yaml";

// The shipped calibration rig with other builds' jam rates and, optionally, a select_build hook.
std::string fixture_with(const std::string& hook, double baseline_jam, double candidate_jam) {
  std::string text = read_file(source_path(kFixture));
  text = replace_once(text, "\"2.4.0\": {jam_rate: 0.005}",
                      "\"2.4.0\": {jam_rate: " + std::to_string(baseline_jam) + "}");
  text = replace_once(text, "\"2.4.1\": {jam_rate: 0.010}",
                      "\"2.4.1\": {jam_rate: " + std::to_string(candidate_jam) + "}");
  return text + hook;
}

// key=value from an event's detail.
double field(const std::string& detail, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(detail, m, std::regex("(^| )" + key + "=([-0-9.]+)")))
    throw std::runtime_error("no " + key + " in " + detail);
  return std::stod(m[2]);
}

struct Campaign {
  std::string uuid;
  std::vector<Db::Row> runs;  // id, arm, block
};

Campaign campaign_of(const Db& db) {
  Campaign c;
  c.runs = db.rows(
      "SELECT r.id, a.value, CAST(b.value AS INTEGER) FROM runs r "
      "JOIN run_labels a ON a.run_id = r.id AND a.key = 'arm' "
      "JOIN run_labels b ON b.run_id = r.id AND b.key = 'block' ORDER BY r.id");
  const auto uuids = db.rows("SELECT DISTINCT value FROM run_labels WHERE key = 'campaign'");
  if (uuids.size() != 1) throw std::runtime_error("expected one campaign label");
  c.uuid = uuids[0].at(0).value_or("");
  return c;
}

TEST(UntilDecided, ARegressionFailsWithBuildsSwitchedThroughAShellFreeHook) {
  TempDir tmp;
  const std::string log = tmp.file("hook.log"), pwned = tmp.file("pwned");
  const std::string script = tmp.file("flash.sh");
  // Logs its arguments one per line; a shell would have run the $(...) and the ';'.
  write_file(script,
             "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> '" + log + "'; done\n");
  ASSERT_EQ(::chmod(script.c_str(), 0755), 0);
  const std::string tricky = "x; touch " + pwned + " $(touch " + pwned + ")";
  const std::string fixture = tmp.file("rig.yaml");
  write_file(fixture,
             fixture_with("select_build:\n  command: [\"" + script +
                              "\", \"{lock}\", \"{build}\", \"" + tricky + "\"]\n  timeout: 10s\n",
                          0.005, 0.2));
  const std::string db_path = tmp.file("j.db");
  const Result r = lockrig({"run",         "--until-decided",
                            "--fixture",   fixture,
                            "--scenario",  source_path("scenarios/door-materials.yaml"),
                            "--baseline",  "firmware=2.4.0",
                            "--candidate", "firmware=2.4.1",
                            "--margin",    "0.5pp",
                            "--block",     "20",
                            "--seed",      "11",
                            "--jobs",      "1",
                            "--progress",  "off",
                            "--db",        db_path});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.out.find("FAIL after"), std::string::npos) << r.out;
  EXPECT_FALSE(exists(pwned)) << "the hook's arguments went through a shell";

  Db db(db_path);
  const Campaign c = campaign_of(db);
  ASSERT_GE(c.runs.size(), 1u);
  // Every lock, every block: the hook ran with the block's build and the verbatim argument.
  const std::string logged = read_file(log);
  long long hook_lines = 0;
  for (std::size_t at = logged.find(tricky); at != std::string::npos;
       at = logged.find(tricky, at + 1))
    ++hook_lines;
  EXPECT_EQ(hook_lines, static_cast<long long>(8 * c.runs.size())) << logged;
  for (const auto& run : c.runs) {
    const std::string id = run.at(0).value_or(""), arm = run.at(1).value_or("");
    const std::string build = arm == "baseline" ? "2.4.0" : "2.4.1";
    // The identity phase re-read the firmware after the switch.
    EXPECT_EQ(db.integer("SELECT count(*) FROM run_locks WHERE run_id = " + id +
                         " AND firmware = '" + build + "'"),
              8)
        << "run " << id << " arm " << arm;
    EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE run_id = " + id +
                         " AND kind = 'select_build' AND value = '" + build + "'"),
              8);
    EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE run_id = " + id +
                         " AND kind = 'sequential_evidence'"),
              1);
  }
  // Blocks come in rounds of one baseline and one candidate block.
  for (std::size_t i = 0; i + 1 < c.runs.size(); i += 2)
    EXPECT_NE(c.runs[i].at(1), c.runs[i + 1].at(1)) << "round " << i / 2;

  // Recompute the walk from the journal: pair each lock's baseline and candidate SLI sessions in
  // order and stop where the journaled boundaries are crossed.
  const auto design = db.rows("SELECT detail FROM events WHERE kind = 'sequential_design'");
  ASSERT_EQ(design.size(), 1u);
  const std::string dd = design[0].at(0).value_or("");
  const double up = field(dd, "step_up"), down = field(dd, "step_down");
  const double upper = field(dd, "upper"), lower = field(dd, "lower");
  EXPECT_NEAR(up, std::log(2 * 0.00995 / (0.00995 + 0.00495)), 1e-5);
  const auto sessions = db.rows(
      "SELECT s.lock_id, a.value, s.sli_success FROM sessions s "
      "JOIN run_labels a ON a.run_id = s.run_id AND a.key = 'arm' "
      "WHERE s.sli_eligible = 1 ORDER BY s.id");
  std::map<std::string, std::vector<int>> waiting[2];
  double llr = 0;
  long long cand_failed = 0, base_failed = 0, used = 0;
  std::string verdict = "undecided";
  for (const auto& s : sessions) {
    if (verdict != "undecided") break;
    ++used;
    const int arm = s.at(1) == "candidate";
    const int ok = std::stoi(s.at(2).value_or("0"));
    auto& other = waiting[1 - arm][*s.at(0)];
    if (other.empty()) {
      waiting[arm][*s.at(0)].push_back(ok);
      continue;
    }
    const int partner = other.front();
    other.erase(other.begin());
    const int cand_ok = arm ? ok : partner, base_ok = arm ? partner : ok;
    if (cand_ok == base_ok) continue;
    if (!cand_ok)
      ++cand_failed, llr += up;
    else
      ++base_failed, llr += down;
    if (llr >= upper - 1e-6)
      verdict = "fail";
    else if (llr <= lower + 1e-6)
      verdict = "pass";
  }
  EXPECT_EQ(verdict, "fail");
  const auto v =
      db.rows("SELECT value, detail, run_id FROM events WHERE kind = 'sequential_verdict'");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].at(0), "fail");
  EXPECT_NEAR(field(*v[0].at(1), "llr"), llr, 1e-5);
  EXPECT_EQ(static_cast<long long>(field(*v[0].at(1), "sessions_at_decision")), used);
  EXPECT_EQ(v[0].at(2), c.runs.back().at(0)) << "the verdict belongs to the last block's run";
  // Sessions already queued when the decision was taken are journaled too, never counted.
  EXPECT_LE(used, static_cast<long long>(sessions.size()));
  EXPECT_LE(db.integer("SELECT count(*) FROM sessions WHERE run_id = " + *c.runs.back().at(0)),
            8 * 20);
  EXPECT_EQ(db.text("SELECT status FROM runs WHERE id = " + *c.runs.back().at(0)), "completed");
}

TEST(UntilDecided, ABetterCandidatePassesWithTheSimulatedFlash) {
  TempDir tmp;
  const std::string fixture = tmp.file("rig.yaml");
  write_file(fixture, fixture_with("", 0.05, 0.0));
  const std::string db_path = tmp.file("j.db");
  const Result r = lockrig({"run", "--until-decided", "--fixture", fixture, "--scenario",
                            source_path("scenarios/door-materials.yaml"), "--baseline",
                            "firmware=2.4.0", "--candidate", "firmware=2.4.1", "--block", "10",
                            "--seed", "5", "--progress", "off", "--db", db_path});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("PASS after"), std::string::npos) << r.out;
  Db db(db_path);
  EXPECT_EQ(db.text("SELECT value FROM events WHERE kind = 'sequential_verdict'"), "pass");
  EXPECT_GE(db.integer("SELECT count(*) FROM events WHERE kind = 'select_build' AND "
                       "detail LIKE 'simulated flash%'"),
            16);
  // Per block, the evidence trajectory is printed.
  EXPECT_NE(r.out.find("block   1"), std::string::npos) << r.out;
}

TEST(UntilDecided, StopsUndecidedAtTheSessionCapWithExitFour) {
  TempDir tmp;
  const std::string db_path = tmp.file("j.db");
  const Result r = lockrig({"run",
                            "--until-decided",
                            "--fixture",
                            source_path(kFixture),
                            "--scenario",
                            source_path("scenarios/door-materials.yaml"),
                            "--baseline",
                            "firmware=2.4.0",
                            "--candidate",
                            "firmware=2.4.0-rebuild",
                            "--max-sessions",
                            "150",
                            "--block",
                            "10",
                            "--seed",
                            "3",
                            "--progress",
                            "off",
                            "--db",
                            db_path});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exit_code, 4) << r.describe();
  Db db(db_path);
  const auto v = db.rows("SELECT value, detail FROM events WHERE kind = 'sequential_verdict'");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].at(0), "undecided");
  EXPECT_EQ(static_cast<long long>(field(*v[0].at(1), "sessions")), 150);
  EXPECT_NE(v[0].at(1)->find("session cap 150 reached"), std::string::npos) << *v[0].at(1);
}

TEST(UntilDecided, AFailingHookIsARigFault) {
  TempDir tmp;
  const std::string fixture = tmp.file("rig.yaml");
  write_file(fixture,
             fixture_with("select_build: {command: [/bin/false, \"{build}\"]}\n", 0.005, 0.01));
  const std::string db_path = tmp.file("j.db");
  const Result r = lockrig({"run", "--until-decided", "--fixture", fixture, "--scenario",
                            source_path("scenarios/door-materials.yaml"), "--baseline",
                            "firmware=2.4.0", "--candidate", "firmware=2.4.1", "--seed", "1",
                            "--progress", "off", "--db", db_path});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  Db db(db_path);
  EXPECT_EQ(db.integer("SELECT count(*) FROM runs"), 1);
  EXPECT_GE(db.integer("SELECT count(*) FROM events WHERE kind = 'rig_fault' AND detail LIKE "
                       "'select_build:%/bin/false%exit code 1%'"),
            1);
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions"), 0);
  EXPECT_EQ(db.text("SELECT value FROM events WHERE kind = 'sequential_verdict'"), "undecided");
}

TEST(UntilDecided, SigtermEndsTheCampaignUndecidedWithTheBlockAborted) {
  TempDir tmp;
  const std::string db_path = tmp.file("j.db");
  // The real clock: a session takes about a second, so the campaign is still running.
  Process p({"run", "--until-decided", "--fixture", source_path(kFixture), "--clock", "real",
             "--locks", "wood-1", "--baseline", "firmware=2.4.0", "--candidate",
             "firmware=2.4.0-rebuild", "--seed", "2", "--progress", "off", "--db", db_path},
            Spawn{"", "", 60s});
  const bool started = eventually(
      [&] {
        if (!exists(db_path)) return !p.running();
        try {
          return Db(db_path).integer("SELECT count(*) FROM sessions") > 0 || !p.running();
        } catch (const std::exception&) {
          return false;  // the schema is still being created
        }
      },
      30s);
  ASSERT_TRUE(started);
  ASSERT_TRUE(p.running()) << "the campaign ended before it could be interrupted";
  p.signal(SIGTERM);
  const Result r = p.wait();
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exit_code, 143) << r.describe();
  EXPECT_NE(r.err.find("stopped undecided"), std::string::npos) << r.describe();
  Db db(db_path);
  EXPECT_EQ(db.integer("SELECT count(*) FROM runs"), 1) << "no block may start after the signal";
  EXPECT_EQ(db.text("SELECT status FROM runs"), "aborted");
  EXPECT_EQ(db.text("SELECT value FROM events WHERE kind = 'sequential_verdict'"), "undecided");
}

TEST(UntilDecided, BadOptionsAreRefusedBeforeAnythingIsJournaled) {
  TempDir tmp;
  const std::string db_path = tmp.file("j.db");
  const std::vector<std::string> base = {
      "run", "--fixture", source_path(kFixture), "--db", db_path, "--progress", "off"};
  const std::string no_sli = tmp.file("recovery.yaml");
  write_file(no_sli,
             "name: recovery-only\nrepeat: 1\nsteps:\n"
             "  - unlock: {expect: success, within: 8s, sli: false}\n");
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return lockrig(a);
  };
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--until-decided", "--baseline", "firmware=2.4.0"}, "--candidate firmware=Y"},
      {{"--until-decided", "--baseline", "app=5.3", "--candidate", "firmware=2.4.1"},
       "\"app=5.3\""},
      {{"--until-decided", "--baseline", "firmware=2.4.0", "--candidate", "firmware=2.4.1",
        "--margin", "half"},
       "\"half\""},
      // One margin syntax with gate and plan (issue 11): a bare 0.3 would be 30 points.
      {{"--until-decided", "--baseline", "firmware=2.4.0", "--candidate", "firmware=2.4.1",
        "--margin", "0.3"},
       "did you mean 0.3pp?"},
      {{"--until-decided", "--baseline", "firmware=2.4.0", "--candidate", "firmware=2.4.1",
        "--baseline-rate", "99.5"},
       "did you mean 99.5%?"},
      {{"--until-decided", "--baseline", "firmware=2.4.0", "--candidate", "firmware=2.4.0"},
       "same build"},
      {{"--until-decided", "--baseline", "firmware=2.4.0", "--candidate", "firmware=2.4.1",
        "--alpha", "0.5", "--power", "0.3"},
       "0.3"},
      {{"--baseline", "firmware=2.4.0"}, "only meaningful with --until-decided"},
      {{"--until-decided", "--baseline", "firmware=2.4.0", "--candidate", "firmware=2.4.1",
        "--repeat", "5"},
       "--block"},
      {{"--until-decided", "--baseline", "firmware=2.4.0", "--candidate", "firmware=2.4.1",
        "--label", "arm=x"},
       "\"arm=x\""},

      {{"--until-decided", "--baseline", "firmware=2.4.0", "--candidate", "firmware=2.4.1",
        "--scenario", no_sli},
       "SLI"},
  };
  for (const auto& c : cases) {
    const Result r = run(c.args);
    EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.describe();
    EXPECT_FALSE(exists(db_path)) << "a journal was created for " << r.describe();
  }
  // Real locks cannot be switched without the fixture's hook (the example's key is made up).
  ::setenv("ACME_LAB_KEY", "00112233445566778899aabbccddeeff", 1);
  const Result real =
      lockrig({"run", "--until-decided", "--fixture", source_path("fixtures/real-lab.example.yaml"),
               "--baseline", "firmware=2.4.0", "--candidate", "firmware=2.4.1", "--db", db_path});
  EXPECT_TRUE(real.exited && real.exit_code == 2) << real.describe();
  EXPECT_NE(real.err.find("no select_build hook"), std::string::npos) << real.describe();
  EXPECT_FALSE(exists(db_path));
}

}  // namespace
}  // namespace lockrig::cli_test
