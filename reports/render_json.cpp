// The machine-readable report, schema "lockrig.report/1" (docs/report-json.md). Every figure sits
// next to the counts it came from, so anyone can recompute it. Non-finite numbers (an infinite
// odds ratio) are written as null with the reason in a notes array.
// Also the SLO, schema "lockrig.slo/1" (docs/slo.md), and the plan, schema "lockrig.plan/1".
#include <optional>

#include "reports/format.hpp"
#include "reports/json_writer.hpp"
#include "reports/layout.hpp"
#include "reports/plan.hpp"
#include "reports/slo_compute.hpp"

namespace lockrig::reports {

namespace {

void counts_fields(JsonWriter& j, const stats::Counts& c) {
  j.field("successes", c.successes).field("trials", c.trials);
}

void counts_object(JsonWriter& j, std::string_view k, const stats::Counts& c) {
  j.key(k).begin_object();
  counts_fields(j, c);
  j.end_object();
}

void interval(JsonWriter& j, std::string_view k, const stats::Interval& i) {
  j.key(k).begin_object().field("lower", i.lower).field("upper", i.upper).end_object();
}

// {"successes", "trials", "rate", "interval", "confidence", "method"}
void proportion(JsonWriter& j, std::string_view k,
                const std::optional<stats::ProportionEstimate>& e, const stats::Counts& c) {
  j.key(k).begin_object();
  counts_fields(j, c);
  if (e) {
    j.field("rate", e->rate);
    interval(j, "interval", e->interval);
    j.field("confidence", e->confidence).field("method", stats::to_string(e->method));
  } else {
    j.key("rate").null().key("interval").null();
  }
  j.end_object();
}

void proportion(JsonWriter& j, std::string_view k, const stats::ProportionEstimate& e) {
  proportion(j, k, std::optional<stats::ProportionEstimate>(e), e.counts);
}

void difference(JsonWriter& j, std::string_view k, const stats::DifferenceEstimate& d) {
  j.key(k).begin_object();
  counts_object(j, "candidate", d.candidate);
  counts_object(j, "baseline", d.baseline);
  j.field("difference", d.difference);
  interval(j, "interval", d.interval);
  j.field("confidence", d.confidence).field("method", "newcombe-hybrid-score");
  j.end_object();
}

void fisher(JsonWriter& j, std::string_view k, const stats::FisherResult& f) {
  j.key(k).begin_object();
  counts_object(j, "candidate", f.candidate);
  counts_object(j, "baseline", f.baseline);
  j.field("p_two_sided", f.p_two_sided).field("p_less", f.p_less).field("p_greater", f.p_greater);
  j.field("odds_ratio", f.odds_ratio);  // null when undefined (both cross products 0)
  j.end_object();
}

void stratum_uses(JsonWriter& j, const std::vector<stats::StratumUse>& uses) {
  j.key("strata").begin_array();
  for (const auto& u : uses) {
    j.begin_object().field("label", u.label);
    counts_object(j, "candidate", u.candidate);
    counts_object(j, "baseline", u.baseline);
    j.field("role", stats::to_string(u.role)).field("reason", u.reason).end_object();
  }
  j.end_array();
}

void percentile(JsonWriter& j, const stats::PercentileEstimate& p) {
  j.begin_object()
      .field("quantile", p.quantile)
      .field("n", p.n)
      .field("estimate_ms", p.estimate)
      .field("lower_ms", p.lower)
      .field("upper_ms", p.upper)
      .field("lower_rank", p.lower_rank)
      .field("upper_rank", p.upper_rank)
      .field("coverage", p.coverage)
      .field("confidence", p.confidence)
      .strings("notes", p.notes)
      .end_object();
}

void filters(JsonWriter& j, std::string_view k, const std::vector<Filter>& fs) {
  j.key(k).begin_array();
  for (const auto& f : fs)
    j.begin_object().field("key", f.key).field("value", f.value).end_object();
  j.end_array();
}

void groups(JsonWriter& j, std::string_view k, std::string_view name,
            const std::vector<GroupSli>& gs) {
  j.key(k).begin_array();
  for (const auto& g : gs) {
    j.begin_object().field(name, g.key);
    proportion(j, "sli", g.sli);
    proportion(j, "first_attempt", g.first_attempt);
    j.end_object();
  }
  j.end_array();
}

void arm(JsonWriter& j, const Arm& a) {
  j.begin_object().field("name", a.name);
  filters(j, "filter", a.filter);
  j.key("sessions")
      .begin_object()
      .field("total", a.sessions)
      .field("sli", a.sli_counts.trials)
      .field("assertions", a.assertions)
      .field("assertions_failed", a.assertions_failed)
      .field("rig_fault", a.rig_fault_sessions)
      .end_object();
  proportion(j, "sli", a.sli, a.sli_counts);
  proportion(j, "first_attempt", a.first_attempt, a.first_attempt_counts);
  j.key("attempts_per_session").begin_array();
  for (const auto& b : a.attempts)
    j.begin_object()
        .field("attempts", b.attempts)
        .field("sessions", b.sessions)
        .field("successes", b.successes)
        .end_object();
  j.end_array();
  if (a.sli_counts.trials > 0)
    j.field("mean_attempts", a.mean_attempts);
  else
    j.key("mean_attempts").null();
  groups(j, "by_stratum", "stratum", a.by_stratum);
  groups(j, "by_scenario", "scenario", a.by_scenario);
  j.key("failure_causes").begin_array();
  for (const auto& c : a.causes)
    j.begin_object()
        .field("outcome", c.outcome)
        .field("class", c.class_)
        .field("sessions", c.sessions)
        .field("of_sli_sessions", a.sli_counts.trials)
        .end_object();
  j.end_array();
  const LatencySummary& l = a.latency;
  j.key("latency").begin_object().field("sessions", l.n);
  j.key("percentiles").begin_array();
  for (const auto& p : l.percentiles) percentile(j, p);
  j.end_array();
  if (l.within_slo)
    proportion(j, "within_slo", *l.within_slo);
  else
    j.key("within_slo").null();
  if (l.n > 0) j.field("mean_ms", l.mean).field("min_ms", l.min).field("max_ms", l.max);
  j.key("cdf").begin_array();
  for (const auto& [v, f] : l.cdf) j.begin_array().value(v).value(f).end_array();
  j.end_array().end_object();
  j.end_object();
}

void comparison(JsonWriter& j, const Report& r) {
  const Comparison& c = *r.comparison;
  j.key("comparison").begin_object();
  j.key("overall").begin_object();
  difference(j, "sli", c.overall);
  fisher(j, "sli_fisher", c.fisher);
  difference(j, "first_attempt", c.first_attempt);
  fisher(j, "first_attempt_fisher", c.first_attempt_fisher);
  j.key("bayes")
      .begin_object()
      .key("prior")
      .begin_object()
      .field("a", c.bayes.prior.a)
      .field("b", c.bayes.prior.b)
      .end_object()
      .field("candidate_a", c.bayes.candidate_a)
      .field("candidate_b", c.bayes.candidate_b)
      .field("baseline_a", c.bayes.baseline_a)
      .field("baseline_b", c.bayes.baseline_b)
      .field("probability_candidate_worse", c.bayes.probability_candidate_worse)
      .end_object();
  j.end_object();
  j.field("strata_by", r.options.strata);
  j.key("strata").begin_array();
  for (const auto& sc : c.strata) {
    j.begin_object().field("stratum", sc.label);
    counts_object(j, "candidate", sc.candidate);
    counts_object(j, "baseline", sc.baseline);
    j.field("candidate_share", sc.candidate_share).field("baseline_share", sc.baseline_share);
    if (sc.difference) {
      j.field("difference", sc.difference->difference);
      interval(j, "interval", sc.difference->interval);
    } else {
      j.key("difference").null().key("interval").null();
    }
    if (sc.fisher)
      j.field("fisher_p", sc.fisher->p_two_sided);
    else
      j.key("fisher_p").null();
    j.field("fisher_p_holm", sc.fisher_p_holm)
        .field("role", stats::to_string(sc.role))
        .field("reason", sc.reason)
        .end_object();
  }
  j.end_array();
  j.key("stratified").begin_object();
  j.key("cmh").begin_object();
  j.field("informative", c.cmh.informative)
      .field("statistic", c.cmh.statistic)
      .field("p_value", c.cmh.p_value)
      .field("z", c.cmh.z)
      .field("continuity_correction", c.cmh.continuity_correction);
  stratum_uses(j, c.cmh.strata);
  j.strings("notes", c.cmh.notes).end_object();
  const auto& rd = c.risk_difference;
  j.key("risk_difference").begin_object();
  j.field("informative", rd.informative).field("difference", rd.difference).field("se", rd.se);
  interval(j, "interval", rd.interval);
  j.field("confidence", rd.confidence)
      .field("z", rd.z)
      .field("p_value", rd.p_value)
      .field("variance", "sato");
  stratum_uses(j, rd.strata);
  j.strings("notes", rd.notes).end_object();
  const auto& orr = c.odds_ratio;
  j.key("odds_ratio").begin_object();
  j.field("informative", orr.informative).field("odds_ratio", orr.odds_ratio);
  if (orr.interval)
    interval(j, "interval", *orr.interval);
  else
    j.key("interval").null();
  j.field("log_se", orr.log_se).field("confidence", orr.confidence);
  stratum_uses(j, orr.strata);
  j.strings("notes", orr.notes).end_object();
  const auto& bd = c.breslow_day;
  j.key("breslow_day").begin_object();
  j.field("informative", bd.informative)
      .field("statistic", bd.statistic)
      .field("degrees_of_freedom", bd.degrees_of_freedom)
      .field("p_value", bd.p_value)
      .field("tarone", bd.tarone);
  stratum_uses(j, bd.strata);
  j.strings("notes", bd.notes).end_object();
  j.end_object();
  j.field("significant", c.significant)
      .field("direction", c.direction)
      .field("homogeneity_warning", c.homogeneity_warning)
      .field("mixes_differ", c.mixes_differ)
      .field("stratified_difference", c.stratified_difference)
      .field("simpson_tolerance", c.simpson_tolerance)
      .field("simpson_warning", c.simpson_warning);
  if (c.power) {
    j.key("power").begin_object();
    j.field("n_per_version", c.power->n_per_version)
        .field("baseline_rate", c.power->baseline_rate)
        .field("alpha", c.power->alpha)
        .field("power", c.power->power);
    if (c.power->drop)
      j.field("minimum_detectable_drop", c.power->drop->drop)
          .field("detectable_candidate_rate", c.power->drop->candidate_rate);
    else
      j.key("minimum_detectable_drop").null().key("detectable_candidate_rate").null();
    j.end_object();
  } else {
    j.key("power").null();
  }
  j.end_object();
}

void gate(JsonWriter& j, const Gate& g) {
  j.key("gate").begin_object();
  j.field("verdict", to_string(g.verdict))
      .field("exit_code", g.exit_code)
      .field("method", g.method)
      .field("margin", g.margin)
      .field("alpha", g.alpha)
      .field("power", g.power)
      .field("difference", g.difference)
      .field("se", g.se)
      .field("lower_bound", g.lower_bound)
      .field("upper_bound", g.upper_bound)
      .field("z", g.z)
      .field("p_value", g.p_value)
      .field("p_fail", g.p_fail)
      .field("interval_level", g.interval_level)
      .field("alpha_sided", "one-sided")
      .field("baseline_rate", g.baseline_rate)
      .field("failure_ratio_allowed", g.failure_ratio_allowed)
      .field("rule", g.rule);
  j.strings("worse_strata", g.worse_strata);
  j.key("strata_checks").begin_array();
  for (const auto& c : g.strata_checks)
    j.begin_object(JsonWriter::Layout::inline_)
        .field("label", c.label)
        .field("difference", c.difference)
        .field("z", c.z)
        .field("p", c.p)
        .field("p_holm", c.p_holm)
        .field("worse", c.worse)
        .end_object();
  j.end_array();
  if (g.look) {
    j.key("look")
        .begin_object()
        .field("look", g.look->look)
        .field("max_looks", g.look->max_looks)
        .field("spending", g.look->spending)
        .field("critical", g.look->critical)
        .field("nominal_p", g.look->nominal_p)
        .field("cumulative_alpha", g.look->cumulative_alpha);
    j.key("information").begin_array(JsonWriter::Layout::inline_);
    for (double i : g.look->information) j.value(i);
    j.end_array().end_object();
  } else {
    j.key("look").null();
  }
  if (g.needed) {
    const SessionsNeeded& n = *g.needed;
    j.key("sessions_needed")
        .begin_object()
        .field("achievable", n.achievable)
        .field("toward", n.toward)
        .field("per_version", n.per_version)
        .field("more_baseline", n.more_baseline)
        .field("more_candidate", n.more_candidate)
        .field("more_per_version", n.more_per_version)
        .field("planned_baseline_rate", n.planned_baseline_rate)
        .field("planned_candidate_rate", n.planned_candidate_rate)
        .field("basis", n.basis)
        .end_object();
  } else {
    j.key("sessions_needed").null();
  }
  j.strings("notes", g.notes).end_object();
}

// {"sli_sessions": 1, "successes": 1, "failures": 0, "sli": 1} on one line.
void slo_counts(JsonWriter& j, std::string_view k, const SloCounts& c) {
  j.key(k)
      .begin_object(JsonWriter::Layout::inline_)
      .field("sli_sessions", c.sessions)
      .field("successes", c.successes)
      .field("failures", c.failures())
      .key("sli");
  if (c.sessions)
    j.value(static_cast<double>(c.successes) / static_cast<double>(c.sessions));
  else
    j.null();
  j.end_object();
}

void slo_figures(JsonWriter& j, const SloFigures& f) {
  j.begin_object().field("dimension", f.dimension).field("value", f.value);
  slo_counts(j, "window", f.window);
  slo_counts(j, "last_night", f.last_night);
  slo_counts(j, "last_7_nights", f.last_7_nights);
  j.key("sli_interval_95");
  if (f.window_interval)
    j.begin_array(JsonWriter::Layout::inline_)
        .value(f.window_interval->lower)
        .value(f.window_interval->upper)
        .end_array();
  else
    j.null();
  j.field("allowed_failures", f.allowed_failures)
      .field("budget_remaining", f.budget_remaining)
      .field("budget_remaining_share", f.budget_remaining_share)
      .key("burn_rate")
      .begin_object(JsonWriter::Layout::inline_)
      .field("last_night", f.burn_last_night)
      .field("last_7_nights", f.burn_7_nights)
      .field("window", f.burn_window)
      .end_object()
      .field("status", f.status);
  j.key("nights").begin_array();
  for (const auto& [n, c] : f.nights)
    j.begin_object(JsonWriter::Layout::inline_)
        .field("night", night_text(n))
        .field("sli_sessions", c.sessions)
        .field("successes", c.successes)
        .field("failures", c.failures())
        .end_object();
  j.end_array().end_object();
}

}  // namespace

namespace {

// Issue 14: the Range section (docs/report-json.md, "range"); null without sweep sessions.
void dose_interval(JsonWriter& j, std::string_view name, const stats::DoseInterval& i) {
  j.key(name).begin_object(JsonWriter::Layout::inline_);
  j.field("lower", i.interval.lower).field("upper", i.interval.upper).field("bounded", i.bounded);
  j.end_object();
}

void range_json(JsonWriter& j, const std::optional<RangeSection>& rs) {
  j.key("range");
  if (!rs) {
    j.null();
    return;
  }
  const RangeSection& s = *rs;
  j.begin_object()
      .field("target", s.target)
      .field("confidence", s.confidence)
      .field("link", stats::to_string(s.link))
      .field("strata", s.strata_key)
      .field("sessions", s.sessions)
      .field("rig_fault_sessions", s.rig_faults)
      .field("unmatched_sessions", s.unmatched_sessions);
  j.key("curves").begin_array();
  for (const auto& c : s.curves) {
    j.begin_object()
        .field("version", c.arm)
        .field("stratum", c.stratum)
        .field("sessions", c.sessions)
        .field("successes", c.successes)
        .field("rig_fault_sessions", c.rig_faults);
    j.key("points").begin_array();
    for (const auto& p : c.points) {
      j.begin_object(JsonWriter::Layout::inline_)
          .field("level_db", p.level_db)
          .field("sessions", p.counts.trials)
          .field("successes", p.counts.successes)
          .field("rig_fault_sessions", p.rig_faults);
      if (p.counts.trials > 0)
        j.field("rate", p.counts.rate())
            .field("wilson_lower", p.wilson.lower)
            .field("wilson_upper", p.wilson.upper);
      else
        j.key("rate").null().key("wilson_lower").null().key("wilson_upper").null();
      j.end_object();
    }
    j.end_array();
    j.key("fit");
    if (c.fit) {
      const auto& f = *c.fit;
      j.begin_object()
          .field("link", stats::to_string(f.link))
          .field("intercept", f.intercept)
          .field("slope", f.slope)
          .field("var_intercept", f.var_intercept)
          .field("cov_intercept_slope", f.cov_intercept_slope)
          .field("var_slope", f.var_slope)
          .field("deviance", f.deviance)
          .field("null_deviance", f.null_deviance)
          .field("pearson_chi2", f.pearson_chi2)
          .field("df_residual", f.df_residual)
          .field("deviance_p", f.deviance_p)
          .field("pearson_p", f.pearson_p)
          .end_object();
    } else {
      j.null();
    }
    j.key("margin");
    if (c.margin) {
      const auto& m = *c.margin;
      j.begin_object()
          .field("target", m.target)
          .field("level_db", m.level)
          .field("se", m.se)
          .field("confidence", m.confidence);
      j.key("wald").begin_object(JsonWriter::Layout::inline_);
      j.field("lower", m.wald.lower).field("upper", m.wald.upper).end_object();
      dose_interval(j, "fieller", m.fieller);
      dose_interval(j, "profile", m.profile);
      j.field("extrapolated", c.extrapolated).end_object();
    } else {
      j.null();
    }
    j.field("reason", c.reason.empty() ? std::optional<std::string>() : c.reason);
    j.end_object();
  }
  j.end_array();
  auto difference = [&](double d, double se, const stats::Interval& i) {
    j.field("difference_db", d)
        .field("se", se)
        .field("lower", i.lower)
        .field("upper", i.upper)
        .field("loss_db", -d);
  };
  j.key("comparison");
  if (!s.compare) {
    j.null();
  } else {
    j.begin_object()
        .field("range_only", s.range_only)
        .field("baseline_sessions", s.baseline_sessions)
        .field("candidate_sessions", s.candidate_sessions);
    j.key("strata").begin_array();
    for (const auto& row : s.strata) {
      j.begin_object().field("label", row.label);
      if (row.result) {
        j.field("baseline_margin_db", row.result->baseline_margin.level)
            .field("candidate_margin_db", row.result->candidate_margin.level);
        difference(row.result->difference, row.result->se, row.result->interval);
        j.key("reason").null();
      } else {
        j.field("reason", row.reason);
      }
      j.end_object();
    }
    j.end_array();
    j.key("pooled");
    if (s.comparison) {
      j.begin_object().field("strata", static_cast<long>(s.comparison->strata.size()));
      difference(s.comparison->difference, s.comparison->se, s.comparison->interval);
      j.field("heterogeneity_q", s.comparison->heterogeneity_q)
          .field("heterogeneity_p", s.comparison->heterogeneity_p)
          .end_object();
    } else {
      j.null();
    }
    j.field("reason", s.comparison_reason.empty() ? std::optional<std::string>()
                                                  : s.comparison_reason);
    j.strings("findings", s.findings);
    j.end_object();
  }
  j.key("gate");
  if (s.gate) {
    const RangeGate& g = *s.gate;
    j.begin_object()
        .field("verdict", g.verdict)
        .field("exit_code", g.exit_code)
        .field("margin_db", g.margin_db)
        .field("alpha", g.alpha)
        .field("interval_level", g.interval_level)
        .field("difference_db", g.difference)
        .field("lower", g.lower)
        .field("upper", g.upper)
        .field("reason", g.reason.empty() ? std::optional<std::string>() : g.reason)
        .field("summary", g.sentence)
        .end_object();
  } else {
    j.null();
  }
  j.end_object();
}

}  // namespace

std::string render_json(const Report& r) {
  // Labels are written script-safe ('<' as \u003c), so the report can sit in an HTML <script>.
  JsonWriter j(/*script_safe=*/true);
  j.begin_object()
      .field("schema", "lockrig.report/1")
      .field("command", r.command)
      .field("generator", std::string("lockrig ") + LOCKRIG_VERSION)
      .field("generated_at", r.generated_at)
      .field("journal", r.journal);
  const RunSelection& sel = r.selection;
  j.key("selection").begin_object();
  j.field("last", sel.last).field("since", sel.since).strings("runs", sel.runs);
  filters(j, "where", sel.where);
  j.strings("scenarios", sel.scenarios);
  j.end_object();
  j.key("settings")
      .begin_object()
      .field("confidence", r.options.confidence)
      .field("alpha", r.options.alpha)
      .field("margin", r.options.margin)
      .field("power", r.options.power)
      .field("latency_slo_ms", r.options.latency_slo_ms)
      .field("strata", r.options.strata)
      .field("range_target", r.options.range_target)
      .field("range_link", stats::to_string(r.options.range_link))
      .field("range_margin_db", r.options.range_margin_db);
  filters(j, "baseline", r.options.baseline);
  filters(j, "candidate", r.options.candidate);
  j.end_object();
  j.key("runs").begin_array();
  for (const auto& run : r.runs) {
    j.begin_object()
        .field("id", static_cast<long long>(run.id))
        .field("uuid", run.uuid)
        .field("host", run.host)
        .field("rig", run.rig)
        .field("started_at", run.started_at)
        .field("ended_at", run.ended_at)
        .field("status", run.status)
        .field("sessions", run.sessions);
    j.key("labels").begin_object();
    for (const auto& [k, v] : run.labels) j.field(k, v);
    j.end_object().end_object();
  }
  j.end_array();
  j.key("sessions")
      .begin_object()
      .field("total", r.sessions)
      .field("unmatched_sli", r.unmatched_sli_sessions)
      .field("unread_firmware", r.unread_firmware_sessions)
      .field("rig_fault", r.rig_faults.sessions)
      .end_object();
  j.key("arms").begin_array();
  for (const auto& a : r.arms) arm(j, a);
  j.end_array();
  if (r.comparison)
    comparison(j, r);
  else
    j.key("comparison").null();
  if (r.gate)
    gate(j, *r.gate);
  else
    j.key("gate").null();
  if (r.latency_shift) {
    const auto& m = *r.latency_shift;
    j.key("latency_shift")
        .begin_object()
        .field("test", "mann-whitney")
        .field("x", "candidate")
        .field("y", "baseline")
        .field("n_x", m.n_x)
        .field("n_y", m.n_y)
        .field("u", m.u)
        .field("p_value", m.p_value)
        .field("exact", m.exact)
        .field("ties", m.ties)
        .field("z", m.z)
        .field("probability_x_greater", m.probability_x_greater)
        .strings("notes", m.notes)
        .end_object();
  } else {
    j.key("latency_shift").null();
  }
  j.key("locks").begin_array();
  for (const auto& l : r.locks) {
    j.begin_object()
        .field("arm", l.arm)
        .field("lock", l.lock_id)
        .field("model", l.model)
        .field("material", l.material)
        .field("firmware", l.firmware);
    proportion(j, "sli", l.sli, l.counts);
    j.field("peers", l.peers);
    counts_object(j, "peer_counts", l.peer_counts);
    j.field("p_worse", l.p_worse)
        .field("p_worse_bh", l.p_worse_adjusted)
        .field("p_worse_family", l.p_worse_family)
        .field("flagged", l.flagged)
        .end_object();
  }
  j.end_array();
  j.key("assertions").begin_array();
  for (const auto& a : r.assertions)
    j.begin_object()
        .field("scenario", a.scenario)
        .field("expect", a.expect)
        .field("arm", a.arm)
        .field("passed", a.passed)
        .field("failed", a.failed)
        .strings("failures", a.failures)
        .end_object();
  j.end_array();
  j.key("scenario_locks").begin_array();
  for (const auto& s : r.scenario_locks) {
    j.begin_object()
        .field("scenario", s.scenario)
        .field("lock", s.lock_id)
        .field("arm", s.arm)
        .field("material", s.material);
    counts_object(j, "sli", s.sli);
    j.field("assertions", s.assertions)
        .field("assertions_failed", s.assertions_failed)
        .field("rig_faults", s.rig_faults)
        .strings("failures", s.failures)
        .end_object();
  }
  j.end_array();
  j.key("rig_faults").begin_object().field("sessions", r.rig_faults.sessions);
  j.key("by_run").begin_array();
  for (const auto& x : r.rig_faults.by_run)
    j.begin_object()
        .field("run", x.run_uuid)
        .field("sessions", x.sessions)
        .field("events", x.events)
        .end_object();
  j.end_array();
  j.key("events").begin_array();
  for (const auto& e : r.rig_faults.events)
    j.begin_object()
        .field("run", r.runs[e.run].uuid)
        .field("lock", e.lock_id)
        .field("t_ns", static_cast<long long>(e.t_ns))
        .field("kind", e.kind)
        .field("target", e.target)
        .field("value", e.value)
        .field("detail", e.detail)
        .end_object();
  j.end_array().end_object();
  range_json(j, r.range);
  // Issue 16 item 6 (docs/annotate.md): the notes and the muted locks.
  j.key("notes").begin_array();
  for (const auto& n : r.notes.notes) {
    j.begin_object()
        .field("created_at", n.created_at)
        .field("author", n.author)
        .field("about", n.subject)
        .field("text", n.text);
    if (!n.mute_until.empty()) j.field("mute_until", n.mute_until);
    j.end_object();
  }
  j.end_array();
  j.key("muted_locks").begin_array();
  for (const auto& m : r.notes.muted) {
    j.begin_object()
        .field("lock", m.lock_id)
        .field("mute_until", m.mute_until)
        .field("author", m.author)
        .field("text", m.text);
    j.key("sli").begin_array();
    for (const auto& l : m.figures) {
      j.begin_object().field("arm", l.arm);
      proportion(j, "sli", l.sli, l.counts);
      j.end_object();
    }
    j.end_array().end_object();
  }
  j.end_array();
  if (!r.notes.muted.empty()) j.field("verdict_with_muted", r.notes.verdict_with_muted);
  j.strings("warnings", r.warnings);
  j.key("verdict")
      .begin_object()
      .field("status", r.gate ? to_string(r.gate->verdict) : "none")
      .field("summary", r.verdict)
      .strings("findings", r.findings);
  // issue 11 item 7: the tests behind the findings, Holm-adjusted across them.
  j.key("headline").begin_array();
  for (const auto& t : r.headline)
    j.begin_object()
        .field("name", t.name)
        .field("test", t.test)
        .field("p", t.p)
        .field("holm_multiplier", t.multiplier)
        .field("p_holm", t.p_holm)
        .field("significant", t.significant)
        .end_object();
  j.end_array().end_object();
  j.end_object();
  return j.str();
}

std::string render_json(const SloReport& r) {
  JsonWriter j;
  j.begin_object()
      .field("schema", "lockrig.slo/1")
      .field("journal", r.journal)
      .field("generated_at", r.generated_at)
      .field("target", r.options.target)
      .field("window_nights", r.options.window_days)
      .field("window_from", night_text(r.window_from))
      .field("as_of", night_text(r.as_of))
      .field("runs_selected", r.runs_selected)
      .field("sli_sessions_outside_window", r.sessions_outside_window)
      .key("overall");
  slo_figures(j, r.overall);
  j.key("groups").begin_object();
  for (const auto& [dimension, figures] : r.groups) {
    j.key(dimension).begin_array(JsonWriter::Layout::inline_);
    for (const auto& f : figures) slo_figures(j, f);
    j.end_array();
  }
  j.end_object().end_object();
  return j.str();
}

std::string render_json(const PlanFigures& p) {
  JsonWriter j;
  j.begin_object()
      .field("schema", "lockrig.plan/1")
      .field("baseline_rate", p.baseline_rate)
      .field("candidate_rate", p.candidate_rate)
      .field("drop", p.drop)
      .field("alpha", p.alpha)
      .field("power", p.power);
  j.key("detect")
      .begin_object()
      .field("test", "two-sided two-proportion z test (R power.prop.test)")
      .field("sessions_per_version", p.sessions)
      .field("sessions_per_version_exact", p.sessions_exact)
      .end_object();
  j.key("gate");
  if (p.margin)
  {
    j.begin_object()
        .field("test", "one-sided stratified score test of non-inferiority, equal true rates")
        .field("margin", *p.margin)
        .field("sessions_per_version", p.gate_sessions)
        .field("sessions_per_version_exact", p.gate_sessions_exact)
        .field("looks", p.looks)
        .field("one_look_sessions_per_version", p.fixed_sessions)
        .field("expected_sessions_per_version", p.expected_sessions)
        .field("power", p.gate_power)
        .field("power_method", p.gate_power_method);
    if (p.gate_power_method == "simulated")
      j.field("power_monte_carlo_se", p.gate_power_se)
          .field("power_replicates", static_cast<long long>(p.gate_replicates));
    j.key("look_sessions_per_version").begin_array();
    for (long n : p.look_sessions) j.value(static_cast<long long>(n));
    j.end_array();
    j.key("strata").begin_array();
    for (const auto& st : p.strata)
      j.begin_object(JsonWriter::Layout::inline_)
          .field("name", st.name)
          .field("share", st.share)
          .field("rate", st.rate)
          .end_object();
    j.end_array();
    j.end_object();
  }
  else
    j.null();
  j.end_object();
  return j.str();
}

}  // namespace lockrig::reports
