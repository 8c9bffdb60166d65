// Argument checks and normal-distribution helpers shared by the statistics sources, and the
// names of the public enums.
#include "reports/stats/detail.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace lockrig::stats {

const char* to_string(StratumRole role) {
  switch (role) {
    case StratumRole::contributes:
      return "contributes";
    case StratumRole::uninformative:
      return "uninformative";
    case StratumRole::dropped:
      return "dropped";
  }
  return "?";
}

const char* to_string(Alternative alternative) {
  switch (alternative) {
    case Alternative::two_sided:
      return "two-sided";
    case Alternative::less:
      return "less";
    case Alternative::greater:
      return "greater";
  }
  return "?";
}

namespace detail {

std::string num(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

std::string counts_text(const Counts& c) {
  return std::to_string(c.successes) + "/" + std::to_string(c.trials);
}

void check_counts(const Counts& c, std::string_view what, long min_trials) {
  const std::string w(what);
  if (c.trials < 0) {
    throw std::invalid_argument(w + ": trials must not be negative, got " +
                                std::to_string(c.trials));
  }
  if (c.successes < 0) {
    throw std::invalid_argument(w + ": successes must not be negative, got " +
                                std::to_string(c.successes));
  }
  if (c.successes > c.trials) {
    throw std::invalid_argument(w + ": successes " + std::to_string(c.successes) +
                                " exceed trials " + std::to_string(c.trials));
  }
  if (c.trials < min_trials) {
    throw std::invalid_argument(w + ": needs at least " + std::to_string(min_trials) +
                                " trial(s), got " + counts_text(c));
  }
  // Counts feed unsigned Boost distributions and products of four counts; keep them far from
  // overflow.
  if (c.trials > 2'000'000'000L) {
    throw std::invalid_argument(w + ": trials " + std::to_string(c.trials) +
                                " exceed the supported maximum 2000000000");
  }
}

void check_open_unit(double level, std::string_view what) {
  if (!(level > 0.0 && level < 1.0)) {
    throw std::invalid_argument(std::string(what) + " must be strictly between 0 and 1, got " +
                                num(level));
  }
}

void check_probability(double p, std::string_view what) {
  if (!(p >= 0.0 && p <= 1.0)) {
    throw std::invalid_argument(std::string(what) + " must be between 0 and 1, got " + num(p));
  }
}

double z_upper(double upper_tail) {
  return boost::math::quantile(boost::math::complement(boost::math::normal(), upper_tail));
}

double normal_cdf(double z) {
  return boost::math::cdf(boost::math::normal(), z);
}

double normal_sf(double z) {
  return boost::math::cdf(boost::math::complement(boost::math::normal(), z));
}

double normal_p_value(double z, Alternative alternative) {
  switch (alternative) {
    case Alternative::less:
      return normal_cdf(z);
    case Alternative::greater:
      return normal_sf(z);
    case Alternative::two_sided:
      break;
  }
  // Phi(z) is computed as 1 - Phi(-z) by the same erfc, so this equals 2 min(Phi(z), 1 - Phi(z)).
  return std::min(1.0, 2.0 * normal_sf(std::fabs(z)));
}

}  // namespace detail
}  // namespace lockrig::stats
