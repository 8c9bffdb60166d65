// Issue 14: the Range section of `lockrig report` and the range part of `lockrig gate`, computed
// from a Dataset's sweep sessions (Dataset::sweeps) with the range statistics of
// reports/stats/range.hpp. Renderers only format what is here.
//
// Per version ("arm": baseline/candidate with --baseline/--candidate, "all" otherwise) and per
// stratum (door material by default, as --strata): the success rate per attenuation level with
// its Wilson interval, the binomial fit of success on attenuation (--range-link), the range
// margin (the level where the fitted success falls to --range-target) with its Wald, Fieller and
// profile intervals. Comparing: candidate margin - baseline margin per stratum and pooled by
// inverse variance (stats::compare_range). Rig faults are left out of every count and counted
// apart. Data with no finite fit (every session succeeded or failed, one level, successes and
// failures separated by a level) carries the reason instead of a figure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "reports/dataset.hpp"
#include "reports/stats/range.hpp"
#include "reports/stats/types.hpp"

namespace lockrig::reports {

struct ReportOptions;  // reports/comparison.hpp

struct RangePoint {
  double level_db = 0.0;
  stats::Counts counts;   // sessions (trials) and successes, rig faults left out
  stats::Interval wilson;  // at the report's confidence
  long rig_faults = 0;
};

// One version on one stratum.
struct RangeCurve {
  std::string arm;      // "baseline", "candidate" or "all"
  std::string stratum;  // "steel", ... ("all" with --strata none)
  std::vector<RangePoint> points;  // by level
  long sessions = 0, successes = 0, rig_faults = 0;
  std::optional<stats::BinomialFit> fit;
  std::optional<stats::DoseEstimate> margin;  // at the target, when the fit exists
  bool extrapolated = false;  // the margin lies outside the levels swept
  std::string reason;         // why there is no fit, when there is none
};

struct RangeStratumRow {
  std::string label;
  std::optional<stats::RangeStratumResult> result;  // absent: `reason`
  std::string reason;
};

// `gate --range-margin`: the decision on the pooled difference (candidate - baseline, dB) with
// its two-sided 1 - 2 alpha interval [lower, upper] (one-sided 1 - alpha bounds):
//   PASS          lower >= -margin  (the candidate is shown to lose at most `margin` dB)
//   FAIL          upper <  -margin  (the candidate is shown to lose more than `margin` dB)
//   INCONCLUSIVE  neither, or no comparison can be made (`reason`)
struct RangeGate {
  std::string verdict = "inconclusive";  // "pass", "fail", "inconclusive"
  double margin_db = 0.0;
  double alpha = 0.05;
  double interval_level = 0.9;
  std::optional<double> difference, lower, upper;  // dB, candidate - baseline
  std::string reason;
  std::string sentence;  // the verdict line: "RANGE PASS: ..."
  // The exit of `lockrig gate` with both checks (docs/reports.md): 1 when the SLI gate fails,
  // else 5 when the range gate fails, else 4 when either is inconclusive, else 0.
  int exit_code = 4;
};

struct RangeSection {
  double target = 0.99;
  double confidence = 0.95;
  stats::DoseLink link = stats::DoseLink::logit;
  std::string strata_key = "material";
  long sessions = 0, rig_faults = 0;  // selected sweep sessions (rig faults included in sessions)
  long unmatched_sessions = 0;        // comparing: sweep sessions in neither version
  // Comparing: the sweep sessions each version's filter matches (rig faults included), so a
  // version without any is named rather than reported as "no stratum swept on both".
  long baseline_sessions = 0, candidate_sessions = 0;
  bool compare = false;
  // The report compares range only: neither version has SLI sessions in the selection, both have
  // sweep sessions (e.g. a journal of range-sweep.yaml alone); Report::comparison and ::gate are
  // then absent and the range gate alone decides `lockrig gate` (docs/range.md).
  bool range_only = false;
  std::vector<RangeCurve> curves;  // arm by arm, strata in order
  std::vector<RangeStratumRow> strata;  // comparing: per stratum both versions swept
  std::optional<stats::RangeComparison> comparison;  // pooled over the strata with a result
  std::string comparison_reason;                     // when there is no pooled comparison
  std::vector<std::string> findings;  // "candidate loses 3.1 dB [1.2, 5.0] of range on steel doors"
  std::optional<RangeGate> gate;
};

// The section, or nullopt when the selection holds no sweep session. Throws UsageError for an
// unknown --strata attribute (as the rest of the report).
std::optional<RangeSection> compute_range(const Dataset& d, const ReportOptions& o);

// "loses 3.1 dB [1.2, 5.0]" / "gains ..." for a difference (candidate - baseline) and interval.
std::string range_difference_text(double difference, const stats::Interval& interval);
// A level in dB with one decimal ("42.5 dB"), "-inf"/"+inf" for an open side.
std::string db_text(double v);
std::string dose_interval_text(const stats::DoseInterval& i);

}  // namespace lockrig::reports
