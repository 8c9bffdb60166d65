// Stratified 2x2 analysis: CMH test, MH odds ratio (RBG interval), MH risk difference (Sato
// variance), Breslow-Day homogeneity. Strata that cannot contribute are listed, never hidden.
#include "reports/stats/stratified.hpp"

#include <boost/math/distributions/chi_squared.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "reports/stats/detail.hpp"

namespace lockrig::stats {

namespace {

struct Cells {
  double a, b, c, d;  // cand successes, cand failures, base successes, base failures
  double t() const { return a + b + c + d; }
};

Cells cells(const Stratum& s) {
  return {static_cast<double>(s.candidate.successes), static_cast<double>(s.candidate.failures()),
          static_cast<double>(s.baseline.successes), static_cast<double>(s.baseline.failures())};
}

std::string stratum_name(const Stratum& s, std::size_t index) {
  return s.label.empty() ? "stratum #" + std::to_string(index + 1) : s.label;
}

void check_strata(const std::vector<Stratum>& strata, std::string_view what) {
  for (std::size_t i = 0; i < strata.size(); ++i) {
    const std::string w = std::string(what) + ": " + stratum_name(strata[i], i);
    detail::check_counts(strata[i].candidate, w + " candidate", 0);
    detail::check_counts(strata[i].baseline, w + " baseline", 0);
  }
}

StratumUse use_of(const Stratum& s, StratumRole role, std::string reason) {
  return {s.label, s.candidate, s.baseline, role, std::move(reason)};
}

// Role of a stratum in the odds-ratio family (CMH, MH OR, Breslow-Day): it contributes only when
// all four margins are positive; otherwise its table is determined by the margins.
StratumUse odds_ratio_role(const Stratum& s) {
  if (s.candidate.trials == 0 && s.baseline.trials == 0) {
    return use_of(s, StratumRole::dropped, "no sessions in either arm");
  }
  if (s.candidate.trials == 0) return use_of(s, StratumRole::dropped, "candidate has no sessions");
  if (s.baseline.trials == 0) return use_of(s, StratumRole::dropped, "baseline has no sessions");
  if (s.candidate.failures() + s.baseline.failures() == 0) {
    return use_of(s, StratumRole::uninformative,
                  "no failures in either arm (" + detail::counts_text(s.candidate) + " vs " +
                      detail::counts_text(s.baseline) +
                      "): the table is fixed by its margins and carries no odds-ratio information");
  }
  if (s.candidate.successes + s.baseline.successes == 0) {
    return use_of(s, StratumRole::uninformative,
                  "no successes in either arm: the table is fixed by its margins");
  }
  return use_of(s, StratumRole::contributes, "");
}

std::size_t count_role(const std::vector<StratumUse>& uses, StratumRole role) {
  std::size_t n = 0;
  for (const auto& u : uses) n += u.role == role ? 1 : 0;
  return n;
}

void summarize_roles(const std::vector<StratumUse>& uses, std::vector<std::string>& notes) {
  const std::size_t unin = count_role(uses, StratumRole::uninformative);
  const std::size_t dropped = count_role(uses, StratumRole::dropped);
  if (unin > 0) {
    notes.push_back(std::to_string(unin) + " of " + std::to_string(uses.size()) +
                    " strata uninformative (table fixed by its margins, e.g. no failures)");
  }
  if (dropped > 0) {
    notes.push_back(std::to_string(dropped) + " of " + std::to_string(uses.size()) +
                    " strata dropped (an arm without sessions)");
  }
}

double chi2_sf(double x, double df) {
  return boost::math::cdf(boost::math::complement(boost::math::chi_squared(df), x));
}

}  // namespace

CmhResult cochran_mantel_haenszel(const std::vector<Stratum>& strata, bool continuity_correction) {
  check_strata(strata, "cochran_mantel_haenszel");
  CmhResult out;
  out.continuity_correction = continuity_correction;
  double delta = 0.0, var = 0.0;
  for (const auto& s : strata) {
    out.strata.push_back(odds_ratio_role(s));
    if (out.strata.back().role != StratumRole::contributes) continue;
    const Cells x = cells(s);
    const double t = x.t();
    const double row = x.a + x.b, col = x.a + x.c;
    delta += x.a - row * col / t;
    var += row * col * (t - row) * (t - col) / (t * t * (t - 1.0));
  }
  summarize_roles(out.strata, out.notes);
  if (!(var > 0.0)) {
    out.notes.push_back(
        "no stratum carries information (no failures, or an empty arm, everywhere): "
        "test not informative, reported statistic 0, p 1");
    return out;
  }
  out.informative = true;
  const double yates = continuity_correction && std::fabs(delta) >= 0.5 ? 0.5 : 0.0;
  const double dev = std::fabs(delta) - yates;
  out.statistic = dev * dev / var;
  out.p_value = chi2_sf(out.statistic, 1.0);
  out.z = delta / std::sqrt(var);
  return out;
}

MhOddsRatioResult mantel_haenszel_odds_ratio(const std::vector<Stratum>& strata,
                                             double confidence) {
  check_strata(strata, "mantel_haenszel_odds_ratio");
  detail::check_open_unit(confidence, "mantel_haenszel_odds_ratio: confidence");
  MhOddsRatioResult out;
  out.confidence = confidence;
  double sr = 0, ss = 0, spr = 0, sps_qr = 0, sqs = 0;
  for (const auto& s : strata) {
    out.strata.push_back(odds_ratio_role(s));
    if (out.strata.back().role != StratumRole::contributes) continue;
    const Cells x = cells(s);
    const double t = x.t();
    const double r = x.a * x.d / t, sv = x.b * x.c / t;
    const double p = (x.a + x.d) / t, q = (x.b + x.c) / t;
    sr += r;
    ss += sv;
    spr += p * r;
    sps_qr += p * sv + q * r;
    sqs += q * sv;
  }
  summarize_roles(out.strata, out.notes);
  if (sr == 0.0 && ss == 0.0) {
    out.notes.push_back("no stratum carries information: common odds ratio not estimable");
    return out;
  }
  out.informative = true;
  if (ss == 0.0) {
    out.odds_ratio = std::numeric_limits<double>::infinity();
    out.notes.push_back(
        "every informative stratum has candidate failures = 0 or baseline successes = 0: odds "
        "ratio is infinite, no interval");
    return out;
  }
  if (sr == 0.0) {
    out.odds_ratio = 0.0;
    out.notes.push_back(
        "every informative stratum has candidate successes = 0 or baseline failures = 0: odds "
        "ratio is 0, no interval");
    return out;
  }
  out.odds_ratio = sr / ss;
  out.log_se = std::sqrt(spr / (2.0 * sr * sr) + sps_qr / (2.0 * sr * ss) + sqs / (2.0 * ss * ss));
  const double z = detail::z_upper((1.0 - confidence) / 2.0);
  out.interval = Interval{out.odds_ratio * std::exp(-z * out.log_se),
                          out.odds_ratio * std::exp(z * out.log_se)};
  return out;
}

MhRiskDifferenceResult mantel_haenszel_risk_difference(const std::vector<Stratum>& strata,
                                                       double confidence) {
  check_strata(strata, "mantel_haenszel_risk_difference");
  detail::check_open_unit(confidence, "mantel_haenszel_risk_difference: confidence");
  MhRiskDifferenceResult out;
  out.confidence = confidence;
  double num = 0, w = 0, sum_p = 0, sum_q = 0;
  std::size_t no_failures = 0;
  for (const auto& s : strata) {
    if (s.candidate.trials == 0 || s.baseline.trials == 0) {
      out.strata.push_back(use_of(s, StratumRole::dropped,
                                  s.candidate.trials == 0 && s.baseline.trials == 0
                                      ? "no sessions in either arm"
                                  : s.candidate.trials == 0 ? "candidate has no sessions"
                                                            : "baseline has no sessions"));
      continue;
    }
    out.strata.push_back(use_of(s, StratumRole::contributes, ""));
    if (s.candidate.failures() + s.baseline.failures() == 0) ++no_failures;
    const double n1 = static_cast<double>(s.candidate.trials);
    const double n2 = static_cast<double>(s.baseline.trials);
    const double a = static_cast<double>(s.candidate.successes);
    const double c = static_cast<double>(s.baseline.successes);
    const double big_n = n1 + n2;
    const double f1 = n1 / big_n, f2 = n2 / big_n;
    num += (a * n2 - c * n1) / big_n;  // exactly 0 for equal rates, unlike a*f2 - c*f1
    w += n1 * f2;
    sum_p += c * f1 * f1 - a * f2 * f2 + f1 * f2 * (n2 - n1) / 2.0;
    sum_q += (a * (n2 - c) / big_n + c * (n1 - a) / big_n) / 2.0;
  }
  if (count_role(out.strata, StratumRole::dropped) > 0) summarize_roles(out.strata, out.notes);
  if (no_failures > 0) {
    out.notes.push_back(std::to_string(no_failures) +
                        " strata with no failure in either arm enter with difference 0");
  }
  if (w == 0.0) {
    out.notes.push_back("every stratum dropped: risk difference not estimable");
    return out;
  }
  out.informative = true;
  out.difference = num / w;
  double var = (out.difference * sum_p + sum_q) / (w * w);
  if (var < 0.0) {
    out.notes.push_back("Sato variance came out negative (" + detail::num(var) + "); set to 0");
    var = 0.0;
  }
  out.se = std::sqrt(var);
  const double z = detail::z_upper((1.0 - confidence) / 2.0);
  out.interval = {out.difference - z * out.se, out.difference + z * out.se};
  if (out.se > 0.0) {
    out.z = out.difference / out.se;
    out.p_value = detail::normal_p_value(out.z, Alternative::two_sided);
  } else {
    out.notes.push_back(
        "Sato variance is 0 (no failures in any stratum): interval degenerate, test reported as "
        "z 0, p 1");
  }
  return out;
}

StratifiedNonInferiorityResult stratified_non_inferiority_test(const std::vector<Stratum>& strata,
                                                               double margin) {
  if (!(margin >= 0.0 && margin < 1.0)) {
    throw std::invalid_argument("stratified_non_inferiority_test: margin must be in [0, 1), got " +
                                detail::num(margin));
  }
  StratifiedNonInferiorityResult out;
  out.risk_difference = mantel_haenszel_risk_difference(strata);
  out.margin = margin;
  out.notes = out.risk_difference.notes;
  if (!out.risk_difference.informative || !(out.risk_difference.se > 0.0)) {
    out.notes.push_back(
        "stratified test not informative (no strata, or no failures anywhere so the Sato "
        "variance is 0); reported p 1; use the unstratified non_inferiority_test");
    return out;
  }
  out.z = (out.risk_difference.difference + margin) / out.risk_difference.se;
  out.p_value = detail::normal_sf(out.z);
  return out;
}

BreslowDayResult breslow_day(const std::vector<Stratum>& strata, bool tarone) {
  check_strata(strata, "breslow_day");
  BreslowDayResult out;
  out.tarone = tarone;
  const MhOddsRatioResult pooled = mantel_haenszel_odds_ratio(strata);
  out.strata = pooled.strata;
  const double r = pooled.odds_ratio;
  if (!pooled.informative || r == 0.0 || std::isinf(r)) {
    summarize_roles(out.strata, out.notes);
    out.notes.push_back("pooled odds ratio is " +
                        std::string(pooled.informative ? detail::num(r) : "not estimable") +
                        ": homogeneity test not informative, reported p 1");
    return out;
  }
  double stat = 0, sum_a = 0, sum_e = 0, sum_v = 0;
  int used = 0;
  for (std::size_t i = 0; i < strata.size(); ++i) {
    if (out.strata[i].role != StratumRole::contributes) continue;
    const Cells x = cells(strata[i]);
    const double apb = x.a + x.b, apc = x.a + x.c, dma = x.d - x.a;
    // Expected a under the common odds ratio: the root of (1-r)e^2 + Be + C = 0 inside the
    // table's support, written to avoid cancellation (and valid at r = 1 where A = 0).
    const double qa = 1.0 - r;
    const double qb = r * (apb + apc) + dma;
    const double qc = -r * apb * apc;
    const double disc = std::sqrt(std::max(0.0, qb * qb - 4.0 * qa * qc));
    const double e = qb > 0.0 ? 2.0 * qc / (-qb - disc) : (-qb + disc) / (2.0 * qa);
    const double v = 1.0 / (1.0 / e + 1.0 / (apc - e) + 1.0 / (apb - e) + 1.0 / (dma + e));
    if (!(v > 0.0) || !std::isfinite(v)) {
      out.strata[i].role = StratumRole::uninformative;
      out.strata[i].reason = "expected count at the boundary of its support (variance 0)";
      continue;
    }
    stat += (x.a - e) * (x.a - e) / v;
    sum_a += x.a;
    sum_e += e;
    sum_v += v;
    ++used;
  }
  summarize_roles(out.strata, out.notes);
  if (used < 2) {
    out.notes.push_back("fewer than 2 informative strata (" + std::to_string(used) +
                        "): homogeneity cannot be tested, reported p 1");
    return out;
  }
  if (tarone) stat -= (sum_a - sum_e) * (sum_a - sum_e) / sum_v;
  out.informative = true;
  out.statistic = stat;
  out.degrees_of_freedom = used - 1;
  out.p_value = chi2_sf(std::max(0.0, stat), static_cast<double>(used - 1));
  return out;
}

}  // namespace lockrig::stats
