// Cost of P(candidate worse) (reports/stats/bayes.*, issues 11 item 7 and 18 item 3): time per
// call of today's quadrature against the Cook-recurrence implementation it replaced (the old
// code is kept below, verbatim from git, as the baseline), for small counts and for millions of
// sessions, Jeffreys prior. Prints one line per case: ns per call for each, the two answers.
// The accuracy of both is the business of tests/reports/bayes_mpmath_check.py, not of this.
//
// Usage: bayes_bench [--min-seconds S]   (each figure is the mean over repeated calls lasting at
// least S seconds, default 0.3)
#include <algorithm>
#include <boost/math/special_functions/gamma.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "reports/stats/bayes.hpp"

namespace st = lockrig::stats;

namespace recurrence_baseline {

// ---- from git (before this change): reports/stats/bayes.cpp, Jeffreys-type branch ----

double lbeta(double a, double b) {
  return boost::math::lgamma(a) + boost::math::lgamma(b) - boost::math::lgamma(a + b);
}

// Long sums walk their terms by exact ratios and re-anchor on the lgamma form every kResync
// steps, so rounding cannot drift.
constexpr long kResync = 512;

// log of g(a1, b1, a2, b2) = B(a1 + a2, b1 + b2) / (B(a1, b1) B(a2, b2)), the step size of Cook's
// recurrences for h = P(X1 > X2).
double log_g(double a1, double b1, double a2, double b2) {
  return lbeta(a1 + a2, b1 + b2) - lbeta(a1, b1) - lbeta(a2, b2);
}

// P(X1 < X2) by walking from (f, f, f, f), where X1 and X2 are identically distributed and the
// probability is exactly 1/2, one unit step of one parameter at a time:
//   a1 + 1: h += g/a1,  b1 + 1: h -= g/b1,  a2 + 1: h -= g/a2,  b2 + 1: h += g/b2  (h = 1 - P).
double less_by_recurrence(double f, long steps_a1, long steps_b1, long steps_a2, long steps_b2) {
  double v[4] = {f, f, f, f};  // a1, b1, a2, b2
  const long steps[4] = {steps_a1, steps_b1, steps_a2, steps_b2};
  const double sign[4] = {-1.0, 1.0, 1.0, -1.0};  // effect of each step on P(X1 < X2)
  double p = 0.5;
  long done = 0;
  // g itself, not its log: one multiplication per step instead of a log and an exp (a report on
  // millions of sessions takes millions of steps). Re-anchoring on the lgamma form every kResync
  // steps bounds the rounding as in log space; a g below the smallest double only drops terms
  // that could not change p.
  double g = 0.0;
  for (int which = 0; which < 4; ++which) {
    for (long i = 0; i < steps[which]; ++i, ++done) {
      if (done % kResync == 0 || i == 0) g = std::exp(log_g(v[0], v[1], v[2], v[3]));
      p += sign[which] * g / v[which];
      // g's ratio across this unit step: B(x + 1, y) / B(x, y) = x / (x + y).
      const double total = v[0] + v[1] + v[2] + v[3];
      const double joint = which % 2 == 0 ? v[0] + v[2] : v[1] + v[3];
      const double own = which < 2 ? v[0] + v[1] : v[2] + v[3];
      g *= (joint * own) / (total * v[which]);
      v[which] += 1.0;
    }
  }
  return std::clamp(p, 0.0, 1.0);
}

double probability(st::Counts c, st::Counts b) {  // Jeffreys prior, f = 0.5
  return less_by_recurrence(0.5, c.successes, c.failures(), b.successes, b.failures());
}

}  // namespace recurrence_baseline

namespace {

volatile double sink = 0.0;

template <typename F>
double ns_per_call(F f, double min_seconds) {
  using clock = std::chrono::steady_clock;
  long calls = 0;
  const auto start = clock::now();
  double elapsed = 0.0;
  do {
    sink = sink + f();
    ++calls;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (elapsed < min_seconds);
  return elapsed / static_cast<double>(calls) * 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  double min_seconds = 0.3;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--min-seconds") == 0 && i + 1 < argc) {
      min_seconds = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: bayes_bench [--min-seconds S]\n");
      return 2;
    }
  }
  struct Case {
    const char* label;
    st::Counts candidate, baseline;
  };
  const Case cases[] = {
      {"small: 7/10 vs 6/10", {7, 10}, {6, 10}},
      {"small: 992/1000 vs 996/1000", {992, 1000}, {996, 1000}},
      {"tiny p: 600/600 vs 576/600", {600, 600}, {576, 600}},
      {"50k: 49800/50000 vs 49850/50000", {49800, 50000}, {49850, 50000}},
      {"tiny p: 20000/20000 vs 19900/20000", {20000, 20000}, {19900, 20000}},
      {"1M: 995000/1e6 vs 995100/1e6", {995000, 1000000}, {995100, 1000000}},
      {"1M tiny p: 1e6/1e6 vs 999950/1e6", {1000000, 1000000}, {999950, 1000000}},
      {"5M: 4975000/5e6 vs 4975300/5e6", {4975000, 5000000}, {4975300, 5000000}},
      {"10M: 9950000/1e7 vs 9950100/1e7", {9950000, 10000000}, {9950100, 10000000}},
      // The SLI counts of `lockrig report` on /work/bench-data/j10m-40.db (10M attempts in 40
      // runs, firmware 2.4.1 vs 2.4.0), read from its JSON (comparison.overall.bayes).
      {"report j10m-40: 4848510/4849280 vs 4848710/4849280",
       {4848510, 4849280},
       {4848710, 4849280}},
  };
  std::printf("%-58s %14s %14s %9s  %-22s %-22s\n", "case (Jeffreys prior)", "recurrence ns",
              "quadrature ns", "speed-up", "recurrence p", "quadrature p");
  for (const auto& c : cases) {
    const double old_p = recurrence_baseline::probability(c.candidate, c.baseline);
    const double new_p =
        st::probability_candidate_worse(c.candidate, c.baseline).probability_candidate_worse;
    const double old_ns = ns_per_call(
        [&] { return recurrence_baseline::probability(c.candidate, c.baseline); }, min_seconds);
    const double new_ns = ns_per_call(
        [&] {
          return st::probability_candidate_worse(c.candidate, c.baseline)
              .probability_candidate_worse;
        },
        min_seconds);
    std::printf("%-58s %14.0f %14.0f %8.1fx  %-22.17g %-22.17g\n", c.label, old_ns, new_ns,
                old_ns / new_ns, old_p, new_p);
  }
  return 0;
}
