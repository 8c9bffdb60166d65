// Issue 15 item 5: `lockrig report --summary`, the Markdown merge-request summary, on the simulated
// nightly data (the built-in sim-lab fixture and nightly suite, two nights): under 40 lines in a
// single-population report and in a comparison of the two nights, the same bytes as
// `--format markdown-summary`, and refused (exit 2, nothing written) with another --format.
#include "tests/cli/cli_support.hpp"

namespace lockrig::cli_test {
namespace {

long lines_of(const std::string& text) {
  return static_cast<long>(std::count(text.begin(), text.end(), '\n'));
}

TEST(LockrigReportSummary, StaysUnderFortyLinesOnTheSimulatedNightlyData) {
  TempDir tmp;
  const std::string db = tmp.file("nightly.db");
  for (const std::string seed : {"1", "2"}) {
    const Result r = lockrig({"run", "--db", db, "--progress", "off", "-q", "--seed", seed},
                             Spawn{"", "", 300s});
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.describe();
  }
  const auto uuids = Db(db).column("SELECT uuid FROM runs ORDER BY id");
  ASSERT_EQ(uuids.size(), 2u);
  ASSERT_GT(Db(db).integer("SELECT count(*) FROM sessions"), 300);

  const std::vector<std::vector<std::string>> selections = {
      {}, {"--baseline", "run=" + uuids[0], "--candidate", "run=" + uuids[1]}};
  for (const auto& sel : selections) {
    std::vector<std::string> summary_args = {"report", "--db", db, "--summary"};
    summary_args.insert(summary_args.end(), sel.begin(), sel.end());
    std::vector<std::string> format_args = {"report", "--db", db, "--format", "markdown-summary"};
    format_args.insert(format_args.end(), sel.begin(), sel.end());
    const Result summary = lockrig(summary_args);
    const Result format = lockrig(format_args);
    ASSERT_EQ(summary.exit_code, 0) << summary.describe();
    ASSERT_EQ(format.exit_code, 0) << format.describe();
    EXPECT_EQ(summary.out, format.out);
    EXPECT_LE(lines_of(summary.out), 40) << summary.out;
    EXPECT_GE(lines_of(summary.out), 5) << summary.out;
    EXPECT_EQ(summary.out.rfind("### lockrig ", 0), 0u) << summary.out;
    EXPECT_NE(summary.out.find("2 run(s)"), std::string::npos) << summary.out;
  }

  const std::string out = tmp.file("comment.md");
  const Result clash =
      lockrig({"report", "--db", db, "--summary", "--format", "json", "-o", out});
  EXPECT_EQ(clash.exit_code, 2) << clash.describe();
  EXPECT_NE(clash.err.find("\"json\""), std::string::npos) << clash.describe();
  EXPECT_FALSE(exists(out));
}

}  // namespace
}  // namespace lockrig::cli_test
