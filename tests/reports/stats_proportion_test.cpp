// One-proportion intervals: the field's reference values, the boundaries x = 0 and x = n, and
// argument checking.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "reports/stats/proportion.hpp"

namespace st = lockrig::stats;

namespace {

TEST(OneProportion, WilsonIntervalMatchesTheReferenceFor992Of1000) {
  const auto iv = st::wilson_interval({992, 1000});
  EXPECT_NEAR(iv.lower, 0.984294, 5e-7);
  EXPECT_NEAR(iv.upper, 0.995941, 5e-7);
}

TEST(OneProportion, ClopperPearsonIntervalMatchesTheReferenceFor992Of1000) {
  const auto iv = st::clopper_pearson_interval({992, 1000});
  EXPECT_NEAR(iv.lower, 0.984298, 5e-7);
  EXPECT_NEAR(iv.upper, 0.996540, 5e-7);
}

TEST(OneProportion, OneSidedClopperPearsonLowerBoundIsAboveTheTwoSidedOne) {
  const double one_sided = st::clopper_pearson_lower_bound({992, 1000}, 0.95);
  EXPECT_GT(one_sided, st::clopper_pearson_interval({992, 1000}).lower);
  // The one-sided 95% bound is the two-sided 90% interval's lower end.
  EXPECT_DOUBLE_EQ(one_sided, st::clopper_pearson_interval({992, 1000}, 0.90).lower);
}

TEST(OneProportion, AllSuccessesGiveAnUpperBoundOfExactlyOneForEveryMethod) {
  for (auto m : {st::ProportionMethod::wilson, st::ProportionMethod::clopper_pearson,
                 st::ProportionMethod::jeffreys}) {
    const auto e = st::estimate_proportion({500, 500}, m);
    EXPECT_EQ(e.interval.upper, 1.0) << st::to_string(m);
    EXPECT_LT(e.interval.lower, 1.0) << st::to_string(m);
    EXPECT_EQ(e.rate, 1.0);
  }
}

TEST(OneProportion, NoSuccessesGiveALowerBoundOfExactlyZeroForEveryMethod) {
  for (auto m : {st::ProportionMethod::wilson, st::ProportionMethod::clopper_pearson,
                 st::ProportionMethod::jeffreys}) {
    const auto e = st::estimate_proportion({0, 40}, m);
    EXPECT_EQ(e.interval.lower, 0.0) << st::to_string(m);
    EXPECT_GT(e.interval.upper, 0.0) << st::to_string(m);
  }
  EXPECT_EQ(st::clopper_pearson_lower_bound({0, 40}), 0.0);
}

TEST(OneProportion, ClopperPearsonAtZeroSuccessesFollowsTheRuleOfThree) {
  // Upper 97.5% bound at 0/n is 1 - 0.025^(1/n), close to 3.69/n.
  const auto iv = st::clopper_pearson_interval({0, 1000});
  EXPECT_NEAR(iv.upper, 1.0 - std::pow(0.025, 1.0 / 1000.0), 1e-12);
}

TEST(OneProportion, IntervalsContainTheObservedRate) {
  for (long x : {0L, 1L, 7L, 50L, 99L, 100L}) {
    for (auto m : {st::ProportionMethod::wilson, st::ProportionMethod::clopper_pearson,
                   st::ProportionMethod::jeffreys}) {
      const auto e = st::estimate_proportion({x, 100}, m, 0.99);
      EXPECT_TRUE(e.interval.contains(e.rate)) << x << " " << st::to_string(m);
    }
  }
}

TEST(OneProportion, MoreSuccessesThanTrialsAreRejectedWithTheValuesQuoted) {
  try {
    st::wilson_interval({11, 10});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("11"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("10"), std::string::npos) << e.what();
  }
}

TEST(OneProportion, NegativeOrZeroTrialsAndBadConfidenceAreRejected) {
  EXPECT_THROW(st::wilson_interval({0, -1}), std::invalid_argument);
  EXPECT_THROW(st::jeffreys_interval({0, 0}), std::invalid_argument);
  EXPECT_THROW(st::clopper_pearson_interval({-1, 5}), std::invalid_argument);
  try {
    st::wilson_interval({1, 5}, 1.5);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("1.5"), std::string::npos) << e.what();
  }
}

}  // namespace
