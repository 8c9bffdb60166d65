// `lockrig export --format openmetrics` for Grafana (issue 16 item 5): firmware and app labels, the
// unlock latency histogram with the latency SLO as a bucket boundary, and the dashboard in
// packaging/grafana/ that reads them. The textfile is read with prometheus_client's parsers
// (Debian python3-prometheus-client), which nobody here wrote, and its figures are held against
// what `lockrig report --format json` says for the same journal.
//
// Independent sources the checks follow:
// - OpenMetrics 1.0, "Histogram" (prometheus/OpenMetrics specification/OpenMetrics.md; Prometheus
//   docs concepts/metric_types "Histogram"): cumulative `_bucket{le}` samples, a `+Inf` bucket equal
//   to `_count`, a `_sum`.
// - Grafana's dashboard JSON model ("Dashboard JSON model", grafana.com/docs/grafana/latest/
//   visualizations/dashboards/build-dashboards/view-dashboard-json-model/): `uid` a string of
//   8-40 characters, `title`, `panels`, `schemaVersion`.
#include "cli_support.hpp"
#include "tests/support/journal_fixtures.hpp"

namespace lockrig::cli_test {
namespace {

const char* kPython = "/usr/bin/python3";

std::string python(const std::string& script, const std::vector<std::string>& args = {}) {
  std::vector<std::string> argv{"-c", script};
  argv.insert(argv.end(), args.begin(), args.end());
  Spawn s;
  s.program = kPython;
  const Result r = lockrig(argv, s);
  if (!r.exited || r.exit_code != 0) throw std::runtime_error("python failed:\n" + r.describe());
  return r.out;
}

// A simulated nightly journal: the default fixture's wood and steel locks (firmware 2.4.0 and
// 2.4.1 read from the locks) in two runs with different app labels, so both labels vary, and a
// third night whose battery relay board stops answering (a rig fault, exit 3: the wood locks are
// quarantined), so the rig-fault families have samples too. Firmware 2.4.1 drops 40 % of its
// unlocks here (0.35 % in the shipped fixture), so failed SLI sessions exist in every run.
struct Nightly {
  TempDir tmp;
  std::string db;
  Nightly() {
    db = tmp.file("nightly.db");
    const std::string flaky =
        replace_once(read_file(source_path("fixtures/sim-lab.yaml")), "drop_rate: 0.0035",
                     "drop_rate: 0.4");
    const std::string flaky_fixture = tmp.write("flaky.yaml", flaky);
    const std::string dying =
        replace_once(flaky, "settings: {channels: 8}\n    channels:\n      - {name: battery",
                     "settings: {channels: 8, stop_answering_after: 30}\n    channels:\n"
                     "      - {name: battery");
    const std::string dying_fixture = tmp.write("dying-relays.yaml", dying);
    int seed = 3;
    for (const char* app : {"5.3.0", "5.4.0", "5.4.0"}) {
      std::vector<std::string> args{"run", "--locks", "wood-1,wood-2,steel-1,steel-2", "--repeat",
                                    "8", "--seed", std::to_string(seed), "--label",
                                    std::string("app=") + app, "--db", db, "--progress", "off",
                                    "-q"};
      args.insert(args.begin() + 1, {"--fixture", seed == 5 ? dying_fixture : flaky_fixture});
      const Result r = lockrig(args);
      const int expected = seed == 5 ? 3 : 0;
      if (!r.exited || (r.exit_code != expected && r.exit_code != 1))
        throw std::runtime_error("run failed:\n" + r.describe());
      ++seed;
    }
  }
};

const Nightly& nightly() {
  static const Nightly n;
  return n;
}

std::string export_openmetrics(const std::string& out, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"export", "--db", nightly().db, "--format", "openmetrics", "-o",
                                out};
  args.insert(args.end(), extra.begin(), extra.end());
  const Result r = lockrig(args);
  if (!r.exited || r.exit_code != 0) throw std::runtime_error("export failed:\n" + r.describe());
  return out;
}

std::string report_json(const std::string& out, const std::vector<std::string>& extra) {
  std::vector<std::string> args{"report", "--db", nightly().db, "--format", "json", "-o", out};
  args.insert(args.end(), extra.begin(), extra.end());
  const Result r = lockrig(args);
  if (!r.exited || (r.exit_code != 0 && r.exit_code != 1) || !exists(out))
    throw std::runtime_error("report failed:\n" + r.describe());
  return out;
}

// Checks one textfile's latency histogram and labels, and holds its sums per version against
// the report's arms. argv: textfile, report JSON, version key (firmware or app), le of the SLO.
const char* kCheckHistogram = R"PY(
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
from prometheus_client.parser import text_string_to_metric_families as prom
path, report_path, version_key, slo_le = sys.argv[1:5]
text = open(path, encoding="utf-8").read()
fams = {f.name: f for f in om(text)}
# node_exporter reads the Prometheus text format: the histogram must parse as that too.
assert {f.name for f in prom(text)} >= set(fams), "text-format parse differs"

h = fams["lockrig_unlock_latency_seconds"]
assert h.type == "histogram", h.type
assert h.unit == "seconds", h.unit
series = {}
for s in h.samples:
    labels = {k: v for k, v in s.labels.items() if k != "le"}
    key = tuple(sorted(labels.items()))
    e = series.setdefault(key, {"buckets": [], "count": None, "sum": None, "labels": labels})
    if s.name.endswith("_bucket"):
        e["buckets"].append((float(s.labels["le"]), s.labels["le"], s.value))
    elif s.name.endswith("_count"):
        e["count"] = s.value
    elif s.name.endswith("_sum"):
        e["sum"] = s.value
assert series, "no histogram series"
bounds = None
for key, e in series.items():
    les = [b[0] for b in e["buckets"]]
    assert les == sorted(les) and len(set(les)) == len(les), ("le not increasing", key, les)
    vals = [b[2] for b in e["buckets"]]
    assert all(a <= b for a, b in zip(vals, vals[1:])), ("not cumulative", key, vals)
    assert les[-1] == float("inf"), ("no +Inf bucket", key)
    assert e["count"] is not None and vals[-1] == e["count"], ("+Inf != _count", key)
    assert e["sum"] is not None and e["sum"] > 0, ("_sum", key)
    assert slo_le in [b[1] for b in e["buckets"]], ("no SLO bucket", slo_le, key)
    # The boundaries are fixed: the same in every series.
    assert bounds is None or bounds == les, ("bucket boundaries differ", key)
    bounds = les
    for label in ("rig", "lock", "material", "firmware", "app", "scenario"):
        assert e["labels"].get(label), ("label missing", label, key)

# Firmware and app on every per-lock family; never a run or session id (the label budget).
budget = {"rig", "lock", "material", "firmware", "app", "scenario", "result", "outcome",
          "class", "kind", "status", "le"}
for f in fams.values():
    for s in f.samples:
        assert set(s.labels) <= budget, ("label outside the budget", f.name, sorted(s.labels))
    if f.name in ("lockrig_sli_ratio", "lockrig_sli_sessions", "lockrig_sli_successes",
                  "lockrig_sessions", "lockrig_sli_failures", "lockrig_failed_attempts",
                  "lockrig_last_run_timestamp_seconds", "lockrig_unlock_latency_seconds"):
        for s in f.samples:
            assert s.labels.get("firmware") and s.labels.get("app"), (f.name, s.labels)

# Against the report: per version, the SLI sessions and successes, the latency population, the
# share within the SLO and the mean.
report = json.load(open(report_path))
for arm in report["arms"]:
    (fk, fv), = [(x["key"], x["value"]) for x in arm["filter"]]
    assert fk == version_key, arm["filter"]
    def total(family, suffix="", le=None):
        return sum(s.value for s in fams[family].samples
                   if s.name == family + suffix and s.labels[version_key] == fv
                   and (le is None or s.labels.get("le") == le))
    lat = arm["latency"]
    assert total("lockrig_sli_sessions") == arm["sessions"]["sli"], (fv, "sli sessions")
    assert total("lockrig_sli_successes") == arm["sli"]["successes"], (fv, "sli successes")
    n = total("lockrig_unlock_latency_seconds", "_count")
    assert n == lat["sessions"] and n > 0, (fv, n, lat["sessions"])
    within = total("lockrig_unlock_latency_seconds", "_bucket", slo_le)
    assert within == lat["within_slo"]["successes"], (fv, within, lat["within_slo"])
    assert lat["within_slo"]["trials"] == n
    mean_ms = total("lockrig_unlock_latency_seconds", "_sum") / n * 1000.0
    assert abs(mean_ms - lat["mean_ms"]) <= 1e-6 * lat["mean_ms"], (fv, mean_ms, lat["mean_ms"])
    print(fv, int(n), int(within))
print(sorted({s.labels["firmware"] for s in h.samples}), sorted({s.labels["app"] for s in h.samples}))
)PY";

TEST(LockrigExportOpenMetrics, LatencyHistogramMatchesTheReportPerFirmware) {
  TempDir tmp;
  const std::string prom = export_openmetrics(tmp.file("lockrig.prom"));
  const std::string report = report_json(
      tmp.file("fw.json"), {"--baseline", "firmware=2.4.0", "--candidate", "firmware=2.4.1"});
  const std::string out = python(kCheckHistogram, {prom, report, "firmware", "1.5"});
  EXPECT_NE(out.find("['2.4.0', '2.4.1'] ['5.3.0', '5.4.0']"), std::string::npos) << out;
  // Both versions had successful SLI sessions, some of them above 1.5 s or not: printed counts.
  EXPECT_NE(out.find("2.4.0 "), std::string::npos) << out;
  EXPECT_NE(out.find("2.4.1 "), std::string::npos) << out;
}

TEST(LockrigExportOpenMetrics, ALatencySloOffTheFixedListBecomesABoundaryPerApp) {
  TempDir tmp;
  const std::string prom = export_openmetrics(tmp.file("lockrig.prom"), {"--latency-slo", "1.2s"});
  const std::string report =
      report_json(tmp.file("app.json"), {"--baseline", "app=5.3.0", "--candidate", "app=5.4.0",
                                         "--latency-slo", "1.2s"});
  const std::string out = python(kCheckHistogram, {prom, report, "app", "1.2"});
  EXPECT_NE(out.find("5.3.0 "), std::string::npos) << out;
  EXPECT_NE(out.find("5.4.0 "), std::string::npos) << out;
  // The fixed boundaries are still there: 1.5 s stays a bucket.
  EXPECT_NE(read_file(prom).find(",le=\"1.5\"}"), std::string::npos);
  EXPECT_NE(read_file(prom).find(",le=\"1.0\"}"), std::string::npos);
}

TEST(LockrigExportOpenMetrics, BadLatencySloIsRefusedNamingItAndLeavesTheFileAlone) {
  TempDir tmp;
  const std::string out = tmp.write("lockrig.prom", "previous\n");
  for (const auto& [args, named] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--format", "openmetrics", "--latency-slo", "fast"}, "\"fast\""},
           {{"--format", "openmetrics", "--latency-slo", "0s"}, "\"0s\""},
           {{"--format", "csv", "--latency-slo", "2s"}, "csv"}}) {
    std::vector<std::string> argv{"export", "--db", nightly().db, "-o", out};
    argv.insert(argv.end(), args.begin(), args.end());
    const Result r = lockrig(argv);
    EXPECT_TRUE(r.exited && r.exit_code == 2) << r.describe();
    EXPECT_NE(r.err.find("--latency-slo"), std::string::npos) << r.describe();
    EXPECT_NE(r.err.find(named), std::string::npos) << r.describe();
    EXPECT_EQ(read_file(out), "previous\n");
  }
}

// A version-1 journal (no aggregate tables, opened read-only) is read from its raw rows and
// bucketed by the same rule: the textfile is byte-identical to the one from the aggregates.
TEST(LockrigExportOpenMetrics, AVersion1JournalGivesTheSameTextfile) {
  TempDir tmp;
  const std::string v1 = tmp.file("v1.db");
  exec_sql(nightly().db, "VACUUM INTO " + sql_quote(v1));
  std::string drop;
  for (const auto& row : Db(v1).table(
           "SELECT type, name FROM sqlite_master WHERE (name LIKE 'agg%' OR name LIKE 'v_agg%' OR "
           "name = 'v_session_latency' OR name = 'events_faults') AND type IN ('table', 'view', "
           "'trigger', 'index') ORDER BY type = 'table'"))
    drop += "DROP " + row[0] + " " + row[1] + "; ";
  exec_sql(v1, drop + lockrig::testing::back_to_version2_sql() + " PRAGMA user_version = 1;");
  const std::string from_aggregates = read_file(export_openmetrics(tmp.file("v3.prom")));
  const Result r = lockrig({"export", "--db", v1, "--format", "openmetrics"});
  ASSERT_TRUE(r.exited && r.exit_code == 0) << r.describe();
  EXPECT_NE(from_aggregates.find("lockrig_unlock_latency_seconds_bucket{"), std::string::npos);
  EXPECT_EQ(r.out, from_aggregates);
}

// Issue 18: the export reads the aggregate tables, never the raw rows. With every session and
// attempt deleted behind the triggers' back (the triggers put back afterwards, as lockrig wants
// its own), the textfile, histogram included, is byte-identical.
TEST(LockrigExportOpenMetrics, ReadsTheAggregatesNotTheRawRows) {
  TempDir tmp;
  const std::string gutted = tmp.file("gutted.db");
  exec_sql(nightly().db, "VACUUM INTO " + sql_quote(gutted));
  std::string drop, restore;
  for (const auto& row : Db(gutted).table("SELECT name, sql FROM sqlite_master WHERE type = "
                                          "'trigger' AND tbl_name IN ('sessions', 'attempts')")) {
    drop += "DROP TRIGGER " + row[0] + "; ";
    restore += row[1] + "; ";
  }
  exec_sql(gutted, drop + "DELETE FROM attempts; DELETE FROM sessions; " + restore);
  ASSERT_EQ(Db(gutted).integer("SELECT count(*) FROM sessions"), 0);
  const std::string whole = read_file(export_openmetrics(tmp.file("whole.prom")));
  const Result r = lockrig({"export", "--db", gutted, "--format", "openmetrics"});
  ASSERT_TRUE(r.exited && r.exit_code == 0) << r.describe();
  EXPECT_NE(whole.find("lockrig_unlock_latency_seconds_sum{"), std::string::npos);
  EXPECT_EQ(r.out, whole);
}

// The dashboard reads only what the export writes: every lockrig_* name in it (queries,
// variables, descriptions) is a family or sample the export emits on the simulated nightly
// journal, every label it groups or matches by is one the export writes, and histogram_quantile
// is given `_bucket` series grouped by `le`.
TEST(GrafanaDashboard, LoadsAndReadsOnlyEmittedMetricsAndLabels) {
  TempDir tmp;
  const std::string prom = export_openmetrics(tmp.file("lockrig.prom"));
  const std::string out = python(R"PY(
import json, re, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
dash = json.load(open(sys.argv[1], encoding="utf-8"))
fams = list(om(open(sys.argv[2], encoding="utf-8").read()))
# What the export emits: families with samples on this journal, and their sample names.
names = {f.name for f in fams if f.samples} | {s.name for f in fams for s in f.samples}
labels = {k for f in fams for s in f.samples for k in s.labels}

# The dashboard JSON model's required top-level fields.
assert isinstance(dash.get("title"), str) and dash["title"], "title"
assert isinstance(dash.get("uid"), str) and 8 <= len(dash["uid"]) <= 40, "uid"
assert isinstance(dash.get("schemaVersion"), int), "schemaVersion"
assert isinstance(dash.get("panels"), list) and dash["panels"], "panels"
ids = [p["id"] for p in dash["panels"]]
assert len(ids) == len(set(ids)), "panel ids"
exprs = []
for p in dash["panels"]:
    for k in ("type", "title", "gridPos", "targets"):
        assert k in p, (p.get("title"), k)
    for t in p["targets"]:
        assert t.get("refId") and t.get("expr"), (p["title"], t)
        exprs.append(t["expr"])

def strings(x):
    if isinstance(x, dict):
        for v in x.values(): yield from strings(v)
    elif isinstance(x, list):
        for v in x: yield from strings(v)
    elif isinstance(x, str):
        yield x

used = set()
for s in strings(dash):
    for m in re.findall(r"\blockrig_[a-zA-Z0-9_]+", s):
        assert m in names, ("not emitted by lockrig export", m)
        used.add(m)
for e in exprs:
    assert re.search(r"\blockrig_", e), ("query reads no lockrig metric", e)
    for group in re.findall(r"\bby\s*\(([^)]*)\)", e):
        for l in filter(None, (x.strip() for x in group.split(","))):
            assert l in labels, ("grouped by a label the export does not write", l, e)
    for sel in re.findall(r"\{([^}]*)\}", e):
        for l in re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", sel):
            assert l in labels, ("matches a label the export does not write", l, e)
    for hq in re.findall(r"histogram_quantile\(([^,]+),\s*(.*)\)", e):
        assert "_bucket" in hq[1] and re.search(r"by\s*\([^)]*\ble\b", hq[1]), e
for need in ("lockrig_sli_successes", "lockrig_sli_sessions", "lockrig_unlock_latency_seconds_bucket"):
    assert need in used, ("the dashboard does not read", need)
assert any("histogram_quantile(0.95" in e for e in exprs), "no p95"
assert any("firmware" in e and "material" in e for e in exprs), "no SLI per firmware/material"
print(len(dash["panels"]), len(exprs), len(used))
)PY",
                                 {source_path("packaging/grafana/lockrig-dashboard.json"), prom});
  EXPECT_FALSE(out.empty());
}

}  // namespace
}  // namespace lockrig::cli_test
