// Lan-DeMets alpha spending and group-sequential boundaries by recursive numerical integration
// (Jennison and Turnbull 2000, ch. 19).
#include "reports/stats/group_sequential.hpp"

#include <boost/math/constants/constants.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "reports/stats/detail.hpp"

namespace lockrig::stats {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

void check_alpha(double alpha, const char* what) {
  if (!(alpha > 0.0 && alpha < 0.5)) {
    throw std::invalid_argument(std::string(what) +
                                ": alpha must be strictly between 0 and 0.5, got " +
                                detail::num(alpha));
  }
}

double phi(double x) {
  return std::exp(-0.5 * x * x) / std::sqrt(2.0 * boost::math::constants::pi<double>());
}

// Simpson nodes and weights on Jennison and Turnbull's grid for a statistic with mean `mu`,
// truncated above at `upper` (kInf: not truncated).
struct Grid {
  std::vector<double> z, w;
};
Grid make_grid(double mu, double upper, int r) {
  std::vector<double> x;
  const double rd = static_cast<double>(r);
  for (int i = 1; i <= 6 * r - 1; ++i) {
    double v;
    if (i < r)
      v = mu - 3.0 - 4.0 * std::log(rd / i);
    else if (i <= 5 * r)
      v = mu - 3.0 + 3.0 * (i - rd) / (2.0 * rd);
    else
      v = mu + 3.0 + 4.0 * std::log(rd / (6.0 * rd - i));
    x.push_back(v);
  }
  std::vector<double> pts;
  for (double v : x) {
    if (v < upper) {
      pts.push_back(v);
    } else {
      pts.push_back(upper);
      break;
    }
  }
  Grid g;
  if (pts.size() < 2) {
    // The boundary lies below the whole grid: the continuation region holds no mass worth
    // integrating; one node at the boundary with weight 0.
    g.z.push_back(upper);
    g.w.push_back(0.0);
    return g;
  }
  const std::size_t n = pts.size();
  g.z.resize(2 * n - 1);
  g.w.assign(2 * n - 1, 0.0);
  for (std::size_t i = 0; i < n; ++i) g.z[2 * i] = pts[i];
  for (std::size_t i = 0; i + 1 < n; ++i) {
    const double d = pts[i + 1] - pts[i];
    g.z[2 * i + 1] = (pts[i] + pts[i + 1]) / 2.0;
    g.w[2 * i] += d / 6.0;
    g.w[2 * i + 1] += 4.0 * d / 6.0;
    g.w[2 * i + 2] += d / 6.0;
  }
  return g;
}

void check_information(const std::vector<double>& information, const char* what) {
  if (information.empty()) throw std::invalid_argument(std::string(what) + ": no looks");
  for (std::size_t i = 0; i < information.size(); ++i) {
    if (!(information[i] > 0.0) || !std::isfinite(information[i]) ||
        (i > 0 && !(information[i] > information[i - 1]))) {
      throw std::invalid_argument(std::string(what) +
                                  ": information must be positive and strictly increasing, look " +
                                  std::to_string(i + 1) + " has " + detail::num(information[i]));
    }
  }
}

// The sub-density of Z_k on the continuation region of look k, and the crossing probability at
// each look, under drift theta; boundaries either given (crit) or solved (targets).
struct Recursion {
  const std::vector<double>& info;
  double theta;
  int r;
  Grid grid;                 // nodes of the current look's continuation region
  std::vector<double> dens;  // sub-density at those nodes
  std::size_t look = 0;      // looks done

  // P(cross at the next look) for boundary c, given the sub-density after the current look.
  double crossing(double c) const {
    const std::size_t k = look;  // next look, 0-based
    if (c == kInf) return 0.0;
    if (k == 0) return detail::normal_sf(c - theta * std::sqrt(info[0]));
    const double ik = info[k], ip = info[k - 1], dk = ik - ip;
    const double sk = std::sqrt(ik), sp = std::sqrt(ip), sd = std::sqrt(dk);
    double sum = 0.0;
    for (std::size_t j = 0; j < grid.z.size(); ++j) {
      if (grid.w[j] == 0.0) continue;
      sum += grid.w[j] * dens[j] * detail::normal_sf((c * sk - grid.z[j] * sp - theta * dk) / sd);
    }
    return sum;
  }

  // Move to the next look with boundary c.
  void advance(double c) {
    const std::size_t k = look;
    const double mu = theta * std::sqrt(info[k]);
    Grid next = make_grid(mu, c, r);
    std::vector<double> nd(next.z.size(), 0.0);
    if (k == 0) {
      for (std::size_t i = 0; i < next.z.size(); ++i) nd[i] = phi(next.z[i] - mu);
    } else {
      const double ik = info[k], ip = info[k - 1], dk = ik - ip;
      const double sk = std::sqrt(ik), sp = std::sqrt(ip), sd = std::sqrt(dk);
      for (std::size_t i = 0; i < next.z.size(); ++i) {
        double s = 0.0;
        for (std::size_t j = 0; j < grid.z.size(); ++j) {
          if (grid.w[j] == 0.0) continue;
          s += grid.w[j] * dens[j] * phi((next.z[i] * sk - grid.z[j] * sp - theta * dk) / sd);
        }
        nd[i] = s * sk / sd;
      }
    }
    grid = std::move(next);
    dens = std::move(nd);
    ++look;
  }
};

}  // namespace

const char* to_string(SpendingFunction f) {
  switch (f) {
    case SpendingFunction::obrien_fleming:
      return "obrien-fleming";
    case SpendingFunction::pocock:
      return "pocock";
  }
  return "?";
}

double alpha_spent(SpendingFunction f, double alpha, double t) {
  check_alpha(alpha, "alpha_spent");
  if (!(t >= 0.0 && t <= 1.0)) {
    throw std::invalid_argument("alpha_spent: spending time must be in [0, 1], got " +
                                detail::num(t));
  }
  if (t == 0.0) return 0.0;
  if (t == 1.0) return alpha;
  switch (f) {
    case SpendingFunction::obrien_fleming:
      return 2.0 * detail::normal_sf(detail::z_upper(alpha / 2.0) / std::sqrt(t));
    case SpendingFunction::pocock:
      return alpha * std::log1p((boost::math::constants::e<double>() - 1.0) * t);
  }
  return alpha;
}

GroupSequentialBoundaries one_sided_boundaries(const std::vector<double>& information,
                                               const std::vector<double>& spending_times,
                                               double alpha, SpendingFunction f, int r) {
  check_alpha(alpha, "one_sided_boundaries");
  check_information(information, "one_sided_boundaries");
  if (spending_times.size() != information.size()) {
    throw std::invalid_argument("one_sided_boundaries: " + std::to_string(information.size()) +
                                " looks but " + std::to_string(spending_times.size()) +
                                " spending times");
  }
  for (std::size_t i = 0; i < spending_times.size(); ++i) {
    const double t = spending_times[i];
    if (!(t > 0.0 && t <= 1.0) || (i > 0 && !(t > spending_times[i - 1]))) {
      throw std::invalid_argument(
          "one_sided_boundaries: spending times must be in (0, 1] and strictly increasing, look " +
          std::to_string(i + 1) + " has " + detail::num(t));
    }
  }
  if (r < 8) throw std::invalid_argument("one_sided_boundaries: grid r must be at least 8");
  GroupSequentialBoundaries out;
  out.information = information;
  out.spending_times = spending_times;
  Recursion rec{information, 0.0, r, {}, {}, 0};
  double spent = 0.0;
  for (std::size_t k = 0; k < information.size(); ++k) {
    const double cumulative = alpha_spent(f, alpha, spending_times[k]);
    const double target = cumulative - spent;
    out.cumulative_alpha.push_back(cumulative);
    double c;
    if (!(target > 1e-300)) {
      c = kInf;
    } else if (k == 0) {
      c = detail::z_upper(target);
    } else {
      // crossing(c) falls from (mass left) at c = -inf to 0 at +inf: bisect on c.
      double lo = -10.0, hi = 40.0;
      if (rec.crossing(lo) < target) {
        c = lo;  // cannot spend that much: the region is already nearly empty
      } else {
        for (int i = 0; i < 200 && hi - lo > 1e-13; ++i) {
          const double mid = (lo + hi) / 2.0;
          (rec.crossing(mid) > target ? lo : hi) = mid;
        }
        c = (lo + hi) / 2.0;
      }
    }
    out.critical.push_back(c);
    out.nominal_p.push_back(c == kInf ? 0.0 : detail::normal_sf(c));
    spent += rec.crossing(c);
    rec.advance(c);
  }
  return out;
}

GroupSequentialBoundaries look_boundaries(const std::vector<double>& information, int max_looks,
                                          double alpha, SpendingFunction f) {
  if (max_looks < 1) {
    throw std::invalid_argument("look_boundaries: the number of looks must be at least 1, got " +
                                std::to_string(max_looks));
  }
  if (information.size() > static_cast<std::size_t>(max_looks)) {
    throw std::invalid_argument("look_boundaries: look " + std::to_string(information.size()) +
                                " is beyond the " + std::to_string(max_looks) + " looks declared");
  }
  std::vector<double> t;
  for (std::size_t k = 1; k <= information.size(); ++k)
    t.push_back(static_cast<double>(k) / static_cast<double>(max_looks));
  return one_sided_boundaries(information, t, alpha, f);
}

std::vector<double> crossing_probabilities(const GroupSequentialBoundaries& b, double theta,
                                           int r) {
  check_information(b.information, "crossing_probabilities");
  if (b.critical.size() != b.information.size()) {
    throw std::invalid_argument(
        "crossing_probabilities: boundaries and information differ in size");
  }
  Recursion rec{b.information, theta, r, {}, {}, 0};
  std::vector<double> out;
  double total = 0.0;
  for (double c : b.critical) {
    total += rec.crossing(c);
    out.push_back(total);
    rec.advance(c);
  }
  return out;
}

}  // namespace lockrig::stats
