// range_sweep_bench (issue 14): how many unlock sessions a range sweep needs before the 99% range
// margin is known to +-2 dB (95% profile-likelihood interval no wider than 4 dB, logit fit of
// reports/stats/range.*, not before 20 failures), with the adaptive staircase
// (rig/engine/staircase.hpp, Levitt 1971), the quantile design (rig/engine/quantile_design.hpp,
// Wu 1985), a fixed grid and a grid cut to the tail, median over many simulated sweeps run side by
// side. Prints per design the median sessions, the median |estimate - truth| and how often the
// interval at the stop holds the true margin, and the ratios.
//
// The simulated lock is the sim driver's link budget (drivers/sim/sim_lock.cpp sense(): RSSI =
// tx - path - material - attenuation + N(0, sigma); found when RSSI >= sensitivity; link-failure
// odds 0.5 exp(-margin / fade), spent on the connect (x 0.5) and on the command (x 1, plus the
// firmware's drop rate)), one attempt per session, with sim-lab's wood door and 2.4.0 defaults.
// Both designs use the shipped scenarios/range-sweep.yaml settings: grid 0..48 dB step 4 dB (one
// session per level per pass, in passes); staircase 3-down/1-up on 0..48 dB step 2 dB from 8 dB
// in 4 dB steps (its reversal stop switched off: it runs until the margin is known).
//
//   range_sweep_bench [--sweeps 200] [--seed 1] [--check-every 5] [--max 20000] [--down 3]
//                     [--min-failures 20] [--start 0] [--step 2] [--anchor P] [--anchor-every 3]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "reports/stats/range.hpp"
#include "rig/engine/quantile_design.hpp"
#include "rig/engine/staircase.hpp"

using namespace lockrig;

namespace {

struct Link {
  double mean_rssi = -40 - 20 - 3;  // tx_dbm - path_loss_db - wood's material loss
  double sigma = 3, sensitivity = -92, fade = 5, drop_rate = 0.002;

  bool session(double attenuation, std::mt19937_64& rng) const {
    std::normal_distribution<double> n(0, 1);
    std::uniform_real_distribution<double> u(0, 1);
    const double margin = mean_rssi - attenuation + sigma * n(rng) - sensitivity;
    if (margin < 0) return false;  // not found
    const double lf = std::min(1.0, 0.5 * std::exp(-margin / fade));
    if (u(rng) < 0.5 * lf) return false;                  // connect fails
    return !(u(rng) < drop_rate + 0.7 * lf + 0.3 * lf);   // dropped or disconnected
  }

  // P(success) at `attenuation`, by numerical integration over the RSSI noise: the true margin.
  double probability(double a) const {
    double p = 0;
    const int n = 4000;
    for (int i = 0; i < n; ++i) {
      const double z = -8 + 16.0 * (i + 0.5) / n;
      const double margin = mean_rssi - a + sigma * z - sensitivity;
      if (margin < 0) continue;
      const double lf = std::min(1.0, 0.5 * std::exp(-margin / fade));
      const double ok = (1 - 0.5 * lf) * (1 - std::min(1.0, drop_rate + lf));
      p += ok * std::exp(-z * z / 2) / std::sqrt(2 * M_PI) * (16.0 / n);
    }
    return p;
  }
};

// Whether the 99% margin is known to +-2 dB from these counts; fills `level` when it is.
// --min-failures: no stop before this many failed sessions, for every design; the default is the
// quantile design's own (QuantileDesign::Rule::min_failures), which the sweep step applies.
long min_failures = QuantileDesign::Rule{}.min_failures;

bool known(const std::map<double, stats::Counts>& counts, double* level, double* lower,
           double* upper) {
  std::vector<stats::DosePoint> pts;
  long failures = 0;
  for (const auto& [l, c] : counts) {
    pts.push_back({l, c});
    failures += c.trials - c.successes;
  }
  if (failures < min_failures) return false;
  if (pts.size() < 2) return false;
  try {
    const auto fit = stats::fit_binomial_dose(pts, stats::DoseLink::logit);
    const auto d = stats::dose_at(fit, 0.99);
    if (!d.profile.bounded) return false;
    const double half = (d.profile.interval.upper - d.profile.interval.lower) / 2;
    if (!(half <= 2.0)) return false;
    *level = d.level;
    *lower = d.profile.interval.lower;
    *upper = d.profile.interval.upper;
    return true;
  } catch (const std::exception&) {
    return false;  // no finite fit yet (separated data): keep sweeping
  }
}

struct Outcome {
  long sessions;
  double margin;    // NaN when capped
  bool covered;     // the interval at the stop holds the true margin
};

template <typename NextLevel, typename Record>
Outcome sweep(const Link& link, std::mt19937_64& rng, int check_every, long max, double truth,
              NextLevel next, Record record) {
  std::map<double, stats::Counts> counts;
  for (long n = 1; n <= max; ++n) {
    const double level = next(n - 1);
    const bool ok = link.session(level, rng);
    record(ok);
    auto& c = counts[level];
    c.trials++;
    c.successes += ok;
    double margin = 0, lower = 0, upper = 0;
    if (n % check_every == 0 && known(counts, &margin, &lower, &upper))
      return {n, margin, lower <= truth && truth <= upper};
  }
  return {max, NAN, false};
}

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

struct Row {
  std::string name;
  std::vector<double> n = {}, err = {};
  long capped = 0, covered = 0;
  void add(const Outcome& o, double truth) {
    n.push_back(o.sessions);
    if (std::isnan(o.margin)) {
      ++capped;
      return;
    }
    err.push_back(std::abs(o.margin - truth));
    covered += o.covered;
  }
};

}  // namespace

int main(int argc, char** argv) {
  int sweeps = 200, check_every = 5, down = 3;
  long max = 20000;
  std::uint64_t seed = 1;
  double start = 0, step = 2, anchor = 0;
  int anchor_every = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--sweeps")) sweeps = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--check-every")) check_every = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--max")) max = std::atol(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--down")) down = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--start")) start = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--step")) step = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--min-failures")) min_failures = std::atol(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--anchor")) anchor = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--anchor-every")) anchor_every = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  const Link link;
  // The true 99% margin of the simulated lock (bisection on the integrated success rate).
  double lo = 0, hi = 60;
  for (int i = 0; i < 60; ++i) ((link.probability((lo + hi) / 2) > 0.99) ? lo : hi) = (lo + hi) / 2;
  const double truth = (lo + hi) / 2;

  Row grid{"grid 0..48 dB step 4 dB"}, stair{"staircase " + std::to_string(down) + "-down/1-up"},
      quant{"quantile (Wu 1985) 0..48 dB step 2 dB"}, tail{"grid 0..16 dB step 4 dB (tail only)"};
  const std::vector<double> ladder = [] {
    std::vector<double> l;
    for (int i = 0; i <= 24; ++i) l.push_back(2.0 * i);
    return l;
  }();
  for (int s = 0; s < sweeps; ++s) {
    std::mt19937_64 rng_g(seed * 1000003 + 3 * s), rng_s(seed * 1000003 + 3 * s + 1),
        rng_q(seed * 1000003 + 3 * s + 2), rng_t(seed * 1000003 + 3 * s + 3 + 7 * sweeps);
    // Grid: 0, 4, ..., 48 dB, one session at each per pass.
    grid.add(sweep(link, rng_g, check_every, max, truth, [](long k) { return 4.0 * (k % 13); },
                   [](bool) {}),
             truth);
    // The same grid cut to the levels where the logit holds (chosen knowing the answer).
    tail.add(sweep(link, rng_t, check_every, max, truth, [](long k) { return 4.0 * (k % 5); },
                   [](bool) {}),
             truth);
    Staircase st({8, 4, 0, 48, down, 1 << 30, max});
    stair.add(sweep(link, rng_s, check_every, max, truth, [&](long) { return st.level(); },
                    [&](bool ok) { st.record(ok); }),
              truth);
    QuantileDesign q({ladder, 0.99, start, step, max, 0, 0.95, QuantileDesign::Rule{}.min_failures,
                      anchor, anchor_every});
    quant.add(sweep(link, rng_q, check_every, max, truth, [&](long) { return q.level(); },
                    [&](bool ok) { q.record(ok); }),
              truth);
  }
  std::printf("range_sweep_bench: %d sweeps per design, seed %llu, margin checked every %d "
              "sessions, cap %ld\n", sweeps, static_cast<unsigned long long>(seed), check_every,
              max);
  std::printf("true 99%% margin of the simulated wood lock: %.2f dB\n", truth);
  std::printf("%-40s %10s %8s %12s %10s\n", "design", "sessions", "capped", "|error| dB",
              "coverage");
  for (const Row* r : {&grid, &stair, &quant, &tail}) {
    const long stopped = static_cast<long>(r->err.size());
    std::printf("%-40s %10.0f %8ld %12.2f %9.1f%%\n", r->name.c_str(), median(r->n), r->capped,
                median(r->err), stopped ? 100.0 * r->covered / stopped : NAN);
  }
  std::printf("ratio grid / staircase: %.2f, grid / quantile: %.2f, tail grid / quantile: %.2f\n",
              median(grid.n) / median(stair.n), median(grid.n) / median(quant.n),
              median(tail.n) / median(quant.n));
  return 0;
}
