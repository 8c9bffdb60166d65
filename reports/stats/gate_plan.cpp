// Sample size and power of the release gate's stratified score test, one look or K looks.
#include "reports/stats/gate_plan.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>

#include "reports/stats/detail.hpp"
#include "reports/stats/noninferiority.hpp"

namespace lockrig::stats {

namespace {

struct PerSession {
  double effect = 0.0, s0 = 0.0, s1 = 0.0;
};

PerSession per_session(const GateDesign& d) {
  if (d.strata.empty()) throw std::invalid_argument("plan_gate: no strata");
  if (!(d.margin > 0.0 && d.margin < 1.0)) {
    throw std::invalid_argument("plan_gate: margin must be strictly between 0 and 1, got " +
                                detail::num(d.margin));
  }
  if (!(d.alpha > 0.0 && d.alpha < 0.5)) {
    throw std::invalid_argument("plan_gate: alpha must be strictly between 0 and 0.5, got " +
                                detail::num(d.alpha));
  }
  if (!(d.power > d.alpha && d.power < 1.0)) {
    throw std::invalid_argument("plan_gate: power must be above alpha and below 1, got " +
                                detail::num(d.power));
  }
  if (d.max_looks < 1) {
    throw std::invalid_argument("plan_gate: looks must be at least 1, got " +
                                std::to_string(d.max_looks));
  }
  PerSession out;
  double shares = 0.0, v0 = 0.0, v1 = 0.0;
  for (const auto& s : d.strata) {
    const std::string what = "plan_gate: stratum " + (s.label.empty() ? "?" : s.label);
    if (!(s.share > 0.0) || !std::isfinite(s.share)) {
      throw std::invalid_argument(what + ": share must be positive, got " + detail::num(s.share));
    }
    detail::check_probability(s.baseline_rate, what + " baseline rate");
    detail::check_probability(s.candidate_rate, what + " candidate rate");
    shares += s.share;
    const auto r =
        detail::restricted_mle_difference(s.candidate_rate, 1.0, s.baseline_rate, 1.0, -d.margin);
    v0 += s.share * (r.p1 * (1.0 - r.p1) + r.p0 * (1.0 - r.p0));
    v1 += s.share *
          (s.candidate_rate * (1.0 - s.candidate_rate) + s.baseline_rate * (1.0 - s.baseline_rate));
    out.effect += s.share * (s.candidate_rate - s.baseline_rate);
  }
  if (std::fabs(shares - 1.0) > 1e-9) {
    throw std::invalid_argument("plan_gate: stratum shares must sum to 1, got " +
                                detail::num(shares));
  }
  out.effect += d.margin;
  if (!(out.effect > 0.0)) {
    throw std::invalid_argument("plan_gate: planned difference " +
                                detail::num(out.effect - d.margin) + " is not above -margin " +
                                detail::num(-d.margin) +
                                "; non-inferiority cannot be shown at any sample size");
  }
  out.s0 = std::sqrt(v0);
  out.s1 = std::sqrt(v1);
  return out;
}

std::vector<double> equal_looks(double sessions, int k) {
  std::vector<double> v;
  for (int i = 1; i <= k; ++i) v.push_back(sessions * i / k);
  return v;
}

// The gate's boundaries for K equally spaced looks (they depend on the ratios of the
// information only, so once per design).
GroupSequentialBoundaries design_boundaries(const GateDesign& d) {
  return look_boundaries(equal_looks(static_cast<double>(d.max_looks), d.max_looks), d.max_looks,
                         d.alpha, d.spending);
}

// P(PASS by each look) with `sessions` per version at the last look.
std::vector<double> power_curve(double sessions, const GroupSequentialBoundaries& b,
                                const PerSession& ps) {
  const auto info = equal_looks(sessions, static_cast<int>(b.critical.size()));
  if (ps.s1 == 0.0) return std::vector<double>(info.size(), 1.0);  // no variance: certain PASS
  // Z_k ~ N(e sqrt(n_k) / s0, (s1 / s0)^2): rescale to unit variance.
  GroupSequentialBoundaries scaled = b;
  scaled.information = info;
  for (auto& c : scaled.critical) c *= ps.s0 / ps.s1;
  return crossing_probabilities(scaled, ps.effect / ps.s1);
}


// ---- Exact power of the gate's one-look decision (issue 11 item 8) ----
//
// The normal approximation above misses the gate's power by up to 4 pts where the expected
// failures per stratum are a handful (99.9% over four doors at 800 sessions per version:
// planned 61.7%, simulated 65.9% / through lockrig gate, docs/gate-statistics.md): the score
// statistic is a discrete function of the failure counts there. So one look is computed the
// way bench/gate_oc.cpp enumerates one stratum: over every outcome of both binomials in every
// stratum, the gate's own statistic and rule. The stratified statistic is
//     z = A / sqrt(B),  A = sum_k w_k (d_k + margin),  B = sum_k w_k^2 V_k
// (Miettinen and Nurminen 1985: RD + margin over sqrt(sum w^2 V) / W, the W cancels), so the
// strata are convolved on the state (A, B): per stratum the (x1, x0) tables with probability
// above kTiny, the stratum's w (d + margin) and w^2 V taken from stratified_score_test itself
// (the gate's code, N/(N-1) factor included); states with the same A and B within 1e-6 relative are merged (z moves by < 1e-6). PASS is
// the gate's rule: 1 - Phi(z) < alpha, or for one stratum with n1 n0 <= kExactMaxTables Chan's
// exact test, z >= its critical value (exact_critical_values). The strata are split in two halves
// convolved apart and met pairwise at the end. The mass left out is below kTiny per table (and
// 1e-16 per combination); when the states would exceed kMaxStates or the pairs kMaxPairs (many
// expected failures, where the normal approximation holds) the normal approximation is used.
constexpr double kTiny = 1e-13;
constexpr std::size_t kMaxStates = 1'500'000;
constexpr double kMaxPairs = 3e8;  // left x right states met at the end (about a second)

struct State {
  double a, b, p;
};

// Probabilities of 0..n failures at failure rate f, truncated where they fall below kTiny.
std::vector<double> failure_pmf(long n, double f) {
  std::vector<double> out;
  if (f <= 0.0) return {1.0};
  if (f >= 1.0) {
    out.assign(static_cast<std::size_t>(n + 1), 0.0);
    out.back() = 1.0;
    return out;
  }
  const double lf = std::log(f), lq = std::log1p(-f), lgn = std::lgamma(n + 1.0);
  const double mode = std::floor((n + 1) * f);
  for (long x = 0; x <= n; ++x) {
    const double xd = static_cast<double>(x);
    const double v =
        std::exp(lgn - std::lgamma(xd + 1.0) - std::lgamma(n - xd + 1.0) + xd * lf + (n - xd) * lq);
    out.push_back(v);
    if (xd > mode && v < kTiny) break;
  }
  return out;
}

void merge_states(std::vector<State>& v) {
  std::sort(v.begin(), v.end(), [](const State& x, const State& y) {
    return x.a != y.a ? x.a < y.a : x.b < y.b;
  });
  std::size_t out = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (out > 0 && std::fabs(v[i].a - v[out - 1].a) <= 1e-9 * (1.0 + std::fabs(v[i].a)) &&
        std::fabs(v[i].b - v[out - 1].b) <= 1e-6 * v[i].b) {
      v[out - 1].p += v[i].p;
    } else {
      v[out++] = v[i];
    }
  }
  v.resize(out);
}

std::optional<double> exact_one_look_power(double sessions, const GateDesign& d) {
  std::vector<long> n;
  for (const auto& s : d.strata) n.push_back(std::lround(s.share * sessions));
  std::erase(n, 0L);
  if (n.empty()) return 0.0;
  if (d.strata.size() == 1 && n[0] * n[0] <= kExactMaxTables) {
    // Chan's exact test, the gate's choice for one small stratum.
    const auto crit = exact_critical_values(n[0], n[0], d.margin, d.alpha);
    if (!crit.pass) return 0.0;
    const auto f1 = failure_pmf(n[0], 1.0 - d.strata[0].candidate_rate);
    const auto f0 = failure_pmf(n[0], 1.0 - d.strata[0].baseline_rate);
    double power = 0.0;
    for (std::size_t x1 = 0; x1 < f1.size(); ++x1)
      for (std::size_t x0 = 0; x0 < f0.size(); ++x0) {
        const long nn = n[0];
        const auto t = stratified_score_test(
            {Stratum{"", Counts{nn - static_cast<long>(x1), nn}, Counts{nn - static_cast<long>(x0), nn}}},
            d.margin);
        if (t.z >= *crit.pass) power += f1[x1] * f0[x0];
      }
    return power;
  }
  // Each stratum's tables, then the strata split in two halves convolved apart and the halves
  // met pairwise at the end (the last step needs no storage, only the count of PASS pairs).
  std::vector<std::vector<State>> per_stratum;
  for (const auto& s : d.strata) {
    const long nk = std::lround(s.share * sessions);
    if (nk == 0) continue;
    const auto f1 = failure_pmf(nk, 1.0 - s.candidate_rate);
    const auto f0 = failure_pmf(nk, 1.0 - s.baseline_rate);
    std::vector<State> tables;
    for (std::size_t x1 = 0; x1 < f1.size(); ++x1)
      for (std::size_t x0 = 0; x0 < f0.size(); ++x0) {
        const double pr = f1[x1] * f0[x0];
        if (pr < kTiny) continue;
        const auto t = stratified_score_test(
            {Stratum{"", Counts{nk - static_cast<long>(x1), nk},
                     Counts{nk - static_cast<long>(x0), nk}}},
            d.margin);
        const auto& st = t.strata.front();
        tables.push_back({st.weight * (st.difference + d.margin),
                          st.weight * st.weight * st.variance_null, pr});
      }
    per_stratum.push_back(std::move(tables));
  }
  auto convolve = [](const std::vector<std::vector<State>>& parts, std::size_t from,
                     std::size_t to) -> std::optional<std::vector<State>> {
    std::vector<State> states{{0.0, 0.0, 1.0}};
    for (std::size_t k = from; k < to; ++k) {
      if (states.size() * parts[k].size() > 4 * kMaxStates) return std::nullopt;
      std::vector<State> next;
      next.reserve(states.size() * parts[k].size());
      for (const auto& x : states)
        for (const auto& y : parts[k])
          if (x.p * y.p >= kTiny * 1e-3) next.push_back({x.a + y.a, x.b + y.b, x.p * y.p});
      merge_states(next);
      if (next.size() > kMaxStates) return std::nullopt;
      states = std::move(next);
    }
    return states;
  };
  const std::size_t half = (per_stratum.size() + 1) / 2;
  const auto left = convolve(per_stratum, 0, half);
  if (!left) return std::nullopt;
  const auto right = convolve(per_stratum, half, per_stratum.size());
  if (!right) return std::nullopt;
  if (static_cast<double>(left->size()) * static_cast<double>(right->size()) > kMaxPairs)
    return std::nullopt;
  const double c = detail::z_upper(d.alpha);
  double power = 0.0;
  for (const auto& l : *left)
    for (const auto& r : *right) {
      const double a = l.a + r.a, b = l.b + r.b;
      // The gate's rule 1 - Phi(z) < alpha; z against c first (cheap), the tail only near it.
      if (b <= 0.0 || a <= 0.0) continue;
      const double z = a / std::sqrt(b);
      if (z > c + 1e-6 || (z > c - 1e-6 && detail::normal_sf(z) < d.alpha)) power += l.p * r.p;
    }
  return std::min(power, 1.0);
}


// ---- K looks: the gate's group-sequential rule, simulated (issue 11 item 8) ----
//
// The normal approximation of power_curve() treats the looks' score statistics as a Brownian
// motion; where a stratum expects a tenth of a failure per look (four doors at 99.9%, 100
// sessions per door, version and night) it missed `lockrig gate --looks 2` by 5.8 pts
// (docs/gate-statistics.md). Enumerating every path of every stratum's counts over the looks is
// out of reach (the Holm check needs each stratum's own z at every look, so the strata do not
// reduce to a sum), so the campaigns are simulated: each look draws every stratum's failures per
// version, accumulates them and decides them with the gate's own functions, in the order
// decide_gate (reports/comparison.cpp) applies them. Decisions are memoised on the accumulated
// counts (the same counts always decide the same way), which makes rare failures cheap.

// Failures of n sessions at failure rate f by inversion of the binomial distribution function
// (portable: the same draws on every standard library, unlike std::binomial_distribution).
class FailureSampler {
 public:
  FailureSampler(long n, double f) {
    double c = 0.0;
    for (double p : failure_pmf(n, f)) cdf_.push_back(c += p);
  }
  long operator()(double u) const {
    const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u * cdf_.back());
    return std::min<long>(static_cast<long>(it - cdf_.begin()), static_cast<long>(cdf_.size()) - 1);
  }

 private:
  std::vector<double> cdf_;
};

double uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;  // 53 random bits, in [0, 1)
}

struct SimulatedCurve {
  std::vector<double> pass, decided;  // cumulative, per look
};

// The looks' boundaries, kept across the sample sizes a search tries: with every stratum's
// sessions the same at every look the information grows as 1, 2, .., K times the first look's,
// whatever n, and the boundaries depend on its ratios only (look_boundaries: spending times k / K,
// correlations sqrt(I_j / I_k)), so they are recomputed only when those ratios or the number of
// strata change.
struct LookCriticals {
  std::size_t doors = 0;
  std::vector<double> ratios;  // information / last look's
  std::vector<double> critical;
  std::vector<std::vector<double>> strata_critical;
};

SimulatedCurve simulate_looks(double sessions, const GateDesign& d, long replicates,
                              std::uint64_t seed, LookCriticals* cache = nullptr) {
  const int looks = d.max_looks;
  struct Door {
    std::string label;
    long per_look;
    FailureSampler candidate, baseline;
  };
  std::vector<Door> doors;
  for (const auto& s : d.strata) {
    const long m = std::lround(s.share * sessions / looks);
    if (m == 0) continue;  // no sessions of this stratum: the gate would not see it
    doors.push_back({s.label, m, FailureSampler(m, 1.0 - s.candidate_rate),
                     FailureSampler(m, 1.0 - s.baseline_rate)});
  }
  SimulatedCurve out{std::vector<double>(looks, 0.0), std::vector<double>(looks, 0.0)};
  if (doors.empty()) return out;
  // The accumulated strata of look j (counts filled in per campaign).
  auto strata_at = [&](int j, const std::vector<long>& failures) {
    std::vector<Stratum> strata;
    for (std::size_t k = 0; k < doors.size(); ++k) {
      const long n = doors[k].per_look * (j + 1);
      strata.push_back(Stratum{doors[k].label, Counts{n - failures[2 * k], n},
                               Counts{n - failures[2 * k + 1], n}});
    }
    return strata;
  };
  // The boundaries depend on the information only, which the design fixes: the gate's
  // look_boundaries over comparison_information of every look so far, as
  // sequential_non_inferiority_look computes c_k; with two or more strata, decide_gate's
  // per-stratum boundaries at alpha / 1 .. alpha / m.
  const std::vector<long> none(2 * doors.size(), 0);
  std::vector<double> information, ratios;
  for (int j = 0; j < looks; ++j) information.push_back(comparison_information(strata_at(j, none)));
  for (double i : information) ratios.push_back(i / information.back());
  LookCriticals local;
  LookCriticals& lc = cache ? *cache : local;
  bool same = lc.doors == doors.size() && lc.ratios.size() == ratios.size();
  for (std::size_t j = 0; same && j < ratios.size(); ++j)
    same = std::fabs(lc.ratios[j] - ratios[j]) <= 1e-12;
  if (!same) {
    lc = LookCriticals{doors.size(), ratios, {}, {}};
    std::vector<double> so_far;
    for (int j = 0; j < looks; ++j) {
      so_far.push_back(information[j]);
      lc.critical.push_back(look_boundaries(so_far, looks, d.alpha, d.spending).critical.back());
      std::vector<double> sc;
      if (doors.size() >= 2)
        for (std::size_t i = 0; i < doors.size(); ++i)
          sc.push_back(look_boundaries(so_far, looks, d.alpha / static_cast<double>(i + 1),
                                       d.spending)
                           .critical.back());
      lc.strata_critical.push_back(std::move(sc));
    }
  }
  const std::vector<double>& critical = lc.critical;
  const std::vector<std::vector<double>>& strata_critical = lc.strata_critical;
  // 0 = no decision, 1 = PASS, 2 = FAIL (decide_gate: FAIL when z <= -c_k or a stratum is shown
  // worse; PASS when z >= c_k otherwise).
  auto decide = [&](int j, const std::vector<long>& failures,
                    const std::vector<std::array<long, 3>>& order) -> int {
    std::vector<Stratum> strata;
    for (std::size_t k = 0; k < order.size(); ++k) {
      const long n = order[k][0] * (j + 1);
      strata.push_back(Stratum{"stratum " + std::to_string(k + 1),
                               Counts{n - failures[2 * k], n}, Counts{n - failures[2 * k + 1], n}});
    }
    const ScoreTestResult score = stratified_score_test(strata, d.margin);
    const bool fail = score.z <= -critical[j];
    // The per-stratum check can only FAIL the gate when the most negative stratum z reaches
    // Holm's first boundary (alpha / m, the largest); the same test's strata give those z, so
    // strata_worse_sequential is called only then (rarely, with equal rates).
    bool worse = false;
    if (doors.size() >= 2) {
      double least = std::numeric_limits<double>::infinity();
      for (const auto& st : score.strata)
        if (st.role == StratumRole::contributes) least = std::min(least, st.z);
      if (least <= -strata_critical[j].back())
        worse = strata_worse_sequential(strata, d.margin, strata_critical[j]).any_worse;
    }
    if (fail || worse) return 2;
    return score.z >= critical[j] ? 1 : 0;
  };
  // The memo's key: each stratum's (sessions per look, candidate failures, baseline failures),
  // sorted. The gate's decision does not depend on the order of the strata (z sums over them,
  // the Holm check orders them by z), so strata with the same sessions that swap their counts
  // share one decision: up to m! fewer calls of the gate's functions.
  std::vector<std::map<std::vector<long>, int>> memo(static_cast<std::size_t>(looks));
  std::vector<std::array<long, 3>> triples(doors.size());
  std::vector<long> key(3 * doors.size());
  std::vector<long> pass(looks, 0), decided(looks, 0);
  std::mt19937_64 rng(seed);
  std::vector<long> failures(2 * doors.size());
  for (long r = 0; r < replicates; ++r) {
    std::fill(failures.begin(), failures.end(), 0L);
    for (int j = 0; j < looks; ++j) {
      for (std::size_t k = 0; k < doors.size(); ++k) {
        failures[2 * k] += doors[k].candidate(uniform01(rng));
        failures[2 * k + 1] += doors[k].baseline(uniform01(rng));
      }
      for (std::size_t k = 0; k < doors.size(); ++k)
        triples[k] = {doors[k].per_look, failures[2 * k], failures[2 * k + 1]};
      std::sort(triples.begin(), triples.end());
      for (std::size_t k = 0; k < doors.size(); ++k)
        for (std::size_t i = 0; i < 3; ++i) key[3 * k + i] = triples[k][i];
      auto [it, fresh] = memo[j].try_emplace(key, 0);
      if (fresh) {
        std::vector<long> sorted(2 * doors.size());
        for (std::size_t k = 0; k < doors.size(); ++k) {
          sorted[2 * k] = triples[k][1];
          sorted[2 * k + 1] = triples[k][2];
        }
        it->second = decide(j, sorted, triples);
      }
      if (it->second != 0) {
        ++decided[j];
        if (it->second == 1) ++pass[j];
        // Draw the remaining looks anyway, so that every campaign uses the same stretch of the
        // random stream whatever it decided (common random numbers across sample sizes).
        for (int rest = j + 1; rest < looks; ++rest)
          for (std::size_t k = 0; k < 2 * doors.size(); ++k) uniform01(rng);
        break;
      }
    }
  }
  long p = 0, dd = 0;
  for (int j = 0; j < looks; ++j) {
    p += pass[j];
    dd += decided[j];
    out.pass[j] = static_cast<double>(p) / static_cast<double>(replicates);
    out.decided[j] = static_cast<double>(dd) / static_cast<double>(replicates);
  }
  return out;
}

double min_expected_failures(double sessions, const GateDesign& d) {
  double least = std::numeric_limits<double>::infinity();
  for (const auto& s : d.strata) {
    const long m = std::lround(s.share * sessions / d.max_looks);
    if (m == 0) continue;
    least = std::min(least, static_cast<double>(m) *
                                (2.0 - s.candidate_rate - s.baseline_rate) / 2.0);
  }
  return least;
}

}  // namespace

std::optional<double> gate_power_exact(double sessions, const GateDesign& design) {
  if (!(sessions > 0.0) || !std::isfinite(sessions)) {
    throw std::invalid_argument("gate_power: sessions must be positive, got " +
                                detail::num(sessions));
  }
  per_session(design);  // validates
  if (design.max_looks != 1) return std::nullopt;
  return exact_one_look_power(sessions, design);
}

std::vector<double> gate_power_curve_normal(double sessions, const GateDesign& design) {
  if (!(sessions > 0.0) || !std::isfinite(sessions)) {
    throw std::invalid_argument("gate_power: sessions must be positive, got " +
                                detail::num(sessions));
  }
  const PerSession ps = per_session(design);
  return power_curve(sessions, design_boundaries(design), ps);
}

const char* to_string(PowerMethod m) {
  switch (m) {
    case PowerMethod::exact: return "exact-enumeration";
    case PowerMethod::simulated: return "simulated";
    case PowerMethod::normal: break;
  }
  return "normal-approximation";
}

namespace {
void check_sessions(double sessions) {
  if (!(sessions > 0.0) || !std::isfinite(sessions)) {
    throw std::invalid_argument("gate_power: sessions must be positive, got " +
                                detail::num(sessions));
  }
}
}  // namespace

double expected_failures_per_look(double sessions, const GateDesign& design) {
  check_sessions(sessions);
  per_session(design);  // validates
  return min_expected_failures(sessions, design);
}

namespace {

GatePower simulated_power(double sessions, const GateDesign& design, long replicates,
                          std::uint64_t seed, LookCriticals* cache) {
  const SimulatedCurve c = simulate_looks(sessions, design, replicates, seed, cache);
  GatePower out;
  out.method = PowerMethod::simulated;
  out.cumulative = c.pass;
  out.cumulative_decided = c.decided;
  const double p = c.pass.back();
  out.standard_error = std::sqrt(p * (1.0 - p) / static_cast<double>(replicates));
  out.replicates = replicates;
  return out;
}

GatePower power_detail(double sessions, const GateDesign& design, LookCriticals* cache) {
  check_sessions(sessions);
  const PerSession ps = per_session(design);
  if (design.max_looks == 1) {
    if (const auto exact = exact_one_look_power(sessions, design)) {
      GatePower out;
      out.method = PowerMethod::exact;
      out.cumulative = {*exact};
      return out;
    }
  } else if (min_expected_failures(sessions, design) < kSimulateBelowFailuresPerLook) {
    return simulated_power(sessions, design, kPlanReplicates, kPlanSeed, cache);
  }
  GatePower out;
  out.cumulative = power_curve(sessions, design_boundaries(design), ps);
  return out;
}

}  // namespace

GatePower gate_power_simulated(double sessions, const GateDesign& design, long replicates,
                               std::uint64_t seed) {
  check_sessions(sessions);
  per_session(design);  // validates
  if (replicates < 1) {
    throw std::invalid_argument("gate_power_simulated: replicates must be positive, got " +
                                std::to_string(replicates));
  }
  return simulated_power(sessions, design, replicates, seed, nullptr);
}

GatePower gate_power_detail(double sessions, const GateDesign& design) {
  return power_detail(sessions, design, nullptr);
}

std::vector<double> gate_power_curve(double sessions, const GateDesign& design) {
  return gate_power_detail(sessions, design).cumulative;
}

double gate_power(double sessions, const GateDesign& design) {
  return gate_power_curve(sessions, design).back();
}

GatePlan plan_gate(const GateDesign& design) {
  const PerSession ps = per_session(design);
  GatePlan out;
  out.effect = ps.effect;
  out.sd_null = ps.s0;
  out.sd_alt = ps.s1;
  const double root =
      detail::z_upper(design.alpha) * ps.s0 + detail::z_upper(1.0 - design.power) * ps.s1;
  out.fixed_sessions = root > 0.0 ? (root / ps.effect) * (root / ps.effect) : 0.0;
  const GroupSequentialBoundaries b = design_boundaries(design);
  // K looks, normal approximation: power grows with the sessions; bracket, then bisect on the
  // log scale.
  if (design.max_looks > 1 && out.fixed_sessions > 0.0) {
    double lo = out.fixed_sessions, hi = out.fixed_sessions * 1.05;
    while (power_curve(hi, b, ps).back() < design.power) {
      lo = hi;
      hi *= 1.5;
    }
    for (int i = 0; i < 60 && hi / lo > 1.0 + 1e-10; ++i) {
      const double mid = std::sqrt(lo * hi);
      (power_curve(mid, b, ps).back() < design.power ? lo : hi) = mid;
    }
    out.normal_sessions = hi;
  } else {
    out.normal_sessions = out.fixed_sessions;
  }
  // The fewest whole sessions per version whose power, computed as the gate decides (exact
  // enumeration for one look, the seeded simulation for K looks with few failures per look;
  // issue 11 item 8), reaches the target: bisection on whole sessions from the normal
  // answer. That power saw-tooths with n (discreteness, and for K looks the rounding of each
  // stratum's sessions per look), so a few sessions more can lose a little power; the answer is
  // where the bisection lands with power >= target. nullopt where the normal approximation is
  // the method at the normal answer (many failures per look, or too many outcomes to enumerate).
  LookCriticals criticals;  // the looks' boundaries, the same at every n (see LookCriticals)
  auto power_at = [&](double n) -> std::optional<GatePower> {
    GatePower g = power_detail(n, design, &criticals);
    if (g.method == PowerMethod::normal) return std::nullopt;
    return g;
  };
  std::optional<GatePower> found;
  if (out.normal_sessions > 0.0) {
    double hi = std::max(1.0, std::ceil(out.normal_sessions - 1e-9));
    std::optional<GatePower> at_hi = power_at(hi);
    double lo = 0.0;
    for (int i = 0; at_hi && at_hi->cumulative.back() < design.power && i < 40; ++i) {
      lo = hi;
      hi = std::ceil(hi * 1.25);
      at_hi = power_at(hi);
    }
    if (at_hi && at_hi->cumulative.back() >= design.power) {
      if (lo == 0.0) {
        // K looks: down in steps of 10% (the simulated answer has been within 10% of the
        // normal one), then halving, to save simulations; one look: halving, as before.
        const double step = design.max_looks > 1 ? 0.9 : 0.5;
        lo = std::floor(hi * step);
        for (int i = 0; lo >= 1.0 && i < 60; ++i) {
          const auto at_lo = power_at(lo);
          if (!at_lo || at_lo->cumulative.back() < design.power) break;
          hi = lo;
          at_hi = at_lo;
          lo = std::floor(lo * (i < 3 ? step : 0.5));
        }
        if (lo < 1.0) lo = 0.0;
      }
      bool ok = true;
      while (ok && hi - lo > 1.0) {
        const double mid = std::floor((lo + hi) / 2.0);
        const auto at_mid = power_at(mid);
        if (!at_mid) ok = false;
        else if (at_mid->cumulative.back() >= design.power) hi = mid, at_hi = at_mid;
        else lo = mid;
      }
      if (ok) found = at_hi;
      if (found) out.sessions = hi;
    }
  }
  if (!found) out.sessions = out.normal_sessions;
  out.inflation = design.max_looks > 1 && out.fixed_sessions > 0.0
                      ? out.normal_sessions / out.fixed_sessions
                      : 1.0;
  if (out.sessions > 0.0) {
    out.look_sessions = equal_looks(out.sessions, design.max_looks);
    out.critical = b.critical;
    out.power_method = found ? found->method : PowerMethod::normal;
    out.power_exact = out.power_method == PowerMethod::exact;
    out.cumulative_power = found ? found->cumulative : power_curve(out.sessions, b, ps);
    if (found && found->method == PowerMethod::simulated) {
      out.power_se = found->standard_error;
      out.replicates = found->replicates;
      // The gate stops at its first decision, PASS or FAIL.
      double previous = 0.0;
      for (std::size_t k = 0; k < out.look_sessions.size(); ++k) {
        out.expected_sessions += out.look_sessions[k] * (found->cumulative_decided[k] - previous);
        previous = found->cumulative_decided[k];
      }
      out.expected_sessions += out.look_sessions.back() * (1.0 - previous);
    } else {
      double previous = 0.0;
      for (std::size_t k = 0; k < out.look_sessions.size(); ++k) {
        out.expected_sessions += out.look_sessions[k] * (out.cumulative_power[k] - previous);
        previous = out.cumulative_power[k];
      }
      out.expected_sessions += out.look_sessions.back() * (1.0 - previous);
    }
  }
  return out;
}

}  // namespace lockrig::stats
