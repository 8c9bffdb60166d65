// lockrig report / gate / plan through their command functions: options, formats, exit codes,
// atomic --output. JSON and JUnit are parsed with Python's standard library, the way CI tools
// and scripts will read them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "reports/commands.hpp"
#include "reports/format.hpp"
#include "reports/stats/gate_plan.hpp"
#include "reports/stats/power.hpp"
#include "rig/base/errors.hpp"
#include "tests/reports/report_test_support.hpp"

using namespace lockrig;
using namespace lockrig::reports;
using namespace lockrig::reports::testing;
namespace fs = std::filesystem;

namespace {

using lockrig::reports::testing::gate;
using lockrig::reports::testing::plan;
using lockrig::reports::testing::report;
using lockrig::reports::testing::Result;

// Two firmware versions on wood and glass doors, one failed assertion, one rig fault, and labels
// that try to break every output format.
struct Lab {
  TestJournal tj;
  std::vector<std::string> db;
  explicit Lab(long cand_failures = 10) {
    const std::string hostile = "<script>alert('x')</script> & \"quotes\" | pipe \x01";
    const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"},
                            {"glass-1", "glass", "2.4.0"},
                            {"wood-2", "wood", "2.4.1"},
                            {"glass-2", "glass", "2.4.1"}},
                           {{"app", "5.3.0"}, {"note", hostile}});
    tj.sli(r1, "wood-1", 995, 5);
    tj.sli(r1, "glass-1", 985, 15);
    tj.sli(r1, "wood-2", 1000 - cand_failures / 2, cand_failures / 2);
    tj.sli(r1, "glass-2", 1000 - (cand_failures - cand_failures / 2),
           cand_failures - cand_failures / 2);
    tj.assertion(r1, "wood-1", "battery-pull", "not_found", "not_found");
    tj.assertion(r1, "wood-2", "battery-pull", "not_found", "success");
    tj.rig_fault(r1, "glass-2", "daily-unlock");
    tj.finish(r1);
    db = {"--db", tj.path()};
  }
  std::vector<std::string> args(std::vector<std::string> extra) const {
    std::vector<std::string> a = db;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::vector<std::string> compare(std::vector<std::string> extra) const {
    std::vector<std::string> a =
        args({"--baseline", "firmware=2.4.0", "--candidate", "firmware=2.4.1"});
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
};

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST(ReportCommand, TextReportOpensWithTheVerdictAndShowsEverySection) {
  Lab lab;
  const Result r = report(lab.compare({}));
  ASSERT_EQ(r.code, 0) << r.error;
  EXPECT_EQ(r.out.rfind("lockrig report: candidate firmware=2.4.1 vs baseline firmware=2.4.0", 0),
            0u);
  const auto verdict = r.out.find("VERDICT");
  ASSERT_NE(verdict, std::string::npos);
  for (const char* section :
       {"SLI PER VERSION", "COMPARISON: CANDIDATE VS BASELINE", "RELEASE GATE", "LOCKS",
        "FAILURE CAUSES", "LATENCY", "ASSERTIONS", "RIG FAULTS", "SELECTION"})
    EXPECT_GT(r.out.find(section), verdict) << section;
  // Counts next to the figures.
  EXPECT_NE(r.out.find("1,980/2,000"), std::string::npos);
  EXPECT_NE(r.out.find("stratified (Mantel-Haenszel)"), std::string::npos);
  // A control character from a label never reaches the terminal.
  EXPECT_EQ(r.out.find('\x01'), std::string::npos);
}

TEST(ReportCommand, JsonIsParseableVersionedAndCarriesTheCountsNextToTheFigures) {
  Lab lab;
  const Result r = report(lab.compare({"--format", "json"}));
  ASSERT_EQ(r.code, 0) << r.error;
  TempDir d;
  const std::string file = write_temp(d, "r.json", r.out);
  const auto [status, out] = run_python(R"py(
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
assert doc["schema"] == "lockrig.report/1", doc["schema"]
assert doc["command"] == "report"
base, cand = doc["arms"]
assert base["name"] == "baseline" and cand["name"] == "candidate"
assert base["sli"]["successes"] == 1980 and base["sli"]["trials"] == 2000, base["sli"]
assert abs(base["sli"]["rate"] - 1980 / 2000) < 1e-15
lo, hi = base["sli"]["interval"]["lower"], base["sli"]["interval"]["upper"]
assert lo < 0.99 < hi
assert cand["sessions"]["rig_fault"] == 1 and cand["sessions"]["assertions_failed"] == 1
strata = {s["stratum"]: s for s in doc["comparison"]["strata"]}
assert set(strata) == {"glass", "wood"}
assert strata["wood"]["baseline"] == {"successes": 995, "trials": 1000}
assert doc["gate"]["verdict"] in ("pass", "fail", "inconclusive")
assert doc["gate"]["exit_code"] in (0, 1, 4)
assert doc["runs"][0]["labels"]["note"].startswith("<script>")
assert doc["verdict"]["status"] == doc["gate"]["verdict"]
print("ok")
)py",
                                        file);
  EXPECT_EQ(status, 0) << out;
}

TEST(ReportCommand, JunitIsWellFormedWithScenarioByLockCasesAndFailedAssertions) {
  Lab lab;
  const Result r = report(lab.compare({"--format", "junit"}));
  ASSERT_EQ(r.code, 0) << r.error;
  TempDir d;
  const std::string file = write_temp(d, "r.xml", r.out);
  const auto [status, out] = run_python(R"py(
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites"
suites = {s.get("name"): s for s in root.findall("testsuite")}
assert set(suites) == {"lockrig.gate", "lockrig.scenarios", "lockrig.locks"}, suites
cases = suites["lockrig.scenarios"].findall("testcase")
names = {(c.get("classname"), c.get("name")) for c in cases}
# Issue 15: stable `scenario/lock` names, whatever the report mode.
assert ("lockrig.scenarios", "battery-pull/wood-2") in names, names
failed = [c for c in cases if c.find("failure") is not None]
assert len(failed) == 1 and failed[0].get("name") == "battery-pull/wood-2"
assert "expected not_found, got success" in failed[0].find("failure").text
assert int(suites["lockrig.scenarios"].get("failures")) == 1
total = sum(int(s.get("tests")) for s in suites.values())
assert int(root.get("tests")) == total
print("ok")
)py",
                                        file);
  EXPECT_EQ(status, 0) << out;
}

// Issue 15: the JUnit report validates against the schema Jenkins' xUnit plugin uses
// (jenkinsci/xunit-plugin src/main/resources/org/jenkinsci/plugins/xunit/types/model/xsd/
// junit-10.xsd, vendored as tests/reports/junit-10.xsd: <testsuites> takes no `skipped` and no
// `timestamp`), in both report modes and for the gate; every case and suite has a `time`; case
// names do not depend on the mode; the suites carry the runs, rigs, seeds, firmware and app as
// <properties>; the failed case's system-out names its failed session by run/session id.
TEST(ReportCommand, JunitValidatesAgainstTheXunitPluginSchemaWithTimesPropertiesAndStableNames) {
  Lab lab;
  const std::string xsd = std::string(LOCKRIG_REPORT_TEST_DIR) + "/junit-10.xsd";
  std::map<std::string, std::set<std::string>> names_by_mode;
  for (const auto& [mode, result] : std::vector<std::pair<std::string, Result>>{
           {"compare", report(lab.compare({"--format", "junit"}))},
           {"single", report(lab.args({"--format", "junit"}))},
           {"gate", gate(lab.compare({"--format", "junit"}))}}) {
    ASSERT_TRUE(result.code == 0 || result.code == 1 || result.code == 4) << result.error;
    TempDir d;
    const std::string file = write_temp(d, mode + ".xml", result.out);
    const std::string cmd =
        "xmllint --noout --schema '" + xsd + "' '" + file + "' > '" + file + ".log' 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0)
        << mode << ":\n" << read_text(file + ".log") << "\n" << result.out.substr(0, 3000);
    const auto [status, out] = run_python(R"py(
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.get("time") is not None
for s in root.findall("testsuite"):
    assert s.get("time") is not None, s.get("name")
    props = {p.get("name"): p.get("value") for p in s.findall("properties/property")}
    assert props["lockrig.rigs"] == "test-rig", props
    assert props["lockrig.firmware"] == "2.4.0,2.4.1", props
    assert props["lockrig.app"] == "5.3.0", props
    assert len(props["lockrig.runs"]) == 36, props
    for c in s.findall("testcase"):
        assert c.get("time") is not None, c.get("name")
cases = {c.get("name"): c for c in root.findall("testsuite[@name='lockrig.scenarios']/testcase")}
for name in sorted(cases):
    print("case", name)
failed = cases["battery-pull/wood-2"]
out = failed.find("system-out").text
assert "failed sessions (lockrig show RUN/SESSION): 1/" in out, out
assert float(cases["daily-unlock/wood-1"].get("time")) > 0
)py",
                                          file);
    EXPECT_EQ(status, 0) << mode << ": " << out;
    for (std::size_t at = out.find("case "); at != std::string::npos; at = out.find("case ", at + 1))
      names_by_mode[mode].insert(out.substr(at + 5, out.find('\n', at) - at - 5));
  }
  EXPECT_EQ(names_by_mode["compare"], names_by_mode["single"]);
  EXPECT_FALSE(names_by_mode["compare"].empty());
}

// Issue 15, item 5: the Markdown summary for a merge-request comment stays under ~40 lines,
// with the verdict, one key table and the failures in <details> blocks naming session ids.
TEST(ReportCommand, MarkdownSummaryIsShortWithFailuresInDetailsBlocksAndSessionIds) {
  Lab lab;
  for (const auto& result : {report(lab.compare({"--format", "markdown-summary"})),
                             gate(lab.compare({"--format", "markdown-summary"}))}) {
    ASSERT_FALSE(result.out.empty()) << result.error;
    const auto lines = std::count(result.out.begin(), result.out.end(), '\n');
    EXPECT_LE(lines, 40) << result.out;
    EXPECT_EQ(result.out.rfind("### lockrig ", 0), 0u) << result.out;
    EXPECT_NE(result.out.find("| candidate |"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("<details><summary>Failed assertions (1)</summary>"),
              std::string::npos)
        << result.out;
    EXPECT_NE(result.out.find("battery-pull/wood-2"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("(sessions 1/"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("1 run(s) on rig(s) test-rig"), std::string::npos) << result.out;
    EXPECT_EQ(result.out.find("<script>"), std::string::npos) << result.out;
  }
}

// Issue 15, item 4: `report --format html --evidence` embeds the failed sessions' timelines in
// collapsed sections; without --evidence the report has none; --evidence needs html.
TEST(ReportCommand, HtmlWithEvidenceEmbedsTheFailedSessionsTimelines) {
  Lab lab;
  const Result with = report(lab.compare({"--format", "html", "--evidence"}));
  ASSERT_EQ(with.code, 0) << with.error;
  EXPECT_NE(with.out.find("<h2>Evidence: failed sessions</h2>"), std::string::npos);
  EXPECT_NE(with.out.find("<details><summary>battery-pull/wood-2: session 1/"), std::string::npos);
  EXPECT_NE(with.out.find("result fail: success"), std::string::npos);
  const Result without = report(lab.compare({"--format", "html"}));
  EXPECT_EQ(without.out.find("Evidence: failed sessions"), std::string::npos);
  const Result text = report(lab.compare({"--evidence"}));
  EXPECT_EQ(text.code, 2);
  EXPECT_NE(text.error.find("--format html"), std::string::npos) << text.error;
}

TEST(ReportCommand, JunitReportsAFailedGateAsAFailureAndAnInconclusiveOneAsSkipped) {
  for (long failures : {200L, 20L}) {
    Lab lab(failures);
    const Result r = gate(lab.compare({"--format", "junit"}));
    TempDir d;
    const std::string file = write_temp(d, "g.xml", r.out);
    const std::string expect = r.code == 1 ? "failure" : r.code == 4 ? "skipped" : "none";
    const auto [status, out] = run_python(
        "import sys, xml.etree.ElementTree as ET\n"
        "root = ET.parse(sys.argv[1]).getroot()\n"
        "case = root.find(\"testsuite[@name='lockrig.gate']/testcase\")\n"
        "kind = 'failure' if case.find('failure') is not None else "
        "'skipped' if case.find('skipped') is not None else 'none'\n"
        "assert kind == '" +
            expect + "', kind\n",
        file);
    EXPECT_EQ(status, 0) << out;
    EXPECT_EQ(r.code, failures == 200 ? 1 : 4) << r.out;
  }
}

TEST(ReportCommand, HtmlIsOneSelfContainedFileWithInlineSvgChartsAndEscapedLabels) {
  Lab lab;
  const Result r = report(lab.compare({"--format", "html"}));
  ASSERT_EQ(r.code, 0) << r.error;
  const std::string& html = r.out;
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_GE(std::count(html.begin(), html.end(), '\n'), 10);
  std::size_t svgs = 0;
  for (auto p = html.find("<svg"); p != std::string::npos; p = html.find("<svg", p + 1)) ++svgs;
  EXPECT_EQ(svgs, 3u);  // forest plot, per-lock dots, latency CDF
  EXPECT_NE(html.find("-margin"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), std::string::npos);
}

TEST(ReportCommand, MarkdownHasTablesAndEscapesLabels) {
  Lab lab;
  const Result r = report(lab.compare({"--format", "markdown"}));
  ASSERT_EQ(r.code, 0) << r.error;
  EXPECT_EQ(r.out.rfind("# lockrig report", 0), 0u);
  EXPECT_NE(r.out.find("## Verdict"), std::string::npos);
  EXPECT_NE(r.out.find("| --- |"), std::string::npos);
  EXPECT_EQ(r.out.find("<script"), std::string::npos);
  EXPECT_NE(r.out.find("\\| pipe"), std::string::npos);
}

TEST(ReportCommand, ASinglePopulationReportNeedsNoVersions) {
  Lab lab;
  const Result r = report(lab.args({"--where", "app=5.3.0", "--strata", "lock"}));
  ASSERT_EQ(r.code, 0) << r.error;
  EXPECT_NE(r.out.find("single population"), std::string::npos);
  EXPECT_NE(r.out.find("SLI BY LOCK"), std::string::npos);
  EXPECT_EQ(r.out.find("RELEASE GATE"), std::string::npos);
}

TEST(ReportCommand, OutputIsWrittenAtomicallyAndAFailureLeavesNothingBehind) {
  Lab lab;
  TempDir d;
  const std::string target = d.file("report.json");
  Result r = report(lab.compare({"--format", "json", "--output", target}));
  ASSERT_EQ(r.code, 0) << r.error;
  EXPECT_TRUE(r.out.empty());
  EXPECT_EQ(entries(d.path), std::vector<std::string>{"report.json"});
  const std::string first = read_file(target);
  EXPECT_NE(first.find("\"schema\": \"lockrig.report/1\""), std::string::npos);

  // A failing run (a version that matches nothing) must leave the old report untouched and no
  // temporary file.
  r = report(lab.args({"--baseline", "firmware=2.4.0", "--candidate", "firmware=7", "--format",
                       "json", "--output", target}));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.error.find("firmware=7"), std::string::npos) << r.error;
  EXPECT_EQ(entries(d.path), std::vector<std::string>{"report.json"});
  EXPECT_EQ(read_file(target), first);

  // No file at all when the first attempt fails.
  const std::string fresh = d.file("fresh.html");
  r = report(lab.args({"--last", "0", "--format", "html", "--output", fresh}));
  EXPECT_EQ(r.code, 2);
  EXPECT_FALSE(fs::exists(fresh));
  EXPECT_EQ(entries(d.path), std::vector<std::string>{"report.json"});
}

TEST(ReportCommand, OutputNeverOverwritesTheJournalItReads) {
  Lab lab;
  const std::string before = read_file(lab.tj.path());
  const Result r = report(lab.args({"--output", lab.tj.path()}));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.error.find("is the journal being read"), std::string::npos) << r.error;
  EXPECT_EQ(read_file(lab.tj.path()), before);
}

TEST(ReportCommand, AtomicWriteReplacesTheFileAndRefusesAMissingDirectory) {
  TempDir d;
  const std::string target = d.file("out.txt");
  write_file_atomically(target, "one");
  write_file_atomically(target, "two");
  EXPECT_EQ(read_file(target), "two");
  EXPECT_EQ(entries(d.path), std::vector<std::string>{"out.txt"});
  EXPECT_THROW(write_file_atomically(d.file("missing/out.txt"), "x"), UsageError);
  EXPECT_THROW(write_file_atomically(d.path.string(), "x"), UsageError);
}

TEST(GateCommand, ExitCodesAreZeroForPassOneForFailFourForInconclusive) {
  {
    Lab lab(20);  // same rates as the baseline, 2,000 sessions each
    const Result r = gate(lab.compare({"--margin", "0.02"}));
    EXPECT_EQ(r.code, 0) << r.out << r.error;
    EXPECT_NE(r.out.find("PASS"), std::string::npos);
  }
  {
    Lab lab(200);  // 10% failures against 1%
    const Result r = gate(lab.compare({}));
    EXPECT_EQ(r.code, 1) << r.out << r.error;
    EXPECT_NE(r.out.find("FAIL"), std::string::npos);
  }
  {
    Lab lab(20);
    const Result r = gate(lab.compare({}));
    EXPECT_EQ(r.code, 4) << r.out << r.error;
    EXPECT_NE(r.out.find("INCONCLUSIVE"), std::string::npos);
    EXPECT_NE(r.out.find("more SLI sessions per version"), std::string::npos);
  }
}

TEST(GateCommand, WithOutputTheFileGetsTheReportAndTheLogStillGetsTheVerdict) {
  Lab lab(200);
  TempDir d;
  const Result r = gate(lab.compare({"--format", "json", "--output", d.file("gate.json")}));
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out.rfind("FAIL: ", 0), 0u) << r.out;
  const auto [status, out] = run_python(
      "import json, sys\n"
      "doc = json.load(open(sys.argv[1]))\n"
      "assert doc['command'] == 'gate' and doc['gate']['verdict'] == 'fail'\n"
      "assert doc['gate']['exit_code'] == 1\n",
      d.file("gate.json"));
  EXPECT_EQ(status, 0) << out;
}

TEST(GateCommand, RefusesAVersionWithoutSliSessionsQuotingTheFilterAndTheValuesPresent) {
  Lab lab;
  const Result r =
      gate(lab.args({"--baseline", "firmware=2.4.0", "--candidate", "firmware=2.5.0"}));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.error.find("--candidate \"firmware=2.5.0\" matches no SLI session"),
            std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("firmware values there: \"2.4.0\" (2,000 SLI sessions), \"2.4.1\""),
            std::string::npos)
      << r.error;
}

TEST(GateCommand, NeedsBothVersions) {
  Lab lab;
  const Result r = gate(lab.args({"--candidate", "firmware=2.4.1"}));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.error.find("needs --baseline and --candidate"), std::string::npos) << r.error;
}

TEST(ReportCommand, BadOptionValuesAreUsageErrorsThatQuoteTheValue) {
  Lab lab;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--confidence", "1.5"}, "\"1.5\""},
      {{"--alpha", "zero"}, "\"zero\""},
      {{"--margin", "-0.01"}, "\"-0.01\""},
      {{"--format", "pdf"}, "\"pdf\""},
      {{"--last", "0"}, "--last must be at least 1"},
      {{"--latency-slo", "fast"}, "\"fast\""},
      {{"--since", "last tuesday"}, "\"last tuesday\""},
      {{"--where", "build"}, "\"build\""},
      {{"--strata", "colour"}, "\"colour\""},
      {{"--bogus"}, "bogus"},
      {{"--output", "/nonexistent-dir/r.txt"}, "does not exist"},
  };
  for (const auto& [extra, needle] : cases) {
    const Result r = report(lab.args(extra));
    EXPECT_EQ(r.code, 2) << extra[0];
    EXPECT_NE(r.error.find(needle), std::string::npos) << extra[0] << ": " << r.error;
  }
  const Result missing = report({"--db", "/nonexistent/lockrig.db"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.error.find("does not exist"), std::string::npos) << missing.error;
}

TEST(ReportCommand, EachCommandExplainsItselfWithHelp) {
  for (auto* f : {&report, &gate, &plan}) {
    const Result r = (*f)({"--help"});
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("Usage: lockrig "), std::string::npos);
  }
  EXPECT_NE(gate({"--help"}).out.find("4 inconclusive"), std::string::npos);
}

TEST(PlanCommand, MatchesRsPowerPropTestFor99_5To99Percent) {
  const Result r = plan({"--baseline-rate", "0.995", "--drop", "0.005"});
  ASSERT_EQ(r.code, 0) << r.error;
  // R: power.prop.test(p1 = .995, p2 = .99, power = .8) -> n = 4672.2, i.e. 4,673 per group.
  EXPECT_NE(r.out.find("4,673 per version"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("99.50% to 99.00%"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Assumptions"), std::string::npos);
  EXPECT_EQ(plan({"--baseline-rate", "99.5%", "--drop", "0.5pts"}).out, r.out);
}

TEST(PlanCommand, WithAMarginAlsoPlansTheGate) {
  const Result r = plan(
      {"--baseline-rate", "0.995", "--drop", "0.005", "--margin", "0.005", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.error;
  // One look is planned by the gate's exact power (issue 11 item 8), near Farrington-Manning's
  // normal-approximation size.
  stats::GateDesign one_look;
  one_look.strata = {{"all", 1.0, 0.995, 0.995}};
  const long gate_n = static_cast<long>(std::ceil(stats::plan_gate(one_look).sessions - 1e-9));
  const double fm = stats::sample_size_non_inferiority(0.995, 0.995, 0.005, 0.05, 0.8);
  EXPECT_NEAR(static_cast<double>(gate_n), fm, 0.1 * fm);
  TempDir d;
  const auto [status, out] = run_python(
      "import json, sys\n"
      "doc = json.load(open(sys.argv[1]))\n"
      "assert doc['schema'] == 'lockrig.plan/1'\n"
      "assert doc['detect']['sessions_per_version'] == 4673, doc\n"
      "assert doc['gate']['sessions_per_version'] == " +
          std::to_string(gate_n) + ", doc\n",
      write_temp(d, "plan.json", r.out));
  EXPECT_EQ(status, 0) << out;
  const Result text = plan({"--baseline-rate", "0.995", "--drop", "0.005", "--margin", "0.005"});
  EXPECT_NE(text.out.find("release gate with margin 0.50 pts"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(with_commas(gate_n) + " per version"), std::string::npos) << text.out;
}

// Planner = gate (issue 11 item 8): `plan --margin` plans for the test and design the gate runs
// (the stratified score test over the door materials given, and `gate --looks`), through
// reports/stats/gate_plan, whose looks are checked against rpact in the stats tests.
TEST(PlanCommand, PlansTheGatesOwnDesignWithItsStrataAndLooks) {
  namespace st = lockrig::stats;
  st::GateDesign d;
  d.margin = 0.005;
  d.max_looks = 4;
  d.strata = {{"wood", 0.5, 0.999, 0.999}, {"steel", 0.5, 0.99, 0.99}};
  const st::GatePlan g = st::plan_gate(d);
  const Result r = plan({"--baseline-rate", "99.5%", "--drop", "0.5pp", "--margin", "0.5pp",
                         "--looks", "4", "--stratum", "wood=99.9%", "--stratum",
                         "steel=99.0%:0.5", "--format", "text"});
  ASSERT_EQ(r.code, 0) << r.error;
  const long want = static_cast<long>(std::ceil(g.sessions - 1e-9));
  EXPECT_NE(r.out.find("release gate with margin 0.50 pts, 4 looks"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(with_commas(want) + " per version"), std::string::npos) << r.out;
  // More looks cost sessions at the last look; one look is the fixed-sample size.
  EXPECT_GT(g.sessions, g.fixed_sessions);
  EXPECT_NE(r.out.find("(one look: " + with_commas(static_cast<long>(std::ceil(g.fixed_sessions - 1e-9))) + ")"),
            std::string::npos)
      << r.out;
  // Without strata or looks: one stratum at the baseline rate, one look (its exact size).
  const Result one = plan({"--baseline-rate", "0.995", "--drop", "0.005", "--margin", "0.005"});
  st::GateDesign one_look;
  one_look.strata = {{"all", 1.0, 0.995, 0.995}};
  const long exact = static_cast<long>(std::ceil(st::plan_gate(one_look).sessions - 1e-9));
  EXPECT_NE(one.out.find(with_commas(exact) + " per version"), std::string::npos) << one.out;
  // Bad designs are usage errors naming what is wrong.
  EXPECT_EQ(plan({"--baseline-rate", "0.995", "--drop", "0.005", "--looks", "3"}).code, 2);
  EXPECT_EQ(plan({"--baseline-rate", "0.995", "--drop", "0.005", "--margin", "0.005", "--stratum",
                  "steel"})
                .code,
            2);
  const Result shares = plan({"--baseline-rate", "0.995", "--drop", "0.005", "--margin", "0.005",
                              "--stratum", "a=99%:0.7", "--stratum", "b=99%:0.7"});
  EXPECT_EQ(shares.code, 2);
  EXPECT_NE(shares.error.find("shares must add up to 1"), std::string::npos) << shares.error;
}

// The plan says how the gate's power was computed: row 8 of docs/gate-statistics.md (four doors
// at 99.9%, two looks) is simulated through the gate's rule, and says so with its Monte Carlo
// standard error; one look at 99.5% is exact enumeration.
TEST(PlanCommand, SaysHowTheGatesPowerWasComputed) {
  const std::vector<std::string> row8 = {
      "--baseline-rate", "99.9%", "--drop", "0.5pp", "--margin", "0.5pp", "--looks", "2",
      "--stratum", "wood=99.9%", "--stratum", "glass=99.9%", "--stratum", "aluminium=99.9%",
      "--stratum", "steel=99.9%"};
  const Result text = plan(row8);
  ASSERT_EQ(text.code, 0) << text.error;
  EXPECT_NE(text.out.find("simulated through the gate's rule (10,000 campaigns, Monte Carlo "
                          "standard error 0."),
            std::string::npos)
      << text.out;
  std::vector<std::string> json_args = row8;
  json_args.insert(json_args.end(), {"--format", "json"});
  const Result json = plan(json_args);
  ASSERT_EQ(json.code, 0) << json.error;
  TempDir d;
  const auto [status, out] = run_python(
      "import json, sys\n"
      "g = json.load(open(sys.argv[1]))['gate']\n"
      "assert g['power_method'] == 'simulated', g\n"
      "assert g['power_replicates'] == 10000, g\n"
      "assert 0 < g['power_monte_carlo_se'] <= 0.005, g\n"
      "assert 0.8 <= g['power'] < 0.9, g\n",
      write_temp(d, "plan.json", json.out));
  EXPECT_EQ(status, 0) << out;
  const Result one = plan({"--baseline-rate", "0.995", "--drop", "0.005", "--margin", "0.005"});
  EXPECT_NE(one.out.find("by exact enumeration of every outcome"), std::string::npos) << one.out;
}

TEST(PlanCommand, RefusesImpossibleRates) {
  EXPECT_EQ(plan({"--baseline-rate", "0.995"}).code, 2);
  EXPECT_EQ(plan({"--baseline-rate", "1.2", "--drop", "0.01"}).code, 2);
  EXPECT_EQ(plan({"--baseline-rate", "0.5", "--drop", "0.6"}).code, 2);
  EXPECT_EQ(plan({"--baseline-rate", "0.995", "--drop", "0.005", "--power", "0.01"}).code, 2);
}
