// `lockrig merge`, `lockrig export` and `lockrig slo` on journals written by the real binary on
// the simulated rig (rows changed with SQL where a test needs known nights or hostile labels).
// Exports are parsed with tools nobody here wrote: Python's json and csv modules and
// prometheus_client's OpenMetrics and text-format parsers (Debian python3-prometheus-client).
#include "cli_support.hpp"

namespace lockrig::cli_test {
namespace {

const char* kPython = "/usr/bin/python3";

// Runs the real binary on the simulated rig: one lock, one repetition, a rig name of our own.
std::string make_journal(const TempDir& tmp, const std::string& name, const std::string& rig,
                         const std::string& app, const std::string& seed,
                         const std::string& locks = "steel-1,wood-1") {
  const std::string fixture = tmp.write(
      rig + ".yaml",
      replace_once(read_file(source_path("fixtures/sim-lab.yaml")), "rig: sim-lab", "rig: " + rig));
  const std::string db = tmp.file(name);
  const Result r =
      lockrig({"run", "--fixture", fixture, "--locks", locks, "--repeat", "1", "--seed", seed,
               "--label", "app=" + app, "--db", db, "--progress", "off", "-q"});
  if (!r.exited || (r.exit_code != 0 && r.exit_code != 1))
    throw std::runtime_error("run failed:\n" + r.describe());
  return db;
}

// Rewrites history in a test's journal. Journals never update sessions or attempts (triggers that
// keep the aggregate tables refuse it), so the guards are dropped first; the tests that use this
// read the raw rows (exports, SLO), which is what they fake.
// The guards are put back afterwards with their own SQL: lockrig refuses a journal whose triggers
// are not its own (issue 17), so a forged journal must still look like lockrig's.
void forge_sql(const std::string& db, const std::string& sql) {
  std::string guards;
  {
    sqlite3* h = nullptr;
    if (sqlite3_open(db.c_str(), &h) != SQLITE_OK) throw std::runtime_error("open " + db);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(h,
                       "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name IN "
                       "('agg_session_update', 'agg_attempt_update')",
                       -1, &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW)
      guards += std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) + ";\n";
    sqlite3_finalize(st);
    sqlite3_close(h);
  }
  exec_sql(db, "DROP TRIGGER IF EXISTS agg_session_update; DROP TRIGGER IF EXISTS "
               "agg_attempt_update; " + sql + ";\n" + guards);
}

// Everything a merge must preserve, without the integer ids it re-keys.
std::string content(const std::string& db) {
  Db d(db);
  std::string out;
  for (const char* sql :
       {"SELECT uuid, host, rig, started_at, ended_at, status, exit_code, seed, fixture_sha256, "
        "sessions_planned FROM runs ORDER BY uuid",
        "SELECT r.uuid, l.key, l.value FROM run_labels l JOIN runs r ON r.id = l.run_id ORDER BY "
        "1, 2",
        "SELECT r.uuid, x.name, x.sha256, x.repeat FROM run_scenarios x JOIN runs r ON r.id = "
        "x.run_id ORDER BY 1, 2",
        "SELECT r.uuid, l.lock_id, l.material, l.firmware FROM run_locks l JOIN runs r ON r.id = "
        "l.run_id ORDER BY 1, 2",
        "SELECT r.uuid, s.lock_id, s.scenario, s.repetition, s.step, s.result, s.outcome, "
        "s.started_ns, s.ended_ns, s.attempts, s.sli_success FROM sessions s JOIN runs r ON r.id "
        "= s.run_id ORDER BY 1, 2, 3, 4, 5",
        "SELECT r.uuid, s.lock_id, s.scenario, s.repetition, s.step, a.attempt, a.outcome, "
        "a.class, a.detail, a.latency_ms FROM attempts a JOIN sessions s ON s.id = a.session_id "
        "JOIN runs r ON r.id = s.run_id ORDER BY 1, 2, 3, 4, 5, 6",
        "SELECT r.uuid, e.t_ns, e.kind, e.target, e.value, e.detail FROM events e JOIN runs r ON "
        "r.id = e.run_id ORDER BY 1, e.id"})
    for (const auto& row : d.table(sql)) {
      for (const auto& c : row) out += c + "\x1f";
      out += "\n";
    }
  return out;
}

long long count(const std::string& db, const std::string& table) {
  return Db(db).integer("SELECT count(*) FROM " + table);
}

// Runs a Python script with the given arguments; returns its stdout, fails the test otherwise.
std::string python(const std::string& script, const std::vector<std::string>& args = {}) {
  std::vector<std::string> argv{"-c", script};
  argv.insert(argv.end(), args.begin(), args.end());
  Spawn s;
  s.program = kPython;
  const Result r = lockrig(argv, s);
  if (!r.exited || r.exit_code != 0) throw std::runtime_error("python failed:\n" + r.describe());
  return r.out;
}

void copy_file(const std::string& from, const std::string& to) {
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

// ---- merge ----

TEST(LockrigMerge, IsIdempotentKeepsUuidsAndRigNamesAndServesTheRigStratum) {
  TempDir tmp;
  const std::string a = make_journal(tmp, "a.db", "lab-a", "5.3.0", "1");
  const std::string b = make_journal(tmp, "b.db", "lab-b", "5.3.0", "2");
  exec_sql(b,
           "INSERT INTO run_labels SELECT run_id, 'build', 'nightly' FROM run_labels WHERE "
           "key = 'app'");
  const std::string lab = tmp.file("lab.db");
  const Result r = lockrig({"merge", a, b, "-o", lab});
  ASSERT_TRUE(r.exited && r.exit_code == 0) << r.describe();
  EXPECT_NE(r.out.find("2 run(s) added"), std::string::npos) << r.describe();

  for (const char* t :
       {"runs", "run_labels", "run_scenarios", "run_locks", "sessions", "attempts", "events"})
    EXPECT_EQ(count(lab, t), count(a, t) + count(b, t)) << t;
  std::set<std::string> uuids;
  for (const auto& db : {a, b})
    for (const auto& u : Db(db).column("SELECT uuid FROM runs")) uuids.insert(u);
  const auto merged = Db(lab).column("SELECT uuid FROM runs");
  EXPECT_EQ(std::set<std::string>(merged.begin(), merged.end()), uuids);
  EXPECT_EQ(Db(lab).column("SELECT DISTINCT rig FROM runs ORDER BY rig"),
            (std::vector<std::string>{"lab-a", "lab-b"}));
  // Every attempt still belongs to a session of its own run (ids were re-keyed consistently).
  EXPECT_EQ(Db(lab).integer("SELECT count(*) FROM attempts a LEFT JOIN sessions s ON s.id = "
                            "a.session_id WHERE s.id IS NULL"),
            0);

  // The aggregates reports read were kept by the output's triggers, not copied: they agree with
  // the merged rows.
  const Result agrees = lockrig({"check", "--journal", lab});
  EXPECT_TRUE(agrees.exited && agrees.exit_code == 0) << agrees.describe();

  const std::string once = content(lab);
  ASSERT_EQ(once.find(Db(a).text("SELECT uuid FROM runs")) != std::string::npos, true);
  // Again, the same inputs; then the output itself with one input; then in the other order.
  for (const auto& args : {std::vector<std::string>{"merge", a, b, "-o", lab},
                           std::vector<std::string>{"merge", lab, a, "-o", lab}}) {
    const Result again = lockrig(args);
    ASSERT_TRUE(again.exited && again.exit_code == 0) << again.describe();
    EXPECT_EQ(content(lab), once) << again.describe();
    EXPECT_EQ(count(lab, "sessions"), count(a, "sessions") + count(b, "sessions"));
  }
  const std::string other = tmp.file("other.db");
  ASSERT_EQ(lockrig({"merge", b, a, "-o", other}).exit_code, 0);
  EXPECT_EQ(content(other), once);

  // The rig is a stratum of the report like any other attribute.
  const Result rep = lockrig({"report", "--db", lab, "--baseline", "rig=lab-a", "--candidate",
                              "rig=lab-b", "--strata", "material", "--format", "json"});
  ASSERT_TRUE(rep.exited && rep.exit_code == 0) << rep.describe();
  const Result by_rig = lockrig({"report", "--db", lab, "--strata", "rig", "--format", "json"});
  ASSERT_TRUE(by_rig.exited && by_rig.exit_code == 0) << by_rig.describe();
  EXPECT_NE(by_rig.out.find("lab-b"), std::string::npos);
}

TEST(LockrigMerge, TakesTheLongerStateOfARunThatContinuedAndKeepsItAfterwards) {
  TempDir tmp;
  const std::string full = make_journal(tmp, "full.db", "lab-a", "5.3.0", "3");
  const std::string partial = tmp.file("partial.db");
  copy_file(full, partial);
  // The same run as an earlier merge saw it: still running, its last sessions not yet written.
  exec_sql(partial,
           "DELETE FROM attempts WHERE session_id IN (SELECT id FROM sessions ORDER BY id DESC "
           "LIMIT 3); DELETE FROM sessions WHERE id IN (SELECT id FROM sessions ORDER BY id DESC "
           "LIMIT 3); UPDATE runs SET status = 'running', ended_at = NULL, exit_code = NULL, "
           "campaign_seconds = NULL;");
  const std::string lab = tmp.file("lab.db");
  const Result first = lockrig({"merge", partial, "-o", lab});
  ASSERT_TRUE(first.exited && first.exit_code == 0) << first.describe();
  EXPECT_NE(first.out.find("still running"), std::string::npos) << first.describe();
  EXPECT_EQ(count(lab, "sessions"), count(full, "sessions") - 3);

  const Result second = lockrig({"merge", full, "-o", lab});
  ASSERT_TRUE(second.exited && second.exit_code == 0) << second.describe();
  EXPECT_NE(second.out.find("1 replaced"), std::string::npos) << second.describe();
  const std::string fresh = tmp.file("fresh.db");
  ASSERT_EQ(lockrig({"merge", full, "-o", fresh}).exit_code, 0);
  EXPECT_EQ(content(lab), content(fresh));
  EXPECT_EQ(Db(lab).text("SELECT status FROM runs"), Db(full).text("SELECT status FROM runs"));
  // Replacing a run deleted and re-inserted its rows; the aggregates followed.
  const Result agrees = lockrig({"check", "--journal", lab});
  EXPECT_TRUE(agrees.exited && agrees.exit_code == 0) << agrees.describe();
  EXPECT_EQ(Db(lab).integer("SELECT sum(sessions) FROM agg_sessions"), count(full, "sessions"));

  // The older state arriving again changes nothing.
  const Result third = lockrig({"merge", partial, "-o", lab});
  ASSERT_TRUE(third.exited && third.exit_code == 0) << third.describe();
  EXPECT_NE(third.out.find("1 kept"), std::string::npos) << third.describe();
  EXPECT_EQ(content(lab), content(fresh));
}

TEST(LockrigMerge, AConflictHalfwayLeavesTheOutputAsItWas) {
  TempDir tmp;
  const std::string a = make_journal(tmp, "a.db", "lab-a", "5.3.0", "4");
  const std::string b = make_journal(tmp, "b.db", "lab-b", "5.3.0", "5");
  const std::string lab = tmp.file("lab.db");
  ASSERT_EQ(lockrig({"merge", a, "-o", lab}).exit_code, 0);
  const std::string before = content(lab);

  // b's run sorts first (older), so it is copied before the conflict on a's run is found.
  exec_sql(b, "UPDATE runs SET started_at = '2001-01-01T00:00:00.000Z'");
  const std::string forged = tmp.file("forged.db");
  copy_file(a, forged);
  forge_sql(forged,
            "UPDATE sessions SET result = 'fail', sli_success = 0 WHERE id = (SELECT min(id) FROM "
            "sessions)");
  const Result r = lockrig({"merge", b, forged, "-o", lab});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  EXPECT_NE(r.err.find(Db(a).text("SELECT uuid FROM runs")), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("disagree"), std::string::npos) << r.describe();
  EXPECT_EQ(content(lab), before);
  EXPECT_EQ(count(lab, "runs"), 1);

  // A new output that fails is never created, nor any temporary file next to it.
  const std::string fresh = tmp.file("fresh.db");
  const Result r2 = lockrig({"merge", a, b, forged, "-o", fresh});
  EXPECT_TRUE(r2.exited && r2.exit_code == 2) << r2.describe();
  EXPECT_FALSE(exists(fresh));
  for (const auto& e : fs::directory_iterator(tmp.path()))
    EXPECT_EQ(e.path().filename().string().find(".merge-"), std::string::npos) << e.path();
}

TEST(LockrigMerge, RefusesFilesThatAreNotJournalsNamingThem) {
  TempDir tmp;
  const std::string a = make_journal(tmp, "a.db", "lab-a", "5.3.0", "6");
  const std::string text = tmp.write("notes.txt", "not a database at all\n");
  const std::string other = tmp.file("other.db");
  exec_sql(other, "CREATE TABLE t (x)");
  const std::string lab = tmp.file("lab.db");
  for (const auto& bad : {text, other, tmp.file("missing.db")}) {
    const Result r = lockrig({"merge", a, bad, "-o", lab});
    EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
    EXPECT_NE(r.err.find(bad), std::string::npos) << r.describe();
    EXPECT_FALSE(exists(lab)) << r.describe();
  }
  // An output that is not a journal is not touched either.
  const Result r = lockrig({"merge", a, "-o", other});
  EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
  EXPECT_EQ(Db(other).integer("SELECT count(*) FROM sqlite_master"), 1);
  const Result none = lockrig({"merge", a});
  EXPECT_TRUE(none.exited && none.exit_code == 2) << none.describe();
  EXPECT_NE(none.err.find("-o"), std::string::npos) << none.describe();
}

// ---- export ----

TEST(LockrigExport, NdjsonRowsParseAndMatchTheDocumentedBigQuerySchema) {
  TempDir tmp;
  const std::string db = make_journal(tmp, "j.db", "lab-a", "5.3.0", "7");
  for (const std::string table : {"sessions", "attempts"}) {
    const std::string out = tmp.file(table + ".ndjson");
    const Result r =
        lockrig({"export", "--db", db, "--format", "ndjson", "--table", table, "-o", out});
    ASSERT_TRUE(r.exited && r.exit_code == 0) << r.describe();
    const Result schema = lockrig({"export", "--bigquery-schema", table});
    ASSERT_EQ(schema.exit_code, 0) << schema.describe();
    // The schema file shipped in docs/ is what the binary exports.
    EXPECT_EQ(schema.out, read_file(source_path("docs/bigquery/" + table + ".schema.json")));
    const std::string schema_file = tmp.write(table + ".schema.json", schema.out);
    // Every line is a JSON object with exactly the schema's columns, of the schema's types.
    const std::string checked = python(R"PY(
import json, sys, re
schema = json.load(open(sys.argv[1]))
types = {"STRING": str, "INTEGER": int, "FLOAT": (int, float), "BOOLEAN": bool, "TIMESTAMP": str}
n = 0
for line in open(sys.argv[2], encoding="utf-8"):
    row = json.loads(line)
    assert list(row) == [c["name"] for c in schema], (list(row), line)
    for c in schema:
        v = row[c["name"]]
        if v is None:
            assert c["mode"] == "NULLABLE", c
            continue
        assert isinstance(v, types[c["type"]]) and not (c["type"] == "INTEGER" and isinstance(v, bool)), (c, v)
        if c["type"] == "TIMESTAMP":
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", v), v
    json.loads(row["labels"])
    n += 1
print(n)
)PY",
                                       {schema_file, out});
    EXPECT_EQ(std::stoll(checked), count(db, table)) << table;
  }
  // A row carries its run, lock and outcome as the journal has them.
  const std::string out = tmp.file("s.ndjson");
  ASSERT_EQ(lockrig({"export", "--db", db, "--format", "ndjson", "-o", out}).exit_code, 0);
  const std::string first = python(
      "import json,sys\nr=json.loads(open(sys.argv[1]).readline())\n"
      "print(r['run_uuid'], r['rig'], r['lock_id'], r['app'], r['result'], "
      "json.loads(r['labels'])['app'])",
      {out});
  const auto row = Db(db).rows(
      "SELECT r.uuid, r.rig, s.lock_id, s.result FROM sessions s JOIN runs r ON r.id = s.run_id "
      "ORDER BY s.id LIMIT 1")[0];
  EXPECT_EQ(first, *row[0] + " " + *row[1] + " " + *row[2] + " 5.3.0 " + *row[3] + " 5.3.0\n");
}

TEST(LockrigExport, CsvIsRfc4180AndKeepsHostileTextExactly) {
  TempDir tmp;
  const std::string db = make_journal(tmp, "j.db", "lab-a", "5.3.0", "8");
  const std::string hostile = "comma, \"quote\" and\nnewline";
  forge_sql(db,
           "UPDATE attempts SET detail = 'comma, \"quote\" and' || char(10) || 'newline' "
           "WHERE (session_id, attempt) = (SELECT session_id, attempt FROM attempts ORDER BY 1, 2 "
           "LIMIT 1)");
  const std::string out = tmp.file("a.csv");
  const Result r =
      lockrig({"export", "--db", db, "--format", "csv", "--table", "attempts", "-o", out});
  ASSERT_TRUE(r.exited && r.exit_code == 0) << r.describe();
  const std::string text = read_file(out);
  EXPECT_EQ(text.substr(0, 20), "session_key,run_uuid");
  EXPECT_NE(text.find("\r\n"), std::string::npos) << "RFC 4180 records end with CRLF";
  const std::string parsed = python(R"PY(
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
hostile = [r["detail"] for r in rows if "quote" in r["detail"]]
sys.stdout.write(str(len(rows)) + "\x1e" + hostile[0])
)PY",
                                    {out});
  const auto sep = parsed.find('\x1e');
  ASSERT_NE(sep, std::string::npos) << parsed;
  EXPECT_EQ(std::stoll(parsed.substr(0, sep)), count(db, "attempts"));
  EXPECT_EQ(parsed.substr(sep + 1), hostile);
}

TEST(LockrigExport, OpenMetricsParsesWithPrometheusClientAndEscapesHostileLabels) {
  TempDir tmp;
  const std::string db = make_journal(tmp, "j.db", "lab-a", "5.3.0", "9");
  exec_sql(db,
           "UPDATE run_locks SET material = 'we\"ird\\mat' || char(10) || 'x' WHERE lock_id "
           "= 'wood-1'");
  const std::string out = tmp.file("lockrig.prom");
  const Result r = lockrig({"export", "--db", db, "--format", "openmetrics", "-o", out});
  ASSERT_TRUE(r.exited && r.exit_code == 0) << r.describe();
  const std::string text = read_file(out);
  EXPECT_EQ(text.substr(text.size() - 6), "# EOF\n");
  const std::string checked = python(R"PY(
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
from prometheus_client.parser import text_string_to_metric_families as prom
text = open(sys.argv[1], encoding="utf-8").read()
fams = {f.name: f for f in om(text)}
# node_exporter reads the Prometheus text format: it must parse as that too.
assert {f.name for f in prom(text)} >= set(fams), "text-format parse differs"
assert fams["lockrig_sli_ratio"].unit == "ratio"
assert fams["lockrig_last_run_timestamp_seconds"].unit == "seconds"
sli = sum(s.value for s in fams["lockrig_sli_sessions"].samples)
materials = sorted({s.labels["material"] for s in fams["lockrig_sli_sessions"].samples})
ratios = [s.value for s in fams["lockrig_sli_ratio"].samples]
assert all(0 <= v <= 1 for v in ratios)
print(int(sli))
print(repr(materials))
)PY",
                                     {out});
  const long long sli = Db(db).integer(
      "SELECT count(*) FROM sessions WHERE sli_eligible = 1 AND result <> 'rig_fault'");
  EXPECT_EQ(checked, std::to_string(sli) + "\n['steel', 'we\"ird\\\\mat\\nx']\n");

  // A failed export (bad selection) leaves the previous textfile in place, whole.
  const Result bad =
      lockrig({"export", "--db", db, "--format", "openmetrics", "--run", "ffffffff", "-o", out});
  EXPECT_TRUE(bad.exited && bad.exit_code == 2) << bad.describe();
  EXPECT_NE(bad.err.find("ffffffff"), std::string::npos) << bad.describe();
  EXPECT_EQ(read_file(out), text);
  for (const auto& e : fs::directory_iterator(tmp.path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

TEST(LockrigExport, RejectsBadOptionsNamingTheValue) {
  TempDir tmp;
  const std::string db = make_journal(tmp, "j.db", "lab-a", "5.3.0", "10", "steel-1");
  for (const auto& [args, word] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"export", "--db", db, "--format", "xml"}, "\"xml\""},
           {{"export", "--db", db}, "--format"},
           {{"export", "--db", db, "--format", "csv", "--table", "runs"}, "\"runs\""},
           {{"export", "--db", db, "--format", "csv", "-o", db}, "journal"},
           {{"export", "--db", db, "--format", "csv", "--scenario", "nope"}, "\"nope\""}}) {
    const Result r = lockrig(args);
    EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
    EXPECT_NE(r.err.find(word), std::string::npos) << r.describe();
  }
  EXPECT_GT(count(db, "sessions"), 0) << "the journal survived -o pointing at it";
}

// ---- slo ----

// A journal with three runs moved to known nights, and known failures.
struct Nights {
  std::string db;
  std::vector<std::string> uuids;
};

Nights three_nights(const TempDir& tmp) {
  Nights n;
  n.db = tmp.file("nights.db");
  const std::string fixture = source_path("fixtures/sim-lab.yaml");
  for (const std::string seed : {"11", "12", "13"}) {
    const Result r = lockrig({"run", "--locks", "steel-1,wood-1", "--repeat", "1", "--seed", seed,
                              "--db", n.db, "--progress", "off", "-q"});
    if (!r.exited || (r.exit_code != 0 && r.exit_code != 1)) throw std::runtime_error(r.describe());
  }
  forge_sql(n.db,
           "UPDATE runs SET started_at = CASE id WHEN 1 THEN '2026-10-20T01:00:00.000Z' WHEN 2 "
           "THEN '2026-11-14T01:00:00.000Z' ELSE '2026-11-20T23:30:00.000Z' END;"
           // Every SLI session succeeds except two on the last night (one per lock).
           "UPDATE sessions SET sli_success = 1, result = 'pass' WHERE sli_eligible = 1;"
           "UPDATE sessions SET sli_success = 0, result = 'fail' WHERE id IN (SELECT min(id) FROM "
           "sessions WHERE run_id = 3 AND sli_eligible = 1 GROUP BY lock_id);"
           // slo reads the aggregate tables (issue 18): rebuilt from the forged rows with the
           // journal's own recomputing views, as `check --journal` would compare them.
           "DELETE FROM agg_sessions; INSERT INTO agg_sessions SELECT * FROM "
           "v_agg_sessions_recomputed;"
           "DELETE FROM agg_latency; INSERT INTO agg_latency SELECT * FROM "
           "v_agg_latency_recomputed;"
           "DELETE FROM agg_attempts; INSERT INTO agg_attempts SELECT * FROM "
           "v_agg_attempts_recomputed;");
  return n;
}

TEST(LockrigSlo, ErrorBudgetAndBurnRatesMatchTheJournalsNights) {
  TempDir tmp;
  const Nights n = three_nights(tmp);
  Db d(n.db);
  auto sli_in = [&](int run) {
    return d.integer(
        "SELECT count(*) FROM sessions WHERE sli_eligible = 1 AND result <> "
        "'rig_fault' AND run_id = " +
        std::to_string(run));
  };
  const long long n2 = sli_in(2), n3 = sli_in(3);
  ASSERT_GT(n3, 2);
  const Result r =
      lockrig({"slo", "--db", n.db, "--target", "99%", "--window", "28d", "--format", "json"});
  ASSERT_TRUE(r.exited && r.exit_code == 0) << r.describe();
  const std::string json = tmp.write("slo.json", r.out);
  const std::string got = python(R"PY(
import json, sys
j = json.load(open(sys.argv[1]))
o = j["overall"]
print(j["schema"], j["as_of"], j["window_from"], j["sli_sessions_outside_window"])
print(o["window"]["sli_sessions"], o["window"]["failures"], [x["night"] for x in o["nights"]])
print("%.6f %.6f" % (o["allowed_failures"], o["budget_remaining"]))
print("%.6f %.6f %.6f" % (o["burn_rate"]["last_night"], o["burn_rate"]["last_7_nights"], o["burn_rate"]["window"]))
print(o["status"], sorted(g["value"] for g in j["groups"]["material"]))
print(sum(g["window"]["sli_sessions"] for g in j["groups"]["lock"]) == o["window"]["sli_sessions"])
)PY",
                                 {json});
  const long long n1 = sli_in(1);
  const long long window = n2 + n3;
  const double allowed = 0.01 * static_cast<double>(window);
  char expect[512];
  std::snprintf(expect, sizeof expect,
                "lockrig.slo/1 2026-11-20 2026-10-24 %lld\n%lld 2 ['2026-11-14', '2026-11-20']\n"
                "%.6f %.6f\n%.6f %.6f %.6f\n%s ['steel', 'wood']\nTrue\n",
                n1, window, allowed, allowed - 2.0, (2.0 / n3) / 0.01, (2.0 / window) / 0.01,
                (2.0 / window) / 0.01, allowed - 2.0 < 0 ? "exhausted" : "burning");
  EXPECT_EQ(got, expect) << r.out;

  // A window of 60 nights takes the first run in; --as-of moves the window back.
  const Result wide = lockrig({"slo", "--db", n.db, "--window", "60d", "--format", "json"});
  ASSERT_EQ(wide.exit_code, 0) << wide.describe();
  const std::string wide_file = tmp.write("wide.json", wide.out);
  EXPECT_EQ(python("import json,sys;print(json.load(open(sys.argv[1]))['overall']['window']['sli_"
                   "sessions'])",
                   {wide_file}),
            std::to_string(n1 + window) + "\n");
  const Result back =
      lockrig({"slo", "--db", n.db, "--as-of", "2026-11-14", "--window", "7d", "--format", "json"});
  ASSERT_EQ(back.exit_code, 0) << back.describe();
  const std::string back_file = tmp.write("back.json", back.out);
  EXPECT_EQ(python("import json,sys;o=json.load(open(sys.argv[1]))['overall'];print(o['window']["
                   "'failures'], o['status'])",
                   {back_file}),
            "0 ok\n");
}

TEST(LockrigSlo, TextMarkdownAndHtmlShowTheBudgetAndEscapeLabels) {
  TempDir tmp;
  const Nights n = three_nights(tmp);
  exec_sql(n.db,
           "UPDATE run_locks SET material = '<script>alert(1)</script>' WHERE lock_id = "
           "'wood-1'");
  const Result text = lockrig({"slo", "--db", n.db, "--target", "99.5%"});
  ASSERT_TRUE(text.exited && text.exit_code == 0) << text.describe();
  for (const std::string word :
       {"ERROR BUDGET", "BURN RATES", "2026-11-20", "BY MATERIAL", "99.50%", "exhausted"})
    EXPECT_NE(text.out.find(word), std::string::npos) << word << "\n" << text.out;
  const Result md = lockrig({"slo", "--db", n.db, "--format", "markdown"});
  ASSERT_EQ(md.exit_code, 0) << md.describe();
  EXPECT_NE(md.out.find("| night |"), std::string::npos) << md.out;
  const std::string html = tmp.file("slo.html");
  const Result h = lockrig({"slo", "--db", n.db, "--format", "html", "-o", html});
  ASSERT_TRUE(h.exited && h.exit_code == 0) << h.describe();
  const std::string page = read_file(html);
  std::size_t svgs = 0;
  for (auto at = page.find("<svg"); at != std::string::npos; at = page.find("<svg", at + 1)) ++svgs;
  EXPECT_GE(svgs, 3u) << "SLI trend, budget burn-down and per-material trend";
  EXPECT_EQ(page.find("<script>"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(page.find("stroke-dasharray"), std::string::npos) << "the SLO line";
}

TEST(LockrigSlo, RejectsBadOptionsNamingTheValue) {
  TempDir tmp;
  const Nights n = three_nights(tmp);
  for (const auto& [args, word] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"slo", "--db", n.db, "--target", "100%"}, "\"100%\""},
           {{"slo", "--db", n.db, "--target", "high"}, "\"high\""},
           {{"slo", "--db", n.db, "--window", "0d"}, "\"0d\""},
           {{"slo", "--db", n.db, "--by", "colour"}, "\"colour\""},
           {{"slo", "--db", n.db, "--as-of", "2026-02-30"}, "\"2026-02-30\""},
           {{"slo", "--db", n.db, "--format", "pdf"}, "\"pdf\""},
           {{"slo", "--db", tmp.file("missing.db")}, "missing.db"}}) {
    const Result r = lockrig(args);
    EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
    EXPECT_NE(r.err.find(word), std::string::npos) << r.describe();
  }
}

TEST(LockrigHelp, OverviewListsTheOpsCommands) {
  const Result r = lockrig({"--help"});
  for (const std::string word : {"slo", "export", "merge"})
    EXPECT_NE(r.out.find("  " + word + " "), std::string::npos) << word << "\n" << r.out;
  for (const std::string cmd : {"slo", "export", "merge"}) {
    const Result h = lockrig({cmd, "--help"});
    EXPECT_TRUE(h.exited && h.exit_code == 0) << h.describe();
    EXPECT_NE(h.out.find("Usage: lockrig " + cmd), std::string::npos) << h.describe();
  }
}

}  // namespace
}  // namespace lockrig::cli_test
