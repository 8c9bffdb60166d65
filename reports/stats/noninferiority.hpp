// Score-based non-inferiority of the candidate's success rate, for the release gate.
//
// The question: is p_cand - p_base above -margin (PASS), shown below it (FAIL), or neither?
// A Wald-type test (the Mantel-Haenszel risk difference with Sato's variance) estimates its
// variance at the observed rates, which collapses near 100% success (800/800 vs 799/800 at a
// 0.5-pt margin gives z = 3.00). A score test evaluates the variance at the rates that maximise
// the likelihood *on the null boundary* p_cand - p_base = -margin, where a 0.5-pt worse candidate
// has failures to spare, so it keeps its size where locks live (same data: z = 1.50, p = .066).
//
// Methods (every function throws std::invalid_argument for invalid counts, a margin outside
// (0, 1) or a level outside (0, 1)):
//
// * Stratified Miettinen-Nurminen score test (Miettinen and Nurminen 1985, Stat Med 4:213-226,
//   section 5). In stratum k with n1k candidate and n0k baseline sessions, d_k = p1k - p0k is the
//   observed difference and (p1k~, p0k~) the restricted MLE with p1k~ - p0k~ = -margin, solved
//   numerically (detail::restricted_mle_difference: the cubic's root polished by safeguarded
//   Newton steps on the score, never statsmodels' closed form). Its null variance is
//       V_k = [p1k~ (1 - p1k~) / n1k + p0k~ (1 - p0k~) / n0k] * N_k / (N_k - 1)
//   (N_k = n1k + n0k, the Miettinen-Nurminen factor). With the Mantel-Haenszel (CMH-type) weights
//       w_k = n1k n0k / (n1k + n0k)     (Miettinen-Nurminen's own choice; W = sum w_k),
//   the estimate is the MH risk difference RD = sum w_k d_k / W and
//       z = (RD + margin) / sqrt(sum w_k^2 V_k / W^2).
//   One stratum gives exactly the Farrington-Manning / Miettinen-Nurminen score statistic of
//   non_inferiority_test() (statsmodels test_proportions_2indep(method='score', compare='diff')).
//   A stratum without failures keeps a positive null variance (its restricted rates sit at
//   1 and 1 - margin), so it enters as evidence of "no difference" without inflating z.
//   Strata with an empty arm are dropped and listed.
//   Monotonicity (tests/reports/stats_noninferiority_test.cpp): one stratum's p-values move the
//   right way with every count (a candidate success never raises p_pass, a baseline success never
//   lowers it); so do several strata with at most 2:1 sessions between the versions in each (the
//   rig's design). In a stratum with a stronger imbalance one more baseline success can lower that
//   stratum's null variance more than its difference and p_pass by a few percent (e.g. 76 vs 2,634
//   sessions: 1.36e-3 -> 1.33e-3); a known property of score statistics with data-dependent
//   variances, kept rather than hidden.
//
// * Exact unconditional test (Chan 1998, Stat Med 17:1403-1413) for one stratum: the p-value is
//   the largest tail probability P(Z >= z_obs) over the nuisance rate on the null boundary,
//   enumerating both binomials, with Z the same score statistic. Its size never exceeds alpha.
//
// * Choice (decide_non_inferiority): the exact test is used when the comparison has exactly one
//   stratum and n1 * n0 <= kExactMaxTables (the score test's size is measured in bench/gate_oc.cpp:
//   see docs/reports.md); otherwise the stratified score test. The rule depends on the design
//   (strata and sample sizes), never on the outcome.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "reports/stats/types.hpp"

namespace lockrig::stats {

// One stratum's part in the stratified score test.
struct ScoreStratum {
  std::string label;
  Counts candidate, baseline;
  StratumRole role = StratumRole::contributes;  // contributes, or dropped (an empty arm)
  std::string reason;
  double weight = 0.0;                                         // n1 n0 / (n1 + n0)
  double difference = 0.0;                                     // p1 - p0 observed
  double candidate_rate_null = 0.0, baseline_rate_null = 0.0;  // restricted MLE at -margin
  double variance_null = 0.0;                                  // V_k above
  double z = 0.0;        // this stratum's own score statistic at -margin
  double p_worse = 1.0;  // one-sided: H0 d_k >= -margin; small = shown worse
};

struct ScoreTestResult {
  std::vector<ScoreStratum> strata;
  bool informative = false;  // false: every stratum dropped
  double margin = 0.0;
  double difference = 0.0;  // MH risk difference (candidate - baseline)
  double se_null = 0.0;     // sqrt(sum w^2 V / W^2) at -margin
  double z = 0.0;
  double p_pass = 1.0;  // H0: RD <= -margin; small = non-inferior
  double p_fail = 1.0;  // H0: RD >= -margin; small = worse than the margin
  std::vector<std::string> notes;
};

// The stratified Miettinen-Nurminen score test of H0: RD = -margin (both one-sided p-values).
ScoreTestResult stratified_score_test(const std::vector<Stratum>& strata, double margin);

// The statistic alone at a difference `delta` under the null (any delta in (-1, 1)), for
// inverting the test: z(delta) = (RD - delta) / se(delta). nullopt when every stratum is
// dropped.
std::optional<double> stratified_score_z(const std::vector<Stratum>& strata, double delta);

// Score confidence bounds for the common risk difference by inverting the stratified score test:
// lower = the difference where z = z_{1-tail}, upper = where z = -z_{1-tail} (so with tail =
// alpha these are the one-sided 1-alpha bounds, together the two-sided 1-2alpha interval).
// nullopt when every stratum is dropped.
std::optional<Interval> stratified_score_bounds(const std::vector<Stratum>& strata, double tail);

// Chan's exact unconditional p-values for one stratum, based on the score statistic at -margin.
// Throws std::invalid_argument when (n1 + 1)(n0 + 1) exceeds 64 * kExactMaxTables (the
// enumeration would be too slow). `pass`: sup over the nuisance of P(Z >= z_obs); `fail`: sup of
// P(Z <= z_obs).
inline constexpr long kExactMaxTables = 250'000;
struct ExactTestResult {
  Counts candidate, baseline;
  double margin = 0.0;
  double z = 0.0;
  double p_pass = 1.0, p_fail = 1.0;
  double nuisance_pass = 0.0, nuisance_fail = 0.0;  // baseline rate where each sup is reached
};
ExactTestResult exact_unconditional_test(Counts candidate, Counts baseline, double margin);

// The exact test's rejection regions for n1 and n0 sessions: PASS exactly when the table's score
// statistic z >= pass (p_pass < alpha), FAIL exactly when z <= fail; nullopt when no table
// reaches it. For operating characteristics (bench/gate_oc.cpp) and planning.
struct ExactCritical {
  std::optional<double> pass, fail;
};
ExactCritical exact_critical_values(long n1, long n0, double margin, double alpha);

// The gate's non-inferiority decision statistic, chosen by the documented rule above.
enum class NiMethod { stratified_score, exact_unconditional };
const char* to_string(
    NiMethod m);  // "miettinen-nurminen-stratified-score", "chan-exact-unconditional"
struct NiDecision {
  NiMethod method = NiMethod::stratified_score;
  ScoreTestResult score;  // always computed (the estimate, the strata, the z)
  std::optional<ExactTestResult> exact;
  double alpha = 0.05;
  double p_pass = 1.0, p_fail = 1.0;  // of the method used
  // One-sided 1 - alpha bounds of the risk difference from the score test (the two-sided 1 - 2
  // alpha interval); for the exact method these are still the score bounds, printed as such.
  std::optional<Interval> bounds;
  bool pass = false;  // p_pass < alpha
  bool fail = false;  // p_fail < alpha
  std::vector<std::string> notes;
};
// `exact_allowed = false` forces the score test (for comparisons and the benchmark).
NiDecision decide_non_inferiority(const std::vector<Stratum>& strata, double margin, double alpha,
                                  bool exact_allowed = true);

// One look of the group-sequential gate (reports/stats/group_sequential.hpp): the stratified score
// statistic at -margin against the look's boundary c_k, with O'Brien-Fleming-type spending at
// t_k = k / max_looks and correlations from the information (the sum of the MH weights, in
// sessions) of this look and the ones before it. PASS when z >= c_k, FAIL when z <= -c_k. The
// score test is used at every size here (the boundaries are on the z scale). Throws
// std::invalid_argument when this look would be beyond max_looks, or its information is not above
// the previous look's (no new sessions), or every stratum is dropped.
struct SequentialLook {
  int look = 1, max_looks = 1;
  std::vector<double> information;  // every look so far, this one last
  ScoreTestResult score;
  double critical = 0.0;          // c_k
  double nominal_p = 0.0;         // 1 - Phi(c_k)
  double cumulative_alpha = 0.0;  // alpha spent by this look
  bool pass = false, fail = false;
};
SequentialLook sequential_non_inferiority_look(const std::vector<Stratum>& strata, double margin,
                                               double alpha,
                                               const std::vector<double>& previous_information,
                                               int max_looks);
// The information of a comparison: the sum of the MH weights n1 n0 / (n1 + n0) of the strata with
// both versions.
double comparison_information(const std::vector<Stratum>& strata);

// Per-stratum check that no stratum is shown worse than the margin: each contributing stratum's
// one-sided score p-value for H0: d_k >= -margin, Holm-adjusted across the contributing strata.
struct StratumWorse {
  std::string label;
  Counts candidate, baseline;
  double difference = 0.0;
  double z = 0.0;
  double p = 1.0, p_holm = 1.0;
  bool worse = false;  // p_holm < alpha
};
struct StrataWorseResult {
  std::vector<StratumWorse> strata;  // contributing strata, input order
  bool any_worse = false;
};
StrataWorseResult strata_worse_than_margin(const std::vector<Stratum>& strata, double margin,
                                           double alpha);

// The same check at one look of a group-sequential gate (gate --looks; issue 11): Holm's
// step-down with group-sequential boundaries instead of a fixed alpha at every look. The stratum
// with the j-th most negative z (of m contributing strata) is shown worse when
// z <= -critical[m - j] and all before it were; critical[i] is this look's boundary c_k of the
// design spending alpha / (i + 1) (look_boundaries(information, max_looks, alpha / (i + 1))).
// Holm's procedure with each hypothesis tested by a group-sequential design at the level it holds
// keeps the family-wise error over looks and strata (Maurer and Bretz 2013, "Multiple testing in
// group sequential trials using graphical approaches", Stat Biopharm Res 5:311-320). The strata's
// information is taken to grow in proportion to the comparison's (a stable mix).
// Throws std::invalid_argument when critical has fewer values than contributing strata.
StrataWorseResult strata_worse_sequential(const std::vector<Stratum>& strata, double margin,
                                          const std::vector<double>& critical);

// The failure-rate ratio an absolute margin allows: (f_base + margin) / f_base with f_base =
// 1 - baseline_rate; nullopt when the baseline never fails (any candidate failure is an infinite
// ratio). 99.5% and 0.5 pts: 2.0 (the candidate may fail twice as often).
std::optional<double> failure_ratio_allowed(double baseline_rate, double margin);

}  // namespace lockrig::stats
