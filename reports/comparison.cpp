#include "reports/comparison.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "reports/format.hpp"
#include "reports/stats/group_sequential.hpp"
#include "reports/stats/noninferiority.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/journal.hpp"

namespace lockrig::reports {

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::pass:
      return "pass";
    case Verdict::fail:
      return "fail";
    case Verdict::inconclusive:
      break;
  }
  return "inconclusive";
}

namespace {

constexpr const char* kUnknown = "(unknown)";

double z_quantile(double p) {
  return boost::math::quantile(boost::math::normal(), p);
}

// Maps each session to a group id (stratum) through an attribute, resolved once per lock entry
// (or per scenario), so the per-session cost is an array lookup.
class Grouping {
 public:
  Grouping(const Dataset& d, const std::string& key) {
    if (key == "none") {
      names_.push_back("all");
      per_lock_.assign(d.locks.size(), 0);
      return;
    }
    AttributeView view(d, key, "--strata");
    std::map<std::string, std::uint32_t> index;
    auto id_of = [&](const std::string* v) {
      const std::string name = v ? *v : kUnknown;
      auto [it, fresh] = index.emplace(name, static_cast<std::uint32_t>(names_.size()));
      if (fresh) names_.push_back(name);
      return it->second;
    };
    if (key == "scenario") {
      by_scenario_ = true;
      for (const auto& s : d.scenarios) per_scenario_.push_back(id_of(&s));
    } else {
      SessionRow probe;
      for (std::size_t i = 0; i < d.locks.size(); ++i) {
        probe.lock = static_cast<std::uint32_t>(i);
        per_lock_.push_back(id_of(view.value(probe)));
      }
    }
  }
  std::uint32_t id(const SessionRow& s) const {
    return by_scenario_ ? per_scenario_[s.scenario] : per_lock_[s.lock];
  }
  const std::vector<std::string>& names() const { return names_; }

 private:
  bool by_scenario_ = false;
  std::vector<std::string> names_;
  std::vector<std::uint32_t> per_lock_, per_scenario_;
};

// Display order: alphabetical, "(unknown)" last.
bool label_less(const std::string& a, const std::string& b) {
  if ((a == kUnknown) != (b == kUnknown)) return b == kUnknown;
  return a < b;
}

struct SliAcc {
  stats::Counts sli, first;
  void add(const SessionRow& s) {
    sli.trials += s.n;
    sli.successes += s.sli_success ? s.n : 0;
    first.trials += s.n;
    first.successes += s.first_attempt_success ? s.n : 0;
  }
};

struct ArmAcc {
  long sessions = 0, assertions = 0, failed = 0, rig_faults = 0;
  SliAcc total;
  std::vector<AttemptsBucket> attempts;   // indexed by the number of attempts
  std::vector<SliAcc> strata, scenarios;  // indexed by stratum / scenario id
  std::map<std::uint32_t, long> causes;
  std::map<std::int64_t, std::size_t> latency;  // latency bucket (ns) -> successful SLI sessions
  std::int64_t latency_sum_ns = 0;              // exact sum of their durations
};

// Sessions of one lock (as seen in one run) in one scenario within one arm: the unit everything
// per lock and per scenario x lock is summed from, so the per-session work stays a few adds.
struct CellAcc {
  stats::Counts sli;
  long assertions = 0, failed = 0, rig_faults = 0;
  std::map<std::pair<std::uint32_t, std::uint32_t>, long> failures;  // (expect, outcome)
};

struct LockAcc {
  stats::Counts counts;
  std::set<std::string> models, materials, firmware;
};

struct AssertAcc {
  long passed = 0, failed = 0;
  std::map<std::pair<std::string, std::string>, long> failures;  // (lock, outcome) -> sessions
};

struct ScenarioLockAcc {
  std::string material;
  stats::Counts sli;
  long assertions = 0, failed = 0, rig_faults = 0;
  std::map<std::pair<std::string, std::string>, long> failures;  // (expect, outcome) -> sessions
};

std::string joined(const std::set<std::string>& values) {
  return join(std::vector<std::string>(values.begin(), values.end()), ", ");
}

stats::ProportionEstimate wilson(const stats::Counts& c, double confidence) {
  return stats::estimate_proportion(c, stats::ProportionMethod::wilson, confidence);
}

// The latency histogram as a sample: each bucket's sessions at the value the bucket stands for
// (rig/journal/journal.hpp: within 1/256 of each duration in it).
stats::WeightedSample latency_sample(const std::map<std::int64_t, std::size_t>& buckets) {
  stats::WeightedSample out;
  out.reserve(buckets.size());
  for (const auto& [bucket, n] : buckets) out.push_back({latency_bucket_ms(bucket), n});
  return out;
}

// Percentiles, share within the SLO, min, max and CDF from the histogram; the mean from the exact
// sum of the durations.
LatencySummary summarize_latency(const stats::WeightedSample& values, std::int64_t sum_ns,
                                 const ReportOptions& o) {
  LatencySummary out;
  out.n = stats::sample_size(values);
  if (out.n == 0) return out;
  for (double q : {0.5, 0.9, 0.99})
    out.percentiles.push_back(stats::percentile_weighted(values, q, o.confidence));
  out.within_slo = stats::share_within_weighted(values, o.latency_slo_ms, o.confidence);
  out.mean = static_cast<double>(sum_ns) / 1e6 / static_cast<double>(out.n);
  out.min = values.front().value;
  out.max = values.back().value;
  // An empirical CDF thinned to at most 200 steps keeps the HTML small at any sample size.
  const std::size_t n = out.n;
  const std::size_t points = std::min<std::size_t>(n, 200);
  std::size_t entry = 0, below = values.front().count;  // values up to and including `entry`
  for (std::size_t k = 1; k <= points; ++k) {
    const std::size_t rank = (k * n + points - 1) / points - 1;  // 0-based, ascending in k
    while (below <= rank) below += values[++entry].count;
    const double v = values[entry].value;
    if (!out.cdf.empty() && out.cdf.back().first == v) continue;
    out.cdf.emplace_back(v, static_cast<double>(below) / static_cast<double>(n));
  }
  return out;
}

// Refusal for an arm without SLI sessions: what exists instead, per filter key.
std::string describe_values(const Dataset& d, const std::vector<Filter>& filters) {
  std::vector<std::string> parts;
  for (const auto& f : filters) {
    AttributeView view(d, f.key, "filter");
    std::map<std::string, std::pair<long, long>> seen;  // value -> (sessions, SLI sessions)
    for (const auto& s : d.sessions) {
      const std::string* v = view.value(s);
      auto& e = seen[v ? *v : "(unread)"];
      e.first += s.n;
      e.second += s.in_sli() ? s.n : 0;
    }
    std::map<std::string, long> sweeps;  // issue 14: value -> sweep sessions
    for (const auto& w : d.sweeps) {
      SessionRow probe;
      probe.lock = w.lock;
      probe.scenario = w.scenario;
      const std::string* v = view.value(probe);
      sweeps[v ? *v : "(unread)"] += w.n;
      seen[v ? *v : "(unread)"];
    }
    std::vector<std::string> values;
    for (const auto& [v, n] : seen)
      values.push_back(quote(v) + " (" + with_commas(n.second) + " SLI sessions" +
                       (d.sweeps.empty() ? "" : ", " + with_commas(sweeps[v]) + " sweep sessions") +
                       ")");
    parts.push_back(
        f.key + " values there: " + (values.empty() ? std::string("none") : join(values, ", ")));
  }
  return join(parts, "; ");
}

std::string plural(long n, const char* one, const char* many) {
  return with_commas(n) + " " + (n == 1 ? one : many);
}

}  // namespace

Gate decide_gate(const std::vector<stats::Stratum>& strata, const ReportOptions& o) {
  Gate g;
  g.margin = o.margin;
  g.alpha = o.alpha;
  g.power = o.power;
  g.interval_level = 1.0 - 2.0 * o.alpha;
  stats::Counts cand, base;
  for (const auto& s : strata) {
    cand.successes += s.candidate.successes;
    cand.trials += s.candidate.trials;
    base.successes += s.baseline.successes;
    base.trials += s.baseline.trials;
  }
  if (cand.trials == 0 || base.trials == 0)
    throw UsageError("the release gate needs SLI sessions in both versions");
  const double z1 = z_quantile(1.0 - o.alpha);
  // The decision test of docs/gate-statistics.md: the stratified Miettinen-Nurminen score test
  // (Chan's exact unconditional test for one stratum with few sessions), never a Wald test, whose
  // variance collapses near 100% success.
  const stats::NiDecision ni = stats::decide_non_inferiority(strata, o.margin, o.alpha);
  if (!ni.score.informative)
    throw UsageError(
        "no stratum has SLI sessions of both versions, so they cannot be compared "
        "within strata (try --strata none, or versions that ran on the same doors)");
  const stats::ScoreTestResult& score = ni.score;
  g.difference = score.difference;
  g.se = score.se_null;
  g.z = score.z;
  if (ni.bounds) {
    g.lower_bound = ni.bounds->lower;
    g.upper_bound = ni.bounds->upper;
  }
  bool pass = false, fail = false;
  std::vector<double> look_information;  // gate --looks: every look so far, this one last
  if (o.max_looks > 0) {
    const stats::SequentialLook look = [&] {
      try {
        return stats::sequential_non_inferiority_look(strata, o.margin, o.alpha, o.previous_looks,
                                                      o.max_looks);
      } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("--looks ") + std::to_string(o.max_looks) + ": " + e.what());
      }
    }();
    g.method = "group-sequential-stratified-score";
    GateLook l;
    l.look = look.look;
    l.max_looks = look.max_looks;
    l.spending = stats::to_string(stats::SpendingFunction::obrien_fleming);
    l.information = look.information;
    l.critical = look.critical;
    l.nominal_p = look.nominal_p;
    l.cumulative_alpha = look.cumulative_alpha;
    g.look = l;
    look_information = look.information;
    g.p_value = score.p_pass;
    g.p_fail = score.p_fail;
    pass = look.pass;
    fail = look.fail;
  } else {
    g.method = stats::to_string(ni.method);
    g.p_value = ni.p_pass;
    g.p_fail = ni.p_fail;
    pass = ni.pass;
    fail = ni.fail;
  }
  for (const auto& n : ni.notes) g.notes.push_back(n);
  // No silent pass of a regressed door: with two or more strata compared, each stratum's own
  // score test of "worse than the margin", Holm-adjusted; any stratum shown worse fails the gate.
  stats::StrataWorseResult worse = stats::strata_worse_than_margin(strata, o.margin, o.alpha);
  std::vector<double> strata_critical;  // with --looks: this look's c_k at alpha / 1 .. alpha / m
  if (!look_information.empty() && worse.strata.size() >= 2) {
    // With --looks the check spends alpha across the looks like the PASS side (issue 11; at
    // alpha on every look its false-FAIL rate grows with the looks, bench/gate_strata_looks.cpp):
    // Holm with each look's group-sequential boundary at alpha / m.
    for (std::size_t i = 0; i < worse.strata.size(); ++i)
      strata_critical.push_back(
          stats::look_boundaries(look_information, o.max_looks, o.alpha / static_cast<double>(i + 1))
              .critical.back());
    worse = stats::strata_worse_sequential(strata, o.margin, strata_critical);
  }
  if (worse.strata.size() >= 2) {
    std::vector<std::size_t> rank(worse.strata.size());  // Holm step of each stratum, by z
    for (std::size_t i = 0; i < rank.size(); ++i)
      for (const auto& other : worse.strata) rank[i] += other.z < worse.strata[i].z ? 1 : 0;
    for (std::size_t i = 0; i < worse.strata.size(); ++i) {
      const auto& w = worse.strata[i];
      GateStratumCheck check{w.label, w.candidate, w.baseline, w.difference, w.z,
                             w.p,     w.p_holm,    w.worse,    std::nullopt};
      if (!strata_critical.empty())
        check.critical = strata_critical[rank.size() - 1 - std::min(rank[i], rank.size() - 1)];
      g.strata_checks.push_back(check);
      if (w.worse) g.worse_strata.push_back(w.label);
    }
  }
  g.baseline_rate = base.rate();
  g.failure_ratio_allowed = stats::failure_ratio_allowed(g.baseline_rate, o.margin);
  const std::string m = pts(o.margin).substr(1);
  const std::string bound = pct(1.0 - o.alpha, 0) + " one-sided";
  g.rule =
      "alpha " + num(o.alpha) +
      " is one-sided for each claim. PASS when the test of H0: RD <= -" + m +
      " rejects at alpha (for the score test: the " + bound + " lower bound, the lower end of the "
      "two-sided " + pct(1.0 - 2.0 * o.alpha, 0) +
      " interval, is above -" + m +
      ") and no stratum is shown worse; FAIL when the test of H0: RD >= -" + m +
      " rejects at alpha (the " + bound + " upper bound is below -" + m +
      "), or, with two or more strata, when a stratum's own score test (Holm-adjusted) shows it "
      "worse than -" + m +
      "; INCONCLUSIVE otherwise. RD is the Mantel-Haenszel risk difference (candidate - "
      "baseline) across strata; the test is the stratified Miettinen-Nurminen score test "
      "(Chan's exact unconditional test for one stratum with at most " +
      with_commas(stats::kExactMaxTables) + " = n1 x n0 sessions)" +
      (g.look ? "; with --looks, a group-sequential look: PASS when z >= c_k, FAIL when "
                "z <= -c_k, O'Brien-Fleming-type alpha spending over the declared looks, and "
                "the per-stratum check is Holm with this look's boundaries at alpha / m."
              : "; a single look: re-running it on accumulating sessions and shipping on the "
                "first PASS raises the false-PASS rate above alpha (use --looks).");
  if (fail || !g.worse_strata.empty())
    g.verdict = Verdict::fail;
  else if (pass)
    g.verdict = Verdict::pass;
  else
    g.verdict = Verdict::inconclusive;
  g.exit_code = g.verdict == Verdict::pass   ? gate_exit::pass
                : g.verdict == Verdict::fail ? gate_exit::fail
                                             : gate_exit::inconclusive;
  if (g.verdict != Verdict::inconclusive) return g;

  SessionsNeeded need;
  const double pb = base.rate(), pc = cand.rate();
  const double zb = z_quantile(o.power);
  auto plan = [&](double p_cand) -> std::optional<long> {
    try {
      return static_cast<long>(
          std::ceil(stats::sample_size_non_inferiority(pb, p_cand, o.margin, o.alpha, o.power)));
    } catch (const std::invalid_argument&) {
      return std::nullopt;
    }
  };
  auto fill = [&](long per_version) {
    need.per_version = per_version;
    need.more_baseline = std::max(0L, per_version - base.trials);
    need.more_candidate = std::max(0L, per_version - cand.trials);
    need.more_per_version = std::max(need.more_baseline, need.more_candidate);
  };
  // A z statistic grows with the square root of the sessions: growing both versions by `factor`
  // brings an observed z to the value that reaches the power.
  auto fill_scaled = [&](double z) {
    const double factor = std::max(std::pow((z1 + zb) / z, 2.0), std::pow(z1 / z, 2.0));
    need.more_baseline =
        static_cast<long>(std::ceil(static_cast<double>(base.trials) * (factor - 1.0)));
    need.more_candidate =
        static_cast<long>(std::ceil(static_cast<double>(cand.trials) * (factor - 1.0)));
    need.more_per_version = std::max(need.more_baseline, need.more_candidate);
    need.per_version =
        std::max(base.trials + need.more_baseline, cand.trials + need.more_candidate);
  };
  need.planned_baseline_rate = pb;
  need.planned_candidate_rate = pc;
  if (g.difference > -o.margin) {
    // The data lean towards non-inferiority: plan for PASS, first as a trial would be planned
    // (candidate truly as reliable as the baseline), then at the observed rates.
    need.toward = "pass";
    need.planned_candidate_rate = pb;
    if (auto n = plan(pb)) {
      fill(*n);
      need.basis = "planned for the candidate truly as reliable as the baseline's observed " +
                   pct(pb, 3) + " (one-sided alpha " + num(o.alpha) + ", power " + num(o.power) +
                   ")";
    }
    if (need.more_per_version == 0) {
      need.planned_candidate_rate = pc;
      if (auto n2 = pc - pb + o.margin > 0.0 ? plan(pc) : std::nullopt;
          n2 && *n2 > std::max(base.trials, cand.trials)) {
        fill(*n2);
        need.basis = "planned at the observed rates (baseline " + pct(pb, 3) + ", candidate " +
                     pct(pc, 3) + "); at equal rates the sessions at hand would already suffice";
      } else {
        fill_scaled(g.z);
        need.basis = "scaled from the observed test statistic z = " + num(g.z, 3) +
                     " to reach power " + num(o.power);
      }
    }
  } else {
    // The candidate looks worse than the margin, though not yet shown to be: more sessions
    // would most likely settle it as FAIL.
    need.toward = "fail";
    const double z_fail = g.se && *g.se > 0.0 ? (-o.margin - g.difference) / *g.se : 0.0;
    if (z_fail > 0.0) {
      fill_scaled(z_fail);
      need.basis = "the candidate looks " + pts(g.difference).substr(1) +
                   " worse, beyond the margin: at the observed rates these sessions would most "
                   "likely confirm it (FAIL) with power " +
                   num(o.power);
    } else {
      need.achievable = false;
      need.basis = "the observed difference sits on -margin: no sample size is likely to settle it";
    }
  }
  g.needed = need;
  return g;
}

// ---- compute_report, step by step ----

namespace {

// Everything the pass over the sessions counts, per arm and per cell.
struct Tally {
  std::vector<ArmAcc> arms;
  std::unordered_map<std::uint64_t, CellAcc> cells;                            // key: cell_key()
  std::map<std::tuple<int, std::uint32_t, std::uint32_t>, AssertAcc> asserts;  // arm, scenario,
                                                                               // expect
  std::vector<long> rig_run_sessions;  // per run: sessions ended by a rig fault
};

// A cell: (arm + 1, lock entry, scenario) packed in 64 bits.
std::uint64_t cell_key(int arm, const SessionRow& s) {
  return (static_cast<std::uint64_t>(arm + 1) << 60) | (static_cast<std::uint64_t>(s.lock) << 28) |
         s.scenario;
}

// Per lock (across runs) and per scenario x lock within an arm, summed from the cells.
struct LockTally {
  std::map<std::pair<int, std::string>, LockAcc> locks;
  std::map<std::tuple<int, std::uint32_t, std::string>, ScenarioLockAcc> scenario_locks;
};

// The names of the arms ("baseline", "candidate" or "all"; "other" for sessions in none).
class ArmNames {
 public:
  explicit ArmNames(bool compare)
      : names_(compare ? std::vector<std::string>{"baseline", "candidate"}
                       : std::vector<std::string>{"all"}) {}
  std::size_t size() const { return names_.size(); }
  std::string operator()(int a) const { return a < 0 ? std::string("other") : names_[a]; }

 private:
  std::vector<std::string> names_;
};

// --baseline and --candidate go together.
void check_arm_options(const ReportOptions& o) {
  const bool compare = !o.baseline.empty() || !o.candidate.empty();
  if (compare && (o.baseline.empty() || o.candidate.empty()))
    throw UsageError(std::string("--baseline and --candidate go together; only ") +
                     (o.baseline.empty() ? "--candidate" : "--baseline") + " was given");
}

// What the report says about its input before any figure.
Report report_header(const Dataset& d, const ReportOptions& o) {
  Report r;
  r.journal = d.journal;
  r.generated_at = utc_now_iso();
  r.selection = d.selection;
  r.runs = d.runs;
  r.options = o;
  for (const auto& s : d.sessions) r.sessions += s.n;
  return r;
}

// Select: the arm of each session group (0 baseline, 1 candidate, -1 neither; 0 "all" without a
// comparison). Refuses sessions matching both.
std::vector<std::int8_t> assign_arms(const Dataset& d, const ReportOptions& o, bool compare) {
  std::vector<std::int8_t> arm_of(d.sessions.size(), 0);
  if (!compare) return arm_of;
  const FilterSet base(d, o.baseline, "--baseline"), cand(d, o.candidate, "--candidate");
  long overlap = 0;
  for (std::size_t i = 0; i < d.sessions.size(); ++i) {
    const bool b = base.matches(d.sessions[i]), c = cand.matches(d.sessions[i]);
    overlap += b && c ? d.sessions[i].n : 0;
    arm_of[i] = static_cast<std::int8_t>(b ? 0 : c ? 1 : -1);
  }
  if (overlap > 0)
    throw UsageError(plural(overlap, "session matches", "sessions match") + " both --baseline " +
                     quote(filters_text(o.baseline)) + " and --candidate " +
                     quote(filters_text(o.candidate)) +
                     "; the two versions must be disjoint (add a distinguishing key=value)");
  return arm_of;
}

// One pass over the session groups: the cells (arm x lock entry x scenario), the assertions, rig
// faults, and per arm the SLI counts by stratum, scenario, attempts and failure cause.
Tally tally_sessions(const Dataset& d, const std::vector<std::int8_t>& arm_of,
                     const Grouping& strata, std::size_t arms, Report& r) {
  Tally t;
  t.arms.resize(arms);
  for (auto& x : t.arms) {
    x.strata.resize(strata.names().size());
    x.scenarios.resize(d.scenarios.size());
  }
  t.rig_run_sessions.assign(d.runs.size(), 0);
  std::uint64_t last_key = ~std::uint64_t{0};
  CellAcc* cell = nullptr;
  for (std::size_t i = 0; i < d.sessions.size(); ++i) {
    const SessionRow& s = d.sessions[i];
    const LockEntry& lock = d.locks[s.lock];
    const int a = arm_of[i];
    const long n = s.n;
    if (lock.firmware.empty()) r.unread_firmware_sessions += n;
    const std::uint64_t key = cell_key(a, s);
    if (key != last_key) {
      cell = &t.cells[key];  // node-based: the pointer survives later insertions
      last_key = key;
    }
    if (s.result == Result::rig_fault) {
      r.rig_faults.sessions += n;
      t.rig_run_sessions[lock.run] += n;
      cell->rig_faults += n;
    } else if (s.is_assertion()) {
      auto& as = t.asserts[{a, s.scenario, s.expect}];
      cell->assertions += n;
      if (s.result == Result::pass) {
        as.passed += n;
      } else {
        as.failed += n;
        as.failures[{lock.lock_id, d.outcomes[s.outcome]}] += n;
        cell->failed += n;
        cell->failures[{s.expect, s.outcome}] += n;
      }
    } else {
      cell->sli.trials += n;
      cell->sli.successes += s.sli_success ? n : 0;
    }
    if (a < 0) {
      if (s.in_sli()) r.unmatched_sli_sessions += n;
      continue;
    }
    ArmAcc& arm = t.arms[a];
    arm.sessions += n;
    if (s.result == Result::rig_fault) {
      arm.rig_faults += n;
      continue;
    }
    if (s.is_assertion()) {
      arm.assertions += n;
      arm.failed += s.result != Result::pass ? n : 0;
      continue;
    }
    arm.total.add(s);
    arm.strata[strata.id(s)].add(s);
    arm.scenarios[s.scenario].add(s);
    const auto n_attempts = static_cast<std::size_t>(std::max(0, s.attempts));
    if (arm.attempts.size() <= n_attempts) arm.attempts.resize(n_attempts + 1);
    auto& bucket = arm.attempts[n_attempts];
    bucket.sessions += n;
    bucket.successes += s.sli_success ? n : 0;
    if (s.sli_success)
      arm.latency_sum_ns += s.duration_ns;
    else
      arm.causes[s.outcome] += n;
  }
  return t;
}

// Latency histograms, into the arm of their lock entry and scenario.
void tally_latency(const Dataset& d, const ReportOptions& o, bool compare,
                   std::vector<ArmAcc>& arms) {
  std::optional<FilterSet> base, cand;
  if (compare) {
    base.emplace(d, o.baseline, "--baseline");
    cand.emplace(d, o.candidate, "--candidate");
  }
  SessionRow probe;
  // Bins come grouped by (lock, scenario): the arm is decided once per group.
  bool first = true;
  int a = -1;
  for (const auto& b : d.latency) {
    if (first || b.lock != probe.lock || b.scenario != probe.scenario) {
      first = false;
      probe.lock = b.lock;
      probe.scenario = b.scenario;
      a = !compare ? 0 : base->matches(probe) ? 0 : cand->matches(probe) ? 1 : -1;
    }
    if (a >= 0) arms[a].latency[b.bucket_ns] += static_cast<std::size_t>(b.n);
  }
}

// Per lock (across runs) and per scenario x lock, from the cells.
LockTally roll_up_cells(const Dataset& d, const std::unordered_map<std::uint64_t, CellAcc>& cells) {
  LockTally t;
  for (const auto& [key, c] : cells) {
    const int a = static_cast<int>(key >> 60) - 1;
    const LockEntry& lock = d.locks[(key >> 28) & ((std::uint64_t{1} << 32) - 1)];
    const auto scenario = static_cast<std::uint32_t>(key & ((1u << 28) - 1));
    auto& sl = t.scenario_locks[{a, scenario, lock.lock_id}];
    if (sl.material.empty()) sl.material = lock.material;
    sl.sli.trials += c.sli.trials;
    sl.sli.successes += c.sli.successes;
    sl.assertions += c.assertions;
    sl.failed += c.failed;
    sl.rig_faults += c.rig_faults;
    for (const auto& [f, n] : c.failures)
      sl.failures[{d.expects[f.first], d.outcomes[f.second]}] += n;
    if (a < 0 || c.sli.trials == 0) continue;
    auto& l = t.locks[{a, lock.lock_id}];
    l.counts.trials += c.sli.trials;
    l.counts.successes += c.sli.successes;
    l.models.insert(lock.model);
    l.materials.insert(lock.material);
    l.firmware.insert(lock.firmware.empty() ? "(unread)" : lock.firmware);
  }
  return t;
}

// A comparison needs SLI sessions in both arms: refuses an arm without, saying what exists.
void check_arms_have_sli(const Dataset& d, const ReportOptions& o,
                         const std::vector<ArmAcc>& arms, const RangeSection* range) {
  // Issue 14: with sweep sessions, the version that has none of them either is named first.
  const bool candidate_first = range && range->candidate_sessions == 0 &&
                               range->baseline_sessions > 0 && arms[1].total.sli.trials == 0;
  for (int a : candidate_first ? std::vector<int>{1, 0} : std::vector<int>{0, 1}) {
    if (arms[a].total.sli.trials > 0) continue;
    const auto& filters = a == 0 ? o.baseline : o.candidate;
    const std::string opt = a == 0 ? "--baseline" : "--candidate";
    const std::string scope =
        " in the " + plural(static_cast<long>(d.runs.size()), "selected run", "selected runs");
    if (arms[a].sessions > 0)
      throw UsageError(opt + " " + quote(filters_text(filters)) + " matches " +
                       plural(arms[a].sessions, "session", "sessions") + scope +
                       " but none is SLI-eligible (assertions or rig faults only); " +
                       describe_values(d, filters));
    // Issue 14: sweep sessions are not SLI sessions. A selection is compared on range alone when
    // neither version has SLI sessions and both have sweep sessions; say which is missing.
    std::string sweeps;
    if (range) {
      const long base = range->baseline_sessions, cand = range->candidate_sessions;
      sweeps = "; sweep sessions: " + plural(base, "session", "sessions") + " of the baseline, " +
               plural(cand, "session", "sessions") + " of the candidate (a selection is compared " +
               "on range alone when neither version has SLI sessions and both have sweep " +
               "sessions; docs/range.md)";
    }
    throw UsageError(opt + " " + quote(filters_text(filters)) + " matches no SLI session" + scope +
                     "; " + describe_values(d, filters) + sweeps);
  }
}

// Per-arm figures: SLI and first-attempt estimates, attempts, strata, scenarios, causes, latency.
Arm arm_figures(const Dataset& d, const ReportOptions& o, const Grouping& strata,
                const std::string& name, const std::vector<Filter>& filter, const ArmAcc& x) {
  Arm arm;
  arm.name = name;
  arm.filter = filter;
  arm.sessions = x.sessions;
  arm.assertions = x.assertions;
  arm.assertions_failed = x.failed;
  arm.rig_fault_sessions = x.rig_faults;
  arm.sli_counts = x.total.sli;
  arm.first_attempt_counts = x.total.first;
  if (x.total.sli.trials > 0) {
    arm.sli = wilson(x.total.sli, o.confidence);
    arm.first_attempt = wilson(x.total.first, o.confidence);
  }
  double attempts_sum = 0.0;
  for (std::size_t n = 0; n < x.attempts.size(); ++n) {
    if (x.attempts[n].sessions == 0) continue;
    AttemptsBucket b = x.attempts[n];
    b.attempts = static_cast<int>(n);
    arm.attempts.push_back(b);
    attempts_sum += static_cast<double>(n) * static_cast<double>(b.sessions);
  }
  if (x.total.sli.trials > 0)
    arm.mean_attempts = attempts_sum / static_cast<double>(x.total.sli.trials);
  for (std::size_t id = 0; id < x.strata.size(); ++id)
    if (x.strata[id].sli.trials > 0)
      arm.by_stratum.push_back({strata.names()[id], wilson(x.strata[id].sli, o.confidence),
                                wilson(x.strata[id].first, o.confidence)});
  std::sort(arm.by_stratum.begin(), arm.by_stratum.end(),
            [](const GroupSli& l, const GroupSli& rr) { return label_less(l.key, rr.key); });
  for (std::size_t id = 0; id < x.scenarios.size(); ++id)
    if (x.scenarios[id].sli.trials > 0)
      arm.by_scenario.push_back({d.scenarios[id], wilson(x.scenarios[id].sli, o.confidence),
                                 wilson(x.scenarios[id].first, o.confidence)});
  std::sort(arm.by_scenario.begin(), arm.by_scenario.end(),
            [](const GroupSli& l, const GroupSli& rr) { return l.key < rr.key; });
  for (const auto& [id, n] : x.causes)
    arm.causes.push_back({d.outcomes[id], d.outcomes[id] == "timeout" ? "timeout" : "lock", n});
  std::sort(arm.causes.begin(), arm.causes.end(),
            [](const FailureCause& l, const FailureCause& rr) {
              return l.sessions != rr.sessions ? l.sessions > rr.sessions : l.outcome < rr.outcome;
            });
  arm.latency = summarize_latency(latency_sample(x.latency), x.latency_sum_ns, o);
  return arm;
}

// Pooled figures: candidate vs baseline over all their SLI sessions, strata ignored.
void pooled_figures(const Arm& base, const Arm& cand, const ReportOptions& o, Comparison& c) {
  c.overall = stats::newcombe_difference(cand.sli_counts, base.sli_counts, o.confidence);
  c.fisher = stats::fisher_exact(cand.sli_counts, base.sli_counts);
  c.first_attempt = stats::newcombe_difference(cand.first_attempt_counts, base.first_attempt_counts,
                                               o.confidence);
  c.first_attempt_fisher =
      stats::fisher_exact(cand.first_attempt_counts, base.first_attempt_counts);
  c.bayes = stats::probability_candidate_worse(cand.sli_counts, base.sli_counts);
}

// The strata either arm has SLI sessions in, in display order, as the 2x2 tables the stratified
// methods take. Refuses when no stratum has both versions.
std::vector<stats::Stratum> stratum_tables(const ReportOptions& o, const Grouping& strata,
                                           const std::vector<ArmAcc>& arms) {
  std::vector<std::uint32_t> order;
  for (std::uint32_t id = 0; id < strata.names().size(); ++id)
    if (arms[0].strata[id].sli.trials > 0 || arms[1].strata[id].sli.trials > 0) order.push_back(id);
  std::sort(order.begin(), order.end(), [&](std::uint32_t l, std::uint32_t rr) {
    return label_less(strata.names()[l], strata.names()[rr]);
  });
  std::vector<stats::Stratum> table;
  for (auto id : order) {
    stats::Stratum s;
    s.label = strata.names()[id];
    s.candidate = arms[1].strata[id].sli;
    s.baseline = arms[0].strata[id].sli;
    table.push_back(s);
  }
  if (std::none_of(table.begin(), table.end(), [](const stats::Stratum& s) {
        return s.candidate.trials > 0 && s.baseline.trials > 0;
      })) {
    std::vector<std::string> b, k;
    for (const auto& s : table) (s.baseline.trials > 0 ? b : k).push_back(s.label);
    throw UsageError("no " + o.strata + " value has SLI sessions of both versions (baseline: " +
                     join(b, ", ") + "; candidate: " + join(k, ", ") +
                     "), so they cannot be compared within strata; use --strata none or "
                     "another --strata");
  }
  return table;
}

// Per-stratum figures: the mix, Newcombe and Fisher where both versions ran, Holm across them,
// each stratum's role in the CMH family. Returns how many strata were compared.
std::size_t stratum_figures(const std::vector<stats::Stratum>& table, const Arm& base,
                            const Arm& cand, const ReportOptions& o, Comparison& c) {
  std::vector<double> ps;
  for (std::size_t i = 0; i < table.size(); ++i) {
    StratumComparison sc;
    sc.label = table[i].label;
    sc.candidate = table[i].candidate;
    sc.baseline = table[i].baseline;
    sc.candidate_share =
        static_cast<double>(sc.candidate.trials) / static_cast<double>(cand.sli_counts.trials);
    sc.baseline_share =
        static_cast<double>(sc.baseline.trials) / static_cast<double>(base.sli_counts.trials);
    if (sc.candidate.trials > 0 && sc.baseline.trials > 0) {
      sc.difference = stats::newcombe_difference(sc.candidate, sc.baseline, o.confidence);
      sc.fisher = stats::fisher_exact(sc.candidate, sc.baseline);
      ps.push_back(sc.fisher->p_two_sided);
    }
    sc.role = c.cmh.strata[i].role;
    sc.reason = c.cmh.strata[i].reason;
    c.strata.push_back(std::move(sc));
  }
  const auto holm = stats::holm_adjust(ps);
  std::size_t k = 0;
  for (auto& sc : c.strata)
    if (sc.fisher) sc.fisher_p_holm = holm[k++];
  return ps.size();
}

// Simpson's paradox (issue 11 item 7): a warning about the mix, not a test, so it does not depend
// on any significance. It fires when the versions' stratum mixes differ (compared exactly, as
// session counts) and the pooled difference (Newcombe's point estimate) and the stratified one
// (the MH risk difference) disagree: in sign, each at least kSimpsonSignFloor from 0, or by more
// than max(margin / 5, |stratified| / 4). On identical mixes the MH weights are the mix shares,
// so the two estimates coincide and it never fires.
void simpson(const std::vector<stats::Stratum>& table, const Arm& base, const Arm& cand,
             const ReportOptions& o, Comparison& c) {
  for (const auto& s : table)
    if (static_cast<long double>(s.candidate.trials) * base.sli_counts.trials !=
        static_cast<long double>(s.baseline.trials) * cand.sli_counts.trials)
      c.mixes_differ = true;
  const double pooled = c.overall.difference;
  c.stratified_difference =
      c.risk_difference.informative ? c.risk_difference.difference : c.overall.difference;
  const double strat = c.stratified_difference;
  c.simpson_tolerance = std::max(o.margin / 5.0, std::fabs(strat) / 4.0);
  const bool opposite = (pooled >= kSimpsonSignFloor && strat <= -kSimpsonSignFloor) ||
                        (pooled <= -kSimpsonSignFloor && strat >= kSimpsonSignFloor);
  c.simpson_warning =
      c.mixes_differ && (opposite || std::fabs(pooled - strat) > c.simpson_tolerance);
}

// The comparison, the gate and the latency shift of candidate vs baseline.
void compare_arms(const ReportOptions& o, const Grouping& strata, const std::vector<ArmAcc>& arms,
                  Report& r) {
  const Arm& base = r.arms[0];
  const Arm& cand = r.arms[1];
  Comparison c;
  pooled_figures(base, cand, o, c);
  const std::vector<stats::Stratum> table = stratum_tables(o, strata, arms);
  c.cmh = stats::cochran_mantel_haenszel(table);
  c.risk_difference = stats::mantel_haenszel_risk_difference(table, o.confidence);
  c.odds_ratio = stats::mantel_haenszel_odds_ratio(table, o.confidence);
  c.breslow_day = stats::breslow_day(table);
  stratum_figures(table, base, cand, o, c);
  simpson(table, base, cand, o, c);
  r.comparison = std::move(c);
  r.gate = decide_gate(table, o);
  if (!arms[0].latency.empty() && !arms[1].latency.empty())
    r.latency_shift = stats::mann_whitney_weighted(latency_sample(arms[1].latency),
                                                   latency_sample(arms[0].latency));
}

// Lock flags: each lock against its peers, the other locks of the same version on the same door
// material (RF conditions differ by material, so that is the only fair comparison: a glass lock
// measured against wood locks would be flagged for its door, not for itself). A lock with no
// such peer is not compared, and says so (issue 11 item 9; the door-material strata of the
// unlock SLI); one-sided Fisher, Benjamini-Hochberg over the locks compared.
std::vector<LockSli> lock_figures(const std::map<std::pair<int, std::string>, LockAcc>& locks,
                                  const ArmNames& arm_name, const ReportOptions& o) {
  std::vector<LockSli> out;
  std::vector<double> ps;
  std::vector<std::size_t> tested;
  for (const auto& [key, l] : locks) {
    LockSli row;
    row.arm = arm_name(key.first);
    row.lock_id = key.second;
    row.model = joined(l.models);
    row.material = joined(l.materials);
    row.firmware = joined(l.firmware);
    row.counts = l.counts;
    row.sli = wilson(l.counts, o.confidence);
    stats::Counts same;
    for (const auto& [k2, l2] : locks) {
      if (k2.first != key.first || k2.second == key.second || l2.materials != l.materials)
        continue;
      same.successes += l2.counts.successes;
      same.trials += l2.counts.trials;
    }
    if (same.trials > 0) {
      row.peers = "other " + row.material + " locks";
      row.peer_counts = same;
    } else {
      row.peers = "none (no other " + row.material + " lock of this version): not compared";
    }
    if (row.peer_counts.trials > 0) {
      row.p_worse = stats::fisher_exact(row.counts, row.peer_counts).p_less;
      ps.push_back(*row.p_worse);
      tested.push_back(out.size());
    }
    out.push_back(std::move(row));
  }
  const auto bh = stats::benjamini_hochberg_adjust(ps);
  for (std::size_t i = 0; i < tested.size(); ++i) {
    LockSli& row = out[tested[i]];
    row.p_worse_adjusted = bh[i];
    row.flagged = bh[i] < o.alpha && row.counts.rate() < row.peer_counts.rate();
  }
  return out;
}

// Assertions per scenario and expected outcome, with the locks and outcomes that failed them.
std::vector<AssertionRow> assertion_rows(
    const Dataset& d,
    const std::map<std::tuple<int, std::uint32_t, std::uint32_t>, AssertAcc>& asserts,
    const ArmNames& arm_name) {
  std::vector<AssertionRow> out;
  for (const auto& [key, x] : asserts) {
    AssertionRow row;
    row.arm = arm_name(std::get<0>(key));
    row.scenario = d.scenarios[std::get<1>(key)];
    row.expect = d.expects[std::get<2>(key)];
    row.passed = x.passed;
    row.failed = x.failed;
    for (const auto& [f, n] : x.failures)
      row.failures.push_back(f.first + ": " + f.second + (n > 1 ? " x" + std::to_string(n) : ""));
    out.push_back(std::move(row));
  }
  std::sort(out.begin(), out.end(), [](const AssertionRow& l, const AssertionRow& rr) {
    return std::tie(l.scenario, l.expect, l.arm) < std::tie(rr.scenario, rr.expect, rr.arm);
  });
  return out;
}

// Scenario x lock within an arm (the JUnit test cases).
std::vector<ScenarioLock> scenario_lock_rows(
    const Dataset& d,
    const std::map<std::tuple<int, std::uint32_t, std::string>, ScenarioLockAcc>& scenario_locks,
    const ArmNames& arm_name) {
  std::vector<ScenarioLock> out;
  for (const auto& [key, x] : scenario_locks) {
    ScenarioLock row;
    row.arm = arm_name(std::get<0>(key));
    row.scenario = d.scenarios[std::get<1>(key)];
    row.lock_id = std::get<2>(key);
    row.material = x.material;
    row.sli = x.sli;
    row.assertions = x.assertions;
    row.assertions_failed = x.failed;
    row.rig_faults = x.rig_faults;
    for (const auto& [f, n] : x.failures)
      row.failures.push_back("expected " + f.first + ", got " + f.second +
                             (n > 1 ? " x" + std::to_string(n) : ""));
    out.push_back(std::move(row));
  }
  std::sort(out.begin(), out.end(), [](const ScenarioLock& l, const ScenarioLock& rr) {
    return std::tie(l.scenario, l.lock_id, l.arm) < std::tie(rr.scenario, rr.lock_id, rr.arm);
  });
  return out;
}

// Rig faults per run (sessions and events) and the events themselves.
void rig_fault_figures(const Dataset& d, const std::vector<long>& rig_run_sessions, Report& r) {
  std::vector<long> rig_run_events(d.runs.size(), 0);
  for (const auto& e : d.rig_fault_events) ++rig_run_events[e.run];
  for (std::size_t run = 0; run < d.runs.size(); ++run)
    if (rig_run_sessions[run] > 0 || rig_run_events[run] > 0)
      r.rig_faults.by_run.push_back({d.runs[run].uuid, rig_run_sessions[run], rig_run_events[run]});
  r.rig_faults.events = d.rig_fault_events;
}

// Warnings a reader must see before trusting the figures.
std::vector<std::string> warnings(const Dataset& d, const Report& r, bool compare) {
  std::vector<std::string> out;
  for (const auto& run : d.runs) {
    if (run.status == name(RunStatus::running))
      out.push_back("run " + run.uuid + " is still running (or was killed); its " +
                    plural(run.sessions, "finished session is", "finished sessions are") +
                    " included");
    else if (run.status == name(RunStatus::aborted))
      out.push_back("run " + run.uuid + " was aborted; its " +
                    plural(run.sessions, "finished session is", "finished sessions are") +
                    " included");
  }
  if (r.unread_firmware_sessions > 0)
    out.push_back(plural(r.unread_firmware_sessions, "session comes", "sessions come") +
                  " from locks whose firmware could not be read; they match no firmware= filter");
  if (compare && r.unmatched_sli_sessions > 0)
    out.push_back(plural(r.unmatched_sli_sessions, "SLI session matches", "SLI sessions match") +
                  " neither --baseline nor --candidate and " +
                  (r.unmatched_sli_sessions == 1 ? "is" : "are") + " not compared");
  if (r.rig_faults.sessions > 0)
    out.push_back(plural(r.rig_faults.sessions, "session", "sessions") +
                  " ended in a rig fault and " + (r.rig_faults.sessions == 1 ? "is" : "are") +
                  " excluded from every figure (see Rig faults)");
  return out;
}

// The headline family (issue 11 item 7): the tests whose "significant" outcome the findings state
// (the stratified SLI difference, the latency shift, the strata's homogeneity, the lock flags),
// Holm-adjusted across the family, so that on two equal versions any finding shows with
// probability at most about alpha. The lock flags enter as one member, through Simes' global test
// of their BH family (its p is the smallest BH-adjusted p); a lock is then flagged when its
// BH-adjusted p times the family's Holm factor is below alpha (a gatekeeping of BH within Holm).
// Holm rather than Bonferroni: as simple, never less powerful, valid under any dependence.
void headline_family(const ReportOptions& o, Report& r) {
  std::vector<HeadlineTest> fam;
  if (r.comparison) {
    const Comparison& c = *r.comparison;
    fam.push_back({"sli",
                   c.cmh.informative ? "stratified SLI difference, CMH"
                                     : "SLI difference, Fisher (CMH not informative)",
                   c.cmh.informative ? c.cmh.p_value : c.fisher.p_two_sided});
    if (r.latency_shift)
      fam.push_back({"latency", "latency shift, Mann-Whitney", r.latency_shift->p_value});
    if (c.breslow_day.informative)
      fam.push_back({"homogeneity", "strata homogeneity, Breslow-Day", c.breslow_day.p_value});
  }
  std::optional<double> simes;
  for (const auto& l : r.locks)
    if (l.p_worse_adjusted) simes = std::min(simes.value_or(1.0), *l.p_worse_adjusted);
  if (simes) fam.push_back({"locks", "locks worse than their peers, Fisher + BH (Simes)", *simes});
  std::vector<double> ps;
  for (const auto& t : fam) ps.push_back(t.p);
  const std::vector<double> holm = stats::holm_adjust(ps);
  std::vector<std::size_t> order(fam.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return ps[a] < ps[b]; });
  for (std::size_t rank = 0; rank < order.size(); ++rank)
    fam[order[rank]].multiplier = static_cast<double>(order.size() - rank);
  for (std::size_t i = 0; i < fam.size(); ++i) {
    fam[i].p_holm = holm[i];
    fam[i].significant = holm[i] < o.alpha;
  }
  for (const auto& t : fam) {
    if (t.name == "locks") {
      for (auto& l : r.locks) {
        if (!l.p_worse_adjusted) continue;
        l.p_worse_family = std::min(1.0, std::max(*l.p_worse_adjusted * t.multiplier, t.p_holm));
        l.flagged = *l.p_worse_family < o.alpha && l.counts.rate() < l.peer_counts.rate();
      }
    } else if (r.comparison) {
      Comparison& c = *r.comparison;
      if (t.name == "sli") {
        c.significant = t.significant;
        if (c.significant) c.direction = c.stratified_difference < 0 ? -1 : 1;
      } else if (t.name == "homogeneity") {
        c.homogeneity_warning = t.significant;
      }
    }
  }
  if (r.comparison && !r.comparison->significant) {
    Comparison& c = *r.comparison;
    const Arm& base = r.arms[0];
    const Arm& cand = r.arms[1];
    PowerNote p;
    p.n_per_version = 2.0 / (1.0 / static_cast<double>(base.sli_counts.trials) +
                             1.0 / static_cast<double>(cand.sli_counts.trials));
    p.baseline_rate = base.sli_counts.rate();
    p.alpha = o.alpha;
    p.power = o.power;
    p.drop = stats::minimum_detectable_drop(p.n_per_version, p.baseline_rate, o.alpha, o.power);
    c.power = p;
  }
  r.headline = std::move(fam);
}

const HeadlineTest* headline_test(const Report& r, const std::string& name) {
  for (const auto& t : r.headline)
    if (t.name == name) return &t;
  return nullptr;
}

// ", Holm-adjusted p = X over the N headline tests" (nothing with a family of one).
std::string holm_text(const Report& r, const std::string& name) {
  const HeadlineTest* t = headline_test(r, name);
  if (!t || r.headline.size() < 2) return "";
  return "; Holm-adjusted over the " + std::to_string(r.headline.size()) +
         " headline tests p = " + pval(t->p_holm);
}

// The plain-language verdict of a comparison, from the gate: the bound and the test it decides
// on, the alpha convention, whether it is a single look, and the failure ratio the margin allows.
std::string comparison_verdict(const Report& r, const ReportOptions& o) {
  const Gate& g = *r.gate;
  const std::string cand = quote(filters_text(o.candidate));
  const std::string base = quote(filters_text(o.baseline));
  const std::string m = pts(o.margin).substr(1);  // the margin without its sign
  const std::string one_sided = pct(1.0 - o.alpha, 0) + " one-sided";
  const std::string interval =
      g.lower_bound && g.upper_bound
          ? "; " + pct(g.interval_level, 0) + " two-sided interval " +
                pts_interval({*g.lower_bound, *g.upper_bound})
          : std::string();
  const std::string test_name = g.method == "chan-exact-unconditional"
                                    ? "Chan's exact unconditional test"
                                : g.look ? "stratified score test, look " +
                                               std::to_string(g.look->look) + " of " +
                                               std::to_string(g.look->max_looks)
                                         : "stratified score test";
  const std::string convention = "alpha " + num(o.alpha) + " one-sided";
  std::string ratio;
  if (g.failure_ratio_allowed)
    ratio = " The margin allows the candidate " + num(*g.failure_ratio_allowed, 3) +
            "x the baseline's failure rate (" + pct(1.0 - g.baseline_rate, 3) + " -> " +
            pct(1.0 - g.baseline_rate + o.margin, 3) + ").";
  const std::string looks =
      g.look ? " Look " + std::to_string(g.look->look) + " of " +
                   std::to_string(g.look->max_looks) + " declared (critical z " +
                   num(g.look->critical, 4) + ", alpha spent so far " +
                   num(g.look->cumulative_alpha, 3) + ")."
             : " A single look: re-running the gate as sessions accumulate raises the chance "
               "of a false PASS (use --looks N).";
  auto p_text = [&](double p) {
    return g.look ? "z = " + num(g.z, 3) + " vs critical " + num(g.look->critical, 4)
                  : "one-sided p = " + pval(p);
  };
  std::string v;
  if (g.verdict == Verdict::fail && !g.worse_strata.empty()) {
    std::vector<std::string> parts;
    for (const auto& c : g.strata_checks)
      if (c.worse)
        parts.push_back(c.label + ": " + pct(c.candidate.rate()) + " vs " + pct(c.baseline.rate()) +
                        ", " + pts(c.difference) +
                        (c.critical ? ", z = " + num(c.z, 3) + " <= -" + num(*c.critical, 4) +
                                          " (Holm with this look's boundary)"
                                    : ", Holm-adjusted one-sided p = " + pval(c.p_holm) + " < " +
                                          num(o.alpha)));
    v = "FAIL: the candidate " + cand + " is worse than the baseline " + base +
        " by more than " + m + " on " + o.strata + " " + join(g.worse_strata, ", ") + " (" +
        join(parts, "; ") + "), whatever the stratified difference " + pts(g.difference) +
        " over all strata.";
  } else if (g.verdict == Verdict::fail) {
    v = "FAIL: the candidate " + cand + " is worse than the baseline " + base + " by more than " +
        m + " (stratified difference " + pts(g.difference) +
        (g.upper_bound ? ", " + one_sided + " upper bound " + pts(*g.upper_bound) + " < -" + m
                       : std::string()) +
        interval + "; " + test_name + ", " + p_text(g.p_fail) + ", " + convention + ").";
  } else if (g.verdict == Verdict::pass) {
    v = "PASS: the candidate " + cand + " is not worse than the baseline " + base +
        " by more than " + m + " (stratified difference " + pts(g.difference) +
        (g.lower_bound ? ", " + one_sided + " lower bound " + pts(*g.lower_bound) + " > -" + m
                       : std::string()) +
        interval + "; " + test_name + ", " + p_text(g.p_value) + " < " + num(o.alpha) + ", " +
        convention + ").";
  } else {
    v = "INCONCLUSIVE: the data cannot yet show whether the candidate " + cand + " is within " +
        m + " of the baseline " + base + " (stratified difference " + pts(g.difference) +
        (g.lower_bound ? ", " + one_sided + " lower bound " + pts(*g.lower_bound)
                       : std::string()) +
        interval + "; " + test_name + ", " + p_text(g.p_value) + ", " + convention + ")";
    if (g.needed && g.needed->achievable)
      v += "; about " + with_commas(g.needed->more_per_version) +
           " more SLI sessions per version would settle it" +
           (g.needed->toward == "fail" ? " (the candidate looks worse than the margin)." : ".");
    else
      v += "; more sessions are unlikely to settle it.";
  }
  return v + ratio + looks;
}

// The sentences supporting a comparison's verdict: pooled, stratified, Simpson, homogeneity.
void comparison_findings(const Report& r, const ReportOptions& o, std::vector<std::string>& out) {
  const Comparison& c = *r.comparison;
  out.push_back("SLI: candidate " + pct(r.arms[1].sli->rate) + " (" + counts(r.arms[1].sli_counts) +
                ") vs baseline " + pct(r.arms[0].sli->rate) + " (" + counts(r.arms[0].sli_counts) +
                "); pooled difference " +
                pts_with_interval(c.overall.difference, c.overall.interval) +
                ", stratified (MH) " + pts(c.stratified_difference) + ".");
  if (c.significant) {
    out.push_back(std::string("Within strata the candidate is significantly ") +
                  (c.direction < 0 ? "worse" : "better") + " (CMH p = " +
                  pval(c.cmh.informative ? c.cmh.p_value : c.fisher.p_two_sided) +
                  holm_text(r, "sli") + ").");
  } else if (c.power) {
    std::string s = "No significant difference (" +
                    std::string(c.cmh.informative ? "CMH p = " + pval(c.cmh.p_value)
                                                  : "Fisher p = " + pval(c.fisher.p_two_sided)) +
                    holm_text(r, "sli") + ")";
    if (c.power->drop)
      s += "; with about " + with_commas(std::lround(c.power->n_per_version)) +
           " SLI sessions per version a drop of " + pts(c.power->drop->drop).substr(1) + " (" +
           pct(c.power->baseline_rate) + " to " + pct(c.power->drop->candidate_rate) +
           ") would have been detected with " + pct(o.power, 0) + " power.";
    else
      s += "; too few sessions to detect any drop with " + pct(o.power, 0) + " power.";
    out.push_back(s);
  }
  if (c.simpson_warning)
    out.push_back("The pooled and the stratified comparisons disagree (pooled " +
                  pts(c.overall.difference) + ", stratified " + pts(c.stratified_difference) +
                  "): the versions ran on a different mix of " + o.strata +
                  " values (see the mix columns); trust the stratified figure.");
  if (c.homogeneity_warning)
    out.push_back("The strata disagree (Breslow-Day p = " + pval(c.breslow_day.p_value) +
                  holm_text(r, "homogeneity") + "): the difference depends on " + o.strata +
                  "; read the per-stratum rows, the common estimate can hide a local "
                  "regression.");
}

// The verdict sentence and its findings.
void verdict_and_findings(const Dataset& d, const ReportOptions& o, bool compare, Report& r) {
  if (r.comparison) {
    r.verdict = comparison_verdict(r, o);
    comparison_findings(r, o, r.findings);
  } else if (!r.arms.empty() && r.arms[0].sli) {
    const Arm& a = r.arms[0];
    r.verdict = "SLI " + pct(a.sli->rate) + " (" + pct(o.confidence, 0) + " CI " +
                pct_interval(a.sli->interval) + ", " + counts(a.sli_counts) +
                " SLI sessions) over " + plural(static_cast<long>(d.runs.size()), "run", "runs") +
                "; first-attempt success " + pct(a.first_attempt->rate) + " (" +
                counts(a.first_attempt_counts) + ").";
  } else {
    r.verdict = "No SLI sessions in the selection (" + plural(r.sessions, "session", "sessions") +
                ", all assertions or rig faults).";
  }
  std::vector<std::string> flagged;
  for (const auto& l : r.locks)
    if (l.flagged) flagged.push_back(l.lock_id + (compare ? " (" + l.arm + ")" : ""));
  if (!flagged.empty())
    r.findings.push_back("Significantly worse than their peers: " + join(flagged, ", ") + ".");
  long failed = 0, total = 0;
  for (const auto& a : r.assertions) {
    failed += a.failed;
    total += a.passed + a.failed;
  }
  if (failed > 0)
    r.findings.push_back(plural(failed, "assertion", "assertions") + " of " + with_commas(total) +
                         " failed (expected-failure or recovery sessions); see Assertions.");
  if (r.rig_faults.sessions > 0 || !r.rig_faults.events.empty())
    r.findings.push_back(plural(r.rig_faults.sessions, "rig-fault session", "rig-fault sessions") +
                         " and " +
                         plural(static_cast<long>(r.rig_faults.events.size()), "rig-fault event",
                                "rig-fault events") +
                         ", excluded from every figure.");
  const HeadlineTest* latency = headline_test(r, "latency");
  if (r.latency_shift && latency && latency->significant)
    r.findings.push_back(std::string("Unlock latency shifted: the candidate is ") +
                         (r.latency_shift->probability_x_greater > 0.5 ? "slower" : "faster") +
                         " (Mann-Whitney p = " + pval(r.latency_shift->p_value) +
                         holm_text(r, "latency") + ").");
}

}  // namespace

Report compute_report(const Dataset& d, const ReportOptions& o) {
  check_arm_options(o);
  const bool compare = !o.baseline.empty() || !o.candidate.empty();
  Report r = report_header(d, o);
  const Grouping strata(d, o.strata);
  const ArmNames arm_name(compare);

  const std::vector<std::int8_t> arm_of = assign_arms(d, o, compare);
  Tally tally = tally_sessions(d, arm_of, strata, arm_name.size(), r);
  tally_latency(d, o, compare, tally.arms);
  const LockTally per_lock = roll_up_cells(d, tally.cells);
  // Issue 14: the Range section first, since a selection of sweep sessions alone is compared on
  // range only: neither version has an SLI session and both have sweep sessions (a journal of
  // scenarios/range-sweep.yaml). Anything else without SLI in both versions is refused as before.
  r.range = compute_range(d, o);
  const bool range_only = compare && r.range && tally.arms[0].total.sli.trials == 0 &&
                          tally.arms[1].total.sli.trials == 0 &&
                          r.range->baseline_sessions > 0 && r.range->candidate_sessions > 0;
  if (range_only) r.range->range_only = true;
  if (compare && !range_only) check_arms_have_sli(d, o, tally.arms, r.range ? &*r.range : nullptr);

  for (std::size_t a = 0; a < arm_name.size(); ++a)
    r.arms.push_back(arm_figures(d, o, strata, arm_name(static_cast<int>(a)),
                                 !compare ? std::vector<Filter>{}
                                 : a == 0 ? o.baseline
                                          : o.candidate,
                                 tally.arms[a]));
  if (compare && !range_only) compare_arms(o, strata, tally.arms, r);

  r.locks = lock_figures(per_lock.locks, arm_name, o);
  r.assertions = assertion_rows(d, tally.asserts, arm_name);
  r.scenario_locks = scenario_lock_rows(d, per_lock.scenario_locks, arm_name);
  rig_fault_figures(d, tally.rig_run_sessions, r);
  r.warnings = warnings(d, r, compare);
  headline_family(o, r);
  verdict_and_findings(d, o, compare, r);
  if (range_only) {
    const RangeSection& rs = *r.range;
    r.verdict = "Range only (neither version has SLI sessions in the selection): " +
                (rs.comparison ? "candidate " +
                                     range_difference_text(rs.comparison->difference,
                                                           rs.comparison->interval) +
                                     " of range at " + pct(rs.target, 1) + " (" +
                                     pct(rs.confidence, 0) + " CI, " +
                                     plural(static_cast<long>(rs.comparison->strata.size()),
                                            "stratum", "strata") +
                                     ")."
                               : "no range comparison (" + rs.comparison_reason + ").");
  }
  if (r.range && r.range->gate && range_only) {
    // No SLI gate: the range gate alone decides.
    RangeGate& g = *r.range->gate;
    g.exit_code = g.verdict == "fail"   ? gate_exit::range_fail
                  : g.verdict == "pass" ? gate_exit::pass
                                        : gate_exit::inconclusive;
  } else if (r.range && r.range->gate && r.gate) {
    RangeGate& g = *r.range->gate;
    const int sli = r.gate->exit_code;
    g.exit_code = sli == gate_exit::fail          ? gate_exit::fail
                  : g.verdict == "fail"           ? gate_exit::range_fail
                  : sli == gate_exit::inconclusive || g.verdict == "inconclusive"
                      ? gate_exit::inconclusive
                      : gate_exit::pass;
  }
  return r;
}

}  // namespace lockrig::reports
