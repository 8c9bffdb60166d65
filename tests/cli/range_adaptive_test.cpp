// The quantile sweep design end to end (issue 14, rig/engine/quantile_design.hpp, Wu 1985): a
// `lockrig run` on the simulated lab whose sweep aims at the 99% range margin keeps its sessions
// in the link-failure tail where that margin lies (mostly successes, below the RSSI cliff), on
// the ladder, within its budget; a bad setting is refused at file:line:col with nothing run.
#include "cli_support.hpp"

namespace lockrig::cli_test {
namespace {

TEST(LockrigRangeAdaptive, AQuantileSweepSpendsItsSessionsInTheTailAtTheTarget) {
  TempDir tmp;
  const std::string sc = tmp.write(
      "adaptive.yaml",
      "name: range-q\nsteps:\n  - sweep:\n      part: rf_path\n      levels: 0dB..48dB step 2dB\n"
      "      design: quantile\n      target: 99%\n      sessions: 400\n"
      "      steps: [unlock: {within: 8s}]\n");
  const std::string db_path = tmp.file("journal.db");
  const Result r = lockrig({"run", "--scenario", sc, "--progress", "off", "--db", db_path});
  ASSERT_TRUE(r.exited && r.exit_code == 0) << r.describe();
  Db db(db_path);
  const Fixture f = load_fixture(source_path("fixtures/sim-lab.yaml"));
  const auto rows = db.table(
      "SELECT s.lock_id, count(*), avg(s.outcome = 'success'), avg(w.level_db <= 16), "
      "count(DISTINCT w.level_db), max(w.design) FROM sweep_sessions w JOIN sessions s "
      "ON s.id = w.session_id GROUP BY 1");
  ASSERT_EQ(rows.size(), f.locks.size());
  for (const auto& row : rows) {
    // No width: the budget, exactly (every session a sweep session, never an SLI session).
    EXPECT_EQ(row[1], "400") << row[0];
    // Aimed at 99%: on the sim's curve (RSSI cliff near 27 dB on wood, 15 dB on steel) nearly
    // every session succeeds and runs in the tail; a grid over 0..48 dB succeeds about half the
    // time and runs 5 of its 13 levels there.
    EXPECT_GT(std::stod(row[2]), 0.85) << row[0];
    EXPECT_GT(std::stod(row[3]), 0.9) << row[0];
    // The journal names the design (schema v5: grid, staircase, quantile).
    EXPECT_EQ(row[5], "quantile") << row[0];
  }
  // The start-up climbs: on wood (99% near 5 dB) the sweep left 0 dB.
  EXPECT_GT(db.integer("SELECT count(DISTINCT w.level_db) FROM sweep_sessions w JOIN sessions s "
                       "ON s.id = w.session_id WHERE s.lock_id = 'wood-1'"),
            1);
  EXPECT_EQ(db.integer("SELECT count(*) FROM sessions WHERE expect <> 'range' OR sli_eligible <> 0"),
            0);
  EXPECT_EQ(db.integer("SELECT count(*) FROM sweep_sessions WHERE level_db < 0 OR level_db > 48 "
                       "OR level_db / 2 <> CAST(level_db / 2 AS INTEGER)"),
            0);
  // Each session ran at the level the bench set and read back before it.
  EXPECT_EQ(db.integer(
                "SELECT count(*) FROM sweep_sessions w JOIN sessions s ON s.id = w.session_id "
                "WHERE w.level_db <> (SELECT CAST(rtrim(e.value, 'dB') AS REAL) FROM events e "
                "WHERE e.run_id = s.run_id AND e.kind = 'attenuate' AND e.lock_id = s.lock_id "
                "AND e.t_ns <= s.started_ns ORDER BY e.t_ns DESC, e.id DESC LIMIT 1)"),
            0);
  EXPECT_EQ(db.integer("SELECT count(*) FROM events WHERE kind = 'attenuate' AND detail LIKE "
                       "'%sweep over, back to the safe level%' AND value = '0dB'"),
            static_cast<long long>(f.locks.size()));
}

TEST(LockrigRangeAdaptive, ABadTargetIsRefusedAtItsValueBeforeAnythingRuns) {
  TempDir tmp;
  const std::string text =
      "name: q\nsteps:\n  - sweep:\n      part: rf_path\n      levels: 0dB..48dB step 2dB\n"
      "      design: quantile\n      target: 100%\n      sessions: 100\n"
      "      steps: [unlock: {within: 5s}]\n";
  const std::string sc = tmp.write("q.yaml", text);
  const std::string db_path = tmp.file("journal.db");
  const Result r = lockrig({"run", "--scenario", sc, "--progress", "off", "--db", db_path});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  EXPECT_NE(r.err.find(where(sc, text, "100%") + ": quantile target must be above 0.5 and below "
                                                  "0.999, got \"100%\""),
            std::string::npos)
      << r.describe();
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(runs_in(db_path), 0);
}

TEST(LockrigRangeAdaptive, TheShippedScenarioParses) {
  const Result r = lockrig({"check", source_path("scenarios/range-adaptive.yaml")});
  EXPECT_TRUE(r.exited && r.exit_code == 0) << r.describe();
}

}  // namespace
}  // namespace lockrig::cli_test
