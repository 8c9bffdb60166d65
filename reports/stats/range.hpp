// Range statistics: success against attenuation as a binomial dose-response regression.
//
// A sweep gives, per attenuation level, x unlock successes out of n sessions. The model is a
// binomial GLM g(P(success | level)) = intercept + slope * level with the logit or the
// complementary log-log link (what R fits with glm(cbind(x, n - x) ~ level, binomial(link))).
// The "range margin" is the level at which the fitted success rate falls to a target (99%): the
// dose.p of Finney's probit analysis and of MASS::dose.p, here with three intervals: Wald (delta
// method, as dose.p's standard error), Fieller's and the profile-likelihood one.
//
// Pure functions; all figures are cross-checked against R in tests/reports/stats_range_test.cpp
// (tests/reports/range_reference.R) and against the published beetle-mortality fits.
// Entry points throw std::invalid_argument for data that has no finite maximum-likelihood fit
// (fewer than two levels, no success or no failure at all, or successes and failures separated
// by a level), naming the levels.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "reports/stats/types.hpp"

namespace lockrig::stats {

enum class DoseLink { logit, cloglog };

// g(p) and its inverse g^{-1}(eta).
double dose_link(DoseLink link, double p);
double dose_inverse_link(DoseLink link, double eta);
const char* to_string(DoseLink link);

// One level of a sweep: `level` (dB of attenuation) and the sessions run at it.
struct DosePoint {
  double level = 0.0;
  Counts counts;
};

struct BinomialFit {
  DoseLink link = DoseLink::logit;
  double intercept = 0.0;
  double slope = 0.0;
  // Inverse Fisher information at the estimate (R: vcov(fit)).
  double var_intercept = 0.0;
  double cov_intercept_slope = 0.0;
  double var_slope = 0.0;
  double deviance = 0.0;       // residual deviance
  double null_deviance = 0.0;  // deviance of the intercept-only model
  double pearson_chi2 = 0.0;   // sum of squared Pearson residuals
  long df_residual = 0;        // levels - 2
  // Goodness of fit: upper chi-square tail of the deviance and of Pearson's X^2 on df_residual
  // (NaN when df_residual is 0).
  double deviance_p = 0.0;
  double pearson_p = 0.0;
  int iterations = 0;
  std::vector<DosePoint> points;

  double probability(double level) const;
};

// Maximum-likelihood fit by iteratively reweighted least squares (Fisher scoring; for these
// canonical and non-canonical links alike), iterated to full double precision.
BinomialFit fit_binomial_dose(std::span<const DosePoint> points, DoseLink link);

// An interval that may be open on one side or both (Fieller's and the profile interval are
// when the slope is not clearly different from zero or the data does not reach the target).
struct DoseInterval {
  Interval interval;  // +-infinity on an open side
  bool bounded = true;
};

// The level at which the fitted success rate equals `target`.
struct DoseEstimate {
  double target = 0.0;
  double level = 0.0;
  double se = 0.0;      // delta method, as MASS::dose.p
  Interval wald;        // level -/+ z * se
  DoseInterval fieller;
  DoseInterval profile;  // {theta : D(theta) - D(hat) <= chi2_1(confidence)}
  double confidence = 0.95;
};

DoseEstimate dose_at(const BinomialFit& fit, double target, double confidence = 0.95);

// Profile deviance of the level theta at which success is `target`: the minimum deviance over
// slopes of g(p_i) = g(target) + slope * (level_i - theta). Exposed for tests and charts.
double profile_deviance(const BinomialFit& fit, double target, double theta);

// One stratum (door material) of a two-version range comparison.
struct RangeStratumInput {
  std::string label;
  std::vector<DosePoint> candidate;
  std::vector<DosePoint> baseline;
};

struct RangeStratumResult {
  std::string label;
  BinomialFit candidate;
  BinomialFit baseline;
  DoseEstimate candidate_margin;
  DoseEstimate baseline_margin;
  double difference = 0.0;  // candidate margin - baseline margin, dB (< 0: candidate loses range)
  double se = 0.0;          // sqrt(se_c^2 + se_b^2): independent sweeps
  Interval interval;        // difference -/+ z * se
};

struct RangeComparison {
  double target = 0.0;
  double confidence = 0.95;
  DoseLink link = DoseLink::logit;
  std::vector<RangeStratumResult> strata;
  // Inverse-variance weighted mean of the strata's differences (fixed-effect pooling) with its
  // Wald interval; equal to the one stratum's figures when there is one.
  double difference = 0.0;
  double se = 0.0;
  Interval interval;
  // Cochran's Q for heterogeneity of the strata's differences (df = strata - 1) and its p-value
  // (NaN with one stratum).
  double heterogeneity_q = 0.0;
  double heterogeneity_p = 0.0;
};

// Compares the range margin (the level where success falls to `target`) of two versions per
// stratum. Every stratum must give both versions a finite fit; otherwise the error names it.
RangeComparison compare_range(std::span<const RangeStratumInput> strata, DoseLink link,
                              double target, double confidence = 0.95);

}  // namespace lockrig::stats
