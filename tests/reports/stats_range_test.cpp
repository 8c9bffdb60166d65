// Range statistics (reports/stats/range.*, issue 14): binomial regression of success on
// attenuation, the level at a target rate with Wald, Fieller and profile intervals, goodness of fit
// and the stratified two-version comparison.
//
// References:
//  - Bliss, C. I. (1935), "The calculation of the dosage-mortality curve", Annals of Applied
//    Biology 22:134-167: the beetle-mortality data, with the fits published in Dobson and
//    Barnett, An Introduction to Generalized Linear Models (3rd ed., 2008), Section 7.3.1
//    (Table 7.3: logit b0 = -60.72 (5.18), b1 = 34.27 (2.91), D = 11.23; extreme value /
//    complementary log-log b0 = -39.57 (3.24), b1 = 22.04 (1.80), D = 3.45), checked to the
//    published two decimals;
//  - R itself (glm, MASS::dose.p, profile refits with uniroot, metafor::rma) through
//    tests/reports/range_reference.R, to 1e-6 relative. The script generates its own sweeps and
//    prints the counts, so both sides fit the same data. Without Rscript (or MASS / metafor) those
//    tests are skipped with a message; scripts/deps.sh installs them.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "reports/stats/range.hpp"

namespace st = lockrig::stats;

namespace {

std::vector<st::DosePoint> beetle() {
  const double x[] = {1.6907, 1.7242, 1.7552, 1.7842, 1.8113, 1.8369, 1.8610, 1.8839};
  const long n[] = {59, 60, 62, 56, 63, 59, 62, 60};
  const long y[] = {6, 13, 18, 28, 52, 53, 61, 60};
  std::vector<st::DosePoint> pts;
  for (int i = 0; i < 8; ++i) pts.push_back({x[i], {y[i], n[i]}});
  return pts;
}

TEST(RangeFit, BeetleLogitFitMatchesDobsonTable) {
  const auto fit = st::fit_binomial_dose(beetle(), st::DoseLink::logit);
  EXPECT_NEAR(fit.intercept, -60.72, 0.005);
  EXPECT_NEAR(fit.slope, 34.27, 0.005);
  EXPECT_NEAR(std::sqrt(fit.var_intercept), 5.18, 0.005);
  EXPECT_NEAR(std::sqrt(fit.var_slope), 2.91, 0.005);
  EXPECT_NEAR(fit.deviance, 11.23, 0.005);
  EXPECT_EQ(fit.df_residual, 6);
}

TEST(RangeFit, BeetleComplementaryLogLogFitMatchesDobsonTable) {
  const auto fit = st::fit_binomial_dose(beetle(), st::DoseLink::cloglog);
  EXPECT_NEAR(fit.intercept, -39.57, 0.005);
  EXPECT_NEAR(fit.slope, 22.04, 0.005);
  EXPECT_NEAR(std::sqrt(fit.var_intercept), 3.24, 0.005);
  EXPECT_NEAR(std::sqrt(fit.var_slope), 1.80, 0.005);
  EXPECT_NEAR(fit.deviance, 3.45, 0.005);
}

TEST(RangeFit, ProfileDevianceIsMinimalAtTheEstimateAndRisesOnBothSides) {
  const auto fit = st::fit_binomial_dose(beetle(), st::DoseLink::logit);
  const auto d = st::dose_at(fit, 0.5);
  EXPECT_NEAR(st::profile_deviance(fit, 0.5, d.level), fit.deviance, 1e-9);
  EXPECT_GT(st::profile_deviance(fit, 0.5, d.level - 0.005), fit.deviance + 1.0);
  EXPECT_GT(st::profile_deviance(fit, 0.5, d.level + 0.005), fit.deviance + 1.0);
  // The interval's ends are where the profile deviance has risen by chi2_1(0.95) = 3.841459.
  EXPECT_NEAR(st::profile_deviance(fit, 0.5, d.profile.interval.lower) - fit.deviance, 3.841459,
              1e-5);
  EXPECT_NEAR(st::profile_deviance(fit, 0.5, d.profile.interval.upper) - fit.deviance, 3.841459,
              1e-5);
}

TEST(RangeFit, SeparatedSuccessesAndFailuresHaveNoFiniteFitAndTheErrorNamesTheLevel) {
  const std::vector<st::DosePoint> pts = {{40, {10, 10}}, {50, {10, 10}}, {60, {4, 10}},
                                          {70, {0, 10}}};
  try {
    st::fit_binomial_dose(pts, st::DoseLink::logit);
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("separated at level 60"), std::string::npos) << e.what();
  }
}

TEST(RangeFit, AllSuccessesOrOneLevelAreRejected) {
  EXPECT_THROW(st::fit_binomial_dose(std::vector<st::DosePoint>{{40, {10, 10}}, {50, {10, 10}}},
                                     st::DoseLink::logit),
               std::invalid_argument);
  EXPECT_THROW(st::fit_binomial_dose(std::vector<st::DosePoint>{{40, {3, 10}}, {40, {5, 10}}},
                                     st::DoseLink::logit),
               std::invalid_argument);
  EXPECT_THROW(st::fit_binomial_dose(std::vector<st::DosePoint>{}, st::DoseLink::logit),
               std::invalid_argument);
  EXPECT_THROW(st::fit_binomial_dose(std::vector<st::DosePoint>{{40, {11, 10}}, {50, {0, 10}}},
                                     st::DoseLink::logit),
               std::invalid_argument);
}

// A sweep with 200 sessions at each of 8 levels (counts rounded from a logistic curve whose 99%
// point is 66 dB, slope 0.5/dB) converges: the strict rounding-level stop never held for two
// iterations in a row there, and the fit threw "did not converge" on such ordinary data. R's
// glm.fit stops at |dev - devold| / (|dev| + 0.1) < 1e-8 (glm.control's epsilon). The maximum-
// likelihood estimate is where the score X'(y - n mu) vanishes, checked here.
TEST(RangeFit, ManySessionsPerLevelConverge) {
  for (const auto link : {st::DoseLink::logit, st::DoseLink::cloglog}) {
    std::vector<st::DosePoint> pts;
    for (double level : {50.0, 54.0, 58.0, 62.0, 66.0, 70.0, 74.0, 78.0}) {
      const double p = 1.0 / (1.0 + std::exp(-(std::log(99.0) - 0.5 * (level - 66.0))));
      pts.push_back({level, {std::lround(200 * p), 200}});
    }
    const st::BinomialFit f = st::fit_binomial_dose(pts, link);
    EXPECT_TRUE(std::isfinite(f.intercept) && std::isfinite(f.slope) && f.slope < 0);
    if (link != st::DoseLink::logit) continue;
    // The canonical link's score: sum (y - n mu) * (1, level).
    double score0 = 0, score1 = 0;
    for (const auto& p : pts) {
      const double u = p.counts.successes - p.counts.trials * f.probability(p.level);
      score0 += u;
      score1 += u * p.level;
    }
    EXPECT_NEAR(score0, 0.0, 1e-6);
    EXPECT_NEAR(score1, 0.0, 1e-4);
    EXPECT_NEAR(st::dose_at(f, 0.99).level, 66.0, 0.5);
  }
}

TEST(RangeFit, FiellerIsOpenWhenTheSlopeIsNotSignificant) {
  // Flat data: the slope's z is far below 1.96, so the set of levels is unbounded.
  const std::vector<st::DosePoint> pts = {{40, {6, 10}}, {50, {4, 10}}, {60, {5, 10}},
                                          {70, {5, 10}}};
  const auto d = st::dose_at(st::fit_binomial_dose(pts, st::DoseLink::logit), 0.99);
  EXPECT_FALSE(d.fieller.bounded);
  EXPECT_FALSE(d.profile.bounded);
}

// ---- R cross-check -------------------------------------------------------------------------

struct Block {
  std::vector<std::string> header;
  std::map<std::string, std::vector<double>> values;
  std::vector<std::pair<std::string, std::map<std::string, std::vector<double>>>> strata;
};

struct Reference {
  std::map<std::string, std::vector<double>> globals;
  std::vector<Block> cases;
  std::vector<Block> comparisons;
};

// Runs the R script once per test binary; nullopt-like empty error string when it ran.
const Reference* reference(std::string* why) {
  static std::string error;
  static std::unique_ptr<Reference> ref;
  static bool tried = false;
  if (!tried) {
    tried = true;
    const std::string cmd = std::string("Rscript --vanilla ") + LOCKRIG_STATS_TESTS_DIR +
                            "/range_reference.R 2>/dev/null";
    FILE* p = popen(cmd.c_str(), "r");
    std::string text;
    if (p != nullptr) {
      std::array<char, 4096> buf{};
      std::size_t got = 0;
      while ((got = fread(buf.data(), 1, buf.size(), p)) > 0) text.append(buf.data(), got);
      const int rc = pclose(p);
      if (rc != 0) error = "Rscript range_reference.R failed (is R with MASS and metafor installed? "
                           "scripts/deps.sh installs r-cran-mass and r-cran-metafor)";
    } else {
      error = "cannot start Rscript";
    }
    if (error.empty()) {
      ref = std::make_unique<Reference>();
      std::istringstream in(text);
      std::string line;
      Block* cur = nullptr;
      std::map<std::string, std::vector<double>>* target = &ref->globals;
      while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string key;
        ls >> key;
        if (key == "case" || key == "compare") {
          auto& list = key == "case" ? ref->cases : ref->comparisons;
          list.emplace_back();
          cur = &list.back();
          std::string w;
          while (ls >> w) cur->header.push_back(w);
          target = &cur->values;
        } else if (key == "stratum") {
          std::string label;
          ls >> label;
          cur->strata.emplace_back(label, std::map<std::string, std::vector<double>>{});
          target = &cur->strata.back().second;
        } else if (key == "end") {
          target = &ref->globals;
          cur = nullptr;
        } else if (!key.empty()) {
          std::vector<double> v;
          double d = 0;
          while (ls >> d) v.push_back(d);
          // The pooled line follows the strata but belongs to the comparison.
          if (key == "pooled" && cur != nullptr) target = &cur->values;
          (*target)[key] = v;
        }
      }
      if (ref->cases.empty()) error = "range_reference.R printed no cases";
    }
  }
  if (!error.empty()) {
    *why = error;
    return nullptr;
  }
  return ref.get();
}

st::DoseLink link_named(const std::string& s) {
  return s == "cloglog" ? st::DoseLink::cloglog : st::DoseLink::logit;
}

std::vector<st::DosePoint> points_of(const std::vector<double>& x, const std::vector<double>& n,
                                     const std::vector<double>& y) {
  std::vector<st::DosePoint> pts;
  for (std::size_t i = 0; i < x.size(); ++i) {
    pts.push_back({x[i], {static_cast<long>(y[i]), static_cast<long>(n[i])}});
  }
  return pts;
}

// |a - b| <= 1e-6 * max(1, |b|): R's figures to 1e-6 relative (absolute near zero).
::testing::AssertionResult close(double a, double b) {
  if (std::abs(a - b) <= 1e-6 * std::max(1.0, std::abs(b))) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << a << " vs R " << b;
}

#define SKIP_WITHOUT_R(ref)              \
  std::string why;                       \
  const Reference* ref = reference(&why); \
  if (ref == nullptr) GTEST_SKIP() << why

TEST(RangeFitAgainstR, CoefficientsCovarianceAndGoodnessOfFitAgree) {
  SKIP_WITHOUT_R(ref);
  for (const auto& c : ref->cases) {
    SCOPED_TRACE(c.header[0] + " " + c.header[1] + " " + c.header[2]);
    auto v = c.values;
    const auto fit = st::fit_binomial_dose(points_of(v["levels"], v["trials"], v["successes"]),
                                           link_named(c.header[1]));
    EXPECT_TRUE(close(fit.intercept, v["coef"][0]));
    EXPECT_TRUE(close(fit.slope, v["coef"][1]));
    EXPECT_TRUE(close(fit.var_intercept, v["vcov"][0]));
    EXPECT_TRUE(close(fit.cov_intercept_slope, v["vcov"][1]));
    EXPECT_TRUE(close(fit.var_slope, v["vcov"][2]));
    EXPECT_TRUE(close(fit.deviance, v["deviance"][0]));
    EXPECT_TRUE(close(fit.null_deviance, v["deviance"][1]));
    EXPECT_EQ(fit.df_residual, static_cast<long>(v["deviance"][2]));
    EXPECT_TRUE(close(fit.pearson_chi2, v["pearson"][0]));
    EXPECT_TRUE(close(fit.deviance_p, v["gof"][0]));
    EXPECT_TRUE(close(fit.pearson_p, v["gof"][1]));
  }
}

TEST(RangeFitAgainstR, LevelAtTargetWithWaldFiellerAndProfileIntervalsAgree) {
  SKIP_WITHOUT_R(ref);
  for (const auto& c : ref->cases) {
    SCOPED_TRACE(c.header[0] + " " + c.header[1] + " " + c.header[2]);
    auto v = c.values;
    const double target = std::stod(c.header[2]);
    const auto fit = st::fit_binomial_dose(points_of(v["levels"], v["trials"], v["successes"]),
                                           link_named(c.header[1]));
    const auto d = st::dose_at(fit, target);
    EXPECT_TRUE(close(d.level, v["dose"][0]));
    EXPECT_TRUE(close(d.se, v["dose"][1]));
    ASSERT_TRUE(d.fieller.bounded);
    EXPECT_TRUE(close(d.fieller.interval.lower, v["fieller"][0]));
    EXPECT_TRUE(close(d.fieller.interval.upper, v["fieller"][1]));
    ASSERT_TRUE(d.profile.bounded);
    EXPECT_TRUE(close(d.profile.interval.lower, v["profile"][0]));
    EXPECT_TRUE(close(d.profile.interval.upper, v["profile"][1]));
    EXPECT_TRUE(close(st::profile_deviance(fit, target, (d.level + v["profile"][1]) / 2),
                      v["profile_mid"][0]));
  }
}

TEST(RangeFitAgainstR, StratifiedDifferenceBetweenVersionsAgreesWithMetaforFixedEffect) {
  SKIP_WITHOUT_R(ref);
  ASSERT_FALSE(ref->comparisons.empty());
  auto g = ref->globals;
  for (const auto& c : ref->comparisons) {
    SCOPED_TRACE(c.header[1] + " " + c.header[2]);
    std::vector<st::RangeStratumInput> in;
    for (const auto& [label, vals] : c.strata) {
      auto v = vals;
      in.push_back({label, points_of(g["levels"], g["trials"], v["candidate_successes"]),
                    points_of(g["levels"], g["trials"], v["baseline_successes"])});
    }
    const auto cmp = st::compare_range(in, link_named(c.header[1]), std::stod(c.header[2]));
    ASSERT_EQ(cmp.strata.size(), c.strata.size());
    for (std::size_t i = 0; i < c.strata.size(); ++i) {
      auto v = c.strata[i].second;
      EXPECT_TRUE(close(cmp.strata[i].difference, v["stratum_difference"][0]));
      EXPECT_TRUE(close(cmp.strata[i].se, v["stratum_difference"][1]));
    }
    auto v = c.values;
    EXPECT_TRUE(close(cmp.difference, v["pooled"][0]));
    EXPECT_TRUE(close(cmp.se, v["pooled"][1]));
    EXPECT_TRUE(close(cmp.interval.lower, v["pooled"][2]));
    EXPECT_TRUE(close(cmp.interval.upper, v["pooled"][3]));
    EXPECT_TRUE(close(cmp.heterogeneity_q, v["pooled"][4]));
    EXPECT_TRUE(close(cmp.heterogeneity_p, v["pooled"][5]));
  }
}

}  // namespace
