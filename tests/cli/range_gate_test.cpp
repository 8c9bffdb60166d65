// Issue 14 item 4, black box: the real `lockrig` binary on a journal written through
// lockrig::Journal with sweep sessions (expect 'range', sli_eligible 0, a sweep_sessions level per
// session, as the writer stores them for `lockrig run`). The Range figures in the JSON are read
// back with Boost.PropertyTree's parser (not ours) and compared with reports/stats/range.hpp on
// the same counts; the gate's exit codes and verdict lines are what a CI job sees.
#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <cmath>
#include <sstream>

#include "reports/stats/range.hpp"
#include "rig/journal/journal.hpp"
#include "tests/cli/cli_support.hpp"
#include "tests/support/sweep_records.hpp"

namespace lockrig::cli_test {
namespace {

using boost::property_tree::ptree;
namespace st = lockrig::stats;

constexpr double kLevels[] = {50, 54, 58, 62, 66, 70, 74, 78};

// Successes out of n at `level` on a logistic curve with its 99% point at `margin`, 0.5/dB.
long successes_at(double margin, double level, long n) {
  return std::lround(static_cast<double>(n) /
                     (1.0 + std::exp(-(std::log(99.0) - 0.5 * (level - margin)))));
}

SessionRecord session(const std::string& lock, int rep, bool ok, std::optional<double> level) {
  return lockrig::testing::sweep_test_session(lock, level ? "range-sweep" : "daily-unlock", rep, ok, level);
}

// One lock of one firmware build on a steel door: its 99% point, sweep sessions per level (none
// when 0) and successful SLI sessions.
struct Build {
  std::string lock, firmware;
  double margin;
  long per_level;
  int sli;
};

std::string write_builds(const std::string& dir, const std::vector<Build>& builds) {
  const std::string path = dir + "/journal.db";
  Journal j = Journal::open(path);
  const auto run = j.begin_run(lockrig::testing::sweep_test_run());
  std::vector<LockRow> rows;
  for (const auto& b : builds) rows.push_back(LockRow{b.lock, "m", "steel", "A1", "sim", b.firmware, "m", "acme"});
  j.record_locks(run, rows);
  for (const auto& b : builds) {
    std::vector<JournalBatch> batch;
    int rep = 0;
    for (int i = 0; i < b.sli; ++i) batch.push_back({{}, session(b.lock, ++rep, true, std::nullopt)});
    for (double level : kLevels)
      for (long i = 0, s = successes_at(b.margin, level, b.per_level); i < b.per_level; ++i)
        batch.push_back({{}, session(b.lock, ++rep, i < s, level)});
    j.commit_group(run, batch);
  }
  j.finish_run(run, "completed", 0, "2026-12-01T09:00:00.000Z", 60.0);
  return path;
}

// One run: a steel lock per firmware; the candidate's 99% point `loss` dB below the baseline's
// 60 dB; `n` sweep sessions per level (none when n is 0) and 400 successful SLI sessions each.
std::string write_journal(const std::string& dir, double loss, long n) {
  return write_builds(dir, {{"steel-1", "2.4.0", 60.0, n, 400}, {"steel-2", "2.4.1", 60.0 - loss, n, 400}});
}

std::vector<st::DosePoint> points(double margin, long n) {
  std::vector<st::DosePoint> out;
  for (double level : kLevels) out.push_back({level, {successes_at(margin, level, n), n}});
  return out;
}

const std::vector<std::string> kVersions = {"--baseline", "firmware=2.4.0", "--candidate",
                                            "firmware=2.4.1"};

std::vector<std::string> args(const std::string& command, const std::string& db,
                              std::vector<std::string> more) {
  std::vector<std::string> a = {command, "--db", db};
  a.insert(a.end(), kVersions.begin(), kVersions.end());
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

TEST(RangeGateCli, ALossBeyondTheMarginExitsFiveWithItsOwnVerdictLine) {
  TempDir d;
  const std::string db = write_journal(d.path(), 6.0, 200);
  const Result fail = lockrig(args("gate", db, {"--range-margin", "2dB", "--margin", "5pp"}));
  ASSERT_TRUE(fail.exited) << fail.describe();
  EXPECT_EQ(fail.exit_code, 5) << fail.describe();
  EXPECT_NE(fail.out.find("RANGE FAIL: candidate loses"), std::string::npos) << fail.describe();
  // The same data against a 10 dB margin: the loss is shown within it.
  const Result pass = lockrig(args("gate", db, {"--range-margin", "10dB", "--margin", "5pp"}));
  EXPECT_EQ(pass.exit_code, 0) << pass.describe();
  EXPECT_NE(pass.out.find("RANGE PASS:"), std::string::npos) << pass.describe();
  // With the report in a file, stdout still carries both verdict lines.
  const std::string file = d.file("gate.json");
  const Result to_file = lockrig(args("gate", db, {"--range-margin", "2dB", "--margin", "5pp",
                                                   "--format", "json", "-o", file}));
  EXPECT_EQ(to_file.exit_code, 5) << to_file.describe();
  EXPECT_NE(to_file.out.find("RANGE FAIL:"), std::string::npos) << to_file.describe();
}

TEST(RangeGateCli, RangeMarginWithoutSweepSessionsIsAUsageError) {
  TempDir d;
  const std::string db = write_journal(d.path(), 0.0, 0);
  const Result r = lockrig(args("gate", db, {"--range-margin", "2dB", "--margin", "5pp"}));
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find("--range-margin \"2dB\""), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("no sweep sessions"), std::string::npos) << r.describe();
  EXPECT_TRUE(r.out.empty()) << r.describe();
  // The report of the same journal has no Range section and says so in JSON.
  const Result rep = lockrig(args("report", db, {"--format", "json"}));
  ASSERT_EQ(rep.exit_code, 0) << rep.describe();
  ptree tree;
  std::istringstream in(rep.out);
  ASSERT_NO_THROW(boost::property_tree::read_json(in, tree));
  EXPECT_EQ(tree.get<std::string>("range"), "null");
}

TEST(RangeGateCli, JsonFiguresEqualTheStatisticsModule) {
  TempDir d;
  const std::string db = write_journal(d.path(), 3.0, 60);
  const Result r = lockrig(args("report", db, {"--format", "json", "--range-link", "cloglog"}));
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  ptree tree;
  std::istringstream in(r.out);
  ASSERT_NO_THROW(boost::property_tree::read_json(in, tree)) << r.out;
  const std::vector<st::RangeStratumInput> strata = {
      {"steel", points(57.0, 60), points(60.0, 60)}};
  const st::RangeComparison want =
      st::compare_range(strata, st::DoseLink::cloglog, 0.99, 0.95);
  const ptree& range = tree.get_child("range");
  EXPECT_EQ(range.get<std::string>("link"), "cloglog");
  EXPECT_EQ(range.get<long>("sessions"), 2 * 8 * 60);
  const ptree& pooled = range.get_child("comparison.pooled");
  EXPECT_NEAR(pooled.get<double>("difference_db"), want.difference, 1e-12);
  EXPECT_NEAR(pooled.get<double>("lower"), want.interval.lower, 1e-12);
  EXPECT_NEAR(pooled.get<double>("upper"), want.interval.upper, 1e-12);
  int curves = 0;
  for (const auto& [k, c] : range.get_child("curves")) {
    const st::DoseEstimate& m = c.get<std::string>("version") == "baseline"
                                    ? want.strata[0].baseline_margin
                                    : want.strata[0].candidate_margin;
    EXPECT_NEAR(c.get<double>("margin.level_db"), m.level, 1e-12);
    EXPECT_NEAR(c.get<double>("margin.profile.lower"), m.profile.interval.lower, 1e-12);
    EXPECT_EQ(c.get<long>("sessions"), 8 * 60);
    ++curves;
  }
  EXPECT_EQ(curves, 2);
}

// Sweep sessions alone (neither version has an SLI session, e.g. a journal of range-sweep.yaml):
// compared on range, and the range gate alone decides. On the main branch before this change both
// were refused (exit 2: "--baseline ... matches no SLI session").
TEST(RangeGateCli, SweepSessionsAloneAreComparedAndGatedOnRange) {
  TempDir d;
  const std::string db =
      write_builds(d.path(), {{"steel-1", "2.4.0", 60.0, 200, 0}, {"steel-2", "2.4.1", 54.0, 200, 0}});
  const Result rep = lockrig(args("report", db, {"--format", "json"}));
  ASSERT_EQ(rep.exit_code, 0) << rep.describe();
  ptree tree;
  std::istringstream in(rep.out);
  ASSERT_NO_THROW(boost::property_tree::read_json(in, tree)) << rep.out;
  EXPECT_EQ(tree.get<std::string>("comparison"), "null");  // no SLI comparison
  EXPECT_TRUE(tree.get<bool>("range.comparison.range_only"));
  EXPECT_EQ(tree.get<long>("range.comparison.baseline_sessions"), 8 * 200);
  EXPECT_EQ(tree.get<long>("range.comparison.candidate_sessions"), 8 * 200);
  const std::vector<st::RangeStratumInput> strata = {{"steel", points(54.0, 200), points(60.0, 200)}};
  const st::RangeComparison want = st::compare_range(strata, st::DoseLink::logit, 0.99, 0.95);
  EXPECT_NEAR(tree.get<double>("range.comparison.pooled.difference_db"), want.difference, 1e-12);
  EXPECT_NE(tree.get<std::string>("verdict.summary").find("Range only"), std::string::npos);

  // The gate: range alone decides (exit 5 fail, 0 pass); without --range-margin nothing to gate.
  const Result fail = lockrig(args("gate", db, {"--range-margin", "2dB"}));
  EXPECT_EQ(fail.exit_code, 5) << fail.describe();
  EXPECT_NE(fail.out.find("RANGE FAIL: candidate loses"), std::string::npos) << fail.describe();
  const Result pass = lockrig(args("gate", db, {"--range-margin", "10dB"}));
  EXPECT_EQ(pass.exit_code, 0) << pass.describe();
  EXPECT_NE(pass.out.find("RANGE PASS:"), std::string::npos) << pass.describe();
  const Result none = lockrig(args("gate", db, {}));
  EXPECT_EQ(none.exit_code, 2) << none.describe();
  EXPECT_NE(none.err.find("gate on range with --range-margin"), std::string::npos) << none.describe();
  EXPECT_TRUE(none.out.empty()) << none.describe();
}

// A version without sweep sessions is named (exit 2, nothing written), whether or not the
// versions have SLI sessions; before this change the SLI journal gave RANGE INCONCLUSIVE (exit 4)
// and the sweep-only one blamed the baseline's missing SLI sessions.
TEST(RangeGateCli, ARangeGateNamesTheVersionWithoutSweepSessions) {
  for (const int sli : {400, 0}) {
    TempDir d;
    const std::string db =
        write_builds(d.path(), {{"steel-1", "2.4.0", 60.0, 50, sli}, {"steel-2", "2.4.1", 57.0, 0, sli}});
    const std::string file = d.file("gate.json");
    const Result r = lockrig(args("gate", db, {"--range-margin", "2dB", "--margin", "5pp", "--format",
                                               "json", "-o", file}));
    EXPECT_EQ(r.exit_code, 2) << "SLI " << sli << ": " << r.describe();
    EXPECT_NE(r.err.find("--candidate \"firmware=2.4.1\" matches no"), std::string::npos)
        << "SLI " << sli << ": " << r.describe();
    EXPECT_NE(r.err.find("sweep session"), std::string::npos) << r.describe();
    EXPECT_FALSE(std::filesystem::exists(file)) << "SLI " << sli;
  }
}

// Issue 14: the range gate is a JUnit test case of its own (suite lockrig.range: FAIL a failure,
// INCONCLUSIVE skipped, PASS a plain case), read back with Boost.PropertyTree's XML parser; the
// Markdown summary carries a Range line per version and the comparison. Neither existed before.
TEST(RangeGateCli, JunitAndMarkdownSummaryCarryTheRangeGate) {
  TempDir d;
  const std::string db = write_journal(d.path(), 6.0, 200);
  auto range_case = [&](const std::string& margin, int want_exit) {
    const Result r = lockrig(args("gate", db, {"--range-margin", margin, "--margin", "5pp",
                                               "--format", "junit"}));
    EXPECT_EQ(r.exit_code, want_exit) << r.describe();
    ptree xml;
    std::istringstream in(r.out);
    boost::property_tree::read_xml(in, xml);
    for (const auto& [tag, suite] : xml.get_child("testsuites"))
      if (tag == "testsuite" && suite.get<std::string>("<xmlattr>.name") == "lockrig.range") {
        EXPECT_EQ(suite.get<int>("<xmlattr>.tests"), 1);
        return suite.get_child("testcase");
      }
    ADD_FAILURE() << "no lockrig.range suite in " << r.out;
    return ptree();
  };
  const ptree fail = range_case("2dB", 5);
  EXPECT_NE(fail.get<std::string>("<xmlattr>.name").find("loses at most 2 dB of range"),
            std::string::npos);
  EXPECT_EQ(fail.get<std::string>("failure.<xmlattr>.type", ""), "range-gate");
  EXPECT_NE(fail.get<std::string>("failure.<xmlattr>.message", "").find("RANGE FAIL:"),
            std::string::npos);
  const ptree pass = range_case("10dB", 0);
  EXPECT_FALSE(pass.get_child_optional("failure"));
  EXPECT_FALSE(pass.get_child_optional("skipped"));
  // Without --range-margin there is no range case.
  const Result plain = lockrig(args("gate", db, {"--margin", "5pp", "--format", "junit"}));
  EXPECT_EQ(plain.out.find("lockrig.range"), std::string::npos);

  const Result md = lockrig(args("gate", db, {"--range-margin", "2dB", "--margin", "5pp",
                                              "--format", "markdown-summary"}));
  EXPECT_EQ(md.exit_code, 5) << md.describe();
  EXPECT_NE(md.out.find("**Range** (margin at 99.0%, logit fit, 3,200 sweep sessions)"),
            std::string::npos)
      << md.out;
  EXPECT_NE(md.out.find("- baseline (firmware=2.4.0): steel "), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("- candidate (firmware=2.4.1): steel "), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("- candidate - baseline: loses "), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("- RANGE FAIL: candidate loses"), std::string::npos) << md.out;
}

}  // namespace
}  // namespace lockrig::cli_test
