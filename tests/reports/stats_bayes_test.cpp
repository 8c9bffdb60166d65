// Posterior probability that the candidate's success rate is below the baseline's.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "reports/stats/bayes.hpp"

namespace st = lockrig::stats;

namespace {

TEST(Bayes, IdenticalDataGiveOneHalfUnderEitherPrior) {
  EXPECT_NEAR(st::probability_candidate_worse({990, 1000}, {990, 1000}).probability_candidate_worse,
              0.5, 1e-12);
  EXPECT_NEAR(st::probability_candidate_worse({990, 1000}, {990, 1000}, st::BetaPrior::uniform())
                  .probability_candidate_worse,
              0.5, 1e-12);
}

TEST(Bayes, UniformPriorMatchesTheClosedFormForOneObservation) {
  // p_cand ~ Beta(1, 1), p_base ~ Beta(2, 1): P(p_cand < p_base) = integral of 2y * y = 2/3.
  const auto r = st::probability_candidate_worse({0, 0}, {1, 1}, st::BetaPrior::uniform());
  EXPECT_NEAR(r.probability_candidate_worse, 2.0 / 3.0, 1e-14);
  EXPECT_EQ(r.baseline_a, 2.0);
  EXPECT_EQ(r.baseline_b, 1.0);
}

TEST(Bayes, JeffreysPosteriorFor992Versus996Of1000LeansTowardsCandidateWorse) {
  const auto r = st::probability_candidate_worse({992, 1000}, {996, 1000});
  EXPECT_GT(r.probability_candidate_worse, 0.8);
  EXPECT_LT(r.probability_candidate_worse, 0.95);
  EXPECT_EQ(r.candidate_a, 992.5);
  EXPECT_EQ(r.candidate_b, 8.5);
}

// (Its speed at ten million sessions is measured by bench/report_bench.sh, not asserted here.)
TEST(Bayes, StaysExactForFiftyThousandSessionsPerVersion) {
  const auto r = st::probability_candidate_worse({49800, 50000}, {49850, 50000});
  EXPECT_NEAR(r.probability_candidate_worse, 0.99633243926868731, 1e-9);
  // Symmetry: swapping the versions gives the complement.
  EXPECT_NEAR(
      st::probability_candidate_worse({49850, 50000}, {49800, 50000}).probability_candidate_worse,
      1.0 - r.probability_candidate_worse, 1e-10);
}

TEST(Bayes, AllSuccessCandidateAgainstAWeakerBaselineIsAlmostSurelyNotWorse) {
  const auto r = st::probability_candidate_worse({20000, 20000}, {19900, 20000});
  EXPECT_LT(r.probability_candidate_worse, 1e-12);
  EXPECT_GE(r.probability_candidate_worse, 0.0);
}

TEST(Bayes, PriorsWithoutAnExactFormAndInvalidCountsAreRejected) {
  try {
    st::probability_candidate_worse({1, 2}, {1, 2}, {0.3, 0.7});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("0.3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(st::probability_candidate_worse({1, 2}, {1, 2}, {0.0, 1.0}), std::invalid_argument);
  EXPECT_THROW(st::probability_candidate_worse({3, 2}, {1, 2}), std::invalid_argument);
}

}  // namespace
