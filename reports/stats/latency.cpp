// Latency statistics: order-statistic percentile intervals from Boost's binomial distribution,
// share under a threshold, and the Mann-Whitney U test (exact or normal, as R's wilcox.test).
#include "reports/stats/latency.hpp"

#include <algorithm>
#include <boost/math/distributions/binomial.hpp>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "reports/stats/detail.hpp"

namespace lockrig::stats {

namespace {

void check_sample(const std::vector<double>& v, const char* what) {
  if (v.empty()) throw std::invalid_argument(std::string(what) + ": sample is empty");
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (std::isnan(v[i])) {
      throw std::invalid_argument(std::string(what) + ": value #" + std::to_string(i + 1) +
                                  " is NaN");
    }
  }
}

}  // namespace

namespace {

// The percentile and its order-statistic interval from the n sorted values, `at(k)` being the
// k-th smallest (0-based): shared by the plain and the weighted sample.
template <class At>
PercentileEstimate percentile_sorted(std::size_t n, const At& at, double quantile,
                                     double confidence) {
  PercentileEstimate out;
  out.n = n;
  out.quantile = quantile;
  out.confidence = confidence;

  // R's type 7: linear interpolation between the order statistics around 1 + (n-1)q.
  const double index = static_cast<double>(n - 1) * quantile;
  const auto lo = static_cast<std::size_t>(std::floor(index));
  const auto hi = static_cast<std::size_t>(std::ceil(index));
  const double h = index - static_cast<double>(lo);
  const double v_lo = at(lo), v_hi = at(hi);
  out.estimate = v_lo;
  if (h > 0.0 && v_hi != v_lo) out.estimate = (1.0 - h) * v_lo + h * v_hi;

  // The number B of observations below the true quantile is Binomial(n, q); x_(l) lies above it
  // when B < l and x_(u) below it when B >= u.
  const boost::math::binomial_distribution<> b(static_cast<double>(n), quantile);
  const double tail = (1.0 - confidence) / 2.0;
  auto cdf = [&](std::size_t k) { return boost::math::cdf(b, static_cast<double>(k)); };
  auto sf = [&](std::size_t k) {
    return boost::math::cdf(boost::math::complement(b, static_cast<double>(k)));
  };
  double used_tails = 0.0;
  if (cdf(0) <= tail) {
    std::size_t good = 0, bad = n;  // largest k in [0, n-1] with cdf(k) <= tail
    while (bad - good > 1) {
      const std::size_t mid = good + (bad - good) / 2;
      (cdf(mid) <= tail ? good : bad) = mid;
    }
    out.lower_rank = good + 1;
    out.lower = at(good);
    used_tails += cdf(good);
  } else {
    out.notes.push_back("too few samples for a lower bound at this confidence");
  }
  if (sf(n - 1) <= tail) {
    std::size_t bad = 0, good = n - 1;  // smallest k in [0, n-1] with sf(k) <= tail
    if (sf(0) <= tail) {
      good = 0;
    } else {
      while (good - bad > 1) {
        const std::size_t mid = bad + (good - bad) / 2;
        (sf(mid) <= tail ? good : bad) = mid;
      }
    }
    out.upper_rank = good + 1;
    out.upper = at(good);
    used_tails += sf(good);
  } else {
    out.notes.push_back("too few samples for an upper bound at this confidence");
  }
  out.coverage = 1.0 - used_tails;
  return out;
}

void check_weighted(const WeightedSample& v, const char* what) {
  std::size_t n = 0;
  const WeightedValue* last = nullptr;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i].count == 0) continue;
    if (std::isnan(v[i].value))
      throw std::invalid_argument(std::string(what) + ": value #" + std::to_string(i + 1) +
                                  " is NaN");
    if (last && !(last->value < v[i].value))
      throw std::invalid_argument(std::string(what) + ": value #" + std::to_string(i + 1) +
                                  " is not above the one before (values must ascend)");
    last = &v[i];
    n += v[i].count;
  }
  if (n == 0) throw std::invalid_argument(std::string(what) + ": sample is empty");
}

}  // namespace

PercentileEstimate percentile(std::vector<double> values, double quantile, double confidence) {
  check_sample(values, "percentile");
  detail::check_probability(quantile, "percentile: quantile");
  detail::check_open_unit(confidence, "percentile: confidence");
  std::sort(values.begin(), values.end());
  return percentile_sorted(
      values.size(), [&](std::size_t k) { return values[k]; }, quantile, confidence);
}

std::size_t sample_size(const WeightedSample& sample) {
  std::size_t n = 0;
  for (const auto& v : sample) n += v.count;
  return n;
}

std::vector<double> expand(const WeightedSample& sample) {
  std::vector<double> out;
  out.reserve(sample_size(sample));
  for (const auto& v : sample) out.insert(out.end(), v.count, v.value);
  return out;
}

PercentileEstimate percentile_weighted(const WeightedSample& sample, double quantile,
                                       double confidence) {
  check_weighted(sample, "percentile");
  detail::check_probability(quantile, "percentile: quantile");
  detail::check_open_unit(confidence, "percentile: confidence");
  // ends[i]: how many values lie in entries 0..i, so the k-th smallest is in the first entry
  // whose end exceeds k.
  std::vector<std::size_t> ends;
  std::vector<double> values;
  std::size_t n = 0;
  for (const auto& v : sample) {
    if (v.count == 0) continue;
    n += v.count;
    ends.push_back(n);
    values.push_back(v.value);
  }
  auto at = [&](std::size_t k) {
    return values[static_cast<std::size_t>(std::upper_bound(ends.begin(), ends.end(), k) -
                                           ends.begin())];
  };
  return percentile_sorted(n, at, quantile, confidence);
}

ProportionEstimate share_within_weighted(const WeightedSample& sample, double threshold,
                                         double confidence) {
  check_weighted(sample, "share_within");
  if (std::isnan(threshold)) throw std::invalid_argument("share_within: threshold is NaN");
  std::size_t within = 0;
  for (const auto& v : sample)
    if (v.value <= threshold) within += v.count;
  return estimate_proportion(
      Counts{static_cast<long>(within), static_cast<long>(sample_size(sample))},
      ProportionMethod::wilson, confidence);
}

ProportionEstimate share_within(const std::vector<double>& values, double threshold,
                                double confidence) {
  check_sample(values, "share_within");
  if (std::isnan(threshold)) throw std::invalid_argument("share_within: threshold is NaN");
  const auto within =
      std::count_if(values.begin(), values.end(), [&](double v) { return v <= threshold; });
  return estimate_proportion(Counts{static_cast<long>(within), static_cast<long>(values.size())},
                             ProportionMethod::wilson, confidence);
}

namespace {

// Number of arrangements of m x's and n y's for each value of U (x-beats-y pairs), by the
// recurrence over the largest observation: c(k; i, j) = c(k - j; i - 1, j) + c(k; i, j - 1).
std::vector<double> mann_whitney_counts(std::size_t m, std::size_t n) {
  const std::size_t top = m * n;
  // row[i] holds c(.; i, j) for the current j.
  std::vector<std::vector<double>> row(m + 1, std::vector<double>(top + 1, 0.0));
  for (auto& r : row) r[0] = 1.0;  // j = 0: only U = 0
  for (std::size_t j = 1; j <= n; ++j) {
    for (std::size_t i = 1; i <= m; ++i) {
      // row[i] currently holds j - 1, row[i - 1] already holds j.
      for (std::size_t k = top + 1; k-- > j;) row[i][k] += row[i - 1][k - j];
    }
  }
  return row[m];
}

}  // namespace

namespace {

// The normal approximation with tie correction (sum of t^3 - t over tie groups), as R: fills
// z and p_value of `out`, whose n_x, n_y, u and alternative are set.
void normal_approximation(MannWhitneyResult& out, std::size_t total, double tie_term,
                          bool continuity_correction) {
  const double dm = static_cast<double>(out.n_x), dn = static_cast<double>(out.n_y);
  const Alternative alternative = out.alternative;
  const double dt = static_cast<double>(total);
  const double centred = out.u - dm * dn / 2.0;
  const double sigma = std::sqrt((dm * dn / 12.0) * ((dt + 1.0) - tie_term / (dt * (dt - 1.0))));
  if (!(sigma > 0.0)) {
    out.notes.push_back("all values are tied: no variance, reported z = 0, p = 1");
    return;
  }
  double correction = 0.0;
  if (continuity_correction) {
    switch (alternative) {
      case Alternative::two_sided:
        correction = centred > 0 ? 0.5 : (centred < 0 ? -0.5 : 0.0);
        break;
      case Alternative::greater:
        correction = 0.5;
        break;
      case Alternative::less:
        correction = -0.5;
        break;
    }
  }
  out.z = (centred - correction) / sigma;
  out.p_value = detail::normal_p_value(out.z, alternative);
}

}  // namespace

MannWhitneyResult mann_whitney(const std::vector<double>& x, const std::vector<double>& y,
                               Alternative alternative, bool continuity_correction,
                               std::optional<bool> exact) {
  check_sample(x, "mann_whitney: x");
  check_sample(y, "mann_whitney: y");
  MannWhitneyResult out;
  out.alternative = alternative;
  const std::size_t m = x.size(), n = y.size(), total = m + n;
  out.n_x = m;
  out.n_y = n;

  std::vector<double> all(x);
  all.insert(all.end(), y.begin(), y.end());
  std::vector<std::size_t> idx(total);
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return all[a] < all[b]; });
  std::vector<double> rank(total);
  double tie_term = 0.0;  // sum of t^3 - t over tie groups
  for (std::size_t i = 0; i < total;) {
    std::size_t j = i;
    while (j + 1 < total && all[idx[j + 1]] == all[idx[i]]) ++j;
    const double mid = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (std::size_t k = i; k <= j; ++k) rank[idx[k]] = mid;
    const double t = static_cast<double>(j - i + 1);
    tie_term += t * t * t - t;
    i = j + 1;
  }
  out.ties = tie_term > 0.0;
  double rank_sum_x = 0.0;
  for (std::size_t i = 0; i < m; ++i) rank_sum_x += rank[i];
  const double dm = static_cast<double>(m), dn = static_cast<double>(n);
  out.u = rank_sum_x - dm * (dm + 1.0) / 2.0;
  out.probability_x_greater = out.u / (dm * dn);

  bool use_exact = exact.value_or(m < 50 && n < 50);
  if (use_exact && out.ties) {
    use_exact = false;
    if (exact.has_value())
      out.notes.push_back("ties present: exact p not available, normal approximation used");
  }
  out.exact = use_exact;
  if (use_exact) {
    const auto counts = mann_whitney_counts(m, n);
    const auto w = static_cast<std::size_t>(out.u);
    double all_ways = 0.0, le = 0.0, ge = 0.0;
    for (std::size_t k = 0; k < counts.size(); ++k) {
      all_ways += counts[k];
      if (k <= w) le += counts[k];
      if (k >= w) ge += counts[k];
    }
    const double p_less = le / all_ways, p_greater = ge / all_ways;
    switch (alternative) {
      case Alternative::two_sided:
        out.p_value = std::min(1.0, 2.0 * (out.u > dm * dn / 2.0 ? p_greater : p_less));
        break;
      case Alternative::less:
        out.p_value = p_less;
        break;
      case Alternative::greater:
        out.p_value = p_greater;
        break;
    }
    return out;
  }
  normal_approximation(out, total, tie_term, continuity_correction);
  return out;
}

MannWhitneyResult mann_whitney_weighted(const WeightedSample& x, const WeightedSample& y,
                                        Alternative alternative, bool continuity_correction,
                                        std::optional<bool> exact) {
  check_weighted(x, "mann_whitney: x");
  check_weighted(y, "mann_whitney: y");
  const std::size_t m = sample_size(x), n = sample_size(y);
  // Small samples (where the exact distribution may apply) go through the plain version.
  if ((m < 50 && n < 50) || exact.value_or(false))
    return mann_whitney(expand(x), expand(y), alternative, continuity_correction, exact);
  MannWhitneyResult out;
  out.alternative = alternative;
  out.n_x = m;
  out.n_y = n;
  // Walk the merged distinct values: each tie group of t values takes the mid-rank.
  double rank_sum_x = 0.0, tie_term = 0.0, below = 0.0;
  std::size_t i = 0, j = 0;
  while (i < x.size() || j < y.size()) {
    double v;
    if (j >= y.size() || (i < x.size() && x[i].value < y[j].value))
      v = x[i].value;
    else
      v = y[j].value;
    double cx = 0.0, cy = 0.0;
    if (i < x.size() && x[i].value == v) cx = static_cast<double>(x[i++].count);
    if (j < y.size() && y[j].value == v) cy = static_cast<double>(y[j++].count);
    const double t = cx + cy;
    if (t == 0.0) continue;
    rank_sum_x += cx * (below + (t + 1.0) / 2.0);
    tie_term += t * t * t - t;
    below += t;
  }
  out.ties = tie_term > 0.0;
  const double dm = static_cast<double>(m), dn = static_cast<double>(n);
  out.u = rank_sum_x - dm * (dm + 1.0) / 2.0;
  out.probability_x_greater = out.u / (dm * dn);
  normal_approximation(out, m + n, tie_term, continuity_correction);
  return out;
}

}  // namespace lockrig::stats
