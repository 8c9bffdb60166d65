// The per-stratum FAIL check under `gate --looks` (issue 11, remaining item 3): its false-FAIL rate
// over nightly looks, simulated with the statistics library (the same functions decide_gate
// calls). A campaign accumulates `--per` SLI sessions per version per material per night over
// four materials, looks every night, and stops at its first PASS or FAIL. A FAIL is false when the
// candidate is truly at most the margin worse in every material.
//
//   fixed  the check as before: each stratum's score test, Holm-adjusted, at alpha on every look
//   spent  strata_worse_sequential: Holm with each look's group-sequential boundary at alpha / m
//
// Scenarios: versions equal (A/A); the candidate exactly the margin worse in one material (steel)
// and equal elsewhere; exactly the margin worse in every material (each stratum's null on its
// boundary, the least favourable case). The overall FAIL boundary (z <= -c_k) is counted apart.
//
// Usage: gate_strata_looks [--campaigns 4000] [--per 200] [--looks 10] [--rate 0.995]
//                          [--margin 0.005] [--alpha 0.05] [--seed 1]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "reports/stats/proportion.hpp"
#include "reports/stats/group_sequential.hpp"
#include "reports/stats/noninferiority.hpp"

namespace st = lockrig::stats;

namespace {

const char* kMaterials[] = {"aluminium", "glass", "steel", "wood"};


std::string rate(long k, long n) {
  const lockrig::stats::Interval w = lockrig::stats::wilson_interval({k, n});
  char buf[64];
  std::snprintf(buf, sizeof buf, "%5.2f%% [%5.2f, %5.2f]", 100.0 * k / n, 100 * w.lower, 100 * w.upper);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  long campaigns = 4000, per = 200;
  int looks = 10;
  double pb = 0.995, margin = 0.005, alpha = 0.05;
  unsigned long long seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--campaigns") campaigns = std::stol(v);
    else if (k == "--per") per = std::stol(v);
    else if (k == "--looks") looks = std::stoi(v);
    else if (k == "--rate") pb = std::stod(v);
    else if (k == "--margin") margin = std::stod(v);
    else if (k == "--alpha") alpha = std::stod(v);
    else if (k == "--seed") seed = std::stoull(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  const int m = 4;
  // Equal sessions every night: the information (sum of the MH weights) of look k is known in
  // advance, so the boundaries are computed once: overall at alpha, per stratum at alpha / 1..m.
  std::vector<double> info;
  for (int k = 1; k <= looks; ++k) info.push_back(m * (per * k) / 2.0);
  const auto overall = st::look_boundaries(info, looks, alpha);
  std::vector<std::vector<double>> crit(looks, std::vector<double>(m));  // [look][level]
  for (int lvl = 0; lvl < m; ++lvl) {
    const auto b = st::look_boundaries(info, looks, alpha / (lvl + 1));
    for (int k = 0; k < looks; ++k) crit[k][lvl] = b.critical[k];
  }
  std::mt19937_64 rng(seed);
  std::printf("Per-stratum FAIL check under gate --looks %d: 4 materials x %ld SLI sessions per "
              "version per night, baseline %.2f%%, margin %.2f pts, alpha %.3g, %ld campaigns "
              "per scenario (stop at the first PASS or FAIL), seed %llu\n",
              looks, per, 100 * pb, 100 * margin, alpha, campaigns, seed);
  std::printf("%-34s | %-26s | %-26s | %-26s\n", "scenario (candidate truly ...)",
              "P(ever FAIL) fixed", "P(ever FAIL) spent", "of which overall boundary");
  struct Scenario {
    const char* name;
    double drop[4];
  };
  const Scenario scenarios[] = {
      {"equal (A/A)", {0, 0, 0, 0}},
      {"margin worse on steel only", {0, 0, margin, 0}},
      {"margin worse on every material", {margin, margin, margin, margin}},
  };
  for (const auto& sc : scenarios) {
    long fail_fixed = 0, fail_spent = 0, fail_overall = 0;
    for (long c = 0; c < campaigns; ++c) {
      std::vector<st::Stratum> acc;
      for (const char* mat : kMaterials) acc.push_back({mat, {0, 0}, {0, 0}});
      bool done_fixed = false, done_spent = false;
      for (int k = 0; k < looks && !(done_fixed && done_spent); ++k) {
        for (int s = 0; s < m; ++s) {
          std::binomial_distribution<long> cand(per, pb - sc.drop[s]), base(per, pb);
          acc[s].candidate.successes += cand(rng);
          acc[s].candidate.trials += per;
          acc[s].baseline.successes += base(rng);
          acc[s].baseline.trials += per;
        }
        const auto score = st::stratified_score_test(acc, margin);
        const bool pass = score.z >= overall.critical[k];
        const bool fail = score.z <= -overall.critical[k];
        if (!done_fixed) {
          const bool strata = st::strata_worse_than_margin(acc, margin, alpha).any_worse;
          if (fail || strata) ++fail_fixed;
          done_fixed = pass || fail || strata;
        }
        if (!done_spent) {
          const bool strata = st::strata_worse_sequential(acc, margin, crit[k]).any_worse;
          if (fail || strata) ++fail_spent;
          if (fail) ++fail_overall;
          done_spent = pass || fail || strata;
        }
      }
    }
    std::printf("%-34s | %s | %s | %s\n", sc.name, rate(fail_fixed, campaigns).c_str(),
                rate(fail_spent, campaigns).c_str(), rate(fail_overall, campaigns).c_str());
  }
  std::printf("(95%% Wilson intervals; %.0f s)\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return 0;
}
