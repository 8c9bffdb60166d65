// Stratified comparisons across door materials: R's Rabbits reference, Simpson's paradox, and the
// zero-failure strata that 99%+ success rates produce.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "reports/stats/stratified.hpp"

namespace st = lockrig::stats;

namespace {

// R's Rabbits data (mantelhaen.test examples): "no delay" as candidate, cured as success.
std::vector<st::Stratum> rabbits() {
  return {{"1/8", {0, 6}, {0, 5}},
          {"1/4", {3, 6}, {0, 6}},
          {"1/2", {6, 6}, {2, 6}},
          {"1", {5, 6}, {6, 6}},
          {"4", {2, 2}, {5, 5}}};
}

TEST(Cmh, MatchesRsRabbitsExampleWithContinuityCorrection) {
  const auto r = st::cochran_mantel_haenszel(rabbits());
  EXPECT_TRUE(r.informative);
  EXPECT_NEAR(r.statistic, 3.9286, 5e-5);
  EXPECT_NEAR(r.p_value, 0.04747, 5e-6);
}

TEST(Cmh, ListsTheRabbitStrataFixedByTheirMarginsAsUninformative) {
  const auto r = st::cochran_mantel_haenszel(rabbits());
  ASSERT_EQ(r.strata.size(), 5u);
  EXPECT_EQ(r.strata[0].role, st::StratumRole::uninformative);  // nobody cured
  EXPECT_NE(r.strata[0].reason.find("no successes"), std::string::npos);
  EXPECT_EQ(r.strata[4].role, st::StratumRole::uninformative);  // everybody cured
  EXPECT_NE(r.strata[4].reason.find("no failures"), std::string::npos);
  for (int i = 1; i < 4; ++i) EXPECT_EQ(r.strata[i].role, st::StratumRole::contributes);
  EXPECT_FALSE(r.notes.empty());
}

TEST(MhOddsRatio, MatchesRsRabbitsEstimateAndRobinsBreslowGreenlandInterval) {
  const auto r = st::mantel_haenszel_odds_ratio(rabbits());
  EXPECT_NEAR(r.odds_ratio, 7.0, 1e-12);
  ASSERT_TRUE(r.interval.has_value());
  EXPECT_NEAR(r.interval->lower, 1.026713, 5e-7);
  EXPECT_NEAR(r.interval->upper, 47.725133, 5e-6);
}

TEST(Stratified, ComparingWithinDoorMaterialsRemovesASimpsonsParadox) {
  // Both versions have the same rate on each door; only the mix of doors differs.
  const std::vector<st::Stratum> strata = {{"wood", {990, 1000}, {99, 100}},
                                           {"glass", {90, 100}, {900, 1000}}};
  const auto rd = st::mantel_haenszel_risk_difference(strata);
  EXPECT_NEAR(rd.difference, 0.0, 1e-12);
  EXPECT_GT(rd.p_value, 0.9);
  const auto cmh = st::cochran_mantel_haenszel(strata, false);
  EXPECT_NEAR(cmh.statistic, 0.0, 1e-12);
  // Pooled naively, the candidate looks 7 points better.
  EXPECT_GT(1080.0 / 1100 - 999.0 / 1100, 0.07);
}

TEST(Stratified, AllSuccessStrataEverywhereAreReportedAsNotInformativeNeverNaN) {
  const std::vector<st::Stratum> strata = {{"wood", {500, 500}, {400, 400}},
                                           {"steel", {300, 300}, {350, 350}}};
  const auto cmh = st::cochran_mantel_haenszel(strata);
  EXPECT_FALSE(cmh.informative);
  EXPECT_EQ(cmh.p_value, 1.0);
  EXPECT_FALSE(cmh.notes.empty());
  const auto orr = st::mantel_haenszel_odds_ratio(strata);
  EXPECT_FALSE(orr.informative);
  EXPECT_FALSE(orr.interval.has_value());
  const auto bd = st::breslow_day(strata);
  EXPECT_FALSE(bd.informative);
  EXPECT_FALSE(std::isnan(bd.statistic));
  const auto rd = st::mantel_haenszel_risk_difference(strata);
  EXPECT_TRUE(rd.informative);
  EXPECT_EQ(rd.difference, 0.0);
  EXPECT_EQ(rd.se, 0.0);
  EXPECT_EQ(rd.p_value, 1.0);
  EXPECT_FALSE(rd.notes.empty());
}

TEST(Stratified, AZeroFailureStratumLeavesTheOddsRatioUnchangedButCountsForTheRiskDifference) {
  std::vector<st::Stratum> strata = {{"wood", {985, 1000}, {995, 1000}},
                                     {"glass", {960, 1000}, {975, 1000}}};
  const auto or_before = st::mantel_haenszel_odds_ratio(strata);
  const auto rd_before = st::mantel_haenszel_risk_difference(strata);
  strata.push_back({"steel", {800, 800}, {800, 800}});
  const auto or_after = st::mantel_haenszel_odds_ratio(strata);
  const auto rd_after = st::mantel_haenszel_risk_difference(strata);
  EXPECT_DOUBLE_EQ(or_after.odds_ratio, or_before.odds_ratio);
  EXPECT_EQ(or_after.strata[2].role, st::StratumRole::uninformative);
  EXPECT_GT(rd_after.difference, rd_before.difference);  // pulled towards 0 by the steel doors
  EXPECT_EQ(rd_after.strata[2].role, st::StratumRole::contributes);
}

TEST(Stratified, AStratumWithoutCandidateSessionsIsDroppedWithItsReason) {
  const std::vector<st::Stratum> strata = {{"wood", {985, 1000}, {995, 1000}},
                                           {"aluminium", {0, 0}, {40, 40}},
                                           {"glass", {960, 1000}, {975, 1000}}};
  for (const auto& uses :
       {st::cochran_mantel_haenszel(strata).strata,
        st::mantel_haenszel_risk_difference(strata).strata, st::breslow_day(strata).strata}) {
    ASSERT_EQ(uses.size(), 3u);
    EXPECT_EQ(uses[1].label, "aluminium");
    EXPECT_EQ(uses[1].role, st::StratumRole::dropped);
    EXPECT_NE(uses[1].reason.find("candidate has no sessions"), std::string::npos);
  }
}

TEST(MhOddsRatio, IsInfiniteWithoutAnIntervalWhenTheCandidateNeverFailed) {
  const std::vector<st::Stratum> strata = {{"wood", {1000, 1000}, {990, 1000}},
                                           {"glass", {500, 500}, {495, 500}}};
  const auto r = st::mantel_haenszel_odds_ratio(strata);
  EXPECT_TRUE(r.informative);
  EXPECT_TRUE(std::isinf(r.odds_ratio));
  EXPECT_FALSE(r.interval.has_value());
  EXPECT_FALSE(r.notes.empty());
}

TEST(BreslowDay, FlagsStrataThatDisagreeAndAcceptsStrataThatAgree) {
  const std::vector<st::Stratum> agree = {{"wood", {970, 1000}, {980, 1000}},
                                          {"glass", {940, 1000}, {960, 1000}},
                                          {"steel", {985, 1000}, {990, 1000}}};
  const auto ok = st::breslow_day(agree);
  EXPECT_TRUE(ok.informative);
  EXPECT_EQ(ok.degrees_of_freedom, 2);
  EXPECT_GT(ok.p_value, 0.3);
  const std::vector<st::Stratum> disagree = {{"wood", {990, 1000}, {950, 1000}},
                                             {"glass", {900, 1000}, {980, 1000}}};
  const auto bad = st::breslow_day(disagree);
  EXPECT_TRUE(bad.informative);
  EXPECT_LT(bad.p_value, 1e-6);
  const auto tarone = st::breslow_day(disagree, true);
  EXPECT_LE(tarone.statistic, bad.statistic);
}

TEST(BreslowDay, NeedsTwoInformativeStrata) {
  const std::vector<st::Stratum> strata = {{"wood", {970, 1000}, {980, 1000}},
                                           {"steel", {500, 500}, {500, 500}}};
  const auto r = st::breslow_day(strata);
  EXPECT_FALSE(r.informative);
  EXPECT_EQ(r.p_value, 1.0);
  EXPECT_FALSE(r.notes.empty());
}

TEST(StratifiedNonInferiority, PassesForEqualRatesAndFailsForAClearDrop) {
  const std::vector<st::Stratum> same = {{"wood", {9950, 10000}, {9950, 10000}},
                                         {"glass", {9900, 10000}, {9900, 10000}}};
  EXPECT_LT(st::stratified_non_inferiority_test(same, 0.005).p_value, 0.001);
  const std::vector<st::Stratum> worse = {{"wood", {9800, 10000}, {9950, 10000}},
                                          {"glass", {9750, 10000}, {9900, 10000}}};
  EXPECT_GT(st::stratified_non_inferiority_test(worse, 0.005).p_value, 0.999);
}

TEST(Stratified, InvalidCountsAreRejectedNamingTheStratum) {
  const std::vector<st::Stratum> strata = {{"wood", {11, 10}, {5, 10}}};
  try {
    st::cochran_mantel_haenszel(strata);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("wood"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("11"), std::string::npos) << e.what();
  }
  EXPECT_THROW(st::stratified_non_inferiority_test({}, -0.1), std::invalid_argument);
}

}  // namespace
