// Every figure of a report, computed from a Dataset with the statistics library. Renderers only
// format what is here; nothing below reads the journal or prints.
//
// Populations ("arms"): with --baseline/--candidate the SLI sessions matching each filter set; a
// single arm "all" otherwise. Rig-fault sessions are excluded from every rate and counted apart;
// sessions that are not SLI-eligible are assertions.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reports/dataset.hpp"
#include "reports/range_section.hpp"
#include "reports/stats/stats.hpp"

namespace lockrig::reports {

struct ReportOptions {
  std::vector<Filter> baseline, candidate;  // both empty: single-population report
  std::string strata = "material";          // an attribute name, or "none"
  double confidence = 0.95;                 // two-sided intervals
  double alpha = 0.05;                      // tests (gate one-sided), flags, homogeneity warning
  double margin = 0.005;                    // non-inferiority margin, as a rate difference
  double power = 0.8;                       // for detectable drops and sessions needed
  double latency_slo_ms = 1500.0;
  // gate --looks: the declared maximum number of looks (0: a single look) and the information
  // (sum of the MH weights) of the looks already journaled for the same selection, in order.
  int max_looks = 0;
  std::vector<double> previous_looks;
  // Issue 14, the Range section: the success rate the range margin is read at, the link of the
  // fit, and the gate's --range-margin (dB the candidate may lose; nullopt: no range gate).
  double range_target = 0.99;
  stats::DoseLink range_link = stats::DoseLink::logit;
  std::optional<double> range_margin_db;
};

struct AttemptsBucket {
  int attempts = 0;
  long sessions = 0;   // SLI sessions that used this many attempts
  long successes = 0;  // of which succeeded
};

// SLI of one group of sessions (a stratum, a scenario) within an arm.
struct GroupSli {
  std::string key;
  stats::ProportionEstimate sli;
  stats::ProportionEstimate first_attempt;
};

// Why SLI sessions of an arm failed, by the final attempt's outcome. class_ is "lock" for a lock
// outcome or "timeout" (the field keeps timeouts apart from lock outcomes).
struct FailureCause {
  std::string outcome;
  std::string class_;
  long sessions = 0;
};

struct LatencySummary {
  std::size_t n = 0;  // successful SLI sessions: their duration is the user's wait
  std::vector<stats::PercentileEstimate> percentiles;  // p50, p90, p99 (when n > 0)
  std::optional<stats::ProportionEstimate> within_slo;
  double mean = 0.0, min = 0.0, max = 0.0;
  std::vector<std::pair<double, double>> cdf;  // (ms, share <= ms), at most ~200 points
};

struct Arm {
  std::string name;  // "baseline", "candidate" or "all"
  std::vector<Filter> filter;
  long sessions = 0;  // every selected session of the arm, rig faults and assertions included
  long assertions = 0, assertions_failed = 0, rig_fault_sessions = 0;
  stats::Counts sli_counts, first_attempt_counts;
  std::optional<stats::ProportionEstimate> sli, first_attempt;  // absent without SLI sessions
  std::vector<AttemptsBucket> attempts;
  double mean_attempts = 0.0;
  std::vector<GroupSli> by_stratum, by_scenario;
  std::vector<FailureCause> causes;
  LatencySummary latency;
};

// One row of the per-stratum comparison.
struct StratumComparison {
  std::string label;
  stats::Counts candidate, baseline;
  double candidate_share = 0.0, baseline_share = 0.0;   // of the arm's SLI sessions (the mix)
  std::optional<stats::DifferenceEstimate> difference;  // when both arms have sessions
  std::optional<stats::FisherResult> fisher;
  std::optional<double> fisher_p_holm;                        // Holm across the strata compared
  stats::StratumRole role = stats::StratumRole::contributes;  // in the CMH / odds-ratio family
  std::string reason;
};

struct PowerNote {
  double n_per_version = 0.0;  // harmonic mean of the two arms' SLI sessions
  double baseline_rate = 0.0;
  double alpha = 0.05, power = 0.8;
  std::optional<stats::DetectableDrop> drop;  // nullopt: not even a rate of 0 is detectable
};

struct Comparison {
  stats::DifferenceEstimate overall;  // Newcombe, pooled over strata
  stats::FisherResult fisher;
  stats::DifferenceEstimate first_attempt;
  stats::FisherResult first_attempt_fisher;
  stats::BayesComparison bayes;  // Jeffreys prior
  std::vector<StratumComparison> strata;
  stats::CmhResult cmh;
  stats::MhRiskDifferenceResult risk_difference;  // at options.confidence
  stats::MhOddsRatioResult odds_ratio;
  stats::BreslowDayResult breslow_day;
  // Headline findings (issue 11 item 7): Holm-adjusted across Report::headline.
  bool homogeneity_warning = false;  // Breslow-Day informative, Holm-adjusted p < alpha
  bool significant = false;          // stratified CMH (Fisher when uninformative), Holm p < alpha
  int direction = 0;                 // sign of the stratified difference when significant
  std::optional<PowerNote> power;    // when no significant difference
  // Simpson's paradox, not a test (whatever the significance): the versions' stratum mixes differ
  // and the pooled and stratified (MH) differences disagree in sign (each at least
  // kSimpsonSignFloor from 0) or by more than simpson_tolerance = max(margin / 5, a quarter of
  // the stratified difference). Never on identical mixes, where the two estimates coincide.
  bool mixes_differ = false;
  double stratified_difference = 0.0;  // MH risk difference (pooled when not estimable)
  double simpson_tolerance = 0.0;
  bool simpson_warning = false;
};

inline constexpr double kSimpsonSignFloor = 1e-4;  // 0.01 pts

// One test of the report's headline family (issue 11 item 7): every "significant" finding the
// report states is one of these, Holm-adjusted across the family, so that on two equal versions
// any of them shows with probability at most about alpha (measured by bench/findings_aa.cpp).
struct HeadlineTest {
  std::string name;  // "sli", "latency", "homogeneity", "locks"
  std::string test;  // the test, in words
  double p = 1.0;    // its own p-value; "locks": Simes' global p (the smallest BH-adjusted p)
  double multiplier = 1.0;   // Holm's factor at its step (tests left, itself included)
  double p_holm = 1.0;       // Holm-adjusted across the family
  bool significant = false;  // p_holm < alpha
};

enum class Verdict { pass, fail, inconclusive };
const char* to_string(Verdict v);

// Exit codes of `lockrig gate` (documented in docs/reports.md).
namespace gate_exit {
inline constexpr int pass = 0;
inline constexpr int fail = 1;
inline constexpr int inconclusive = 4;
inline constexpr int range_fail = 5;  // issue 14: gate --range-margin, the SLI gate not failing
}  // namespace gate_exit

struct SessionsNeeded {
  bool achievable = true;  // false: no sample size is likely to reach a verdict
  std::string toward;      // "pass" or "fail": the verdict the data lean towards
  long per_version = 0;    // planned total per version
  long more_baseline = 0, more_candidate = 0;
  long more_per_version = 0;  // the larger of the two
  double planned_baseline_rate = 0.0, planned_candidate_rate = 0.0;
  std::string basis;  // how the plan was made, in words
};

// One stratum's own check "shown worse than the margin" (score test, Holm across strata).
struct GateStratumCheck {
  std::string label;
  stats::Counts candidate, baseline;
  double difference = 0.0;  // candidate - baseline in this stratum
  double z = 0.0;           // the stratum's score statistic at -margin
  double p = 1.0, p_holm = 1.0;
  bool worse = false;  // p_holm < alpha; with --looks: z <= -critical (Holm, spent)
  std::optional<double> critical;  // --looks: this look's boundary at the stratum's Holm level
};

// The group-sequential look this gate decision is (gate --looks N); absent for a single look.
struct GateLook {
  int look = 1, max_looks = 1;
  std::string spending = "obrien-fleming";
  std::vector<double> information;  // every look so far (sum of the MH weights), this one last
  double critical = 0.0;            // c_k: PASS when z >= c_k, FAIL when z <= -c_k
  double nominal_p = 0.0;           // 1 - Phi(c_k)
  double cumulative_alpha = 0.0;    // alpha spent by this look
};

// The release gate: non-inferiority of candidate vs baseline, stratified (see docs/reports.md
// and docs/gate-statistics.md).
struct Gate {
  Verdict verdict = Verdict::inconclusive;
  // "miettinen-nurminen-stratified-score" or "chan-exact-unconditional" (one stratum with few
  // sessions), or "group-sequential-stratified-score" (gate --looks).
  std::string method;
  double margin = 0.0, alpha = 0.05, power = 0.8;
  double difference = 0.0;  // candidate - baseline (Mantel-Haenszel risk difference)
  std::optional<double> se;  // of the score test, at the null boundary -margin
  // One-sided 1 - alpha score bounds (together the two-sided 1 - 2 alpha interval).
  std::optional<double> lower_bound, upper_bound;
  double interval_level = 0.9;  // 1 - 2 alpha: the two-sided level of [lower, upper]
  double z = 0.0;               // score statistic at -margin
  double p_value = 1.0;         // H0: difference <= -margin (small: PASS), of the method used
  double p_fail = 1.0;          // H0: difference >= -margin (small: FAIL), of the method used
  // Per-stratum "worse than the margin" (Holm); applied with two or more strata compared.
  std::vector<GateStratumCheck> strata_checks;
  std::vector<std::string> worse_strata;  // labels shown worse (a FAIL names them)
  double baseline_rate = 0.0;             // pooled baseline SLI
  std::optional<double> failure_ratio_allowed;  // (f_base + margin) / f_base; none when f_base 0
  std::optional<GateLook> look;                 // nullopt: a single look
  std::optional<SessionsNeeded> needed;         // when inconclusive
  std::vector<std::string> notes;
  int exit_code = gate_exit::inconclusive;
  std::string rule;  // the decision rule, in words
};

struct LockSli {
  std::string arm, lock_id, model, material, firmware;  // firmware values seen, comma-separated
  stats::Counts counts;
  std::optional<stats::ProportionEstimate> sli;
  std::string peers;  // which locks it is compared with
  stats::Counts peer_counts;
  std::optional<double> p_worse, p_worse_adjusted;  // one-sided Fisher, then BH over all locks
  // BH-adjusted p times the lock family's Holm factor among the headline tests (at least the
  // family's Holm-adjusted p): the lock is flagged when it is below alpha and it fails more.
  std::optional<double> p_worse_family;
  bool flagged = false;
};

struct AssertionRow {
  std::string arm, scenario, expect;
  long passed = 0, failed = 0;
  std::vector<std::string> failures;  // "wood-1: success x2" (lock: outcome x count)
};

// Scenario x lock within an arm (the JUnit test cases).
struct ScenarioLock {
  std::string arm, scenario, lock_id, material;
  stats::Counts sli;
  long assertions = 0, assertions_failed = 0, rig_faults = 0;
  std::vector<std::string> failures;  // failed assertions: "expect not_found, got success x2"
};

struct RigFaultRun {
  std::string run_uuid;
  long sessions = 0;  // sessions ended by a rig fault
  long events = 0;    // rig_fault / quarantine events
};

struct RigFaults {
  long sessions = 0;
  std::vector<RigFaultRun> by_run;
  std::vector<FaultEvent> events;
};

struct ReportEvidence;  // reports/evidence_links.hpp (issue 15)

// Issue 16 item 6: triage notes (`lockrig annotate`, docs/annotate.md), filled by the commands
// through reports/notes.hpp; empty when the journal has none (or no annotations table).
struct ReportNote {
  std::string created_at, author, subject, mute_until, text;
};
// A lock muted on the selection's date: left out of every figure above and of the verdict, and
// measured here on its own (its rows of the per-lock table computed with it included).
struct MutedLock {
  std::string lock_id, mute_until, author, text;
  std::vector<LockSli> figures;  // one per arm in which it has SLI sessions
};
struct ReportNotes {
  std::vector<ReportNote> notes;  // on the selected runs, their locks and sessions, oldest first
  std::vector<MutedLock> muted;
  // The verdict computed with the muted locks included (empty when no lock is muted).
  std::string verdict_with_muted;
};

struct Report {
  std::string command = "report";  // or "gate"
  std::string journal, generated_at;
  RunSelection selection;
  std::vector<RunRecord> runs;
  ReportOptions options;
  std::vector<Arm> arms;
  long sessions = 0;                // every selected session
  long unmatched_sli_sessions = 0;  // comparison: SLI sessions in neither arm
  long unread_firmware_sessions = 0;
  std::optional<Comparison> comparison;
  std::optional<Gate> gate;
  std::vector<LockSli> locks;
  std::optional<stats::MannWhitneyResult> latency_shift;  // candidate (x) vs baseline (y)
  std::vector<HeadlineTest> headline;  // the tests behind the findings, Holm across them
  std::vector<AssertionRow> assertions;
  std::vector<ScenarioLock> scenario_locks;
  RigFaults rig_faults;
  std::vector<std::string> warnings;
  std::string verdict;                // one plain-language sentence
  std::vector<std::string> findings;  // supporting sentences
  // Issue 14: the Range section, present when the selection holds sweep sessions.
  std::optional<RangeSection> range;
  // Issue 15: the selected runs' evidence (times, failed session ids, timelines, properties),
  // loaded by the commands for the formats that show it (reports/evidence_links.hpp); null if not.
  std::shared_ptr<const ReportEvidence> evidence;
  ReportNotes notes;  // issue 16 item 6
};

// Throws UsageError for an unknown attribute, overlapping arms, or an arm without SLI sessions
// (quoting the filter and listing the values present).
Report compute_report(const Dataset& d, const ReportOptions& options);

// The release-gate decision on stratified data, as documented (exposed for tests).
Gate decide_gate(const std::vector<stats::Stratum>& strata, const ReportOptions& options);

}  // namespace lockrig::reports
