// Stratified Miettinen-Nurminen score test, Chan's exact unconditional test, the gate's choice
// between them, the per-stratum Holm check and the failure ratio a margin allows.
#include "reports/stats/noninferiority.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "reports/stats/detail.hpp"
#include "reports/stats/group_sequential.hpp"
#include "reports/stats/multiplicity.hpp"

namespace lockrig::stats {

namespace {

void check_margin(double margin, const char* what) {
  if (!(margin > 0.0 && margin < 1.0)) {
    throw std::invalid_argument(std::string(what) +
                                ": margin must be strictly between 0 and 1, got " +
                                detail::num(margin));
  }
}

std::string stratum_name(const Stratum& s, std::size_t i) {
  return s.label.empty() ? "stratum #" + std::to_string(i + 1) : s.label;
}

void check_strata(const std::vector<Stratum>& strata, const char* what) {
  for (std::size_t i = 0; i < strata.size(); ++i) {
    const std::string w = std::string(what) + ": " + stratum_name(strata[i], i);
    detail::check_counts(strata[i].candidate, w + " candidate", 0);
    detail::check_counts(strata[i].baseline, w + " baseline", 0);
  }
}

// One stratum's restricted rates and null variance at the difference `delta` (p1 - p0 = delta).
struct NullPart {
  double p1 = 0.0, p0 = 0.0, variance = 0.0;
};
NullPart null_part(const Counts& cand, const Counts& base, double delta) {
  const double n1 = static_cast<double>(cand.trials), n0 = static_cast<double>(base.trials);
  const auto r = detail::restricted_mle_difference(static_cast<double>(cand.successes), n1,
                                                   static_cast<double>(base.successes), n0, delta);
  NullPart out;
  out.p1 = r.p1;
  out.p0 = r.p0;
  out.variance =
      (r.p1 * (1.0 - r.p1) / n1 + r.p0 * (1.0 - r.p0) / n0) * (n1 + n0) / (n1 + n0 - 1.0);
  return out;
}

// One stratum's score statistic at `delta`.
double one_z(const Counts& cand, const Counts& base, double delta) {
  return (cand.rate() - base.rate() - delta) / std::sqrt(null_part(cand, base, delta).variance);
}

bool usable(const Stratum& s) {
  return s.candidate.trials > 0 && s.baseline.trials > 0;
}

double weight(const Stratum& s) {
  const double n1 = static_cast<double>(s.candidate.trials);
  const double n0 = static_cast<double>(s.baseline.trials);
  return n1 * n0 / (n1 + n0);
}

double difference(const Stratum& s) {
  return s.candidate.rate() - s.baseline.rate();
}

// z(delta) = (RD - delta) / se(delta); nullopt when no stratum is usable; +-inf when the null
// variance is 0 (only possible at delta = -1 or 1, or margin 0 with degenerate data).
std::optional<double> z_at(const std::vector<Stratum>& strata, double delta) {
  double w_sum = 0.0, num = 0.0, var = 0.0;
  for (const auto& s : strata) {
    if (!usable(s)) continue;
    const double w = weight(s);
    w_sum += w;
    num += w * difference(s);
    var += w * w * null_part(s.candidate, s.baseline, delta).variance;
  }
  if (w_sum == 0.0) return std::nullopt;
  const double rd = num / w_sum;
  const double se = std::sqrt(var) / w_sum;
  if (!(se > 0.0)) {
    const double d = rd - delta;
    return d > 0 ? std::numeric_limits<double>::infinity()
                 : (d < 0 ? -std::numeric_limits<double>::infinity() : 0.0);
  }
  return (rd - delta) / se;
}

// Binomial probabilities of 0..n successes at rate p, by logs (p in [0, 1]).
void binomial_pmf(long n, double p, std::vector<double>& out) {
  out.assign(static_cast<std::size_t>(n + 1), 0.0);
  if (p <= 0.0) {
    out[0] = 1.0;
    return;
  }
  if (p >= 1.0) {
    out[static_cast<std::size_t>(n)] = 1.0;
    return;
  }
  const double lp = std::log(p), lq = std::log1p(-p);
  const double lgn = std::lgamma(static_cast<double>(n) + 1.0);
  for (long x = 0; x <= n; ++x) {
    const double xd = static_cast<double>(x);
    out[static_cast<std::size_t>(x)] =
        std::exp(lgn - std::lgamma(xd + 1.0) - std::lgamma(static_cast<double>(n - x) + 1.0) +
                 xd * lp + static_cast<double>(n - x) * lq);
  }
}

}  // namespace

const char* to_string(NiMethod m) {
  switch (m) {
    case NiMethod::stratified_score:
      return "miettinen-nurminen-stratified-score";
    case NiMethod::exact_unconditional:
      return "chan-exact-unconditional";
  }
  return "?";
}

ScoreTestResult stratified_score_test(const std::vector<Stratum>& strata, double margin) {
  check_strata(strata, "stratified_score_test");
  check_margin(margin, "stratified_score_test");
  ScoreTestResult out;
  out.margin = margin;
  double w_sum = 0.0, num = 0.0, var = 0.0;
  std::size_t no_failures = 0;
  for (const auto& s : strata) {
    ScoreStratum row;
    row.label = s.label;
    row.candidate = s.candidate;
    row.baseline = s.baseline;
    if (!usable(s)) {
      row.role = StratumRole::dropped;
      row.reason = s.candidate.trials == 0 && s.baseline.trials == 0 ? "no sessions in either arm"
                   : s.candidate.trials == 0                         ? "candidate has no sessions"
                                                                     : "baseline has no sessions";
      out.strata.push_back(std::move(row));
      continue;
    }
    const NullPart np = null_part(s.candidate, s.baseline, -margin);
    row.weight = weight(s);
    row.difference = difference(s);
    row.candidate_rate_null = np.p1;
    row.baseline_rate_null = np.p0;
    row.variance_null = np.variance;
    row.z = (row.difference + margin) / std::sqrt(np.variance);
    row.p_worse = detail::normal_cdf(row.z);
    if (s.candidate.failures() + s.baseline.failures() == 0) ++no_failures;
    w_sum += row.weight;
    num += row.weight * row.difference;
    var += row.weight * row.weight * np.variance;
    out.strata.push_back(std::move(row));
  }
  const std::size_t dropped = static_cast<std::size_t>(
      std::count_if(out.strata.begin(), out.strata.end(),
                    [](const auto& r) { return r.role == StratumRole::dropped; }));
  if (dropped > 0) {
    out.notes.push_back(std::to_string(dropped) + " of " + std::to_string(out.strata.size()) +
                        " strata dropped (an arm without sessions)");
  }
  if (no_failures > 0) {
    out.notes.push_back(std::to_string(no_failures) +
                        " strata with no failure in either arm enter with difference 0 and their "
                        "null variance at the margin");
  }
  if (w_sum == 0.0) {
    out.notes.push_back("every stratum dropped: the score test is not informative, p 1");
    return out;
  }
  out.informative = true;
  out.difference = num / w_sum;
  out.se_null = std::sqrt(var) / w_sum;
  // With 0 < margin < 1 each null variance is positive (the restricted rates cannot both sit at
  // 0 or 1 when they differ by the margin), so se_null > 0.
  out.z = (out.difference + margin) / out.se_null;
  out.p_pass = detail::normal_sf(out.z);
  out.p_fail = detail::normal_cdf(out.z);
  return out;
}

std::optional<double> stratified_score_z(const std::vector<Stratum>& strata, double delta) {
  check_strata(strata, "stratified_score_z");
  if (!(delta > -1.0 && delta < 1.0)) {
    throw std::invalid_argument(
        "stratified_score_z: delta must be strictly between -1 and 1, got " + detail::num(delta));
  }
  return z_at(strata, delta);
}

std::optional<Interval> stratified_score_bounds(const std::vector<Stratum>& strata, double tail) {
  check_strata(strata, "stratified_score_bounds");
  if (!(tail > 0.0 && tail < 0.5)) {
    throw std::invalid_argument(
        "stratified_score_bounds: tail must be strictly between 0 and 0.5, "
        "got " +
        detail::num(tail));
  }
  double w_sum = 0.0, num = 0.0;
  for (const auto& s : strata) {
    if (!usable(s)) continue;
    w_sum += weight(s);
    num += weight(s) * difference(s);
  }
  if (w_sum == 0.0) return std::nullopt;
  const double rd = num / w_sum;
  const double crit = detail::z_upper(tail);
  // z(delta) falls from +inf near -1 through 0 at RD to -inf near 1: bisect on each side for the
  // delta where it crosses `target` (invariant z(lo) > target >= z(hi)).
  auto crossing = [&](double lo, double hi, double target) {
    for (int i = 0; i < 200 && hi - lo > 1e-15; ++i) {
      const double mid = lo + (hi - lo) / 2.0;
      if (mid <= lo || mid >= hi) break;
      (*z_at(strata, mid) > target ? lo : hi) = mid;
    }
    return lo + (hi - lo) / 2.0;
  };
  const double edge = 1.0 - 1e-9;
  Interval out;
  out.lower = rd <= -edge ? -1.0 : crossing(-edge, rd, crit);
  out.upper = rd >= edge ? 1.0 : crossing(rd, edge, -crit);
  return out;
}

namespace {

// Every table (x1, x0) of one stratum with its score statistic at -margin, and the supremum over
// the nuisance rate of a tail probability of that statistic.
class ExactTables {
 public:
  ExactTables(long n1, long n0, double margin) : n1_(n1), n0_(n0), margin_(margin) {
    if (static_cast<double>(n1 + 1) * static_cast<double>(n0 + 1) >
        64.0 * static_cast<double>(kExactMaxTables)) {
      throw std::invalid_argument("exact unconditional test: " + std::to_string(n1) + " x " +
                                  std::to_string(n0) +
                                  " sessions are too many tables to enumerate");
    }
    z_.resize(static_cast<std::size_t>((n1 + 1) * (n0 + 1)));
    for (long x0 = 0; x0 <= n0; ++x0)
      for (long x1 = 0; x1 <= n1; ++x1) z_[index(x1, x0)] = one_z({x1, n1}, {x0, n0}, -margin);
  }

  double z(long x1, long x0) const { return z_[index(x1, x0)]; }
  const std::vector<double>& all() const { return z_; }

  // sup over the baseline rate p0 in [margin, 1] (candidate at p0 - margin) of P(Z >= threshold)
  // (greater) or P(Z <= threshold); `where` gets the maximising p0.
  double sup_tail(double threshold, bool greater, double* where) const {
    // Per x0 the tables in the tail, as a run of x1 when the statistic is monotone in x1 (the
    // one-stratum score statistic is; checked here, with an explicit sum otherwise).
    const double tol = 1e-12 * std::max(1.0, std::fabs(threshold));
    std::vector<long> from(static_cast<std::size_t>(n0_ + 1)), to(from.size());
    bool runs = true;
    for (long x0 = 0; x0 <= n0_ && runs; ++x0) {
      long first = -1, last = -2, count = 0;
      for (long x1 = 0; x1 <= n1_; ++x1) {
        const double v = z(x1, x0);
        if (greater ? v >= threshold - tol : v <= threshold + tol) {
          if (first < 0) first = x1;
          last = x1;
          ++count;
        }
      }
      if (count > 0 && last - first + 1 != count) runs = false;
      from[static_cast<std::size_t>(x0)] = count > 0 ? first : 0;
      to[static_cast<std::size_t>(x0)] = count > 0 ? last : -1;
    }
    std::vector<double> pmf1, pmf0, cum1;
    auto tail = [&](double p0) {
      binomial_pmf(n1_, std::clamp(p0 - margin_, 0.0, 1.0), pmf1);
      binomial_pmf(n0_, std::clamp(p0, 0.0, 1.0), pmf0);
      cum1.assign(pmf1.size() + 1, 0.0);
      for (std::size_t i = 0; i < pmf1.size(); ++i) cum1[i + 1] = cum1[i] + pmf1[i];
      double t = 0.0;
      for (long x0 = 0; x0 <= n0_; ++x0) {
        const double w0 = pmf0[static_cast<std::size_t>(x0)];
        if (w0 < 1e-300) continue;
        double inner = 0.0;
        if (runs) {
          const long a = from[static_cast<std::size_t>(x0)], b = to[static_cast<std::size_t>(x0)];
          // Sum the run from its small end so tiny tails keep their relative precision.
          if (b >= a) {
            if (greater && b == n1_) {
              for (long x1 = n1_; x1 >= a; --x1) inner += pmf1[static_cast<std::size_t>(x1)];
            } else if (!greater && a == 0) {
              for (long x1 = 0; x1 <= b; ++x1) inner += pmf1[static_cast<std::size_t>(x1)];
            } else {
              inner = cum1[static_cast<std::size_t>(b + 1)] - cum1[static_cast<std::size_t>(a)];
            }
          }
        } else {
          for (long x1 = 0; x1 <= n1_; ++x1) {
            const double v = z(x1, x0);
            if (greater ? v >= threshold - tol : v <= threshold + tol)
              inner += pmf1[static_cast<std::size_t>(x1)];
          }
        }
        t += w0 * inner;
      }
      return std::min(1.0, t);
    };
    // A grid over [margin, 1], dense near 1 where lock rates live (1 - p0 on a log scale down to
    // 1e-7) and uniform elsewhere, then golden-section refinement around the best point.
    std::vector<double> xs;
    for (int i = 0; i <= 200; ++i) xs.push_back(margin_ + (1.0 - margin_) * i / 200.0);
    for (int i = 0; i <= 200; ++i) {
      const double p0 = 1.0 - std::pow(10.0, -7.0 * i / 200.0);
      if (p0 > margin_) xs.push_back(p0);
    }
    std::sort(xs.begin(), xs.end());
    std::vector<double> ts(xs.size());
    std::size_t best = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      ts[i] = tail(xs[i]);
      if (ts[i] > ts[best]) best = i;
    }
    double top = ts[best];
    double at = xs[best];
    double a = xs[best == 0 ? 0 : best - 1], b = xs[std::min(xs.size() - 1, best + 1)];
    const double phi = (std::sqrt(5.0) - 1.0) / 2.0;
    double c = b - phi * (b - a), d = a + phi * (b - a);
    double fc = tail(c), fd = tail(d);
    for (int i = 0; i < 60 && b - a > 1e-13; ++i) {
      if (fc > fd) {
        b = d;
        d = c;
        fd = fc;
        c = b - phi * (b - a);
        fc = tail(c);
      } else {
        a = c;
        c = d;
        fc = fd;
        d = a + phi * (b - a);
        fd = tail(d);
      }
    }
    if (fc > top) top = fc, at = c;
    if (fd > top) top = fd, at = d;
    if (where) *where = at;
    return top;
  }

 private:
  std::size_t index(long x1, long x0) const {
    return static_cast<std::size_t>(x0 * (n1_ + 1) + x1);
  }
  long n1_, n0_;
  double margin_;
  std::vector<double> z_;
};

}  // namespace

ExactTestResult exact_unconditional_test(Counts candidate, Counts baseline, double margin) {
  detail::check_counts(candidate, "exact_unconditional_test: candidate");
  detail::check_counts(baseline, "exact_unconditional_test: baseline");
  check_margin(margin, "exact_unconditional_test");
  const ExactTables tables(candidate.trials, baseline.trials, margin);
  ExactTestResult out;
  out.candidate = candidate;
  out.baseline = baseline;
  out.margin = margin;
  out.z = tables.z(candidate.successes, baseline.successes);
  out.p_pass = tables.sup_tail(out.z, true, &out.nuisance_pass);
  out.p_fail = tables.sup_tail(out.z, false, &out.nuisance_fail);
  return out;
}

ExactCritical exact_critical_values(long n1, long n0, double margin, double alpha) {
  detail::check_counts({0, n1}, "exact_critical_values: candidate", 1);
  detail::check_counts({0, n0}, "exact_critical_values: baseline", 1);
  check_margin(margin, "exact_critical_values");
  detail::check_open_unit(alpha, "exact_critical_values: alpha");
  const ExactTables tables(n1, n0, margin);
  std::vector<double> zs = tables.all();
  std::sort(zs.begin(), zs.end());
  zs.erase(std::unique(zs.begin(), zs.end(),
                       [](double a, double b) {
                         return std::fabs(a - b) <= 1e-12 * std::max(1.0, std::fabs(a));
                       }),
           zs.end());
  ExactCritical out;
  // p_pass(z) = sup P(Z >= z) falls as z grows: find the smallest table value with p < alpha.
  {
    std::size_t lo = 0, hi = zs.size();  // answer in [lo, hi]; hi = none
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (tables.sup_tail(zs[mid], true, nullptr) < alpha)
        hi = mid;
      else
        lo = mid + 1;
    }
    out.pass = lo < zs.size() ? std::optional(zs[lo]) : std::nullopt;
  }
  {
    // p_fail(z) = sup P(Z <= z) grows with z: the largest table value with p < alpha.
    std::size_t lo = 0, hi = zs.size();  // count of values with p < alpha
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (tables.sup_tail(zs[mid], false, nullptr) < alpha)
        lo = mid + 1;
      else
        hi = mid;
    }
    out.fail = lo > 0 ? std::optional(zs[lo - 1]) : std::nullopt;
  }
  return out;
}

NiDecision decide_non_inferiority(const std::vector<Stratum>& strata, double margin, double alpha,
                                  bool exact_allowed) {
  if (!(alpha > 0.0 && alpha < 0.5)) {
    throw std::invalid_argument(
        "decide_non_inferiority: alpha must be strictly between 0 and 0.5, "
        "got " +
        detail::num(alpha));
  }
  NiDecision out;
  out.alpha = alpha;
  out.score = stratified_score_test(strata, margin);
  out.notes = out.score.notes;
  if (!out.score.informative) return out;
  out.bounds = stratified_score_bounds(strata, alpha);
  std::vector<const ScoreStratum*> used;
  for (const auto& s : out.score.strata)
    if (s.role == StratumRole::contributes) used.push_back(&s);
  const bool exact = exact_allowed && used.size() == 1 &&
                     static_cast<double>(used[0]->candidate.trials) *
                             static_cast<double>(used[0]->baseline.trials) <=
                         static_cast<double>(kExactMaxTables);
  if (exact) {
    out.method = NiMethod::exact_unconditional;
    out.exact = exact_unconditional_test(used[0]->candidate, used[0]->baseline, margin);
    out.p_pass = out.exact->p_pass;
    out.p_fail = out.exact->p_fail;
    out.notes.push_back("one stratum with few sessions: Chan's exact unconditional test");
  } else {
    out.method = NiMethod::stratified_score;
    out.p_pass = out.score.p_pass;
    out.p_fail = out.score.p_fail;
  }
  out.pass = out.p_pass < alpha;
  out.fail = out.p_fail < alpha;
  return out;
}

double comparison_information(const std::vector<Stratum>& strata) {
  check_strata(strata, "comparison_information");
  double w = 0.0;
  for (const auto& s : strata)
    if (usable(s)) w += weight(s);
  return w;
}

SequentialLook sequential_non_inferiority_look(const std::vector<Stratum>& strata, double margin,
                                               double alpha,
                                               const std::vector<double>& previous_information,
                                               int max_looks) {
  if (!(alpha > 0.0 && alpha < 0.5)) {
    throw std::invalid_argument(
        "sequential_non_inferiority_look: alpha must be strictly between 0 and 0.5, got " +
        detail::num(alpha));
  }
  SequentialLook out;
  out.max_looks = max_looks;
  out.look = static_cast<int>(previous_information.size()) + 1;
  if (max_looks < 1 || out.look > max_looks) {
    throw std::invalid_argument("look " + std::to_string(out.look) + " is beyond the " +
                                std::to_string(max_looks) + " looks declared");
  }
  out.score = stratified_score_test(strata, margin);
  if (!out.score.informative) {
    throw std::invalid_argument(
        "sequential_non_inferiority_look: no stratum has sessions of both versions");
  }
  const double info = comparison_information(strata);
  if (!previous_information.empty() && !(info > previous_information.back())) {
    throw std::invalid_argument("look " + std::to_string(out.look) +
                                " has no more sessions than look " + std::to_string(out.look - 1) +
                                " (information " + detail::num(info) + " after " +
                                detail::num(previous_information.back()) + ")");
  }
  out.information = previous_information;
  out.information.push_back(info);
  const auto b = look_boundaries(out.information, max_looks, alpha);
  out.critical = b.critical.back();
  out.nominal_p = b.nominal_p.back();
  out.cumulative_alpha = b.cumulative_alpha.back();
  out.pass = out.score.z >= out.critical;
  out.fail = out.score.z <= -out.critical;
  return out;
}

StrataWorseResult strata_worse_than_margin(const std::vector<Stratum>& strata, double margin,
                                           double alpha) {
  detail::check_open_unit(alpha, "strata_worse_than_margin: alpha");
  const ScoreTestResult score = stratified_score_test(strata, margin);
  StrataWorseResult out;
  std::vector<double> p;
  for (const auto& s : score.strata) {
    if (s.role != StratumRole::contributes) continue;
    StratumWorse row;
    row.label = s.label;
    row.candidate = s.candidate;
    row.baseline = s.baseline;
    row.difference = s.difference;
    row.z = s.z;
    row.p = s.p_worse;
    p.push_back(row.p);
    out.strata.push_back(std::move(row));
  }
  const auto adjusted = holm_adjust(p);
  for (std::size_t i = 0; i < out.strata.size(); ++i) {
    out.strata[i].p_holm = adjusted[i];
    out.strata[i].worse = adjusted[i] < alpha;
    out.any_worse = out.any_worse || out.strata[i].worse;
  }
  return out;
}

StrataWorseResult strata_worse_sequential(const std::vector<Stratum>& strata, double margin,
                                          const std::vector<double>& critical) {
  // Holm's p-values are still reported; only the rejection rule changes (alpha 0.25 is a dummy:
  // every `worse` is recomputed below).
  StrataWorseResult out = strata_worse_than_margin(strata, margin, 0.25);
  const std::size_t m = out.strata.size();
  if (critical.size() < m)
    throw std::invalid_argument("strata_worse_sequential: " + std::to_string(m) +
                                " strata need critical values for alpha / 1 .. alpha / " +
                                std::to_string(m) + ", got " + std::to_string(critical.size()));
  std::vector<std::size_t> order(m);
  for (std::size_t i = 0; i < m; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return out.strata[a].z < out.strata[b].z;  // most negative (smallest p) first
  });
  for (auto& w : out.strata) w.worse = false;
  out.any_worse = false;
  for (std::size_t j = 0; j < m; ++j) {
    StratumWorse& w = out.strata[order[j]];
    if (!(w.z <= -critical[m - j - 1])) break;  // Holm: stop at the first that is not rejected
    w.worse = true;
    out.any_worse = true;
  }
  return out;
}

std::optional<double> failure_ratio_allowed(double baseline_rate, double margin) {
  detail::check_probability(baseline_rate, "failure_ratio_allowed: baseline_rate");
  check_margin(margin, "failure_ratio_allowed");
  const double f = 1.0 - baseline_rate;
  if (!(f > 0.0)) return std::nullopt;
  return (f + margin) / f;
}

}  // namespace lockrig::stats
