// Test-only probe for the statistics reference check (tests/reports/reference_check.py).
// Reads one query per line from stdin, "<id> <command> <numbers...>", and prints one JSON object
// per line with the library's answer (or {"id":..., "error": "..."}), so a script can compare
// thousands of cases against R and statsmodels in one run.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "reports/stats/group_sequential.hpp"
#include "reports/stats/noninferiority.hpp"
#include "reports/stats/stats.hpp"

namespace st = lockrig::stats;

namespace {

class Json {
 public:
  explicit Json(const std::string& id) { out_ << "{\"id\":\"" << id << "\""; }
  Json& num(const std::string& key, double v) {
    out_ << ",\"" << key << "\":" << fmt(v);
    return *this;
  }
  Json& opt(const std::string& key, const std::optional<double>& v) {
    out_ << ",\"" << key << "\":" << (v ? fmt(*v) : "null");
    return *this;
  }
  Json& flag(const std::string& key, bool v) {
    out_ << ",\"" << key << "\":" << (v ? "true" : "false");
    return *this;
  }
  Json& nums(const std::string& key, const std::vector<double>& v) {
    out_ << ",\"" << key << "\":[";
    for (std::size_t i = 0; i < v.size(); ++i) out_ << (i ? "," : "") << fmt(v[i]);
    out_ << "]";
    return *this;
  }
  Json& str(const std::string& key, const std::string& v) {
    out_ << ",\"" << key << "\":\"";
    for (char c : v) {
      if (c == '"' || c == '\\') out_ << '\\';
      out_ << c;
    }
    out_ << "\"";
    return *this;
  }
  std::string done() { return out_.str() + "}"; }

 private:
  static std::string fmt(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
  }
  std::ostringstream out_;
};

st::Alternative alternative(const std::string& s) {
  if (s == "less") return st::Alternative::less;
  if (s == "greater") return st::Alternative::greater;
  if (s == "two") return st::Alternative::two_sided;
  throw std::invalid_argument("unknown alternative " + s);
}

std::vector<st::Stratum> read_strata(std::istringstream& in) {
  std::size_t k = 0;
  in >> k;
  std::vector<st::Stratum> strata(k);
  for (std::size_t i = 0; i < k; ++i) {
    strata[i].label = "s" + std::to_string(i + 1);
    in >> strata[i].candidate.successes >> strata[i].candidate.trials >>
        strata[i].baseline.successes >> strata[i].baseline.trials;
  }
  return strata;
}

std::vector<double> read_vector(std::istringstream& in) {
  std::size_t k = 0;
  in >> k;
  std::vector<double> v(k);
  for (auto& x : v) in >> x;
  return v;
}

std::string roles(const std::vector<st::StratumUse>& uses) {
  std::string s;
  for (const auto& u : uses)
    s += u.role == st::StratumRole::contributes     ? 'c'
         : u.role == st::StratumRole::uninformative ? 'u'
                                                    : 'd';
  return s;
}

std::string answer(const std::string& id, const std::string& cmd, std::istringstream& in) {
  Json j(id);
  if (cmd == "wilson" || cmd == "cp" || cmd == "jeffreys" || cmd == "cp_lower") {
    st::Counts c;
    double conf = 0.95;
    in >> c.successes >> c.trials >> conf;
    if (cmd == "cp_lower") return j.num("lower", st::clopper_pearson_lower_bound(c, conf)).done();
    const st::Interval iv = cmd == "wilson" ? st::wilson_interval(c, conf)
                            : cmd == "cp"   ? st::clopper_pearson_interval(c, conf)
                                            : st::jeffreys_interval(c, conf);
    return j.num("lower", iv.lower).num("upper", iv.upper).done();
  }
  if (cmd == "newcombe" || cmd == "fisher" || cmd == "ztest" || cmd == "ni" || cmd == "ni_sm" ||
      cmd == "bayes") {
    st::Counts a, b;
    in >> a.successes >> a.trials >> b.successes >> b.trials;
    if (cmd == "newcombe") {
      double conf = 0.95;
      in >> conf;
      const auto r = st::newcombe_difference(a, b, conf);
      return j.num("diff", r.difference)
          .num("lower", r.interval.lower)
          .num("upper", r.interval.upper)
          .done();
    }
    if (cmd == "fisher") {
      const auto r = st::fisher_exact(a, b);
      return j.num("p", r.p_two_sided).num("less", r.p_less).num("greater", r.p_greater).done();
    }
    if (cmd == "ztest") {
      std::string alt;
      in >> alt;
      const auto r = st::two_proportion_z_test(a, b, alternative(alt));
      return j.num("z", r.z).num("p", r.p_value).done();
    }
    if (cmd == "ni" || cmd == "ni_sm") {
      double margin = 0;
      in >> margin;
      st::NonInferiorityOptions options;
      options.statsmodels_compatible = cmd == "ni_sm";
      const auto r = st::non_inferiority_test(a, b, margin, options);
      return j.num("z", r.z)
          .num("p", r.p_value)
          .num("p1_null", r.candidate_rate_null)
          .num("p0_null", r.baseline_rate_null)
          .done();
    }
    st::BetaPrior prior;
    in >> prior.a >> prior.b;
    const auto r = st::probability_candidate_worse(a, b, prior);
    return j.num("p", r.probability_candidate_worse).done();
  }
  if (cmd == "strat") {
    const auto strata = read_strata(in);
    const auto c1 = st::cochran_mantel_haenszel(strata, true);
    const auto c0 = st::cochran_mantel_haenszel(strata, false);
    const auto orr = st::mantel_haenszel_odds_ratio(strata);
    const auto rd = st::mantel_haenszel_risk_difference(strata);
    const auto bd = st::breslow_day(strata, false);
    const auto bdt = st::breslow_day(strata, true);
    j.flag("cmh_informative", c1.informative)
        .num("cmh_stat", c1.statistic)
        .num("cmh_p", c1.p_value)
        .num("cmh_stat_nc", c0.statistic)
        .num("cmh_p_nc", c0.p_value)
        .str("roles", roles(c1.strata))
        .flag("or_informative", orr.informative)
        .num("or", orr.odds_ratio)
        .opt("or_lower", orr.interval ? std::optional(orr.interval->lower) : std::nullopt)
        .opt("or_upper", orr.interval ? std::optional(orr.interval->upper) : std::nullopt)
        .flag("rd_informative", rd.informative)
        .num("rd", rd.difference)
        .num("rd_se", rd.se)
        .num("rd_lower", rd.interval.lower)
        .num("rd_upper", rd.interval.upper)
        .flag("bd_informative", bd.informative)
        .num("bd_stat", bd.statistic)
        .num("bd_p", bd.p_value)
        .num("bd_df", bd.degrees_of_freedom)
        .str("bd_roles", roles(bd.strata))
        .num("bdt_stat", bdt.statistic)
        .num("bdt_p", bdt.p_value);
    const auto ni = st::stratified_non_inferiority_test(strata, 0.01);
    return j.num("sni_z", ni.z).num("sni_p", ni.p_value).done();
  }
  // Issue 11: the gate's score test, its bounds, the exact test, the per-stratum Holm check and
  // group-sequential boundaries.
  if (cmd == "sscore") {
    double margin = 0;
    in >> margin;
    const auto strata = read_strata(in);
    const auto r = st::stratified_score_test(strata, margin);
    std::vector<double> p1, p0;
    for (const auto& s : r.strata) {
      p1.push_back(s.candidate_rate_null);
      p0.push_back(s.baseline_rate_null);
    }
    return j.flag("informative", r.informative)
        .num("rd", r.difference)
        .num("se", r.se_null)
        .num("z", r.z)
        .num("p_pass", r.p_pass)
        .num("p_fail", r.p_fail)
        .nums("p1_null", p1)
        .nums("p0_null", p0)
        .done();
  }
  if (cmd == "sz") {
    double delta = 0;
    in >> delta;
    const auto strata = read_strata(in);
    const auto z = st::stratified_score_z(strata, delta);
    return j.opt("z", z).done();
  }
  if (cmd == "sbounds") {
    double tail = 0;
    in >> tail;
    const auto strata = read_strata(in);
    const auto b = st::stratified_score_bounds(strata, tail);
    return j.opt("lower", b ? std::optional(b->lower) : std::nullopt)
        .opt("upper", b ? std::optional(b->upper) : std::nullopt)
        .done();
  }
  if (cmd == "exact") {
    st::Counts a, b;
    double margin = 0;
    in >> a.successes >> a.trials >> b.successes >> b.trials >> margin;
    const auto r = st::exact_unconditional_test(a, b, margin);
    return j.num("z", r.z).num("p_pass", r.p_pass).num("p_fail", r.p_fail).done();
  }
  if (cmd == "worse") {
    double margin = 0, alpha = 0;
    in >> margin >> alpha;
    const auto strata = read_strata(in);
    const auto r = st::strata_worse_than_margin(strata, margin, alpha);
    std::vector<double> p, holm;
    for (const auto& s : r.strata) {
      p.push_back(s.p);
      holm.push_back(s.p_holm);
    }
    return j.nums("p", p).nums("holm", holm).flag("any", r.any_worse).done();
  }
  if (cmd == "gsd") {
    // gsd <alpha> <of|p> <k> <info...> <k> <times...>
    double alpha = 0;
    std::string fn;
    in >> alpha >> fn;
    const auto info = read_vector(in);
    const auto times = read_vector(in);
    const auto f = fn == "p" ? st::SpendingFunction::pocock : st::SpendingFunction::obrien_fleming;
    const auto b = st::one_sided_boundaries(info, times, alpha, f);
    return j.nums("critical", b.critical).nums("cumulative", b.cumulative_alpha).done();
  }
  if (cmd == "padjust") {
    const auto p = read_vector(in);
    return j.nums("holm", st::holm_adjust(p)).nums("bh", st::benjamini_hochberg_adjust(p)).done();
  }
  if (cmd == "power") {
    double n, p1, p2, alpha;
    int strict;
    in >> n >> p1 >> p2 >> alpha >> strict;
    return j.num("power", st::power_two_proportions(n, p1, p2, alpha, strict != 0)).done();
  }
  if (cmd == "ssize") {
    double p1, p2, alpha, power;
    int strict;
    in >> p1 >> p2 >> alpha >> power >> strict;
    return j.num("n", st::sample_size_two_proportions(p1, p2, alpha, power, strict != 0)).done();
  }
  if (cmd == "mdd") {
    double n, p, alpha, power;
    in >> n >> p >> alpha >> power;
    const auto r = st::minimum_detectable_drop(n, p, alpha, power);
    return j.opt("p1", r ? std::optional(r->candidate_rate) : std::nullopt).done();
  }
  if (cmd == "power_unequal") {
    double n1, n2, p1, p2, alpha;
    in >> n1 >> n2 >> p1 >> p2 >> alpha;
    return j.num("power", st::power_two_proportions_unequal(n1, n2, p1, p2, alpha)).done();
  }
  if (cmd == "ni_ssize" || cmd == "ni_power") {
    double first, pb, pc, margin, alpha, power = 0;
    in >> first >> pb >> pc >> margin >> alpha;
    if (cmd == "ni_ssize") {
      // first = power here; keep one layout for both commands.
      power = first;
      return j.num("n", st::sample_size_non_inferiority(pb, pc, margin, alpha, power)).done();
    }
    return j.num("power", st::power_non_inferiority(first, pb, pc, margin, alpha)).done();
  }
  if (cmd == "pct") {
    double q, conf;
    in >> q >> conf;
    const auto v = read_vector(in);
    const auto r = st::percentile(v, q, conf);
    return j.num("estimate", r.estimate)
        .num("lower_rank", static_cast<double>(r.lower_rank))
        .num("upper_rank", static_cast<double>(r.upper_rank))
        .opt("lower", r.lower)
        .opt("upper", r.upper)
        .num("coverage", r.coverage)
        .done();
  }
  if (cmd == "share") {
    double threshold, conf;
    in >> threshold >> conf;
    const auto v = read_vector(in);
    const auto r = st::share_within(v, threshold, conf);
    return j.num("x", static_cast<double>(r.counts.successes))
        .num("n", static_cast<double>(r.counts.trials))
        .num("lower", r.interval.lower)
        .num("upper", r.interval.upper)
        .done();
  }
  if (cmd == "mwu") {
    std::string alt;
    int correct;
    in >> alt >> correct;
    const auto x = read_vector(in);
    const auto y = read_vector(in);
    const auto r = st::mann_whitney(x, y, alternative(alt), correct != 0);
    return j.num("u", r.u).num("p", r.p_value).flag("exact", r.exact).done();
  }
  throw std::invalid_argument("unknown command " + cmd);
}

}  // namespace

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    std::istringstream in(line);
    std::string id, cmd;
    in >> id >> cmd;
    try {
      std::cout << answer(id, cmd, in) << '\n';
    } catch (const std::exception& e) {
      std::cout << Json(id).str("error", e.what()).done() << '\n';
    }
  }
  return 0;
}
