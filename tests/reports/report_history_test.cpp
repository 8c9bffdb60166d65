// `lockrig report --history` (reports/history.*, issue 16 item 2) on journals written with counts
// chosen by the test: build order, counts per build, stratum and lock, the change point, the JSON
// schema (parsed by Python), escaping of hostile labels and the refusals.
#include <gtest/gtest.h>

#include "reports/commands.hpp"
#include "tests/reports/report_test_support.hpp"

namespace lockrig::reports::testing {
namespace {

// Four builds, one night each, started in the order b, d, a, c (not their name order), two
// materials; build a (the third) fails 20 of 200 per material, the others 1.
struct FourNights {
  TestJournal tj;
  FourNights() {
    int day = 10;
    for (const std::string b : {"b", "d", "a", "c"}) {
      const auto r = tj.run({{"wood-" + b, "wood", "fw-" + b}, {"steel-" + b, "steel", "fw-" + b}},
                            {{"app", "app-" + b}},
                            "2026-11-" + std::to_string(day++) + "T08:00:00.000Z");
      const long fail = b == "a" ? 20 : 1;
      tj.sli(r, "wood-" + b, 200 - fail, fail);
      tj.sli(r, "steel-" + b, 200 - fail, fail);
      tj.assertion(r, "wood-" + b, "battery-removed", "not_found", "not_found");
      tj.finish(r);
    }
  }
};

TEST(ReportHistory, ListsBuildsInOrderOfFirstRunAndNamesTheDrop) {
  FourNights n;
  const Result r = report({"--db", n.tj.path(), "--history", "firmware"});
  ASSERT_EQ(r.code, 0) << r.error;
  const auto pos = [&](const std::string& s) { return r.out.find(s); };
  ASSERT_NE(pos("  1 fw-b"), std::string::npos) << r.out;
  EXPECT_LT(pos("  1 fw-b"), pos("  2 fw-d"));
  EXPECT_LT(pos("  2 fw-d"), pos("  3 fw-a"));
  EXPECT_LT(pos("  3 fw-a"), pos("  4 fw-c"));
  EXPECT_NE(pos("firmware fw-a is the first build whose SLI is significantly below"),
            std::string::npos)
      << r.out;
  EXPECT_NE(pos("360/400"), std::string::npos) << r.out;  // fw-a's SLI, both materials
  EXPECT_NE(pos("796/800"), std::string::npos) << r.out;  // fw-b and fw-d before it
}

TEST(ReportHistory, JsonFollowsTheDocumentedSchema) {
  FourNights n;
  const Result r = report({"--db", n.tj.path(), "--history", "app", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.error;
  const std::string file = write_temp(n.tj.dir(), "h.json", r.out);
  const auto [status, out] = run_python(R"PY(
import json, sys
h = json.load(open(sys.argv[1]))
assert h["schema"] == "lockrig.history/1", h["schema"]
assert h["settings"]["key"] == "app" and h["settings"]["strata"] == "material"
v = h["versions"]
assert [x["version"] for x in v] == ["app-b", "app-d", "app-a", "app-c"], v
assert [x["order"] for x in v] == [1, 2, 3, 4]
a = v[2]
assert a["sli"]["successes"] == 360 and a["sli"]["trials"] == 400, a["sli"]
assert a["sessions"] == {"total": 401, "sli": 400, "assertions": 1, "rig_fault": 0}, a["sessions"]
lo, hi = a["sli"]["interval"]["lower"], a["sli"]["interval"]["upper"]
assert lo < 0.9 < hi, (lo, hi)
assert [s["stratum"] for s in a["by_stratum"]] == ["steel", "wood"]
assert [l["lock"] for l in a["by_lock"]] == ["steel-a", "wood-a"]
assert a["by_lock"][0]["material"] == "steel"
assert len(a["by_run"]) == 1 and a["by_run"][0]["started_at"].startswith("2026-11-12")
c = h["change_point"]
assert c["first"] == "app-a" and c["procedure"] == "holm", c
assert [s["version"] for s in c["steps"]] == ["app-d", "app-a", "app-c"]
s = c["steps"][1]
assert s["predecessors"] == {"successes": 796, "trials": 800}, s
assert s["significant"] and s["p_holm"] < 0.05 and s["p"] <= s["p_holm"]
assert not c["steps"][0]["significant"]
assert h["verdict"].startswith("app app-a is the first build")
print("ok")
)PY",
                                        file);
  EXPECT_EQ(status, 0) << out;
}

TEST(ReportHistory, AHistoryWithoutADropNamesNone) {
  FourNights n;
  // --last 2: only fw-a and fw-c's nights; fw-c is better than fw-a, not worse.
  const Result r = report({"--db", n.tj.path(), "--history", "firmware", "--last", "2"});
  ASSERT_EQ(r.code, 0) << r.error;
  EXPECT_NE(r.out.find("No firmware build's SLI is significantly below its predecessors'"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("CHANGE POINT"), std::string::npos);
}

TEST(ReportHistory, HtmlMarksTheChangePointAndEveryBuildChangeOnTheNightChart) {
  FourNights n;
  const Result r = report({"--db", n.tj.path(), "--history", "firmware", "--format", "html"});
  ASSERT_EQ(r.code, 0) << r.error;
  const auto count = [&](const std::string& s) {
    long k = 0;
    for (auto at = r.out.find(s); at != std::string::npos; at = r.out.find(s, at + 1)) ++k;
    return k;
  };
  EXPECT_EQ(count("class=\"night-chart\""), 1);
  // Four nights of four builds: three changes on the night chart, one change point on the other.
  EXPECT_EQ(count("class=\"build-change\""), 4);
  EXPECT_EQ(count("class=\"build change-point\""), 1);
  EXPECT_NE(r.out.find("<tr class=\"change-point\"><td class=\"num\">3</td><td>fw-a</td>"),
            std::string::npos);
}

TEST(ReportHistory, HostileLabelsAreText) {
  TestJournal tj;
  const std::string evil = "<script>alert(1)</script>|*x*";
  for (const std::string& app : std::vector<std::string>{"ok", evil}) {
    const auto r = tj.run({{"wood-1", "wood", "1.0"}}, {{"app", app}});
    tj.sli(r, "wood-1", 99, 1);
    tj.finish(r);
  }
  const Result html = report({"--db", tj.path(), "--history", "app", "--format", "html"});
  ASSERT_EQ(html.code, 0) << html.error;
  EXPECT_EQ(html.out.find("<script>"), std::string::npos);
  EXPECT_NE(html.out.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  const Result md = report({"--db", tj.path(), "--history", "app", "--format", "markdown"});
  ASSERT_EQ(md.code, 0) << md.error;
  EXPECT_EQ(md.out.find("</script>|"), std::string::npos) << md.out;
  const Result json = report({"--db", tj.path(), "--history", "app", "--format", "json"});
  ASSERT_EQ(json.code, 0) << json.error;
  const std::string file = write_temp(tj.dir(), "h.json", json.out);
  const auto [status, out] = run_python(
      "import json, sys\nh = json.load(open(sys.argv[1]))\n"
      "assert h['versions'][1]['version'] == '<script>alert(1)</script>|*x*'\nprint('ok')\n",
      file);
  EXPECT_EQ(status, 0) << out;
}

TEST(ReportHistory, SessionsWithoutTheKeyAreCountedInAWarning) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "1.0"}, {"wood-2", "wood", ""}});
  tj.sli(r1, "wood-1", 50, 0);
  tj.sli(r1, "wood-2", 30, 0);
  tj.finish(r1);
  const Result r = report({"--db", tj.path(), "--history", "firmware"});
  ASSERT_EQ(r.code, 0) << r.error;
  EXPECT_NE(r.out.find("30 of 80 sessions have no firmware"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Only one firmware (1.0"), std::string::npos) << r.out;
}

TEST(ReportHistory, RefusesUnknownKeysFormatsAndMixedModes) {
  FourNights n;
  const Result unknown = report({"--db", n.tj.path(), "--history", "biuld"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.error.find("\"biuld\""), std::string::npos) << unknown.error;
  const Result format =
      report({"--db", n.tj.path(), "--history", "firmware", "--format", "csv"});
  EXPECT_EQ(format.code, 2);
  EXPECT_NE(format.error.find("\"csv\""), std::string::npos) << format.error;
  const Result summary = report({"--db", n.tj.path(), "--history", "firmware", "--summary"});
  EXPECT_EQ(summary.code, 2);
  const Result strata =
      report({"--db", n.tj.path(), "--history", "firmware", "--strata", "nonsense"});
  EXPECT_EQ(strata.code, 2);
  EXPECT_NE(strata.error.find("\"nonsense\""), std::string::npos) << strata.error;
  const Result alpha = report({"--db", n.tj.path(), "--history", "firmware", "--alpha", "0.7"});
  EXPECT_EQ(alpha.code, 2);
  EXPECT_NE(alpha.error.find("\"0.7\""), std::string::npos) << alpha.error;
}

}  // namespace
}  // namespace lockrig::reports::testing
