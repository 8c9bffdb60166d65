// The figures of a report, computed from journals with chosen counts and checked against the
// statistics library (itself checked against R and statsmodels) and against hand calculations.
#include <gtest/gtest.h>

#include "tests/support/journal_fixtures.hpp"

#include <algorithm>
#include <cmath>

#include "reports/comparison.hpp"
#include "reports/dataset.hpp"
#include "reports/format.hpp"
#include "reports/layout.hpp"
#include "reports/stats/noninferiority.hpp"
#include "reports/stats/stats.hpp"
#include "rig/base/errors.hpp"
#include "tests/reports/report_test_support.hpp"

namespace st = lockrig::stats;
using namespace lockrig;
using namespace lockrig::reports;
using lockrig::reports::testing::TestJournal;

namespace {

Report report_of(const TestJournal& tj, ReportOptions o = {}, RunSelection sel = {}) {
  Journal j = Journal::open_readonly(tj.path());
  const Dataset d = load_dataset(j, sel);
  return compute_report(d, o);
}

ReportOptions firmware_comparison() {
  ReportOptions o;
  o.baseline = {{"firmware", "2.4.0"}};
  o.candidate = {{"firmware", "2.4.1"}};
  return o;
}

const StratumComparison& stratum(const Report& r, const std::string& label) {
  for (const auto& s : r.comparison->strata)
    if (s.label == label) return s;
  throw std::runtime_error("no stratum " + label);
}

// Baseline mostly on wood doors (easy), candidate mostly on glass (hard); within each material
// both versions have the same success rate. Pooled, the candidate looks much worse.
void simpson_mix(TestJournal& tj) {
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"}, {"glass-1", "glass", "2.4.0"}});
  tj.sli(r1, "wood-1", 4491, 9);   // 99.8%
  tj.sli(r1, "glass-1", 490, 10);  // 98.0%
  tj.finish(r1);
  const auto r2 = tj.run({{"wood-1", "wood", "2.4.1"}, {"glass-1", "glass", "2.4.1"}});
  tj.sli(r2, "wood-1", 499, 1);     // 99.8%
  tj.sli(r2, "glass-1", 4410, 90);  // 98.0%
  tj.finish(r2);
}

}  // namespace

TEST(ReportFigures, PerVersionSliIsTheWilsonIntervalOfTheSessionCounts) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"}, {"wood-2", "wood", "2.4.1"}});
  tj.sli(r1, "wood-1", 992, 8);
  tj.sli(r1, "wood-2", 996, 4);
  tj.finish(r1);
  const Report r = report_of(tj, firmware_comparison());
  ASSERT_EQ(r.arms.size(), 2u);
  EXPECT_EQ(r.arms[0].name, "baseline");
  EXPECT_EQ(r.arms[0].sli_counts, (st::Counts{992, 1000}));
  const auto expected = st::wilson_interval({992, 1000}, 0.95);
  EXPECT_DOUBLE_EQ(r.arms[0].sli->interval.lower, expected.lower);
  EXPECT_DOUBLE_EQ(r.arms[0].sli->interval.upper, expected.upper);
  // DOMAIN.md's published vector: 992/1000 -> Wilson .984294-.995941.
  EXPECT_NEAR(r.arms[0].sli->interval.lower, 0.984294, 5e-7);
  EXPECT_NEAR(r.arms[0].sli->interval.upper, 0.995941, 5e-7);
  EXPECT_EQ(r.arms[1].sli_counts, (st::Counts{996, 1000}));
  // And the published Fisher p for 992/1000 vs 996/1000.
  EXPECT_NEAR(r.comparison->fisher.p_two_sided, 0.3862, 5e-5);
}

TEST(ReportFigures, FirstAttemptSuccessAndTheAttemptsDistributionComeFromTheSessions) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"}});
  tj.sli(r1, "wood-1", 90, 10, "daily-unlock", 800.0, /*retried=*/30);
  tj.finish(r1);
  const Report r = report_of(tj);
  const Arm& a = r.arms.at(0);
  EXPECT_EQ(a.sli_counts, (st::Counts{90, 100}));
  EXPECT_EQ(a.first_attempt_counts, (st::Counts{60, 100}));
  ASSERT_EQ(a.attempts.size(), 3u);  // 1, 2 and 3 attempts
  EXPECT_EQ(a.attempts[0].sessions, 60);
  EXPECT_EQ(a.attempts[1].sessions, 30);
  EXPECT_EQ(a.attempts[1].successes, 30);
  EXPECT_EQ(a.attempts[2].sessions, 10);
  EXPECT_EQ(a.attempts[2].successes, 0);
  EXPECT_DOUBLE_EQ(a.mean_attempts, (60 * 1 + 30 * 2 + 10 * 3) / 100.0);
}

TEST(ReportFigures, SimpsonsMixLooksLikeARegressionPooledButNotWithinMaterials) {
  TestJournal tj;
  simpson_mix(tj);
  const Report r = report_of(tj, firmware_comparison());
  const Comparison& c = *r.comparison;
  // Pooled: 4909/5000 vs 4981/5000, a "regression" of 1.44 points that Fisher calls certain.
  EXPECT_EQ(r.arms[1].sli_counts, (st::Counts{4909, 5000}));
  EXPECT_EQ(r.arms[0].sli_counts, (st::Counts{4981, 5000}));
  EXPECT_LT(c.overall.interval.upper, 0.0);
  EXPECT_LT(c.fisher.p_two_sided, 1e-6);
  // Within materials the rates are identical: the stratified difference is exactly 0.
  EXPECT_NEAR(c.risk_difference.difference, 0.0, 1e-12);
  EXPECT_GT(c.cmh.p_value, 0.5);
  EXPECT_FALSE(c.significant);
  EXPECT_TRUE(c.simpson_warning);
  EXPECT_NE(r.gate->verdict, Verdict::fail);
  EXPECT_NEAR(stratum(r, "glass").candidate_share, 0.9, 1e-12);
  EXPECT_NEAR(stratum(r, "glass").baseline_share, 0.1, 1e-12);
  // The same figures straight from the library.
  const std::vector<st::Stratum> table = {{"glass", {4410, 4500}, {490, 500}},
                                          {"wood", {499, 500}, {4491, 4500}}};
  const auto cmh = st::cochran_mantel_haenszel(table);
  EXPECT_DOUBLE_EQ(c.cmh.statistic, cmh.statistic);
  EXPECT_DOUBLE_EQ(c.cmh.p_value, cmh.p_value);
  const auto orr = st::mantel_haenszel_odds_ratio(table);
  EXPECT_DOUBLE_EQ(c.odds_ratio.odds_ratio, orr.odds_ratio);
  // The gate decides with the stratified score test (issue 11: the MH/Sato Wald test it used
  // before does not keep its size near 100% success).
  const auto ni = st::decide_non_inferiority(table, 0.005, 0.05);
  EXPECT_DOUBLE_EQ(r.gate->p_value, ni.p_pass);
}

TEST(ReportFigures, AClearRegressionFailsTheGateWithTheDocumentedBounds) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"}, {"steel-1", "steel", "2.4.0"}});
  tj.sli(r1, "wood-1", 2985, 15);
  tj.sli(r1, "steel-1", 2970, 30);
  tj.finish(r1);
  const auto r2 = tj.run({{"wood-1", "wood", "2.4.1"}, {"steel-1", "steel", "2.4.1"}});
  tj.sli(r2, "wood-1", 2925, 75);
  tj.sli(r2, "steel-1", 2910, 90);
  tj.finish(r2);
  const Report r = report_of(tj, firmware_comparison());
  const Gate& g = *r.gate;
  EXPECT_EQ(g.verdict, Verdict::fail);
  EXPECT_EQ(g.exit_code, 1);
  // Issue 11: the stratified Miettinen-Nurminen score test (was the MH/Sato Wald test); its
  // bounds invert the score test, so the upper bound is below -margin exactly when it FAILs.
  EXPECT_EQ(g.method, "miettinen-nurminen-stratified-score");
  // Equal weights per stratum here, so RD is the mean of the two differences: -2 points.
  EXPECT_NEAR(g.difference, -0.02, 1e-12);
  const auto bounds = st::stratified_score_bounds(
      {{"steel", {2910, 3000}, {2970, 3000}}, {"wood", {2925, 3000}, {2985, 3000}}}, 0.05);
  ASSERT_TRUE(bounds.has_value());
  EXPECT_NEAR(*g.upper_bound, bounds->upper, 1e-12);
  EXPECT_LT(*g.upper_bound, -0.005);
  EXPECT_FALSE(g.needed.has_value());
  EXPECT_TRUE(r.comparison->significant);
  EXPECT_EQ(r.comparison->direction, -1);
  EXPECT_EQ(r.verdict.rfind("FAIL", 0), 0u) << r.verdict;
}

TEST(ReportFigures, TooLittleDataIsInconclusiveAndSaysHowManyMoreSessionsPerVersion) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"}, {"wood-2", "wood", "2.4.1"}});
  tj.sli(r1, "wood-1", 199, 1);
  tj.sli(r1, "wood-2", 199, 1);
  tj.finish(r1);
  const Report r = report_of(tj, firmware_comparison());
  const Gate& g = *r.gate;
  EXPECT_EQ(g.verdict, Verdict::inconclusive);
  EXPECT_EQ(g.exit_code, 4);
  ASSERT_TRUE(g.needed.has_value());
  EXPECT_TRUE(g.needed->achievable);
  const long planned =
      static_cast<long>(std::ceil(st::sample_size_non_inferiority(0.995, 0.995, 0.005, 0.05, 0.8)));
  EXPECT_EQ(g.needed->per_version, planned);
  EXPECT_EQ(g.needed->more_per_version, planned - 200);
  EXPECT_GT(g.needed->more_per_version, 0);
  EXPECT_NE(
      r.verdict.find("about " + with_commas(planned - 200) + " more SLI sessions per version"),
      std::string::npos)
      << r.verdict;
  EXPECT_EQ(r.verdict.rfind("INCONCLUSIVE", 0), 0u) << r.verdict;
  // Not significant, so the report says what it could have detected.
  ASSERT_TRUE(r.comparison->power.has_value());
  const auto drop = st::minimum_detectable_drop(200.0, 0.995, 0.05, 0.8);
  ASSERT_TRUE(r.comparison->power->drop.has_value());
  EXPECT_DOUBLE_EQ(r.comparison->power->drop->drop, drop->drop);
}

TEST(ReportFigures, EqualVersionsWithEnoughDataPassTheGate) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"},
                          {"wood-2", "wood", "2.4.1"},
                          {"glass-1", "glass", "2.4.0"},
                          {"glass-2", "glass", "2.4.1"}});
  tj.sli(r1, "wood-1", 990, 10);
  tj.sli(r1, "wood-2", 991, 9);
  tj.sli(r1, "glass-1", 980, 20);
  tj.sli(r1, "glass-2", 981, 19);
  tj.finish(r1);
  ReportOptions o = firmware_comparison();
  o.margin = 0.02;
  const Report r = report_of(tj, o);
  EXPECT_EQ(r.gate->verdict, Verdict::pass);
  EXPECT_EQ(r.gate->exit_code, 0);
  EXPECT_LT(r.gate->p_value, 0.05);
  EXPECT_GT(*r.gate->lower_bound, -0.02);
}

// Issue 11 changed the test (score, not Wald) and so the bounds: they now invert the stratified
// score test, and the verdict still follows them.
TEST(ReportGateRule, PassFailAndInconclusiveFollowTheOneSidedBounds) {
  ReportOptions o;
  o.margin = 0.01;
  o.alpha = 0.05;
  const std::vector<std::vector<st::Stratum>> cases = {
      {{"wood", {4950, 5000}, {4955, 5000}}, {"steel", {4900, 5000}, {4890, 5000}}},  // pass
      {{"wood", {4700, 5000}, {4950, 5000}}, {"steel", {4600, 5000}, {4900, 5000}}},  // fail
      {{"wood", {95, 100}, {96, 100}}, {"steel", {90, 100}, {92, 100}}},              // neither
  };
  const Verdict expected[] = {Verdict::pass, Verdict::fail, Verdict::inconclusive};
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Gate g = decide_gate(cases[i], o);
    const auto rd = st::mantel_haenszel_risk_difference(cases[i]);
    EXPECT_NEAR(g.difference, rd.difference, 1e-15);
    const auto bounds = st::stratified_score_bounds(cases[i], o.alpha);
    ASSERT_TRUE(bounds.has_value());
    EXPECT_NEAR(*g.lower_bound, bounds->lower, 1e-12);
    EXPECT_NEAR(*g.upper_bound, bounds->upper, 1e-12);
    const bool pass = *g.lower_bound > -o.margin;
    const bool fail = *g.upper_bound < -o.margin;
    EXPECT_EQ(g.verdict, pass ? Verdict::pass : fail ? Verdict::fail : Verdict::inconclusive);
    EXPECT_EQ(g.verdict, expected[i]) << "case " << i;
  }
}

// Issue 11: no fallback any more. A stratum without failures keeps a positive null variance in
// the stratified score test, so the gate uses the same test (and prints its bounds) there too.
TEST(ReportGateRule, NoFailuresAnywhereUsesTheSameStratifiedScoreTest) {
  ReportOptions o;
  const std::vector<st::Stratum> strata = {{"wood", {3000, 3000}, {3000, 3000}},
                                           {"steel", {2000, 2000}, {2000, 2000}}};
  const Gate g = decide_gate(strata, o);
  EXPECT_EQ(g.method, "miettinen-nurminen-stratified-score");
  const auto score = st::stratified_score_test(strata, 0.005);
  EXPECT_DOUBLE_EQ(g.p_value, score.p_pass);
  EXPECT_EQ(g.verdict, score.p_pass < 0.05 ? Verdict::pass : Verdict::inconclusive);
  EXPECT_TRUE(g.upper_bound.has_value());
  EXPECT_FALSE(g.failure_ratio_allowed.has_value());  // the baseline never failed
}

TEST(ReportGateRule, ACandidateObservedWorseThanTheMarginIsPlannedTowardsFail) {
  ReportOptions o;
  o.margin = 0.005;
  // 3 points worse on few sessions: not yet shown worse than -margin, and no number of sessions
  // would show non-inferiority at these rates; more would show it worse.
  const std::vector<st::Stratum> strata = {{"wood", {188, 200}, {194, 200}}};
  const Gate g = decide_gate(strata, o);
  ASSERT_EQ(g.verdict, Verdict::inconclusive);
  ASSERT_TRUE(g.needed.has_value());
  EXPECT_EQ(g.needed->toward, "fail");
  EXPECT_TRUE(g.needed->achievable);
  // Growing both versions by the factor that brings z = (-margin - RD) / se to z_alpha + z_power.
  const double z_fail = (-0.005 - g.difference) / *g.se;
  const double factor = std::pow((1.6448536269514722 + 0.8416212335729143) / z_fail, 2.0);
  EXPECT_EQ(g.needed->more_per_version, static_cast<long>(std::ceil(200 * (factor - 1.0))));
}

TEST(ReportFigures, ZeroFailureStrataAreExplainedAndStillEnterTheRiskDifference) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"},
                          {"wood-2", "wood", "2.4.1"},
                          {"glass-1", "glass", "2.4.0"},
                          {"glass-2", "glass", "2.4.1"}});
  tj.sli(r1, "wood-1", 300, 0);
  tj.sli(r1, "wood-2", 300, 0);
  tj.sli(r1, "glass-1", 290, 10);
  tj.sli(r1, "glass-2", 285, 15);
  tj.finish(r1);
  const Report r = report_of(tj, firmware_comparison());
  const StratumComparison& wood = stratum(r, "wood");
  EXPECT_EQ(wood.role, st::StratumRole::uninformative);
  EXPECT_NE(wood.reason.find("no failures"), std::string::npos) << wood.reason;
  EXPECT_EQ(stratum(r, "glass").role, st::StratumRole::contributes);
  // Both strata carry weight in the risk difference.
  const auto& rd = r.comparison->risk_difference;
  ASSERT_EQ(rd.strata.size(), 2u);
  EXPECT_EQ(rd.strata[0].role, st::StratumRole::contributes);
  EXPECT_EQ(rd.strata[1].role, st::StratumRole::contributes);
  EXPECT_NEAR(rd.difference, (0.0 + (285.0 - 290.0) / 300.0) / 2.0, 1e-12);
}

TEST(ReportFigures, PerStratumFisherPValuesAreHolmAdjusted) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"},
                          {"wood-2", "wood", "2.4.1"},
                          {"glass-1", "glass", "2.4.0"},
                          {"glass-2", "glass", "2.4.1"},
                          {"steel-1", "steel", "2.4.0"},
                          {"steel-2", "steel", "2.4.1"}});
  tj.sli(r1, "wood-1", 195, 5);
  tj.sli(r1, "wood-2", 180, 20);
  tj.sli(r1, "glass-1", 190, 10);
  tj.sli(r1, "glass-2", 185, 15);
  tj.sli(r1, "steel-1", 198, 2);
  tj.sli(r1, "steel-2", 190, 10);
  tj.finish(r1);
  const Report r = report_of(tj, firmware_comparison());
  std::vector<double> raw;
  for (const auto& s : r.comparison->strata) {
    ASSERT_TRUE(s.fisher.has_value());
    EXPECT_DOUBLE_EQ(s.fisher->p_two_sided, st::fisher_exact(s.candidate, s.baseline).p_two_sided);
    raw.push_back(s.fisher->p_two_sided);
  }
  const auto holm = st::holm_adjust(raw);
  for (std::size_t i = 0; i < raw.size(); ++i)
    EXPECT_DOUBLE_EQ(*r.comparison->strata[i].fisher_p_holm, holm[i]);
}

TEST(ReportFigures, StrataThatDisagreeRaiseTheHomogeneityWarning) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"},
                          {"wood-2", "wood", "2.4.1"},
                          {"glass-1", "glass", "2.4.0"},
                          {"glass-2", "glass", "2.4.1"}});
  tj.sli(r1, "wood-1", 980, 20);  // candidate much better on wood
  tj.sli(r1, "wood-2", 998, 2);
  tj.sli(r1, "glass-1", 990, 10);  // and much worse on glass
  tj.sli(r1, "glass-2", 940, 60);
  tj.finish(r1);
  const Report r = report_of(tj, firmware_comparison());
  EXPECT_TRUE(r.comparison->breslow_day.informative);
  EXPECT_LT(r.comparison->breslow_day.p_value, 0.05);
  EXPECT_TRUE(r.comparison->homogeneity_warning);
  bool mentioned = false;
  for (const auto& f : r.findings) mentioned |= f.find("Breslow-Day") != std::string::npos;
  EXPECT_TRUE(mentioned);
}

TEST(ReportFigures, ALockSignificantlyWorseThanItsPeersIsFlaggedAndTheOthersAreNot) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"},
                          {"wood-2", "wood", "2.4.0"},
                          {"wood-3", "wood", "2.4.0"},
                          {"wood-4", "wood", "2.4.0"},
                          {"glass-1", "glass", "2.4.0"}});
  tj.sli(r1, "wood-1", 495, 5);
  tj.sli(r1, "wood-2", 496, 4);
  tj.sli(r1, "wood-3", 450, 50);  // the bad unit
  tj.sli(r1, "wood-4", 494, 6);
  // Worse than the wood locks, but glass is a harder door and it is the only glass lock: issue 11
  // item 9 says a lock is compared only with peers on its own material, so it is not compared
  // (it used to be compared with all other locks, and flagged).
  tj.sli(r1, "glass-1", 470, 30);
  tj.finish(r1);
  const Report r = report_of(tj);
  std::vector<double> raw;
  for (const auto& l : r.locks)
    if (l.lock_id != "glass-1") raw.push_back(*l.p_worse);
  const auto bh = st::benjamini_hochberg_adjust(raw);
  std::size_t i = 0;
  for (const LockSli& l : r.locks) {
    if (l.lock_id == "glass-1") continue;
    EXPECT_DOUBLE_EQ(*l.p_worse_adjusted, bh[i++]);
    EXPECT_EQ(l.flagged, l.lock_id == "wood-3") << l.lock_id;
  }
  const auto& wood3 = *std::find_if(r.locks.begin(), r.locks.end(),
                                    [](const LockSli& l) { return l.lock_id == "wood-3"; });
  EXPECT_EQ(wood3.peer_counts, (st::Counts{495 + 496 + 494, 1500}));
  EXPECT_DOUBLE_EQ(*wood3.p_worse, st::fisher_exact({450, 500}, {1485, 1500}).p_less);
  const auto& glass = *std::find_if(r.locks.begin(), r.locks.end(),
                                    [](const LockSli& l) { return l.lock_id == "glass-1"; });
  EXPECT_EQ(glass.peers, "none (no other glass lock of this version): not compared");
  EXPECT_FALSE(glass.p_worse);
  EXPECT_FALSE(glass.p_worse_adjusted);
  EXPECT_FALSE(glass.flagged);
}

TEST(ReportFigures, RigFaultsAreExcludedFromEveryRateAndListedApart) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"}});
  tj.sli(r1, "wood-1", 100, 0);
  tj.rig_fault(r1, "wood-1", "daily-unlock");
  tj.rig_fault(r1, "wood-1", "daily-unlock");
  tj.assertion(r1, "wood-1", "battery-pull", "not_found", "not_found");
  tj.finish(r1, "rig_fault");
  const Report r = report_of(tj);
  EXPECT_EQ(r.arms[0].sli_counts, (st::Counts{100, 100}));
  EXPECT_EQ(r.arms[0].assertions, 1);
  EXPECT_EQ(r.arms[0].rig_fault_sessions, 2);
  EXPECT_EQ(r.rig_faults.sessions, 2);
  ASSERT_EQ(r.rig_faults.events.size(), 2u);
  EXPECT_EQ(r.rig_faults.events[0].kind, "rig_fault");
  ASSERT_EQ(r.rig_faults.by_run.size(), 1u);
  EXPECT_EQ(r.rig_faults.by_run[0].sessions, 2);
  EXPECT_EQ(r.rig_faults.by_run[0].events, 2);
  EXPECT_EQ(r.arms[0].latency.n, 100u);
}

TEST(ReportFigures, EveryNonSliSessionIsAnAssertionCountedPerScenario) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"}, {"wood-2", "wood", "2.4.0"}});
  for (int i = 0; i < 5; ++i) tj.assertion(r1, "wood-1", "battery-pull", "not_found", "not_found");
  tj.assertion(r1, "wood-2", "battery-pull", "not_found", "success");
  tj.assertion(r1, "wood-2", "battery-pull", "not_found", "success");
  tj.assertion(r1, "wood-2", "battery-pull", "success", "success");
  tj.sli(r1, "wood-1", 10, 0);
  tj.finish(r1);
  const Report r = report_of(tj);
  ASSERT_EQ(r.assertions.size(), 2u);
  EXPECT_EQ(r.assertions[0].scenario, "battery-pull");
  EXPECT_EQ(r.assertions[0].expect, "not_found");
  EXPECT_EQ(r.assertions[0].passed, 5);
  EXPECT_EQ(r.assertions[0].failed, 2);
  ASSERT_EQ(r.assertions[0].failures.size(), 1u);
  EXPECT_EQ(r.assertions[0].failures[0], "wood-2: success x2");
  EXPECT_EQ(r.assertions[1].expect, "success");
  EXPECT_EQ(r.assertions[1].passed, 1);
  EXPECT_EQ(r.arms[0].assertions_failed, 2);
}

TEST(ReportFigures, FailureCausesAreCountedByOutcomeWithTimeoutsKeptApart) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"}, {"wood-2", "wood", "2.4.0"}});
  tj.sli(r1, "wood-1", 100, 3, "daily-unlock", 800.0, 0, "timeout");
  tj.sli(r1, "wood-2", 100, 2, "daily-unlock", 800.0, 0, "not_found");
  tj.finish(r1);
  const Report r = report_of(tj);
  const auto& causes = r.arms[0].causes;
  ASSERT_EQ(causes.size(), 2u);
  EXPECT_EQ(causes[0].outcome, "timeout");
  EXPECT_EQ(causes[0].class_, "timeout");
  EXPECT_EQ(causes[0].sessions, 3);
  EXPECT_EQ(causes[1].outcome, "not_found");
  EXPECT_EQ(causes[1].class_, "lock");
  EXPECT_EQ(causes[1].sessions, 2);
}

TEST(ReportFigures, LatencyFiguresAreTheLibrarysOnTheSuccessfulSessionDurations) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"}, {"wood-2", "wood", "2.4.1"}});
  tj.sli(r1, "wood-1", 400, 5, "daily-unlock", 1200.0);
  tj.sli(r1, "wood-2", 300, 5, "daily-unlock", 1300.0);
  tj.finish(r1);
  ReportOptions o = firmware_comparison();
  o.latency_slo_ms = 1500.0;
  const Report r = report_of(tj, o);
  // The builder's durations: base + 10 ms * (i mod 50) for the successful sessions, as the
  // journal keeps them (agg_latency): each in its latency bucket, standing for the bucket's
  // midpoint (rig/journal/journal.hpp, docs/journal.md).
  auto durations = [](double base, int n) {
    std::vector<double> v;
    for (int i = 0; i < n; ++i) {
      const double ms = base + 10.0 * (i % 50);
      v.push_back(latency_bucket_ms(latency_bucket_ns(static_cast<std::int64_t>(ms * 1e6))));
      EXPECT_NEAR(v.back(), ms, ms / 256.0);
    }
    return v;
  };
  const auto base = durations(1200.0, 400), cand = durations(1300.0, 300);
  const LatencySummary& l = r.arms[0].latency;
  ASSERT_EQ(l.n, 400u);
  const auto p90 = st::percentile(base, 0.9);
  EXPECT_NEAR(l.percentiles[1].estimate, p90.estimate, 1e-9);
  EXPECT_NEAR(*l.percentiles[1].lower, *p90.lower, 1e-9);
  EXPECT_NEAR(*l.percentiles[1].upper, *p90.upper, 1e-9);
  const auto share = st::share_within(base, 1500.0);
  EXPECT_EQ(l.within_slo->counts, share.counts);
  EXPECT_EQ(l.within_slo->counts.successes, 400 * 31 / 50);  // 1200..1500 ms: 31 of 50 steps
  ASSERT_TRUE(r.latency_shift.has_value());
  const auto mw = st::mann_whitney(cand, base);
  EXPECT_NEAR(r.latency_shift->u, mw.u, 1e-9);
  EXPECT_NEAR(r.latency_shift->p_value, mw.p_value, 1e-12);
  EXPECT_GT(r.latency_shift->probability_x_greater, 0.5);  // the candidate is slower
  EXPECT_DOUBLE_EQ(l.cdf.back().second, 1.0);
  // The mean is exact (the aggregates keep the sum of the durations): 1200 + 245 ms.
  EXPECT_NEAR(l.mean, 1445.0, 1e-6);
  EXPECT_DOUBLE_EQ(l.min, durations(1200.0, 1)[0]);
  EXPECT_DOUBLE_EQ(l.max, *std::max_element(base.begin(), base.end()));
}

// A version-1 journal opened read-only has no aggregates: the report reads its sessions one by
// one and must come out the same as from the aggregates.
TEST(ReportFigures, AVersion1JournalReadSessionBySessionGivesTheSameReport) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"}, {"glass-1", "glass", "2.4.1"},
                          {"wood-2", "wood", "2.4.1"}, {"glass-2", "glass", "2.4.0"}},
                         {{"app", "5.3.0"}});
  tj.sli(r1, "wood-1", 300, 4, "daily-unlock", 700.0, 20);
  tj.sli(r1, "glass-1", 280, 9, "daily-unlock", 900.0, 30, "not_found");
  tj.sli(r1, "wood-2", 150, 2, "stay-connected", 500.0);
  tj.sli(r1, "glass-2", 160, 5, "stay-connected", 650.0, 3);
  tj.sli(r1, "wood-2", 120, 1, "daily-unlock", 720.0, 4);
  tj.sli(r1, "glass-2", 110, 3, "daily-unlock", 880.0);
  tj.assertion(r1, "wood-1", "battery-pull", "not_found", "not_found");
  tj.assertion(r1, "glass-1", "battery-pull", "not_found", "success");
  tj.rig_fault(r1, "wood-2", "daily-unlock");
  tj.finish(r1);
  const std::string v1 = tj.dir().file("v1.db");
  tj.snapshot(v1);
  {
    // What a version-1 lockrig wrote: the same rows without the version-2 part of the schema.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(v1.c_str(), &db), SQLITE_OK);
    std::vector<std::string> drop;
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db,
                       "SELECT type, name FROM sqlite_master WHERE (name LIKE 'agg%' OR name LIKE "
                       "'v_agg%' OR name = 'v_session_latency') AND type IN ('table', 'view', "
                       "'trigger') ORDER BY type = 'table'",
                       -1, &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW)
      drop.push_back(std::string("DROP ") + reinterpret_cast<const char*>(sqlite3_column_text(st, 0)) +
                     " " + reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
    sqlite3_finalize(st);
    for (const auto& sql : drop) ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sql;
    ASSERT_EQ(sqlite3_exec(db, lockrig::testing::back_to_version2_sql().c_str(), nullptr, nullptr, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 1", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  for (const auto& [o, sel] : {std::pair{firmware_comparison(), RunSelection{}},
                               std::pair{ReportOptions{}, RunSelection{}},
                               std::pair{firmware_comparison(),
                                         RunSelection{{}, {}, {}, {}, {"daily-unlock"}}}}) {
    Journal jv2 = Journal::open_readonly(tj.path());
    Journal jv1 = Journal::open_readonly(v1);
    ASSERT_EQ(jv1.schema_version(), 1);
    const Dataset d2 = load_dataset(jv2, sel), d1 = load_dataset(jv1, sel);
    EXPECT_TRUE(d2.from_aggregates);
    EXPECT_FALSE(d1.from_aggregates);
    EXPECT_LT(d2.sessions.size(), d1.sessions.size());  // groups vs one row per session
    Report a = compute_report(d2, o), b = compute_report(d1, o);
    a.generated_at = b.generated_at = "";
    a.journal = b.journal = "";
    const std::string ja = render_json(a), jb = render_json(b);
    EXPECT_EQ(ja, jb);
    EXPECT_GT(a.arms[0].latency.n, 100u);
  }
}

TEST(ReportRefusals, VersionsThatShareSessionsAreRefused) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"}}, {{"app", "5.3.0"}});
  tj.sli(r1, "wood-1", 10, 0);
  tj.finish(r1);
  ReportOptions o;
  o.baseline = {{"firmware", "2.4.0"}};
  o.candidate = {{"app", "5.3.0"}};
  try {
    report_of(tj, o);
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("match both"), std::string::npos) << e.what();
  }
}

TEST(ReportRefusals, AVersionWithoutSliSessionsIsRefusedWithTheValuesThatExist) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"}, {"wood-2", "wood", "2.4.1"}});
  tj.sli(r1, "wood-1", 10, 0);
  tj.sli(r1, "wood-2", 12, 0);
  tj.finish(r1);
  ReportOptions o;
  o.baseline = {{"firmware", "2.4.0"}};
  o.candidate = {{"firmware", "2.4.2"}};
  try {
    report_of(tj, o);
    FAIL() << "no error";
  } catch (const UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("--candidate \"firmware=2.4.2\" matches no SLI session"), std::string::npos)
        << m;
    EXPECT_NE(m.find("\"2.4.0\" (10 SLI sessions)"), std::string::npos) << m;
    EXPECT_NE(m.find("\"2.4.1\" (12 SLI sessions)"), std::string::npos) << m;
  }
}

TEST(ReportRefusals, OnlyOneOfBaselineAndCandidateIsRefused) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"}});
  tj.sli(r1, "wood-1", 10, 0);
  tj.finish(r1);
  ReportOptions o;
  o.baseline = {{"firmware", "2.4.0"}};
  EXPECT_THROW(report_of(tj, o), UsageError);
}

TEST(ReportFigures, StrataCanBeAnyAttributeIncludingNone) {
  TestJournal tj;
  const auto r1 =
      tj.run({{"wood-1", "wood", "2.4.0", "Bolt 3"}, {"wood-2", "wood", "2.4.1", "Bolt 4"}});
  tj.sli(r1, "wood-1", 90, 10, "daily-unlock");
  tj.sli(r1, "wood-2", 45, 5, "stay-connected");
  tj.finish(r1);
  ReportOptions o;
  o.strata = "model";
  Report r = report_of(tj, o);
  ASSERT_EQ(r.arms[0].by_stratum.size(), 2u);
  EXPECT_EQ(r.arms[0].by_stratum[0].key, "Bolt 3");
  o.strata = "scenario";
  r = report_of(tj, o);
  ASSERT_EQ(r.arms[0].by_stratum.size(), 2u);
  EXPECT_EQ(r.arms[0].by_stratum[1].key, "stay-connected");
  o.strata = "none";
  r = report_of(tj, o);
  ASSERT_EQ(r.arms[0].by_stratum.size(), 1u);
  EXPECT_EQ(r.arms[0].by_stratum[0].sli.counts, (st::Counts{135, 150}));
  o.strata = "matrial";
  EXPECT_THROW(report_of(tj, o), UsageError);
}

TEST(ReportRefusals, StrataThatSeparateTheVersionsCompletelyAreRefusedNotPooledSilently) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"}, {"glass-1", "glass", "2.4.1"}});
  tj.sli(r1, "wood-1", 99, 1);
  tj.sli(r1, "glass-1", 98, 2);
  tj.finish(r1);
  ReportOptions o = firmware_comparison();
  try {
    report_of(tj, o);
    FAIL() << "no error";
  } catch (const UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("no material value has SLI sessions of both versions (baseline: wood; "
                     "candidate: glass)"),
              std::string::npos)
        << m;
  }
  o.strata = "none";
  EXPECT_EQ(report_of(tj, o).comparison->strata.size(), 1u);
  EXPECT_THROW(decide_gate({{"wood", {0, 0}, {5, 5}}, {"glass", {5, 5}, {0, 0}}}, o), UsageError);
}

TEST(ReportFigures, AJournalWithOnlyAssertionsStillReportsThem) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"}});
  tj.assertion(r1, "wood-1", "battery-pull", "not_found", "not_found");
  tj.assertion(r1, "wood-1", "battery-pull", "not_found", "timeout");
  tj.finish(r1);
  const Report r = report_of(tj);
  EXPECT_FALSE(r.arms[0].sli.has_value());
  EXPECT_EQ(r.arms[0].latency.n, 0u);
  EXPECT_TRUE(r.locks.empty());
  ASSERT_EQ(r.assertions.size(), 1u);
  EXPECT_EQ(r.assertions[0].failed, 1);
  EXPECT_NE(r.verdict.find("No SLI sessions"), std::string::npos) << r.verdict;
}
