// Binomial dose-response regression of success on attenuation, the level where success falls to a
// target, and the two-version range comparison (see range.hpp).
#include "reports/stats/range.hpp"

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/tools/roots.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "reports/stats/detail.hpp"

namespace lockrig::stats {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Fitted rates are kept this far from 0 and 1, as R's binomial()$linkinv does for both links.
constexpr double kEps = std::numeric_limits<double>::epsilon();

double clamp_mu(double mu) { return std::clamp(mu, kEps, 1.0 - kEps); }

// d mu / d eta at eta, kept away from 0 like R's mu.eta (pmax(., .Machine$double.eps)).
double dmu_deta(DoseLink link, double eta) {
  switch (link) {
    case DoseLink::logit: {
      const double e = std::exp(-std::abs(eta));
      return std::max(e / ((1.0 + e) * (1.0 + e)), kEps);
    }
    case DoseLink::cloglog: {
      const double eta_c = std::min(eta, 700.0);
      return std::max(std::exp(eta_c) * std::exp(-std::exp(eta_c)), kEps);
    }
  }
  return kEps;
}

double xlogy(double x, double y) { return x == 0.0 ? 0.0 : x * std::log(y); }

// Binomial deviance contribution of y successes in n at fitted rate mu.
double unit_deviance(double y, double n, double mu) {
  const double f = n - y;
  return 2.0 * (xlogy(y, y / (n * mu)) + xlogy(f, f / (n * (1.0 - mu))));
}

double chi2_sf(double x, long df) {
  if (df <= 0) return kNaN;
  return boost::math::cdf(boost::math::complement(boost::math::chi_squared(static_cast<double>(df)), x));
}

std::string level_text(double v) { return detail::num(v); }

void check_points(std::span<const DosePoint> points) {
  if (points.empty()) throw std::invalid_argument("range fit: no levels");
  long successes = 0;
  long failures = 0;
  for (const auto& p : points) {
    if (!std::isfinite(p.level)) {
      throw std::invalid_argument("range fit: level " + level_text(p.level) + " is not finite");
    }
    detail::check_counts(p.counts, "range fit: level " + level_text(p.level));
    successes += p.counts.successes;
    failures += p.counts.failures();
  }
  const auto [lo, hi] = std::minmax_element(points.begin(), points.end(),
                                            [](const auto& a, const auto& b) { return a.level < b.level; });
  if (lo->level == hi->level) {
    throw std::invalid_argument("range fit: needs at least two distinct levels, got only " +
                                level_text(lo->level));
  }
  if (successes == 0 || failures == 0) {
    throw std::invalid_argument(std::string("range fit: no finite fit: every session ") +
                                (successes == 0 ? "failed" : "succeeded") +
                                " between " + level_text(lo->level) + " and " +
                                level_text(hi->level));
  }
  // With one covariate the maximum-likelihood estimate exists unless successes and failures are
  // (quasi-)completely separated by a level (Albert and Anderson 1984): then the slope runs off
  // to infinity.
  double min_s = kInf, max_s = -kInf, min_f = kInf, max_f = -kInf;
  for (const auto& p : points) {
    if (p.counts.successes > 0) {
      min_s = std::min(min_s, p.level);
      max_s = std::max(max_s, p.level);
    }
    if (p.counts.failures() > 0) {
      min_f = std::min(min_f, p.level);
      max_f = std::max(max_f, p.level);
    }
  }
  if (max_s <= min_f || max_f <= min_s) {
    const double at = max_s <= min_f ? max_s : max_f;
    throw std::invalid_argument(
        "range fit: no finite fit: successes and failures are separated at level " +
        level_text(at) + " (every level on one side all succeeded, on the other all failed); "
        "run more sessions at levels around the transition");
  }
}

struct Eval {
  double deviance = 0.0;
  double pearson = 0.0;
};

Eval evaluate(std::span<const DosePoint> points, DoseLink link, double b0, double b1) {
  Eval e;
  for (const auto& p : points) {
    const double n = static_cast<double>(p.counts.trials);
    const double y = static_cast<double>(p.counts.successes);
    const double mu = clamp_mu(dose_inverse_link(link, b0 + b1 * p.level));
    e.deviance += unit_deviance(y, n, mu);
    e.pearson += (y - n * mu) * (y - n * mu) / (n * mu * (1.0 - mu));
  }
  return e;
}

}  // namespace

double dose_link(DoseLink link, double p) {
  switch (link) {
    case DoseLink::logit:
      return std::log(p / (1.0 - p));
    case DoseLink::cloglog:
      return std::log(-std::log1p(-p));
  }
  return kNaN;
}

double dose_inverse_link(DoseLink link, double eta) {
  switch (link) {
    case DoseLink::logit:
      return eta >= 0 ? 1.0 / (1.0 + std::exp(-eta)) : std::exp(eta) / (1.0 + std::exp(eta));
    case DoseLink::cloglog:
      return -std::expm1(-std::exp(std::min(eta, 700.0)));
  }
  return kNaN;
}

const char* to_string(DoseLink link) {
  switch (link) {
    case DoseLink::logit:
      return "logit";
    case DoseLink::cloglog:
      return "cloglog";
  }
  return "?";
}

double BinomialFit::probability(double level) const {
  return dose_inverse_link(link, intercept + slope * level);
}

BinomialFit fit_binomial_dose(std::span<const DosePoint> points, DoseLink link) {
  check_points(points);
  BinomialFit fit;
  fit.link = link;
  fit.points.assign(points.begin(), points.end());

  // Start as R's binomial()$initialize: mu = (n y + 1/2) / (n + 1).
  std::vector<double> eta(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    const double n = static_cast<double>(points[i].counts.trials);
    eta[i] = dose_link(link, (static_cast<double>(points[i].counts.successes) + 0.5) / (n + 1.0));
  }
  double b0 = 0.0, b1 = 0.0;
  double dev_old = kInf;
  bool converged = false;
  int calm = 0;
  int r_converged_at = 0;  // the iteration R's own test was first met (0: not yet)
  for (int iter = 1; iter <= 200; ++iter) {
    // Weighted least squares of the working response on (1, level).
    double sw = 0, swx = 0, swxx = 0, swz = 0, swxz = 0;
    for (std::size_t i = 0; i < points.size(); ++i) {
      const double n = static_cast<double>(points[i].counts.trials);
      const double x = points[i].level;
      const double mu = clamp_mu(dose_inverse_link(link, eta[i]));
      const double d = dmu_deta(link, eta[i]);
      const double w = n * d * d / (mu * (1.0 - mu));
      const double z = eta[i] + (static_cast<double>(points[i].counts.successes) / n - mu) / d;
      sw += w;
      swx += w * x;
      swxx += w * x * x;
      swz += w * z;
      swxz += w * x * z;
    }
    const double det = sw * swxx - swx * swx;
    if (!(det > 0) || !std::isfinite(det)) {
      throw std::invalid_argument("range fit: the weighted design is singular (levels too few or "
                                  "fitted rates at 0 or 1)");
    }
    const double nb1 = (sw * swxz - swx * swz) / det;
    const double nb0 = (swz - nb1 * swx) / sw;
    const double step = std::abs(nb0 - b0) + std::abs(nb1 - b1);
    b0 = nb0;
    b1 = nb1;
    for (std::size_t i = 0; i < points.size(); ++i) eta[i] = b0 + b1 * points[i].level;
    const double dev = evaluate(points, link, b0, b1).deviance;
    fit.iterations = iter;
    // Stop a few iterations after the deviance settles (R stops at a relative change of 1e-8;
    // going on to rounding level makes the coefficients exact to double precision).
    if (std::abs(dev - dev_old) <= 1e-15 * (std::abs(dev) + 0.1) ||
        step <= 1e-14 * (std::abs(b0) + std::abs(b1))) {
      if (++calm >= 2) {
        converged = true;
        break;
      }
    } else {
      calm = 0;
    }
    // R's glm.fit stops at |dev - devold| / (|dev| + 0.1) < epsilon, glm.control's 1e-8. With
    // hundreds of sessions per level the deviance's rounding noise can stay above the strict
    // test above for good (it then "did not converge" on perfectly ordinary sweeps), so once R's
    // test has held for 25 iterations the fit is taken as converged.
    if (std::abs(dev - dev_old) < 1e-8 * (std::abs(dev) + 0.1)) {
      if (r_converged_at == 0) r_converged_at = iter;
      if (iter - r_converged_at >= 25) {
        converged = true;
        break;
      }
    } else {
      r_converged_at = 0;
    }
    dev_old = dev;
  }
  if (!converged) {
    throw std::invalid_argument("range fit: iteratively reweighted least squares did not converge "
                                "in 200 iterations");
  }
  fit.intercept = b0;
  fit.slope = b1;

  // Covariance: inverse of the Fisher information X' W X at the estimate.
  double sw = 0, swx = 0, swxx = 0;
  for (const auto& p : points) {
    const double n = static_cast<double>(p.counts.trials);
    const double e = b0 + b1 * p.level;
    const double mu = clamp_mu(dose_inverse_link(link, e));
    const double d = dmu_deta(link, e);
    const double w = n * d * d / (mu * (1.0 - mu));
    sw += w;
    swx += w * p.level;
    swxx += w * p.level * p.level;
  }
  const double det = sw * swxx - swx * swx;
  fit.var_intercept = swxx / det;
  fit.cov_intercept_slope = -swx / det;
  fit.var_slope = sw / det;

  const Eval e = evaluate(points, link, b0, b1);
  fit.deviance = e.deviance;
  fit.pearson_chi2 = e.pearson;
  long distinct_rows = static_cast<long>(points.size());
  fit.df_residual = distinct_rows - 2;
  fit.deviance_p = chi2_sf(fit.deviance, fit.df_residual);
  fit.pearson_p = chi2_sf(fit.pearson_chi2, fit.df_residual);

  double ys = 0, ns = 0;
  for (const auto& p : points) {
    ys += static_cast<double>(p.counts.successes);
    ns += static_cast<double>(p.counts.trials);
  }
  const double pooled = ys / ns;
  for (const auto& p : points) {
    fit.null_deviance += unit_deviance(static_cast<double>(p.counts.successes),
                                       static_cast<double>(p.counts.trials), pooled);
  }
  return fit;
}

double profile_deviance(const BinomialFit& fit, double target, double theta) {
  const double g = dose_link(fit.link, target);
  // One-parameter Fisher scoring for the slope with the offset g, with step halving so the
  // deviance never rises; the log-likelihood is concave in the slope for both links.
  auto deviance_at = [&](double beta) {
    double dev = 0;
    for (const auto& p : fit.points) {
      const double mu = clamp_mu(dose_inverse_link(fit.link, g + beta * (p.level - theta)));
      dev += unit_deviance(static_cast<double>(p.counts.successes),
                           static_cast<double>(p.counts.trials), mu);
    }
    return dev;
  };
  // Start from the fitted slope or, far from the data, from the slope that puts the pooled rate
  // at the mean level (the fitted slope then drives every rate to 0 or 1, where the information
  // vanishes), whichever fits better.
  double beta = fit.slope;
  double dev = deviance_at(beta);
  {
    double ys = 0, ns = 0, xs = 0;
    for (const auto& p : fit.points) {
      ys += static_cast<double>(p.counts.successes);
      ns += static_cast<double>(p.counts.trials);
      xs += p.level * static_cast<double>(p.counts.trials);
    }
    const double mean_level = xs / ns;
    if (mean_level != theta) {
      const double alt = (dose_link(fit.link, ys / ns) - g) / (mean_level - theta);
      const double alt_dev = deviance_at(alt);
      if (alt_dev < dev) {
        beta = alt;
        dev = alt_dev;
      }
    }
  }
  for (int iter = 0; iter < 500; ++iter) {
    double score = 0, info = 0;
    for (const auto& p : fit.points) {
      const double n = static_cast<double>(p.counts.trials);
      const double u = p.level - theta;
      const double e = g + beta * u;
      const double mu = clamp_mu(dose_inverse_link(fit.link, e));
      const double d = dmu_deta(fit.link, e);
      score += (static_cast<double>(p.counts.successes) - n * mu) * d / (mu * (1.0 - mu)) * u;
      info += n * d * d / (mu * (1.0 - mu)) * u * u;
    }
    if (!(info > 0)) break;
    double step = score / info;
    double next = beta + step;
    double next_dev = deviance_at(next);
    int halvings = 0;
    while (next_dev > dev && halvings < 60) {
      step /= 2;
      next = beta + step;
      next_dev = deviance_at(next);
      ++halvings;
    }
    if (next_dev > dev) break;
    const bool settled = std::abs(next - beta) <= 1e-15 * std::max(1.0, std::abs(beta));
    beta = next;
    dev = next_dev;
    if (settled) break;
  }
  return dev;
}

DoseEstimate dose_at(const BinomialFit& fit, double target, double confidence) {
  detail::check_open_unit(target, "range target");
  detail::check_open_unit(confidence, "confidence level");
  DoseEstimate est;
  est.target = target;
  est.confidence = confidence;
  const double g = dose_link(fit.link, target);
  const double b0 = fit.intercept, b1 = fit.slope;
  const double v00 = fit.var_intercept, v01 = fit.cov_intercept_slope, v11 = fit.var_slope;
  const double theta = (g - b0) / b1;
  est.level = theta;
  // Delta method: d theta / d b0 = -1 / b1, d theta / d b1 = -theta / b1.
  est.se = std::sqrt(v00 + 2 * theta * v01 + theta * theta * v11) / std::abs(b1);
  const double z = detail::z_upper((1.0 - confidence) / 2.0);
  est.wald = {theta - z * est.se, theta + z * est.se};

  // Fieller (1954): the thetas where (b0 + b1 theta - g)^2 <= z^2 Var(b0 + b1 theta).
  {
    const double z2 = z * z;
    const double a = b1 * b1 - z2 * v11;
    const double b = 2 * (b1 * (b0 - g) - z2 * v01);
    const double c = (b0 - g) * (b0 - g) - z2 * v00;
    const double disc = b * b - 4 * a * c;
    if (a > 0 && disc >= 0) {
      const double r = std::sqrt(disc);
      // Numerically stable roots of a theta^2 + b theta + c.
      const double q = -0.5 * (b + std::copysign(r, b));
      double r1 = q / a, r2 = c / q;
      if (r1 > r2) std::swap(r1, r2);
      est.fieller = {{r1, r2}, true};
    } else {
      est.fieller = {{-kInf, kInf}, false};
    }
  }

  // Profile likelihood: where the profile deviance rises chi2_1(confidence) above the minimum.
  {
    const double crit = boost::math::quantile(boost::math::chi_squared(1.0), confidence);
    const double dmin = fit.deviance;
    auto excess = [&](double t) { return profile_deviance(fit, target, t) - dmin - crit; };
    double lo_level = kInf, hi_level = -kInf;
    for (const auto& p : fit.points) {
      lo_level = std::min(lo_level, p.level);
      hi_level = std::max(hi_level, p.level);
    }
    const double reach = 1000.0 * (hi_level - lo_level + std::abs(theta) + est.se);
    auto search = [&](double direction) -> double {
      double inside = theta;
      double step = std::max(est.se, 1e-6 * (hi_level - lo_level));
      while (std::abs(inside - theta) < reach) {
        const double probe = inside + direction * step;
        if (excess(probe) > 0) {
          boost::math::tools::eps_tolerance<double> tol(50);
          std::uintmax_t max_iter = 200;
          const auto [a, b] = boost::math::tools::toms748_solve(
              excess, std::min(inside, probe), std::max(inside, probe),
              direction > 0 ? excess(inside) : excess(probe),
              direction > 0 ? excess(probe) : excess(inside), tol, max_iter);
          return (a + b) / 2;
        }
        inside = probe;
        step *= 2;
      }
      return direction * kInf;
    };
    const double lo = search(-1.0), hi = search(+1.0);
    est.profile = {{lo, hi}, std::isfinite(lo) && std::isfinite(hi)};
  }
  return est;
}

RangeComparison compare_range(std::span<const RangeStratumInput> strata, DoseLink link,
                              double target, double confidence) {
  detail::check_open_unit(target, "range target");
  detail::check_open_unit(confidence, "confidence level");
  if (strata.empty()) throw std::invalid_argument("range comparison: no strata");
  RangeComparison out;
  out.target = target;
  out.confidence = confidence;
  out.link = link;
  const double z = detail::z_upper((1.0 - confidence) / 2.0);
  double sw = 0, swd = 0;
  for (const auto& s : strata) {
    RangeStratumResult r;
    r.label = s.label;
    auto fit_one = [&](const std::vector<DosePoint>& pts, const char* who) {
      try {
        return fit_binomial_dose(pts, link);
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument("range comparison, " + s.label + ", " + who + ": " + e.what());
      }
    };
    r.candidate = fit_one(s.candidate, "candidate");
    r.baseline = fit_one(s.baseline, "baseline");
    r.candidate_margin = dose_at(r.candidate, target, confidence);
    r.baseline_margin = dose_at(r.baseline, target, confidence);
    r.difference = r.candidate_margin.level - r.baseline_margin.level;
    r.se = std::hypot(r.candidate_margin.se, r.baseline_margin.se);
    r.interval = {r.difference - z * r.se, r.difference + z * r.se};
    const double w = 1.0 / (r.se * r.se);
    sw += w;
    swd += w * r.difference;
    out.strata.push_back(std::move(r));
  }
  out.difference = swd / sw;
  out.se = std::sqrt(1.0 / sw);
  out.interval = {out.difference - z * out.se, out.difference + z * out.se};
  for (const auto& r : out.strata) {
    out.heterogeneity_q += (r.difference - out.difference) * (r.difference - out.difference) /
                           (r.se * r.se);
  }
  out.heterogeneity_p = chi2_sf(out.heterogeneity_q, static_cast<long>(out.strata.size()) - 1);
  return out;
}

}  // namespace lockrig::stats
