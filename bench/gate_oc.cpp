// Operating characteristics of the release gate's decision rule (issue 11).
//
// 1. One stratum, by exact enumeration of both binomials (no simulation error): for baseline
//    rates 99.0, 99.5, 99.9, 99.95% and n = 100 ... 6,400 SLI sessions per version,
//      size        P(PASS | candidate truly `margin` worse)   -- must stay <= alpha (+ 0.5 pt)
//      power       P(PASS | no difference)
//      false fail  P(FAIL | no difference)
//    for (a) the old rule: Mantel-Haenszel risk difference with Sato's variance, Wald-type
//    one-sided test, Farrington-Manning fallback when the variance is 0 (reports/stats
//    stratified_non_inferiority_test + non_inferiority_test, as the gate used them); (b) the
//    Miettinen-Nurminen score test alone; (c) the new gate rule (decide_non_inferiority: Chan's
//    exact unconditional test where n1 n0 <= kExactMaxTables, the score test otherwise).
// 2. Four strata (door materials, equal sessions), one look, by simulation: the same three
//    figures for (a) and (b).
// 3. Repeated looks by simulation: nightly looks at the accumulated sessions (four strata,
//    --per-night sessions per version per stratum), candidate truly `margin` worse: P(ever PASS)
//    after 1..10 looks for the old rule and the score test re-run at alpha every night, and for
//    the group-sequential gate (O'Brien-Fleming-type spending over 10 declared looks, PASS when
//    z_k >= c_k, FAIL when z_k <= -c_k); with no difference, the group-sequential gate's power
//    and false-fail rate after 10 looks.
//
// Usage: gate_oc [--margin 0.005] [--alpha 0.05] [--reps 20000] [--per-night 200] [--seed 1]
//                [--quick]   (--quick: n <= 1600 and 2,000 replicates, for a smoke run)
#include <algorithm>
#include <array>
#include <boost/math/distributions/normal.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "reports/stats/gate_plan.hpp"
#include "reports/stats/group_sequential.hpp"
#include "reports/stats/noninferiority.hpp"
#include "reports/stats/stratified.hpp"
#include "reports/stats/two_sample.hpp"

namespace st = lockrig::stats;

namespace {

enum class Decision { pass, fail, inconclusive };

double z_quantile(double p) {
  return boost::math::quantile(boost::math::normal(), p);
}

// The gate's rule before issue 11 (reports/comparison.cpp decide_gate), on strata.
Decision old_rule(const std::vector<st::Stratum>& strata, double margin, double alpha) {
  const auto ni = st::stratified_non_inferiority_test(strata, margin);
  const auto& rd = ni.risk_difference;
  if (rd.se > 0.0) {
    if (ni.p_value < alpha) return Decision::pass;
    if (rd.difference + z_quantile(1 - alpha) * rd.se < -margin) return Decision::fail;
    return Decision::inconclusive;
  }
  st::Counts c, b;
  for (const auto& s : strata) {
    c.successes += s.candidate.successes;
    c.trials += s.candidate.trials;
    b.successes += s.baseline.successes;
    b.trials += s.baseline.trials;
  }
  return st::non_inferiority_test(c, b, margin).p_value < alpha ? Decision::pass
                                                                : Decision::inconclusive;
}

Decision score_rule(const std::vector<st::Stratum>& strata, double margin, double alpha) {
  const auto r = st::stratified_score_test(strata, margin);
  return r.p_pass < alpha   ? Decision::pass
         : r.p_fail < alpha ? Decision::fail
                            : Decision::inconclusive;
}

// Binomial failure counts: pmf of 0..max with the upper tail beyond max below 1e-15.
std::vector<double> failure_pmf(long n, double fail_rate) {
  std::vector<double> out;
  double cum = 0.0;
  const double lf = std::log(fail_rate), ls = std::log1p(-fail_rate);
  for (long f = 0; f <= n; ++f) {
    const double v = std::exp(std::lgamma(n + 1.0) - std::lgamma(f + 1.0) -
                              std::lgamma(double(n - f) + 1.0) + f * lf + double(n - f) * ls);
    out.push_back(v);
    cum += v;
    if (f > n * fail_rate && 1.0 - cum < 1e-15 && v < 1e-17) break;
  }
  return out;
}

struct Oc {
  double size = 0, power = 0, false_fail = 0;
};

std::string pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%6.2f", 100 * v);
  return buf;
}

struct Args {
  double margin = 0.005, alpha = 0.05;
  int reps = 20000, per_night = 200;
  unsigned seed = 1;
  bool quick = false;
};

void exact_one_stratum(const Args& a) {
  const double rates[] = {0.990, 0.995, 0.999, 0.9995};
  std::vector<long> ns = {100, 200, 400, 800, 1600, 3200, 6400};
  if (a.quick) ns = {100, 200, 400, 800, 1600};
  std::printf(
      "\n1. One stratum, exact enumeration; margin %.2f pts, alpha %.3g (one-sided). Size target "
      "<= %.2f%%.\n   old = MH/Sato Wald rule (today); score = Miettinen-Nurminen score test; "
      "gate = new rule (exact test where n1*n0 <= %ld, score otherwise)\n",
      100 * a.margin, a.alpha, 100 * (a.alpha + 0.005), st::kExactMaxTables);
  std::printf("%8s %6s | %21s | %21s | %21s\n", "baseline", "n", "size: P(PASS | -margin)",
              "power: P(PASS | equal)", "false fail: P(FAIL|eq)");
  std::printf("%8s %6s | %6s %6s %6s  | %6s %6s %6s  | %6s %6s %6s\n", "", "", "old", "score",
              "gate", "old", "score", "gate", "old", "score", "gate");
  double worst_old = 0, worst_score = 0, worst_gate = 0;
  for (double pb : rates) {
    for (long n : ns) {
      const auto t0 = std::chrono::steady_clock::now();
      const bool exact = double(n) * double(n) <= double(st::kExactMaxTables);
      std::optional<st::ExactCritical> crit;
      if (exact) crit = st::exact_critical_values(n, n, a.margin, a.alpha);
      std::map<std::pair<long, long>, std::array<Decision, 3>> cache;
      auto decide = [&](long f1, long f0) {
        const auto key = std::make_pair(f1, f0);
        auto it = cache.find(key);
        if (it != cache.end()) return it->second;
        const std::vector<st::Stratum> s = {{"", {n - f1, n}, {n - f0, n}}};
        std::array<Decision, 3> d;
        d[0] = old_rule(s, a.margin, a.alpha);
        d[1] = score_rule(s, a.margin, a.alpha);
        if (crit) {
          const double z = st::stratified_score_test(s, a.margin).z;
          d[2] = crit->pass && z >= *crit->pass - 1e-9   ? Decision::pass
                 : crit->fail && z <= *crit->fail + 1e-9 ? Decision::fail
                                                         : Decision::inconclusive;
        } else {
          d[2] = d[1];
        }
        cache.emplace(key, d);
        return d;
      };
      // P(decision) for candidate failure rate fc and baseline failure rate fb.
      auto prob = [&](double fc, double fb, Decision which, int rule) {
        const auto pc = failure_pmf(n, fc), pbm = failure_pmf(n, fb);
        double s = 0.0;
        for (std::size_t f1 = 0; f1 < pc.size(); ++f1)
          for (std::size_t f0 = 0; f0 < pbm.size(); ++f0) {
            const double w = pc[f1] * pbm[f0];
            if (w < 1e-18) continue;
            if (decide(long(f1), long(f0))[rule] == which) s += w;
          }
        return s;
      };
      const double fb = 1 - pb;
      Oc oc[3];
      for (int rule = 0; rule < 3; ++rule) {
        oc[rule].size = prob(fb + a.margin, fb, Decision::pass, rule);
        oc[rule].power = prob(fb, fb, Decision::pass, rule);
        oc[rule].false_fail = prob(fb, fb, Decision::fail, rule);
      }
      worst_old = std::max(worst_old, oc[0].size);
      worst_score = std::max(worst_score, oc[1].size);
      worst_gate = std::max(worst_gate, oc[2].size);
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      auto mark = [&](double v) { return v > a.alpha + 0.005 ? "*" : " "; };
      std::printf("%7.2f%% %6ld | %s%s%s%s%s%s | %s %s %s  | %s %s %s  %s(%.1fs)\n", 100 * pb, n,
                  pct(oc[0].size).c_str(), mark(oc[0].size), pct(oc[1].size).c_str(),
                  mark(oc[1].size), pct(oc[2].size).c_str(), mark(oc[2].size),
                  pct(oc[0].power).c_str(), pct(oc[1].power).c_str(), pct(oc[2].power).c_str(),
                  pct(oc[0].false_fail).c_str(), pct(oc[1].false_fail).c_str(),
                  pct(oc[2].false_fail).c_str(), exact ? "exact " : "", secs);
      std::fflush(stdout);
    }
  }
  std::printf(
      "   largest size: old %.2f%%, score %.2f%%, gate %.2f%%  (* = above alpha + 0.5 pt)\n",
      100 * worst_old, 100 * worst_score, 100 * worst_gate);
}

const char* kMaterials[] = {"wood", "glass", "aluminium", "steel"};

std::vector<st::Stratum> draw(std::mt19937_64& rng, long per_stratum, double pc, double pb) {
  std::vector<st::Stratum> s;
  for (const char* m : kMaterials) {
    const long c = std::binomial_distribution<long>(per_stratum, pc)(rng);
    const long b = std::binomial_distribution<long>(per_stratum, pb)(rng);
    s.push_back({m, {c, per_stratum}, {b, per_stratum}});
  }
  return s;
}

// Wilson half-width for a simulated rate, for the printed uncertainty.
double half_width(double p, int n) {
  const double z = 1.959963984540054;
  const double den = 1 + z * z / n;
  return z * std::sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / den;
}

void four_strata_one_look(const Args& a, std::mt19937_64& rng) {
  const int reps = a.quick ? std::min(a.reps, 2000) : a.reps;
  std::printf(
      "\n2. Four strata (%s, %s, %s, %s), equal sessions, one look; %d simulated nights per "
      "cell (+- = 95%% Wilson half-width, up to)\n",
      kMaterials[0], kMaterials[1], kMaterials[2], kMaterials[3], reps);
  std::printf("%8s %6s | %15s | %22s | %15s\n", "baseline", "n/ver", "size old score",
              "power old score (plan)", "f.fail old score");
  for (double pb : {0.995, 0.999}) {
    for (long n : {400L, 800L, 1600L, 3200L}) {
      int counts[2][3] = {};  // rule x (size pass, power pass, false fail)
      for (int r = 0; r < reps; ++r) {
        const auto worse = draw(rng, n / 4, pb - a.margin, pb);
        const auto equal = draw(rng, n / 4, pb, pb);
        counts[0][0] += old_rule(worse, a.margin, a.alpha) == Decision::pass;
        counts[1][0] += score_rule(worse, a.margin, a.alpha) == Decision::pass;
        const auto o = old_rule(equal, a.margin, a.alpha);
        const auto sc = score_rule(equal, a.margin, a.alpha);
        counts[0][1] += o == Decision::pass;
        counts[1][1] += sc == Decision::pass;
        counts[0][2] += o == Decision::fail;
        counts[1][2] += sc == Decision::fail;
      }
      auto f = [&](int rule, int what) { return double(counts[rule][what]) / reps; };
      st::GateDesign design;
      for (const char* m : kMaterials) design.strata.push_back({m, 0.25, pb, pb});
      design.margin = a.margin;
      design.alpha = a.alpha;
      const double planned = st::gate_power(double(n), design);
      std::printf("%7.2f%% %6ld | %s %s | %s %s (%s) | %s %s   (+- %.2f)\n", 100 * pb, n,
                  pct(f(0, 0)).c_str(), pct(f(1, 0)).c_str(), pct(f(0, 1)).c_str(),
                  pct(f(1, 1)).c_str(), pct(planned).c_str(), pct(f(0, 2)).c_str(),
                  pct(f(1, 2)).c_str(), 100 * half_width(0.5, reps));
      std::fflush(stdout);
    }
  }
}

void repeated_looks(const Args& a, std::mt19937_64& rng) {
  const int looks = 10;
  const long per_night = a.per_night;
  const double pb = 0.995;
  const int reps = a.quick ? std::min(a.reps, 2000) : a.reps;
  std::vector<double> info;
  for (int k = 1; k <= looks; ++k) {
    const double n = double(per_night) * k;
    info.push_back(4 * n * n / (2 * n));  // sum of MH weights over the four strata
  }
  const auto b = st::look_boundaries(info, looks, a.alpha);
  std::printf(
      "\n3. Repeated looks: %d nightly looks, %ld SLI sessions per version per material per night "
      "(four materials), baseline %.2f%%; %d simulated campaigns.\n   Group-sequential gate: "
      "O'Brien-Fleming-type alpha spending over %d declared looks; boundaries c_k:",
      looks, per_night, 100 * pb, reps, looks);
  for (double c : b.critical) std::printf(" %.3f", c);
  std::printf("\n");
  // P(ever PASS) by look at a drop of exactly the margin, for the three rules; then the GSD's
  // power and false fail at no difference.
  std::vector<int> ever_old(looks), ever_naive(looks), ever_gsd(looks), gsd_pass_eq(looks),
      gsd_fail_eq(looks);
  for (int r = 0; r < reps; ++r) {
    for (int scenario = 0; scenario < 2; ++scenario) {
      const double pc = scenario == 0 ? pb - a.margin : pb;
      std::vector<st::Stratum> acc;
      for (const char* m : kMaterials) acc.push_back({m, {0, 0}, {0, 0}});
      bool old_hit = false, naive_hit = false, gsd_done = false;
      for (int k = 0; k < looks; ++k) {
        const auto night = draw(rng, per_night, pc, pb);
        for (std::size_t i = 0; i < acc.size(); ++i) {
          acc[i].candidate.successes += night[i].candidate.successes;
          acc[i].candidate.trials += night[i].candidate.trials;
          acc[i].baseline.successes += night[i].baseline.successes;
          acc[i].baseline.trials += night[i].baseline.trials;
        }
        const auto score = st::stratified_score_test(acc, a.margin);
        if (scenario == 0) {
          old_hit = old_hit || old_rule(acc, a.margin, a.alpha) == Decision::pass;
          naive_hit = naive_hit || score.p_pass < a.alpha;
          ever_old[k] += old_hit;
          ever_naive[k] += naive_hit;
        }
        if (!gsd_done) {
          if (score.z >= b.critical[k]) {
            gsd_done = true;
            for (int j = k; j < looks; ++j) (scenario == 0 ? ever_gsd : gsd_pass_eq)[j]++;
          } else if (score.z <= -b.critical[k]) {
            gsd_done = true;
            if (scenario == 1)
              for (int j = k; j < looks; ++j) gsd_fail_eq[j]++;
          }
        }
      }
    }
  }
  // The planner's prediction of the GSD's P(PASS by look k) at no difference.
  st::GateDesign design;
  for (const char* m : kMaterials) design.strata.push_back({m, 0.25, pb, pb});
  design.margin = a.margin;
  design.alpha = a.alpha;
  design.max_looks = looks;
  const auto planned = st::gate_power_curve(4.0 * double(per_night) * looks, design);
  std::printf("%5s | %28s | %30s\n", "looks", "P(ever PASS | drop = margin)",
              "GSD at no difference");
  std::printf("%5s | %8s %8s %8s   | %9s %9s %9s\n", "", "old", "score", "GSD", "P(PASS)", "(plan)",
              "P(FAIL)");
  for (int k = 0; k < looks; ++k) {
    std::printf("%5d | %s   %s   %s     | %s    %s    %s\n", k + 1,
                pct(ever_old[k] / double(reps)).c_str(), pct(ever_naive[k] / double(reps)).c_str(),
                pct(ever_gsd[k] / double(reps)).c_str(), pct(gsd_pass_eq[k] / double(reps)).c_str(),
                pct(planned[k]).c_str(), pct(gsd_fail_eq[k] / double(reps)).c_str());
  }
  std::printf("   (+- up to %.2f pts, 95%% Wilson; target for the GSD column: <= alpha + 1 pt)\n",
              100 * half_width(0.5, reps));
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "gate_oc: %s needs a value\n", k.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--margin")
      a.margin = std::atof(next());
    else if (k == "--alpha")
      a.alpha = std::atof(next());
    else if (k == "--reps")
      a.reps = std::atoi(next());
    else if (k == "--per-night")
      a.per_night = std::atoi(next());
    else if (k == "--seed")
      a.seed = unsigned(std::atoi(next()));
    else if (k == "--quick")
      a.quick = true;
    else {
      std::fprintf(stderr,
                   "usage: gate_oc [--margin M] [--alpha A] [--reps N] [--per-night N] [--seed S] "
                   "[--quick]\n");
      return 2;
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::printf("gate_oc: operating characteristics of the release gate (issue 11)\n");
  exact_one_stratum(a);
  std::mt19937_64 rng(a.seed);
  four_strata_one_look(a, rng);
  repeated_looks(a, rng);
  std::printf("\ngate_oc: %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return 0;
}
