// Holm and Benjamini-Hochberg adjustments, following R's p.adjust step for step (including its
// stable ordering of ties) so the figures agree exactly.
#include "reports/stats/multiplicity.hpp"

#include <algorithm>
#include <numeric>
#include <string>

#include "reports/stats/detail.hpp"

namespace lockrig::stats {

namespace {

void check_all(const std::vector<double>& p, const char* what) {
  for (std::size_t i = 0; i < p.size(); ++i) {
    detail::check_probability(p[i], std::string(what) + ": p-value #" + std::to_string(i + 1));
  }
}

std::vector<std::size_t> order(const std::vector<double>& p, bool decreasing) {
  std::vector<std::size_t> idx(p.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    return decreasing ? p[a] > p[b] : p[a] < p[b];
  });
  return idx;
}

}  // namespace

std::vector<double> holm_adjust(const std::vector<double>& p_values) {
  check_all(p_values, "holm_adjust");
  const std::size_t n = p_values.size();
  std::vector<double> out(n);
  double running = 0.0;
  const auto o = order(p_values, false);
  for (std::size_t i = 0; i < n; ++i) {
    running = std::max(running, static_cast<double>(n - i) * p_values[o[i]]);
    out[o[i]] = std::min(1.0, running);
  }
  return out;
}

std::vector<double> benjamini_hochberg_adjust(const std::vector<double>& p_values) {
  check_all(p_values, "benjamini_hochberg_adjust");
  const std::size_t n = p_values.size();
  std::vector<double> out(n);
  double running = 1.0;
  const auto o = order(p_values, true);
  for (std::size_t i = 0; i < n; ++i) {
    const double rank = static_cast<double>(n - i);  // n, n-1, ..., 1 down the sorted list
    running = std::min(running, static_cast<double>(n) / rank * p_values[o[i]]);
    out[o[i]] = std::min(1.0, running);
  }
  return out;
}

}  // namespace lockrig::stats
