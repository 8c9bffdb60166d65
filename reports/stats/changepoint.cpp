// Change point over a sequence of builds: build k against the pooled builds before it, one-sided
// stratified CMH, Holm over the K - 1 comparisons (see changepoint.hpp for the method and sources).
#include "reports/stats/changepoint.hpp"

#include <cmath>
#include <map>
#include <stdexcept>

#include "reports/stats/detail.hpp"
#include "reports/stats/multiplicity.hpp"

namespace lockrig::stats {

double cmh_p_less(const CmhResult& cmh) {
  if (!cmh.informative) return 1.0;
  // R mantelhaen.test, 2 x 2 x K, alternative "less": pnorm(sign(DELTA) * sqrt(STATISTIC)).
  // cmh.z carries the sign of DELTA (uncorrected), cmh.statistic the corrected chi-squared.
  const double sign = cmh.z > 0.0 ? 1.0 : (cmh.z < 0.0 ? -1.0 : 0.0);
  return detail::normal_cdf(sign * std::sqrt(cmh.statistic));
}

ChangePointResult find_change_point(const std::vector<BuildCounts>& builds, double alpha) {
  detail::check_open_unit(alpha, "find_change_point: alpha");
  for (const auto& b : builds)
    for (const auto& s : b.strata)
      detail::check_counts(s.counts, "find_change_point: " + b.name + " " + s.label, 0);

  ChangePointResult out;
  out.alpha = alpha;
  if (builds.size() < 2) {
    out.notes.push_back("fewer than two builds: nothing to compare");
    return out;
  }
  // Stratum labels in order of first appearance, so every table lists them alike.
  std::vector<std::string> labels;
  std::map<std::string, std::size_t> index;
  for (const auto& b : builds)
    for (const auto& s : b.strata)
      if (index.emplace(s.label, labels.size()).second) labels.push_back(s.label);

  std::vector<Counts> before(labels.size());  // pooled builds 0..k-1
  auto add = [&](std::vector<Counts>& acc, const BuildCounts& b) {
    for (const auto& s : b.strata) {
      Counts& c = acc[index.at(s.label)];
      c.successes += s.counts.successes;
      c.trials += s.counts.trials;
    }
  };
  add(before, builds[0]);
  std::vector<double> ps;
  for (std::size_t k = 1; k < builds.size(); ++k) {
    std::vector<Counts> mine(labels.size());
    add(mine, builds[k]);
    ChangePointStep step;
    step.build = k;
    step.name = builds[k].name;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (mine[i].trials == 0 && before[i].trials == 0) continue;
      step.table.push_back({labels[i], mine[i], before[i]});
      if (mine[i].trials > 0 && before[i].trials > 0) {
        step.candidate.successes += mine[i].successes;
        step.candidate.trials += mine[i].trials;
        step.predecessors.successes += before[i].successes;
        step.predecessors.trials += before[i].trials;
      }
    }
    step.cmh = cochran_mantel_haenszel(step.table, true);
    step.risk_difference = mantel_haenszel_risk_difference(step.table, 0.95);
    step.p = cmh_p_less(step.cmh);
    ps.push_back(step.p);
    out.steps.push_back(std::move(step));
    add(before, builds[k]);
  }
  const std::vector<double> holm = holm_adjust(ps);
  for (std::size_t i = 0; i < out.steps.size(); ++i) {
    out.steps[i].p_holm = holm[i];
    out.steps[i].significant = holm[i] < alpha;
    if (out.steps[i].significant && !out.first) out.first = out.steps[i].build;
  }
  return out;
}

}  // namespace lockrig::stats
