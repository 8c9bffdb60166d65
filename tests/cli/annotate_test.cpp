// Issue 16 item 6: `lockrig annotate` (docs/annotate.md) black-box. Notes on a run, a lock and a
// session, listed back; bad input (unknown run/lock/session, malformed or past dates) exits 2
// quoting the value and writes nothing; a version-4 journal is upgraded by the first note; the
// reports show the notes HTML-escaped; a muted lock is left out of the gate's verdict (the mute
// rule) and listed apart with its own figures, counted here with SQL; merging twice copies each
// note once.
#include "tests/cli/cli_support.hpp"
#include "tests/support/journal_fixtures.hpp"

namespace lockrig::cli_test {
namespace {

// The simulated lab with steel-2 (firmware 2.4.1, the candidate) jamming half its unlocks:
// material steel is then shown worse than the margin and the gate fails on it alone.
struct JammedNight {
  TempDir tmp;
  std::string db;
  explicit JammedNight(const std::string& name = "night.db") {
    db = tmp.file(name);
    const std::string fixture = tmp.write(
        "jam.yaml",
        replace_once(read_file(source_path("fixtures/sim-lab.yaml")),
                     "slot: D2, driver: sim, settings: {firmware: 2.4.1}}",
                     "slot: D2, driver: sim, settings: {firmware: 2.4.1, jam_rate: 0.5}}"));
    const Result r = lockrig({"run", "--fixture", fixture, "--scenario",
                              source_path("scenarios/door-materials.yaml"), "--repeat", "25",
                              "--seed", "3", "--db", db, "--progress", "off", "-q"},
                             Spawn{"", "", 300s});
    if (!r.exited || (r.exit_code != 0 && r.exit_code != 1))
      throw std::runtime_error("run failed:\n" + r.describe());
  }
  long long notes() const { return Db(db).integer("SELECT count(*) FROM annotations"); }
};

Result annotate(const std::string& db, std::vector<std::string> args) {
  args.insert(args.begin(), {"annotate", "--db", db});
  return lockrig(args);
}

Result gate(const std::string& db, const std::string& format = "text") {
  return lockrig({"gate", "--db", db, "--baseline", "firmware=2.4.0", "--candidate",
                  "firmware=2.4.1", "--format", format});
}

TEST(Annotate, AddsNotesOnRunLockAndSessionAndListsThem) {
  JammedNight n;
  const Db db(n.db);
  const std::string uuid = db.text("SELECT uuid FROM runs");
  const std::string session = db.text("SELECT id FROM sessions WHERE lock_id = 'glass-1' LIMIT 1");
  ASSERT_EQ(annotate(n.db, {"--run", "1", "--author", "ana", "BUG-12 relay replaced"}).exit_code, 0);
  ASSERT_EQ(annotate(n.db, {"--run", uuid.substr(0, 8), "--lock", "wood-2", "--author", "bo",
                            "battery swapped"})
                .exit_code,
            0);
  const Result s = annotate(n.db, {"--session", "1/" + session, "--author", "cy", "odd timing"});
  ASSERT_EQ(s.exit_code, 0) << s.describe();
  // The session note holds the session's natural key (merge renumbers ids), not its id.
  EXPECT_EQ(db.text("SELECT lock_id || '|' || scenario || '|' || repetition || '|' || step FROM "
                    "annotations WHERE text = 'odd timing'"),
            db.text("SELECT lock_id || '|' || scenario || '|' || repetition || '|' || step FROM "
                    "sessions WHERE id = " + session));
  EXPECT_EQ(db.text("SELECT run_uuid FROM annotations WHERE text = 'battery swapped'"), uuid);
  EXPECT_EQ(db.text("SELECT count(*) FROM annotations WHERE run_uuid IS NULL"), "0");

  const Result all = annotate(n.db, {"--list"});
  ASSERT_EQ(all.exit_code, 0) << all.describe();
  for (const char* t : {"BUG-12 relay replaced", "battery swapped", "odd timing"})
    EXPECT_NE(all.out.find(t), std::string::npos) << all.out;
  const Result wood = annotate(n.db, {"--list", "--lock", "wood-2"});
  EXPECT_NE(wood.out.find("battery swapped"), std::string::npos) << wood.out;
  EXPECT_EQ(wood.out.find("BUG-12"), std::string::npos) << wood.out;
  EXPECT_EQ(n.notes(), 3);
}

TEST(Annotate, BadInputQuotesTheValueAndWritesNothing) {
  JammedNight n;
  struct Case {
    std::vector<std::string> args;
    std::string quoted;
  };
  const std::vector<Case> cases = {
      {{"--run", "99", "x"}, "\"99\""},
      {{"--lock", "oak-9", "x"}, "\"oak-9\""},
      {{"--run", "1", "--lock", "nope-1", "x"}, "\"nope-1\""},
      {{"--session", "1/99999999", "x"}, "\"99999999\""},
      {{"--session", "1/abc", "x"}, "\"abc\""},
      {{"--lock", "steel-2", "--mute-until", "2026-13-01"}, "\"2026-13-01\""},
      {{"--lock", "steel-2", "--mute-until", "2027-02-29"}, "\"2027-02-29\""},  // not a leap year
      {{"--lock", "steel-2", "--mute-until", "31/12/2099"}, "\"31/12/2099\""},
      {{"--lock", "steel-2", "--mute-until", "2000-01-01"}, "\"2000-01-01\""},  // in the past
      {{"--run", "1", "--lock", "steel-2", "--mute-until", "2099-12-31"}, "--mute-until"},
  };
  for (const auto& c : cases) {
    const Result r = annotate(n.db, c.args);
    EXPECT_EQ(r.exit_code, 2) << r.describe();
    EXPECT_NE(r.err.find(c.quoted), std::string::npos) << r.describe();
  }
  EXPECT_EQ(n.notes(), 0);
  const Result missing = annotate(n.tmp.file("absent.db"), {"--run", "1", "x"});
  EXPECT_EQ(missing.exit_code, 2) << missing.describe();
  EXPECT_FALSE(exists(n.tmp.file("absent.db")));
}

TEST(Annotate, UpgradesAVersion4JournalAndReadsNoneFromOneReadOnly) {
  JammedNight n;
  // back_to_version4_sql keeps version 5's agg_latency_hist_stale_update, which the schema
  // check of a version-4 journal refuses; put back version 4's (tests/rig/journal_schema_v4.sql).
  const std::string v4 = read_file(source_path("tests/rig/journal_schema_v4.sql"));
  const auto from = v4.find("CREATE TRIGGER agg_latency_hist_stale_update");
  ASSERT_NE(from, std::string::npos);
  const std::string trigger = v4.substr(from, v4.find("END;", from) + 4 - from);
  exec_sql(n.db, lockrig::testing::back_to_version4_sql() +
                     " DROP TRIGGER agg_latency_hist_stale_update; " + trigger);
  ASSERT_EQ(Db(n.db).integer("PRAGMA user_version"), 4);
  // Readers cope with the missing table: the list and the report work, with no notes.
  const Result list = annotate(n.db, {"--list"});
  EXPECT_EQ(list.exit_code, 0) << list.describe();
  EXPECT_NE(list.out.find("no notes"), std::string::npos) << list.out;
  EXPECT_EQ(gate(n.db).exit_code, 1);
  EXPECT_EQ(Db(n.db).integer("PRAGMA user_version"), 4);  // reading upgrades nothing
  const Result add = annotate(n.db, {"--lock", "steel-2", "--mute-until", "2099-12-31", "jam"});
  ASSERT_EQ(add.exit_code, 0) << add.describe();
  EXPECT_EQ(Db(n.db).integer("PRAGMA user_version"), 6);  // upgraded to the current version
  EXPECT_EQ(n.notes(), 1);
}

TEST(Annotate, MutedLockIsListedApartAndTheGateDoesNotFailOnItAlone) {
  JammedNight n;
  const Result before = gate(n.db);
  ASSERT_EQ(before.exit_code, 1) << before.describe();  // steel, by steel-2's jams
  EXPECT_NE(before.out.find("material steel"), std::string::npos) << before.out;

  ASSERT_EQ(annotate(n.db, {"--lock", "steel-2", "--mute-until", "2099-12-31", "--author", "qa",
                            "known jam, BUG-7"})
                .exit_code,
            0);
  const Result muted = gate(n.db);
  EXPECT_NE(muted.exit_code, 1) << muted.describe();
  EXPECT_NE(muted.out.find("Mute applied: lock(s) steel-2 (muted until 2099-12-31 by qa)"),
            std::string::npos)
      << muted.out;
  EXPECT_NE(muted.out.find("With them included: FAIL"), std::string::npos) << muted.out;
  // With the gate's report in a file, the log still says a mute was applied.
  const Result to_file = lockrig({"gate", "--db", n.db, "--baseline", "firmware=2.4.0",
                                  "--candidate", "firmware=2.4.1", "--format", "junit", "-o",
                                  n.tmp.file("gate.xml")});
  EXPECT_EQ(to_file.exit_code, muted.exit_code) << to_file.describe();
  EXPECT_NE(to_file.out.find("mute applied: lock steel-2 (muted until 2099-12-31)"),
            std::string::npos)
      << to_file.out;

  // Still measured: the muted lock's SLI sessions, counted with SQL, in the JSON report.
  const Db db(n.db);
  const long long trials = db.integer(
      "SELECT count(*) FROM sessions WHERE lock_id = 'steel-2' AND sli_eligible = 1 AND "
      "result != 'rig_fault'");
  const long long successes = db.integer(
      "SELECT count(*) FROM sessions WHERE lock_id = 'steel-2' AND sli_eligible = 1 AND "
      "result != 'rig_fault' AND sli_success = 1");
  ASSERT_GT(trials, 0);
  ASSERT_LT(successes, trials);
  const Result json = lockrig({"report", "--db", n.db, "--baseline", "firmware=2.4.0",
                               "--candidate", "firmware=2.4.1", "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.describe();
  const auto at = json.out.find("\"muted_locks\"");
  ASSERT_NE(at, std::string::npos) << json.out;
  std::string muted_json;  // pretty-printed: compared without its layout whitespace
  for (char c : json.out.substr(at, json.out.find("\"warnings\"", at) - at))
    if (c != ' ' && c != '\n') muted_json += c;
  EXPECT_NE(muted_json.find("\"lock\":\"steel-2\""), std::string::npos) << muted_json;
  EXPECT_NE(muted_json.find("\"successes\":" + std::to_string(successes) +
                            ",\"trials\":" + std::to_string(trials)),
            std::string::npos)
      << muted_json;
  // ...and out of every other figure: the candidate arm's steel stratum is gone.
  const Result text = lockrig({"report", "--db", n.db, "--baseline", "firmware=2.4.0",
                               "--candidate", "firmware=2.4.1"});
  EXPECT_NE(text.out.find("MUTED LOCKS"), std::string::npos) << text.out;

  // --unmute is a later note that ends the mute before today's run: the gate fails again.
  ASSERT_EQ(annotate(n.db, {"--lock", "steel-2", "--unmute"}).exit_code, 0);
  EXPECT_EQ(n.notes(), 2);  // append-only: the mute note stays
  const Result after = gate(n.db);
  EXPECT_EQ(after.exit_code, 1) << after.describe();
  EXPECT_EQ(after.out.find("Mute applied"), std::string::npos) << after.out;
}

TEST(Annotate, HostileNoteIsEscapedInEveryReport) {
  JammedNight n;
  const std::string hostile = "<script>alert(1)</script> & \"x\" | `y`";
  ASSERT_EQ(annotate(n.db, {"--run", "1", "--author", "<b>eve</b>", hostile}).exit_code, 0);
  const std::string html = n.tmp.file("r.html");
  ASSERT_EQ(lockrig({"report", "--db", n.db, "--format", "html", "-o", html}).exit_code, 0);
  const std::string page = read_file(html);
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_EQ(page.find("<b>eve"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  const Result md = lockrig({"report", "--db", n.db, "--format", "markdown"});
  EXPECT_EQ(md.out.find("<script>"), std::string::npos) << md.out;
  const Result text = lockrig({"report", "--db", n.db});
  EXPECT_NE(text.out.find("alert(1)"), std::string::npos) << text.out;  // text shows it as is
}

TEST(Annotate, MergingTwiceCopiesEachNoteOnce) {
  JammedNight n;
  ASSERT_EQ(annotate(n.db, {"--run", "1", "run note"}).exit_code, 0);
  ASSERT_EQ(annotate(n.db, {"--lock", "steel-2", "--mute-until", "2099-12-31", "lock note"})
                .exit_code,
            0);
  const std::string lab = n.tmp.file("lab.db");
  for (int i = 0; i < 2; ++i) {
    const Result m = lockrig({"merge", n.db, "-o", lab});
    ASSERT_EQ(m.exit_code, 0) << m.describe();
  }
  const Db db(lab);
  EXPECT_EQ(db.integer("SELECT count(*) FROM annotations"), 2);
  EXPECT_EQ(db.integer("SELECT count(DISTINCT uuid) FROM annotations"), 2);
  // The merged journal applies the same mute.
  EXPECT_NE(gate(lab).exit_code, 1);
}

// A note written while a run writes the same journal: the note waits for at most one of the
// run's commits (BEGIN IMMEDIATE with the busy timeout), the run finishes as it would have, with
// every planned session, and the note is there.
TEST(Annotate, ANoteWrittenDuringARunDoesNotDisturbIt) {
  TempDir tmp;
  const std::string db = tmp.file("live.db");
  Process run({"run", "--db", db, "--clock", "real", "--locks", "wood-1", "--scenario",
               source_path("scenarios/door-materials.yaml"), "--repeat", "8", "--progress", "off",
               "-q"},
              Spawn{"", "", 120s});  // about 1 s per session in real time
  ASSERT_TRUE(eventually([&] { return sessions_so_far(db) > 0; }, 60s));
  int written = 0;
  for (int i = 0; i < 5 && run.running(); ++i) {
    const Result r = annotate(db, {"--run", "1", "note " + std::to_string(i)});
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    written += r.exit_code == 0;
  }
  ASSERT_GT(written, 0) << "the run ended before a note could be written";
  const Result done = run.wait();
  ASSERT_EQ(done.exit_code, 0) << done.describe();
  const Db d(db);
  EXPECT_EQ(d.text("SELECT status FROM runs"), "completed");
  EXPECT_EQ(d.integer("SELECT count(*) FROM sessions"),
            d.integer("SELECT sessions_planned FROM runs"));
  EXPECT_EQ(d.integer("SELECT count(*) FROM annotations"), written);
}

}  // namespace
}  // namespace lockrig::cli_test
