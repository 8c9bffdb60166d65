// Range sweeps end to end (issue 14): `lockrig run` of the shipped scenarios/range-sweep.yaml on
// the simulated lab (its rf_path attenuators), read back from the journal it wrote; and a sweep
// the fixture cannot take refused with file:line:col, exit 2, nothing journaled.
#include "cli_support.hpp"

namespace lockrig::cli_test {
namespace {

TEST(LockrigRangeSweep, TheShippedSweepJournalsSweepSessionsWithAnSShapedSuccessRate) {
  TempDir tmp;
  const std::string db_path = tmp.file("journal.db");
  const Result r = lockrig({"run", "--scenario", "<embedded>/scenarios/range-sweep.yaml",
                            "--progress", "off", "--db", db_path});
  // Failed unlocks at 48 dB are measurements, not failed assertions: the run passes.
  ASSERT_TRUE(r.exited && r.exit_code == 0) << r.describe();
  Db db(db_path);
  const Fixture f = load_fixture(source_path("fixtures/sim-lab.yaml"));

  // Every session of the suite is a sweep session: expect "range", never an SLI session.
  EXPECT_GT(db.integer("SELECT count(*) FROM sessions"), 0);
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions s LEFT JOIN sweep_sessions w "
                       "ON w.session_id = s.id WHERE w.session_id IS NULL"),
            0);
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE expect <> 'range' OR sli_eligible <> 0 "
                       "OR sli_success <> 0"),
            0);
  EXPECT_EQ(db.column("SELECT DISTINCT part FROM sweep_sessions"),
            std::vector<std::string>{"rf_path"});

  // The grid: every lock, 13 levels (0..48 dB step 4 dB), 8 sessions at each.
  const auto grid = db.table(
      "SELECT s.lock_id, w.level_db, count(*) FROM sweep_sessions w JOIN sessions s "
      "ON s.id = w.session_id WHERE w.sweep = 'range-grid' AND w.design = 'grid' "
      "GROUP BY 1, 2");
  EXPECT_EQ(grid.size(), f.locks.size() * 13);
  for (const auto& row : grid) EXPECT_EQ(row[2], "8") << row[0] << " at " << row[1];
  // S-shaped: (almost) always found at 0 dB, never at 48 dB, in between on some lock.
  auto rate = [&](const std::string& where) {
    return std::stod(db.text(
        "SELECT avg(s.outcome = 'success') FROM sweep_sessions w JOIN sessions s "
        "ON s.id = w.session_id WHERE w.sweep = 'range-grid' AND " + where));
  };
  const double lowest = rate("w.level_db = 0"), highest = rate("w.level_db = 48");
  EXPECT_GT(lowest, 0.9);
  EXPECT_EQ(highest, 0.0);
  EXPECT_GT(lowest, highest);
  EXPECT_GT(db.integer("SELECT count(*) FROM (SELECT s.lock_id, w.level_db, avg(s.outcome = "
                       "'success') AS p FROM sweep_sessions w JOIN sessions s ON s.id = "
                       "w.session_id WHERE w.sweep = 'range-grid' GROUP BY 1, 2) "
                       "WHERE p > 0 AND p < 1"),
            0);
  // Steel loses more than wood (drivers/sim material loss): its success falls at a lower level.
  EXPECT_LT(rate("s.lock_id LIKE 'steel-%' AND w.level_db = 20"),
            rate("s.lock_id LIKE 'wood-%' AND w.level_db = 20"));

  // The staircase: at most its budget per lock, on its ladder, and moved.
  for (const auto& row : db.table("SELECT s.lock_id, count(*), count(DISTINCT w.level_db) FROM "
                                  "sweep_sessions w JOIN sessions s ON s.id = w.session_id WHERE "
                                  "w.design = 'staircase' GROUP BY 1")) {
    EXPECT_LE(std::stoll(row[1]), 60) << row[0];
    EXPECT_GE(std::stoll(row[1]), 12) << row[0];  // 12 reversals need at least 12 sessions
    // Two levels at least. Not three: when one step spans the lock's whole transition, Levitt's
    // track settles on the two levels around the 79.4% point and makes all its reversals
    // between them (seed 84: steel-2 went 8, 4, 8, 4 ... dB for 30 sessions). This assertion
    // used to ask for three and failed on about one random seed in ten.
    EXPECT_GE(std::stoll(row[2]), 2) << row[0];
  }
  // Each lock's track replayed with the rule as Levitt (1971, J. Acoust. Soc. Am. 49:467)
  // defines it, written out here rather than through lockrig's Staircase: 3 successes in a row
  // make the next session one step (4 dB) harder, 1 failure one step easier, a move past the
  // ladder's end (0..48 dB) stays at the end; a reversal is a move against the previous one. The
  // sweep stops at 12 reversals or 60 sessions, whichever comes first, and not before.
  for (const auto& lock : db.column("SELECT DISTINCT s.lock_id FROM sweep_sessions w JOIN sessions "
                                    "s ON s.id = w.session_id WHERE w.design = 'staircase'")) {
    const auto track = db.table(
        "SELECT w.level_db, s.outcome = 'success' FROM sweep_sessions w JOIN sessions s ON s.id = "
        "w.session_id WHERE w.design = 'staircase' AND s.lock_id = '" + lock + "' ORDER BY s.id");
    double level = 8;
    int in_a_row = 0, last_move = 0, reversals = 0;
    std::size_t n = 0;
    for (const auto& t : track) {
      ASSERT_FALSE(reversals >= 12 || n >= 60) << lock << ": a session after the stop";
      EXPECT_DOUBLE_EQ(std::stod(t[0]), level) << lock << ", session " << n + 1;
      ++n;
      int move = 0;
      if (t[1] == "1") {
        if (++in_a_row == 3) in_a_row = 0, move = +1;
      } else {
        in_a_row = 0, move = -1;
      }
      if (move == 0) continue;
      if (last_move != 0 && move != last_move) ++reversals;
      last_move = move;
      level = std::min(48.0, std::max(0.0, level + 4.0 * move));
    }
    EXPECT_TRUE(reversals >= 12 || n == 60) << lock << ": stopped early, " << reversals
                                            << " reversals in " << n << " sessions";
  }
  EXPECT_EQ(db.integer("SELECT count(*) FROM sweep_sessions WHERE design = 'staircase' AND "
                       "(level_db < 0 OR level_db > 48 OR level_db / 2 <> CAST(level_db / 2 AS "
                       "INTEGER))"),
            0);
  EXPECT_EQ(db.integer("SELECT count(DISTINCT s.lock_id) FROM sweep_sessions w JOIN sessions s "
                       "ON s.id = w.session_id WHERE w.design = 'staircase'"),
            static_cast<long long>(f.locks.size()));

  // Each session's level is the one the bench set (and read back) before it: the latest
  // `attenuate` event of the lock's attenuator before the session started.
  EXPECT_EQ(db.integer(
                "SELECT count(*) FROM sweep_sessions w JOIN sessions s ON s.id = w.session_id "
                "WHERE w.level_db <> (SELECT CAST(rtrim(e.value, 'dB') AS REAL) FROM events e "
                "WHERE e.run_id = s.run_id AND e.kind = 'attenuate' AND e.lock_id = s.lock_id "
                "AND e.t_ns <= s.started_ns ORDER BY e.t_ns DESC, e.id DESC LIMIT 1)"),
            0);
  // Every sweep ends at the safe level (0 dB), and the run's end leaves every attenuator there.
  EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE kind = 'attenuate' AND detail LIKE "
                       "'%sweep over, back to the safe level%' AND value = '0dB'"),
            static_cast<long long>(f.locks.size() * 2));  // one lock item per sweep
  for (const auto& a : f.attenuators)
    EXPECT_EQ(db.text("SELECT value FROM events WHERE target = " + sql_quote(a.id + " rf_path") +
                      " ORDER BY id DESC LIMIT 1"),
              "0dB")
        << a.id;
}

TEST(LockrigRangeSweep, ASweepLevelTheAttenuatorCannotTakeIsRefusedBeforeAnythingRuns) {
  TempDir tmp;
  const std::string text =
      "name: too-far\nsteps:\n  - sweep:\n      part: rf_path\n      levels: [20dB, 95dB]\n"
      "      sessions: 2\n      steps: [unlock: {within: 5s}]\n";
  const std::string sc = tmp.write("too-far.yaml", text);
  const std::string db_path = tmp.file("journal.db");
  const Result r = lockrig({"run", "--scenario", sc, "--progress", "off", "--db", db_path});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  EXPECT_NE(r.err.find(where(sc, text, "95dB") + ": sweep level 95dB"), std::string::npos)
      << r.describe();
  EXPECT_NE(r.err.find("allowed 0dB..90dB step 0.5dB"), std::string::npos) << r.describe();
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(runs_in(db_path), 0);
}

// Issue 14: the shipped sweep on the simulated lab covers both builds of every door panel
// (2.4.0 and 2.4.1 behind one attenuator), so `lockrig report` of that journal alone compares
// their range per material and pooled, and `lockrig gate --range-margin` decides on it. Before
// sweep-only comparisons both were refused for want of SLI sessions (exit 2).
TEST(LockrigRangeSweep, TheShippedSweepAloneIsComparedBetweenTheTwoBuilds) {
  TempDir tmp;
  const std::string db = tmp.file("journal.db");
  const Result run = lockrig({"run", "--scenario", "<embedded>/scenarios/range-sweep.yaml",
                              "--progress", "off", "--db", db});
  ASSERT_TRUE(run.exited && run.exit_code == 0) << run.describe();
  const std::vector<std::string> versions = {"--db", db, "--baseline", "firmware=2.4.0",
                                             "--candidate", "firmware=2.4.1"};
  auto with = [&](std::vector<std::string> a, const std::vector<std::string>& more) {
    a.insert(a.end(), versions.begin(), versions.end());
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  const Result rep = lockrig(with({"report"}, {"--format", "markdown"}));
  ASSERT_EQ(rep.exit_code, 0) << rep.describe();
  EXPECT_NE(rep.out.find("Range only (neither version has SLI sessions"), std::string::npos)
      << rep.out;
  for (const std::string material : {"wood", "glass", "aluminium", "steel"})
    EXPECT_NE(rep.out.find(" of range on " + material + " doors"), std::string::npos) << material;
  EXPECT_NE(rep.out.find("pooled over 4 strata: candidate "), std::string::npos) << rep.out;
  const Result gate = lockrig(with({"gate"}, {"--range-margin", "2dB"}));
  EXPECT_TRUE(gate.exit_code == 0 || gate.exit_code == 4 || gate.exit_code == 5) << gate.describe();
  EXPECT_NE(gate.out.find("RANGE "), std::string::npos) << gate.describe();
}

}  // namespace
}  // namespace lockrig::cli_test
