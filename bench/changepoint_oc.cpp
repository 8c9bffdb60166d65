// Operating characteristics of the change point of `lockrig report --history` (issue 16 item 2,
// reports/stats/changepoint.hpp): simulated histories of --builds builds of --sessions SLI
// sessions each, over four door materials of equal shares, every build at --rate except, with
// --drop, the builds from --at on (or only build --at with --once). Prints how often a build is
// named at all, and which: the planted one, one before it (a false alarm), one after it (late).
// Statistics only, no journal. Figures in docs/reports.md ("History").
//
// Usage: changepoint_oc [--histories 20000] [--builds 6] [--sessions 800] [--rate 0.995]
//                       [--drop 0.005] [--at 4] [--once] [--alpha 0.05] [--seed 1]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/reports/history_changepoint_sim.hpp"

int main(int argc, char** argv) {
  lockrig::changepoint_sim::Design d;
  long histories = 20000;
  unsigned long long seed = 1;
  double drop = 0.0;
  int at = 4;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    auto need = [&] {
      if (!v) {
        std::fprintf(stderr, "%s wants a value\n", a.c_str());
        std::exit(2);
      }
      ++i;
      return v;
    };
    if (a == "--histories") histories = std::atol(need());
    else if (a == "--builds") d.builds = std::atoi(need());
    else if (a == "--sessions") d.sessions_per_build = std::atol(need());
    else if (a == "--rate") d.rate = std::atof(need());
    else if (a == "--drop") drop = std::atof(need());
    else if (a == "--at") at = std::atoi(need());
    else if (a == "--once") d.drop_persists = false;
    else if (a == "--alpha") d.alpha = std::atof(need());
    else if (a == "--seed") seed = std::strtoull(need(), nullptr, 10);
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (drop > 0.0) {
    d.drop = drop;
    d.drop_build = at;
  }
  const auto t = lockrig::changepoint_sim::simulate(d, histories, seed);
  const auto line = [&](const char* what, long n) {
    const double p = t.share(n);
    std::printf("  %-28s %6ld / %ld = %.4f  (+- %.4f, 95%%)\n", what, n, t.histories, p,
                1.96 * std::sqrt(p * (1 - p) / static_cast<double>(t.histories)));
  };
  std::printf("%d builds x %ld sessions (4 materials), rate %.4f, alpha %.3f, ", d.builds,
              d.sessions_per_build, d.rate, d.alpha);
  if (d.drop_build)
    std::printf("drop %.4f at build %d%s\n", d.drop, d.drop_build,
                d.drop_persists ? " (and after)" : " (only)");
  else
    std::printf("A/A (no drop)\n");
  line("a build named", t.named_any);
  if (d.drop_build) {
    line("the planted build named", t.named_drop);
    line("an earlier build named", t.named_before);
    line("a later build named first", t.named_after);
  }
  return 0;
}
