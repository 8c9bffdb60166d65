// Issue 14 item 4, black box: the real `lockrig` binary on a journal written through
// lockrig::Journal with sweep sessions (expect 'range', sli_eligible 0, a sweep_sessions level per
// session, as the writer stores them for `lockrig run`). The Range figures in the JSON are read
// back with Boost.PropertyTree's parser (not ours) and compared with reports/stats/range.hpp on
// the same counts; the gate's exit codes and verdict lines are what a CI job sees.
#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <cmath>
#include <sstream>

#include "reports/stats/range.hpp"
#include "rig/journal/journal.hpp"
#include "tests/cli/cli_support.hpp"

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
  SessionRecord s;
  s.lock_id = lock;
  s.scenario = level ? "range-sweep" : "daily-unlock";
  s.repetition = rep;
  s.expect = level ? std::string(kSweepExpect) : "success";
  s.within = Duration(10'000'000'000);
  s.started = Duration(std::int64_t{rep} * 2'000'000'000);
  s.ended = s.started + Duration(700'000'000);
  s.sli_eligible = !level;
  s.sli_success = !level && ok;
  s.first_attempt_success = ok;
  s.result = ok ? SessionResult::pass : SessionResult::fail;
  s.outcome = ok ? "success" : "not_found";
  AttemptRecord at;
  at.number = 1;
  at.outcome = s.outcome;
  at.phase = "unlock";
  s.attempts.push_back(at);
  if (level) s.sweep = SweepLevel{"range-sweep", "rf_path", *level, "grid"};
  return s;
}

// One run: a steel lock per firmware; the candidate's 99% point `loss` dB below the baseline's
// 60 dB; `n` sweep sessions per level (none when n is 0) and 400 successful SLI sessions each.
std::string write_journal(const std::string& dir, double loss, long n) {
  const std::string path = dir + "/journal.db";
  Journal j = Journal::open(path);
  RunRecord info;
  info.uuid = "00000000-0000-4000-8000-000000000001";
  info.host = "h";
  info.rig = "r";
  info.started_at = "2026-12-01T08:00:00.000Z";
  info.clock = "virtual";
  info.fixture_source = "fixture.yaml";
  info.fixture_sha256 = info.scenarios_sha256 = "0";
  info.controller_version = "test";
  info.command_line = "lockrig run";
  const auto run = j.begin_run(info);
  j.record_locks(run, {LockRow{"steel-1", "m", "steel", "A1", "sim", "2.4.0", "m", "acme"},
                       LockRow{"steel-2", "m", "steel", "A2", "sim", "2.4.1", "m", "acme"}});
  for (const auto& [lock, margin] : {std::pair{"steel-1", 60.0}, std::pair{"steel-2", 60.0 - loss}}) {
    std::vector<JournalBatch> batch;
    int rep = 0;
    for (int i = 0; i < 400; ++i) batch.push_back({{}, session(lock, ++rep, true, std::nullopt)});
    for (double level : kLevels)
      for (long i = 0, s = successes_at(margin, level, n); i < n; ++i)
        batch.push_back({{}, session(lock, ++rep, i < s, level)});
    j.commit_group(run, batch);
  }
  j.finish_run(run, "completed", 0, "2026-12-01T09:00:00.000Z", 60.0);
  return path;
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

}  // namespace
}  // namespace lockrig::cli_test
