// The change point over builds (reports/stats/changepoint.hpp, issue 16 item 2): each build
// against its pooled predecessors by the one-sided stratified CMH test, Holm over the builds.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "reports/stats/changepoint.hpp"
#include "tests/reports/history_changepoint_sim.hpp"

namespace st = lockrig::stats;
namespace sim = lockrig::changepoint_sim;

namespace {

st::BuildCounts build(const std::string& name, std::vector<st::StratumCounts> strata) {
  return {name, std::move(strata)};
}

// Four materials of `per` sessions each with `failures` failures in every one of them.
st::BuildCounts even(const std::string& name, long per, long failures) {
  st::BuildCounts b{name, {}};
  for (const char* m : {"wood", "glass", "aluminium", "steel"})
    b.strata.push_back({m, {per - failures, per}});
  return b;
}

TEST(ChangePoint, OneSidedCmhAndHolmMatchR) {
  // R 4.x:
  //   t <- function(a, n1, c, n0) c(a, c, n1 - a, n0 - c)
  //   x2 <- array(c(t(399,400,398,400), t(397,400,396,400)), dim = c(2,2,2))
  //   x3 <- array(c(t(390,400,797,800), t(385,400,793,800)), dim = c(2,2,2))
  //   p <- c(mantelhaen.test(x2, alternative = "less")$p.value,
  //          mantelhaen.test(x3, alternative = "less")$p.value)   # 0.624447222845581 1.77700648320151e-06
  //   p.adjust(p, "holm")                                          # 0.624447222845581 3.55401296640301e-06
  const auto r = st::find_change_point(
      {build("A", {{"wood", {398, 400}}, {"steel", {396, 400}}}),
       build("B", {{"wood", {399, 400}}, {"steel", {397, 400}}}),
       build("C", {{"wood", {390, 400}}, {"steel", {385, 400}}})},
      0.05);
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_NEAR(r.steps[0].p, 0.624447222845581, 1e-9);
  EXPECT_NEAR(r.steps[1].p / 1.77700648320151e-06, 1.0, 1e-7);
  EXPECT_NEAR(r.steps[0].p_holm, 0.624447222845581, 1e-9);
  EXPECT_NEAR(r.steps[1].p_holm / 3.55401296640301e-06, 1.0, 1e-7);
  EXPECT_EQ(r.steps[1].predecessors, (st::Counts{1590, 1600}));
  EXPECT_EQ(r.steps[1].candidate, (st::Counts{775, 800}));
  ASSERT_TRUE(r.first.has_value());
  EXPECT_EQ(*r.first, 2u);
  EXPECT_EQ(r.procedure, "holm");
}

TEST(ChangePoint, NamesAPlantedDropAtBuildFourOfSix) {
  // 99.5% (1 failure in 200 per material) for builds 1-3, 97% (6 in 200) from build 4 on.
  std::vector<st::BuildCounts> builds;
  for (int b = 1; b <= 6; ++b) builds.push_back(even("2.4." + std::to_string(b), 200, b >= 4 ? 6 : 1));
  const auto r = st::find_change_point(builds, 0.05);
  ASSERT_TRUE(r.first.has_value());
  EXPECT_EQ(*r.first, 3u);
  EXPECT_EQ(builds[*r.first].name, "2.4.4");
  EXPECT_FALSE(r.steps[0].significant);
  EXPECT_FALSE(r.steps[1].significant);
  EXPECT_TRUE(r.steps[2].significant);
}

TEST(ChangePoint, ASingleBadBuildThatRecoversIsNamed) {
  std::vector<st::BuildCounts> builds;
  for (int b = 1; b <= 6; ++b) builds.push_back(even("b" + std::to_string(b), 200, b == 4 ? 6 : 1));
  const auto r = st::find_change_point(builds, 0.05);
  ASSERT_TRUE(r.first.has_value());
  EXPECT_EQ(*r.first, 3u);
  EXPECT_FALSE(r.steps[3].significant);  // build 5 is back at the old rate
}

TEST(ChangePoint, IdenticalBuildsNameNone) {
  std::vector<st::BuildCounts> builds;
  for (int b = 1; b <= 6; ++b) builds.push_back(even("b" + std::to_string(b), 200, 1));
  const auto r = st::find_change_point(builds, 0.05);
  EXPECT_FALSE(r.first.has_value());
  for (const auto& s : r.steps) EXPECT_GT(s.p, 0.3) << s.name;
}

TEST(ChangePoint, AnImprovementIsNotAChangeForTheWorse) {
  std::vector<st::BuildCounts> builds;
  for (int b = 1; b <= 6; ++b) builds.push_back(even("b" + std::to_string(b), 200, b >= 4 ? 0 : 6));
  const auto r = st::find_change_point(builds, 0.05);
  EXPECT_FALSE(r.first.has_value());
  EXPECT_GT(r.steps[2].p, 0.99);
}

TEST(ChangePoint, ComparesWithinMaterialsNotAcrossTheMix) {
  // Simpson: build 2 runs mostly on the hard material (steel, 95%) where build 1 ran mostly on
  // wood (99.5%). Pooled, build 2 looks 3 points worse; within each material it is the same.
  const auto r = st::find_change_point(
      {build("1", {{"wood", {1990, 2000}}, {"steel", {190, 200}}}),
       build("2", {{"wood", {199, 200}}, {"steel", {1900, 2000}}})},
      0.05);
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_LT(r.steps[0].candidate.rate(), r.steps[0].predecessors.rate() - 0.03);
  EXPECT_GT(r.steps[0].p, 0.3);
  EXPECT_FALSE(r.first.has_value());
}

TEST(ChangePoint, AStratumOneSideLacksIsLeftOutAndSaidSo) {
  const auto r = st::find_change_point(
      {build("1", {{"wood", {199, 200}}}),
       build("2", {{"wood", {190, 200}}, {"glass", {100, 200}}})},
      0.05);
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(r.steps[0].candidate, (st::Counts{190, 200}));  // glass is not compared
  ASSERT_EQ(r.steps[0].cmh.strata.size(), 2u);
  EXPECT_EQ(r.steps[0].cmh.strata[1].role, st::StratumRole::dropped);
}

TEST(ChangePoint, NothingToCompareAndBadInput) {
  EXPECT_TRUE(st::find_change_point({}, 0.05).steps.empty());
  EXPECT_TRUE(st::find_change_point({even("only", 100, 1)}, 0.05).steps.empty());
  EXPECT_FALSE(st::find_change_point({even("only", 100, 1)}, 0.05).first.has_value());
  // No failures anywhere: not informative, p = 1.
  const auto clean = st::find_change_point({even("a", 100, 0), even("b", 100, 0)}, 0.05);
  EXPECT_EQ(clean.steps[0].p, 1.0);
  EXPECT_THROW(st::find_change_point({even("a", 100, 1), even("b", 100, 1)}, 0.0),
               std::invalid_argument);
  EXPECT_THROW(st::find_change_point({build("a", {{"wood", {5, 4}}}), even("b", 100, 1)}, 0.05),
               std::invalid_argument);
}

TEST(ChangePoint, ABuildWithoutSessionsIsNoEvidenceAndKeepsItsPlace) {
  // Build 2 has no SLI session at all (a night of rig faults): its step is p = 1, and build 3's
  // drop is still found against build 1.
  const auto r = st::find_change_point(
      {even("1", 200, 1), build("2", {}), even("3", 200, 8)}, 0.05);
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_EQ(r.steps[0].p, 1.0);
  EXPECT_FALSE(r.steps[0].risk_difference.informative);
  EXPECT_EQ(r.steps[1].predecessors, (st::Counts{796, 800}));
  ASSERT_TRUE(r.first.has_value());
  EXPECT_EQ(*r.first, 2u);
}

// Calibration (the full figures, 20,000 histories, are bench/changepoint_oc and docs/reports.md):
// on A/A histories of six builds the procedure names a build in at most about alpha of them.
TEST(ChangePoint, AaHistoriesNameABuildAtMostAboutAlphaOfTheTime) {
  sim::Design d;  // 6 builds x 800 sessions, 4 materials, 99.5%
  const auto t = sim::simulate(d, 2000, 16);
  // Holm keeps the family-wise error at most alpha; allow three standard errors of 2,000 draws.
  EXPECT_LE(t.share(t.named_any), 0.05 + 3 * 0.0049) << t.named_any;
}

TEST(ChangePoint, AClearDropAtBuildFourIsNamedThere) {
  sim::Design d;
  d.drop_build = 4;
  d.drop = 0.02;  // 99.5% -> 97.5%
  const auto t = sim::simulate(d, 500, 17);
  EXPECT_GE(t.share(t.named_drop), 0.95) << t.named_drop << " before " << t.named_before
                                         << " after " << t.named_after;
  EXPECT_LE(t.share(t.named_before), 0.05);
}

}  // namespace
