// Power, minimum detectable drop and sample-size planning.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "reports/stats/power.hpp"

namespace st = lockrig::stats;

namespace {

TEST(SampleSize, DetectingADropFrom99Point5To99PercentNeeds4673SessionsPerVersion) {
  const double n = st::sample_size_two_proportions(0.995, 0.99, 0.05, 0.8);
  EXPECT_EQ(std::ceil(n), 4673.0);
  EXPECT_NEAR(n, 4672.828771802, 1e-6);  // R power.prop.test(..., tol = 1e-12)
}

TEST(SampleSize, TheReturnedNReachesExactlyTheRequestedPower) {
  for (bool strict : {false, true}) {
    const double n = st::sample_size_two_proportions(0.99, 0.98, 0.01, 0.9, strict);
    EXPECT_NEAR(st::power_two_proportions(n, 0.99, 0.98, 0.01, strict), 0.9, 1e-10);
  }
}

TEST(Power, GrowsWithTheNumberOfSessions) {
  const double small = st::power_two_proportions(1000, 0.995, 0.99);
  const double large = st::power_two_proportions(10000, 0.995, 0.99);
  EXPECT_LT(small, 0.3);
  EXPECT_GT(large, 0.95);
}

TEST(MinimumDetectableDrop, AtThePlannedSampleSizeIsTheDropItWasPlannedFor) {
  const auto d = st::minimum_detectable_drop(4672.828771802, 0.995, 0.05, 0.8);
  ASSERT_TRUE(d.has_value());
  EXPECT_NEAR(d->candidate_rate, 0.99, 1e-9);
  EXPECT_NEAR(d->drop, 0.005, 1e-9);
}

TEST(MinimumDetectableDrop, IsAbsentWhenEvenAZeroRateCouldNotBeDetected) {
  EXPECT_FALSE(st::minimum_detectable_drop(2, 0.5, 0.05, 0.99).has_value());
}

TEST(UnequalGroups, WithEqualSizesIsTheStrictTwoSidedPower) {
  // statsmodels' formula weights the pooled rate by group size; with equal groups it coincides
  // with power.prop.test(strict = TRUE).
  EXPECT_NEAR(st::power_two_proportions_unequal(3000, 3000, 0.99, 0.995),
              st::power_two_proportions(3000, 0.99, 0.995, 0.05, true), 1e-12);
  EXPECT_GT(st::power_two_proportions_unequal(3000, 30000, 0.99, 0.995),
            st::power_two_proportions_unequal(3000, 3000, 0.99, 0.995));
}

TEST(NonInferiorityPlan, TheSampleSizeGivesTheRequestedPower) {
  const double n = st::sample_size_non_inferiority(0.995, 0.995, 0.005, 0.025, 0.8);
  EXPECT_GT(n, 2000.0);
  EXPECT_LT(n, 6000.0);
  EXPECT_NEAR(st::power_non_inferiority(n, 0.995, 0.995, 0.005, 0.025), 0.8, 1e-10);
  // A wider margin needs fewer sessions.
  EXPECT_LT(st::sample_size_non_inferiority(0.995, 0.995, 0.01, 0.025, 0.8), n);
}

TEST(NonInferiorityPlan, RejectsAPlannedDropAtOrBeyondTheMargin) {
  try {
    st::sample_size_non_inferiority(0.995, 0.985, 0.01);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("margin"), std::string::npos) << e.what();
  }
}

TEST(Power, InvalidArgumentsAreRejectedWithTheValueQuoted) {
  EXPECT_THROW(st::sample_size_two_proportions(0.99, 0.99), std::invalid_argument);
  EXPECT_THROW(st::power_two_proportions(-5, 0.9, 0.8), std::invalid_argument);
  EXPECT_THROW(st::power_two_proportions(100, 1.2, 0.8), std::invalid_argument);
  try {
    st::sample_size_two_proportions(0.99, 0.98, 0.05, 1.0);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("power"), std::string::npos) << e.what();
  }
}

}  // namespace
