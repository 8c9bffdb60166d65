// Which build broke it? A change-point finding over a sequence of builds (issue 16 item 2).
//
// Builds are given in the order they first appeared (the first is the oldest), each with its SLI
// counts per stratum (door material by default). For every build k = 2..K the question is "is
// build k's SLI below that of the builds before it?": a one-sided stratified comparison of build
// k (the candidate) against the pooled builds 1..k-1 (the baseline), within each stratum, by the
// Cochran-Mantel-Haenszel test this library already has (cochran_mantel_haenszel, R's
// mantelhaen.test with its continuity correction). The one-sided p-value is R's for
// alternative = "less": Phi(sign(delta) * sqrt(X^2)), X^2 the corrected statistic (R
// src/library/stats/R/mantelhaen.test.R, the 2 x 2 x K branch).
//
// The K - 1 p-values form one family and are adjusted by Holm's step-down procedure (Holm 1979,
// "A simple sequentially rejective multiple test procedure", Scand J Statist 6:65-70; holm_adjust,
// R p.adjust "holm"). Holm controls the family-wise error rate at alpha under any dependence
// between the tests (these are positively dependent: build k's baseline contains every earlier
// build), so on a history in which no build differs the procedure names a build with probability
// at most alpha. The change point named is the *first* build (in order of appearance) whose
// Holm-adjusted p is below alpha. A fixed-sequence (hierarchical) test was rejected: it must stop
// at the first build it cannot reject, and in a history where build 4 is the regression builds 2
// and 3 are not rejected, so it would never reach build 4.
//
// A stratum in which build k or its predecessors have no SLI session is left out of that
// comparison (CMH drops it and says so); a comparison in which no stratum carries information
// (no failure in any shared stratum) has p = 1, which is what it shows.
//
// Pure functions, no I/O. Throws std::invalid_argument for invalid counts or alpha outside
// (0, 1).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "reports/stats/stratified.hpp"
#include "reports/stats/types.hpp"

namespace lockrig::stats {

// One stratum of one build: its SLI sessions and successes.
struct StratumCounts {
  std::string label;
  Counts counts;
};

// One build in the sequence: its name and its counts per stratum (a stratum absent from a build
// has no sessions in it; labels are matched by name across builds).
struct BuildCounts {
  std::string name;
  std::vector<StratumCounts> strata;
};

// Build k against the pooled builds before it.
struct ChangePointStep {
  std::size_t build = 0;  // index into the input (1..K-1)
  std::string name;
  Counts candidate, predecessors;  // pooled over the strata compared
  std::vector<Stratum> table;      // per stratum: candidate = build k, baseline = builds before
  CmhResult cmh;
  MhRiskDifferenceResult risk_difference;  // build k - predecessors, within strata (Sato)
  double p = 1.0;       // one-sided: build k's SLI below its predecessors'
  double p_holm = 1.0;  // Holm-adjusted over the K - 1 comparisons
  bool significant = false;  // p_holm < alpha
};

struct ChangePointResult {
  double alpha = 0.05;
  std::string procedure = "holm";  // the multiplicity procedure, by name
  std::vector<ChangePointStep> steps;  // builds 2..K, in order
  std::optional<std::size_t> first;    // index into the input of the build named, if any
  std::vector<std::string> notes;
};

// The change point of `builds` (oldest first). Fewer than two builds: no step, nothing named.
ChangePointResult find_change_point(const std::vector<BuildCounts>& builds, double alpha = 0.05);

// The one-sided CMH p-value that the candidate's success odds are lower (R mantelhaen.test,
// alternative = "less", correct = TRUE); 1 when the test is not informative.
double cmh_p_less(const CmhResult& cmh);

}  // namespace lockrig::stats
