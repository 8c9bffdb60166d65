// The JSON report's figures recomputed from its own counts by R (fisher.test, mantelhaen.test,
// power.prop.test, metafor::rma.mh) and statsmodels/scipy: tests/reports/report_reference_check.py.
// A missing R or statsmodels fails these tests; they are never skipped.
#include <gtest/gtest.h>

#include <sstream>

#include "reports/commands.hpp"
#include "tests/reports/report_test_support.hpp"

using namespace lockrig::reports;
using namespace lockrig::reports::testing;

namespace {

const std::string kChecker = std::string(LOCKRIG_REPORT_TEST_DIR) + "/report_reference_check.py";

std::string json_report(const TestJournal& tj, std::vector<std::string> extra) {
  std::vector<std::string> args = {"--db", tj.path(), "--format", "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::ostringstream out;
  EXPECT_EQ(cmd_report(args, out), 0);
  return out.str();
}

std::pair<int, std::string> check(const std::string& json) {
  TempDir d;
  const std::string file = write_temp(d, "report.json", json);
  return run_python(read_file(kChecker), file);
}

// Three materials with failures everywhere, one lock much worse than its peers, versions on a
// different mix of doors.
void three_materials(TestJournal& tj) {
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"},
                          {"wood-2", "wood", "2.4.0"},
                          {"glass-1", "glass", "2.4.0"},
                          {"steel-1", "steel", "2.4.0"}},
                         {{"app", "5.3.0"}});
  tj.sli(r1, "wood-1", 1490, 10, "daily-unlock", 700.0, 40);
  tj.sli(r1, "wood-2", 1480, 20, "daily-unlock", 720.0, 30);
  tj.sli(r1, "glass-1", 480, 20, "daily-unlock", 900.0, 25, "not_found");
  tj.sli(r1, "steel-1", 495, 5, "stay-connected", 1100.0, 10);
  tj.finish(r1);
  const auto r2 = tj.run({{"wood-1", "wood", "2.4.1"},
                          {"wood-2", "wood", "2.4.1"},
                          {"glass-1", "glass", "2.4.1"},
                          {"steel-1", "steel", "2.4.1"}},
                         {{"app", "5.3.0"}});
  tj.sli(r2, "wood-1", 992, 8, "daily-unlock", 760.0, 20);
  tj.sli(r2, "wood-2", 940, 60, "daily-unlock", 760.0, 20);
  tj.sli(r2, "glass-1", 1455, 45, "daily-unlock", 950.0, 30, "not_found");
  tj.sli(r2, "steel-1", 497, 3, "stay-connected", 1150.0, 10);
  tj.finish(r2);
}

}  // namespace

TEST(ReportReference, TwoVersionReportMatchesRAndStatsmodels) {
  TestJournal tj;
  three_materials(tj);
  const auto [status, out] = check(json_report(tj, {"--baseline", "firmware=2.4.0", "--candidate",
                                                    "firmware=2.4.1", "--confidence", "0.9"}));
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("cmh"), std::string::npos) << out;
}

TEST(ReportReference, NoSignificantDifferenceReportsTheDropRsPowerPropTestFinds) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"},
                          {"wood-2", "wood", "2.4.1"},
                          {"glass-1", "glass", "2.4.0"},
                          {"glass-2", "glass", "2.4.1"}});
  tj.sli(r1, "wood-1", 795, 5);
  tj.sli(r1, "wood-2", 594, 6);
  tj.sli(r1, "glass-1", 390, 10);
  tj.sli(r1, "glass-2", 588, 12);
  tj.finish(r1);
  const std::string json =
      json_report(tj, {"--baseline", "firmware=2.4.0", "--candidate", "firmware=2.4.1"});
  EXPECT_NE(json.find("\"minimum_detectable_drop\": 0."), std::string::npos);
  const auto [status, out] = check(json);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find(" p1"), std::string::npos) << out;  // power.prop.test was consulted
}

TEST(ReportReference, SinglePopulationReportMatchesStatsmodels) {
  TestJournal tj;
  three_materials(tj);
  const auto [status, out] = check(json_report(tj, {}));
  EXPECT_EQ(status, 0) << out;
}

TEST(ReportReference, TheCheckerCatchesAFigureThatIsOffInTheSeventhDigit) {
  TestJournal tj;
  three_materials(tj);
  std::string json =
      json_report(tj, {"--baseline", "firmware=2.4.0", "--candidate", "firmware=2.4.1"});
  // Nudge the Sato standard error: 1 + 1e-6 relative.
  const auto key = json.find("\"se\": ");
  ASSERT_NE(key, std::string::npos);
  const auto start = key + 6, end = json.find_first_of(",\n", start);
  const double se = std::stod(json.substr(start, end - start));
  std::ostringstream nudged;
  nudged.precision(17);
  nudged << se * (1 + 1e-6);
  json.replace(start, end - start, nudged.str());
  const auto [status, out] = check(json);
  EXPECT_NE(status, 0) << out;
  EXPECT_NE(out.find("MISMATCH Sato se"), std::string::npos) << out;
}
