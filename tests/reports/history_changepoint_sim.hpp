// Simulated build histories for the change-point procedure (reports/stats/changepoint.hpp): the
// unit test's calibration checks and bench/changepoint_oc.cpp share it, so the figures in
// docs/reports.md ("History") come from the same code the test runs.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "reports/stats/changepoint.hpp"

namespace lockrig::changepoint_sim {

struct Design {
  int builds = 6;
  int strata = 4;              // door materials, equal shares
  long sessions_per_build = 800;
  double rate = 0.995;         // every build's true session SLI ...
  int drop_build = 0;          // ... except from this build on (1-based; 0 = none: A/A)
  double drop = 0.0;           // by this much (a difference of rates)
  bool drop_persists = true;   // false: only drop_build is worse, later builds recover
  double alpha = 0.05;
};

struct Tally {
  long histories = 0;
  long named_any = 0;      // some build named
  long named_drop = 0;     // the planted build named (first)
  long named_before = 0;   // a build before the planted one named
  long named_after = 0;    // a later build named first
  double share(long n) const { return histories ? static_cast<double>(n) / histories : 0.0; }
};

inline std::vector<stats::BuildCounts> draw(const Design& d, std::mt19937_64& rng) {
  std::vector<stats::BuildCounts> out;
  const long per = d.sessions_per_build / d.strata;
  for (int b = 1; b <= d.builds; ++b) {
    const bool dropped =
        d.drop_build > 0 && (d.drop_persists ? b >= d.drop_build : b == d.drop_build);
    const double p = dropped ? d.rate - d.drop : d.rate;
    stats::BuildCounts bc;
    bc.name = "b" + std::to_string(b);
    for (int s = 0; s < d.strata; ++s) {
      std::binomial_distribution<long> bin(per, p);
      bc.strata.push_back({"m" + std::to_string(s), {bin(rng), per}});
    }
    out.push_back(std::move(bc));
  }
  return out;
}

inline Tally simulate(const Design& d, long histories, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Tally t;
  for (long h = 0; h < histories; ++h) {
    const auto r = stats::find_change_point(draw(d, rng), d.alpha);
    ++t.histories;
    if (!r.first) continue;
    ++t.named_any;
    const int named = static_cast<int>(*r.first) + 1;  // 1-based
    if (d.drop_build == 0) continue;
    if (named == d.drop_build)
      ++t.named_drop;
    else if (named < d.drop_build)
      ++t.named_before;
    else
      ++t.named_after;
  }
  return t;
}

}  // namespace lockrig::changepoint_sim
