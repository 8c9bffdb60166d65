// Stratified comparison of candidate and baseline across door materials (or any other strata).
//
// Pooling strata naively lets a change in the mix of doors fake a regression (Simpson's paradox);
// these estimators compare within each stratum and combine. Each 2x2 table is
// [cand successes, cand failures; base successes, base failures].
//
// At 99%+ success rates many strata have no failure at all. For odds-ratio based figures such a
// stratum's table is fixed by its margins and carries no information; every result lists each
// input stratum with its role (contributes / uninformative / dropped) and the reason, and has
// `informative == false` (with a note) instead of NaN when nothing is left to compute from.
// Functions throw std::invalid_argument for invalid counts (negative, successes > trials) or
// levels outside (0, 1); strata with an empty arm are accepted and reported as dropped.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "reports/stats/types.hpp"

namespace lockrig::stats {

// Cochran-Mantel-Haenszel chi-squared test (1 df) of "common odds ratio = 1", as R's
// mantelhaen.test on a 2x2xK table (continuity correction applied only when |sum(a - E a)| >= 1/2,
// as R does). `z` is the signed, uncorrected square root: positive when the candidate succeeds
// more often than expected.
struct CmhResult {
  std::vector<StratumUse> strata;
  bool informative = false;  // false: no stratum carries information; statistic 0, p 1
  double statistic = 0.0;    // chi-squared, 1 df
  double p_value = 1.0;
  double z = 0.0;
  bool continuity_correction = false;
  std::vector<std::string> notes;
};
CmhResult cochran_mantel_haenszel(const std::vector<Stratum>& strata,
                                  bool continuity_correction = true);

// Mantel-Haenszel common odds ratio of success (candidate vs baseline) with the
// Robins-Breslow-Greenland variance of its log (R mantelhaen.test estimate and conf.int,
// statsmodels StratifiedTable.oddsratio_pooled_confint). odds_ratio may be +inf or 0 when all
// informative failures fall in one arm; then `interval` is empty and `notes` says why.
struct MhOddsRatioResult {
  std::vector<StratumUse> strata;
  bool informative = false;
  double odds_ratio = 1.0;
  std::optional<Interval> interval;
  double log_se = 0.0;  // standard error of log(odds_ratio) when the interval exists
  double confidence = 0.95;
  std::vector<std::string> notes;
};
MhOddsRatioResult mantel_haenszel_odds_ratio(const std::vector<Stratum>& strata,
                                             double confidence = 0.95);

// Mantel-Haenszel risk difference p_cand - p_base with weights n1*n0/N and Sato's variance
// (Sato 1989; metafor rma.mh(measure = "RD")). Strata with no failure in either arm do count here
// (they are evidence of "no difference"); only strata with an empty arm are dropped.
// z and p_value test RD = 0 (two-sided).
struct MhRiskDifferenceResult {
  std::vector<StratumUse> strata;
  bool informative = false;  // false: every stratum dropped
  double difference = 0.0;
  double se = 0.0;
  Interval interval;
  double confidence = 0.95;
  double z = 0.0;
  double p_value = 1.0;
  std::vector<std::string> notes;
};
MhRiskDifferenceResult mantel_haenszel_risk_difference(const std::vector<Stratum>& strata,
                                                       double confidence = 0.95);

// Stratified non-inferiority: H0: RD_MH <= -margin, one-sided z = (RD_MH + margin) / se_Sato.
struct StratifiedNonInferiorityResult {
  MhRiskDifferenceResult risk_difference;
  double margin = 0.0;
  double z = 0.0;
  double p_value = 1.0;  // small means "non-inferior"
  std::vector<std::string> notes;
};
StratifiedNonInferiorityResult stratified_non_inferiority_test(const std::vector<Stratum>& strata,
                                                               double margin);

// Breslow-Day test that the odds ratio is the same in every stratum, optionally with Tarone's
// correction (statsmodels StratifiedTable.test_equal_odds). Strata whose table is fixed by its
// margins are left out and the degrees of freedom count only the contributing strata; with fewer
// than two contributing strata, or a pooled odds ratio of 0 or infinity, the test is not
// informative.
struct BreslowDayResult {
  std::vector<StratumUse> strata;
  bool informative = false;
  double statistic = 0.0;
  int degrees_of_freedom = 0;
  double p_value = 1.0;
  bool tarone = false;
  std::vector<std::string> notes;
};
BreslowDayResult breslow_day(const std::vector<Stratum>& strata, bool tarone = false);

}  // namespace lockrig::stats
