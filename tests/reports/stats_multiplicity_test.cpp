// Holm and Benjamini-Hochberg adjustment of the many scenario x stratum p-values.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "reports/stats/multiplicity.hpp"

namespace st = lockrig::stats;

namespace {

void expect_all_near(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << i;
}

TEST(Multiplicity, HolmMatchesTheReferenceVector) {
  expect_all_near(st::holm_adjust({0.01, 0.04, 0.03, 0.005, 0.20}),
                  {0.04, 0.09, 0.09, 0.025, 0.20});
}

TEST(Multiplicity, BenjaminiHochbergMatchesTheReferenceVector) {
  expect_all_near(st::benjamini_hochberg_adjust({0.01, 0.04, 0.03, 0.005, 0.20}),
                  {0.025, 0.05, 0.05, 0.025, 0.20});
}

TEST(Multiplicity, AdjustedValuesAreCappedAtOneAndNeverBelowTheRawOnes) {
  const std::vector<double> p = {0.5, 0.9, 0.01, 0.3, 0.3};
  for (const auto& adj : {st::holm_adjust(p), st::benjamini_hochberg_adjust(p)}) {
    for (std::size_t i = 0; i < p.size(); ++i) {
      EXPECT_GE(adj[i], p[i]);
      EXPECT_LE(adj[i], 1.0);
    }
  }
}

TEST(Multiplicity, EmptyAndSingleInputsPassThrough) {
  EXPECT_TRUE(st::holm_adjust({}).empty());
  EXPECT_TRUE(st::benjamini_hochberg_adjust({}).empty());
  expect_all_near(st::holm_adjust({0.03}), {0.03});
  expect_all_near(st::benjamini_hochberg_adjust({0.03}), {0.03});
}

TEST(Multiplicity, PValuesOutsideZeroToOneOrNaNAreRejected) {
  EXPECT_THROW(st::holm_adjust({0.1, 1.2}), std::invalid_argument);
  EXPECT_THROW(st::benjamini_hochberg_adjust({-0.1}), std::invalid_argument);
  EXPECT_THROW(st::holm_adjust({std::numeric_limits<double>::quiet_NaN()}), std::invalid_argument);
}

}  // namespace
