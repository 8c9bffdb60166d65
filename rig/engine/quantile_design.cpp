// The logit-MLE sequential design (Wu 1985); the rule is described in quantile_design.hpp.
#include "rig/engine/quantile_design.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace lockrig {

int QuantileDesign::startup_down(double target) {
  // The smallest k with target^k <= 0.5: Levitt's k-down/1-up converges on P^k = 0.5.
  const double k = std::ceil(std::log(0.5) / std::log(target) - 1e-9);
  return static_cast<int>(std::max(1.0, k));
}

QuantileDesign::QuantileDesign(Rule rule)
    : rule_(std::move(rule)), down_(startup_down(rule_.target)), level_(rule_.start_db) {
  if (rule_.ladder.size() < 2 || !(rule_.target > 0 && rule_.target < 1))
    throw std::invalid_argument("a quantile design needs two levels and a target in (0, 1)");
  const double spacing = rule_.ladder[1] - rule_.ladder[0];
  step_rungs_ = rule_.step_db > 0 ? static_cast<int>(std::lround(rule_.step_db / spacing)) : 1;
  if (!(rule_.anchor > 0 && rule_.anchor < 1)) rule_.anchor = anchor_for(rule_.target);
  level_ = nearest_rung(rule_.start_db);
}

double QuantileDesign::nearest_rung(double db) const {
  const auto& l = rule_.ladder;
  if (!(db > l.front())) return l.front();  // NaN too
  if (db >= l.back()) return l.back();
  const auto hi = std::lower_bound(l.begin(), l.end(), db);
  const auto lo = hi - 1;
  return (db - *lo <= *hi - db) ? *lo : *hi;  // a tie goes to the easier (lower) level
}

double QuantileDesign::rung_offset(double from, int rungs) const {
  const auto& l = rule_.ladder;
  const auto at = std::lower_bound(l.begin(), l.end(), from - 1e-9) - l.begin();
  const long i = std::clamp<long>(at + rungs, 0, static_cast<long>(l.size()) - 1);
  return l[static_cast<std::size_t>(i)];
}

void QuantileDesign::record(bool success) {
  ++sessions_;
  failures_ += success ? 0 : 1;
  auto& c = counts_[level_];
  c.trials++;
  c.successes += success ? 1 : 0;

  // The fit of every session so far, when it exists with success falling with attenuation.
  estimate_.reset();
  if (counts_.size() >= 2) {
    std::vector<stats::DosePoint> pts;
    pts.reserve(counts_.size());
    for (const auto& [l, n] : counts_) pts.push_back({l, n});
    try {
      const auto fit = stats::fit_binomial_dose(pts, stats::DoseLink::logit);
      if (fit.slope < 0) {
        estimate_ = (stats::dose_link(stats::DoseLink::logit, rule_.target) - fit.intercept) /
                    fit.slope;
        anchor_estimate_ =
            (stats::dose_link(stats::DoseLink::logit, rule_.anchor) - fit.intercept) / fit.slope;
        if (rule_.width_db > 0 && failures_ >= rule_.min_failures) {
          const auto d = stats::dose_at(fit, rule_.target, rule_.confidence);
          width_reached_ = d.profile.bounded &&
                           (d.profile.interval.upper - d.profile.interval.lower) / 2 <=
                               rule_.width_db;
        }
      }
    } catch (const std::invalid_argument&) {
      // No finite fit yet (no failure, or successes and failures separated): start-up.
    }
  }
  if (estimate_) {
    // Wu (1985): the next session at the current estimate of the target level.
    run_ = 0;
    ++following_;
    const bool anchor = rule_.anchor_every > 0 && following_ % rule_.anchor_every == 0;
    level_ = nearest_rung(anchor ? anchor_estimate_ : *estimate_);
    return;
  }
  // Start-up: k successes in a row one step harder, a failure one step easier.
  if (success) {
    if (++run_ >= down_) {
      run_ = 0;
      level_ = rung_offset(level_, step_rungs_);
    }
  } else {
    run_ = 0;
    level_ = rung_offset(level_, -step_rungs_);
  }
}

}  // namespace lockrig
