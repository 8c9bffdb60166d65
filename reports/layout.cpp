#include "reports/layout.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "reports/evidence_links.hpp"
#include "reports/format.hpp"
#include "rig/base/text.hpp"

namespace lockrig::reports {

namespace {

constexpr std::size_t kMaxRunsShown = 30;
constexpr std::size_t kMaxEventsShown = 50;

std::string estimate(const stats::ProportionEstimate& e) {
  return pct(e.rate) + " [" + pct_interval(e.interval) + "]";
}
std::string estimate(const std::optional<stats::ProportionEstimate>& e) {
  return e ? estimate(*e) : "-";
}

std::string arm_title(const Arm& a) {
  return a.filter.empty() ? a.name : a.name + " (" + filters_text(a.filter) + ")";
}

std::string percentile_cell(const stats::PercentileEstimate& p) {
  return ms(p.estimate) + " [" + (p.lower ? ms(*p.lower) : "-") + ", " +
         (p.upper ? ms(*p.upper) : "-") + "]";
}

std::string margin_text(double margin) {
  return pts(margin).substr(1);
}

std::string conf_text(double c) {
  const double p = 100.0 * c;
  return (std::fabs(p - std::round(p)) < 1e-9 ? pct(c, 0) : pct(c, 1));
}

// Issue 15 item 4: what the report covers, for its header: the rig(s) with their hosts, the
// nights (UTC dates the runs started on) and the runs (journal ids, as `lockrig show` takes them).
std::string covers_text(const Report& r) {
  if (r.runs.empty()) return "no runs";
  std::map<std::string, std::set<std::string>> hosts;  // rig -> hosts
  std::set<std::string> nights;
  std::vector<std::int64_t> ids;
  for (const auto& run : r.runs) {
    auto& h = hosts[run.rig];
    if (!run.host.empty()) h.insert(run.host);
    nights.insert(run.started_at.substr(0, 10));
    ids.push_back(run.id);
  }
  std::vector<std::string> rigs;
  for (const auto& [rig, h] : hosts)
    rigs.push_back(rig + (h.empty() ? "" : " on " + join(std::vector<std::string>(h.begin(), h.end()),
                                                          ", ")));
  std::string text = (hosts.size() == 1 ? "rig " : "rigs ") + join(rigs, "; ");
  text += nights.size() == 1 ? "; night " + *nights.begin()
                             : "; " + std::to_string(nights.size()) + " nights " +
                                   *nights.begin() + " to " + *nights.rbegin();
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> ranges;
  for (std::size_t i = 0; i < ids.size();) {
    std::size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    ranges.push_back(j == i ? std::to_string(ids[i])
                            : std::to_string(ids[i]) + "-" + std::to_string(ids[j]));
    i = j + 1;
  }
  text += ids.size() == 1 ? "; run " + ranges.front() + " (" + r.runs.front().uuid + ")"
                          : "; " + std::to_string(ids.size()) + " runs " + join(ranges, ", ");
  return text;
}

// The ids of `refs` as `lockrig show` takes them, at most `shown`, then how many more.
// How many sessions `refs` stand for (a ref with session id 0 counts several, unnamed).
long long refs_count(const std::vector<const FailedSessionRef*>& refs) {
  long long n = 0;
  for (const auto* f : refs) n += f->count;
  return n;
}

// A ref with session id 0 stands for sessions counted but not named (its `count`).
std::string refs_text(const std::vector<const FailedSessionRef*>& refs, std::size_t shown = 5) {
  std::vector<std::string> ids;
  for (const auto* f : refs)
    if (f->session_id != 0 && ids.size() < shown) ids.push_back(session_ref(*f));
  std::string text = join(ids, ", ");
  const long long more = refs_count(refs) - static_cast<long long>(ids.size());
  if (more > 0) text += (ids.empty() ? "" : " ") + std::string("(+") + std::to_string(more) + " more)";
  return text;
}

// The failed sessions of the report's evidence that `keep` selects, oldest first.
template <typename Keep>
std::vector<const FailedSessionRef*> failed_refs(const Report& r, Keep keep) {
  std::vector<const FailedSessionRef*> out;
  if (!r.evidence) return out;
  for (const auto& [key, c] : r.evidence->cases)
    for (const auto& f : c.failed)
      if (keep(key.first, key.second, f)) out.push_back(&f);
  std::sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
    return std::pair(a->run_id, a->session_id) < std::pair(b->run_id, b->session_id);
  });
  return out;
}

Block paragraph(std::string text) {
  Block b;
  b.kind = Block::Kind::paragraph;
  b.text = std::move(text);
  return b;
}

Block warning(std::string text) {
  Block b;
  b.kind = Block::Kind::warning;
  b.text = std::move(text);
  return b;
}

Block bullets(std::vector<std::string> items) {
  Block b;
  b.kind = Block::Kind::bullets;
  b.items = std::move(items);
  return b;
}

Block table_block(Table t) {
  Block b;
  b.kind = Block::Kind::table;
  if (t.highlight.size() < t.rows.size()) t.highlight.resize(t.rows.size(), false);
  b.table = std::move(t);
  return b;
}

Block chart(ChartKind k) {
  Block b;
  b.kind = Block::Kind::chart;
  b.chart = k;
  return b;
}

Block verdict_block(const Report& r) {
  Block b;
  b.kind = Block::Kind::verdict;
  b.text = r.verdict;
  b.verdict_class = r.gate ? to_string(r.gate->verdict) : "info";
  return b;
}

// Issue 16 item 3: the worst groups right under the verdict, so an overall figure cannot hide
// them (the pooled SLI is a weighted mean over strata and locks, and can look fine while one
// material or lock is clearly worse). Names the strata the gate shows worse than the margin, then
// the locks flagged WORSE than their peers, worst first; red on a colour terminal and in HTML.
// Nothing when no group is shown worse: a stratum is only named on a test's evidence.
std::optional<Block> worst_groups_block(const Report& r) {
  std::vector<std::string> named;
  if (r.gate) {
    std::vector<const GateStratumCheck*> worse;
    for (const auto& c : r.gate->strata_checks)
      if (c.worse) worse.push_back(&c);
    std::stable_sort(worse.begin(), worse.end(),
                     [](const auto* a, const auto* b) { return a->difference < b->difference; });
    for (const auto* c : worse)
      named.push_back(r.options.strata + " " + c->label + " " + pts(c->difference) +
                      ", shown worse than -" + margin_text(r.options.margin) + " (Holm p " +
                      pval(c->p_holm) + ")");
  }
  std::vector<const LockSli*> flagged;
  for (const auto& l : r.locks)
    if (l.flagged) flagged.push_back(&l);
  std::stable_sort(flagged.begin(), flagged.end(), [](const auto* a, const auto* b) {
    return a->p_worse_family.value_or(1.0) < b->p_worse_family.value_or(1.0);
  });
  constexpr std::size_t kMaxLocksNamed = 5;
  for (std::size_t i = 0; i < flagged.size() && i < kMaxLocksNamed; ++i) {
    const LockSli& l = *flagged[i];
    named.push_back("lock " + l.lock_id + (r.comparison ? " (" + l.arm + ")" : "") + " WORSE: SLI " +
                    (l.counts.trials ? pct(l.counts.rate()) : "-") + " vs its peers' " +
                    (l.peer_counts.trials ? pct(l.peer_counts.rate()) : "-"));
  }
  if (flagged.size() > kMaxLocksNamed)
    named.push_back(std::to_string(flagged.size() - kMaxLocksNamed) + " more flagged lock(s) under Locks");
  if (named.empty()) return std::nullopt;
  Block b;
  b.kind = Block::Kind::verdict;
  b.verdict_class = "fail";
  b.text = "Worst: " + join(named, "; ") + ".";
  return b;
}

// Issue 16 item 6 (docs/annotate.md): a mute is stated right under the verdict it changed.
std::optional<Block> mute_block(const Report& r) {
  if (r.notes.muted.empty()) return std::nullopt;
  std::vector<std::string> named;
  for (const auto& m : r.notes.muted)
    named.push_back(m.lock_id + " (muted until " + m.mute_until + " by " + m.author + ")");
  return warning("Mute applied: lock(s) " + join(named, ", ") +
                 " left out of every figure and of the verdict, measured apart under Muted "
                 "locks. With them included: " + r.notes.verdict_with_muted);
}

Section verdict_section(const Report& r) {
  Section s{"verdict", "Verdict", {}};
  s.blocks.push_back(verdict_block(r));
  if (auto mute = mute_block(r)) s.blocks.push_back(std::move(*mute));
  if (auto worst = worst_groups_block(r)) s.blocks.push_back(std::move(*worst));
  if (!r.findings.empty()) s.blocks.push_back(bullets(r.findings));
  for (const auto& w : r.warnings) s.blocks.push_back(warning(w));
  return s;
}

std::string selection_text(const RunSelection& sel) {
  std::vector<std::string> parts;
  if (!sel.runs.empty()) parts.push_back("--run " + join(sel.runs, ", "));
  for (const auto& w : sel.where) parts.push_back("--where " + w.text());
  if (sel.since) parts.push_back("--since " + *sel.since);
  if (sel.last) parts.push_back("--last " + std::to_string(*sel.last));
  if (!sel.scenarios.empty()) parts.push_back("--scenario " + join(sel.scenarios, ","));
  return parts.empty() ? "all runs" : join(parts, "; ");
}

Section selection_section(const Report& r, bool with_runs) {
  Section s{"selection", "Selection", {}};
  Block defs;
  defs.kind = Block::Kind::definitions;
  defs.defs.push_back({"journal", r.journal});
  defs.defs.push_back({"runs", selection_text(r.selection) + ": " +
                                   with_commas(static_cast<long long>(r.runs.size())) +
                                   (r.runs.size() == 1 ? " run, " : " runs, ") +
                                   with_commas(r.sessions) + " sessions"});
  if (r.comparison) {
    defs.defs.push_back({"baseline", filters_text(r.options.baseline)});
    defs.defs.push_back({"candidate", filters_text(r.options.candidate)});
  }
  defs.defs.push_back({"strata", r.options.strata});
  defs.defs.push_back({"settings", "confidence " + conf_text(r.options.confidence) + ", alpha " +
                                       num(r.options.alpha) + ", margin " +
                                       margin_text(r.options.margin) + ", power " +
                                       num(r.options.power) + ", latency SLO " +
                                       ms(r.options.latency_slo_ms)});
  defs.defs.push_back({"generated", r.generated_at});
  s.blocks.push_back(defs);
  if (!with_runs) return s;
  Table t;
  t.header = {"run", "uuid", "rig", "started", "status", "sessions", "labels"};
  t.numeric = {true, false, false, false, false, true, false};
  t.drop_order = {0, 2, 4, 3, 0, 0, 1};  // docs/reports.md "Narrow terminals"
  const std::size_t first = r.runs.size() > kMaxRunsShown ? r.runs.size() - kMaxRunsShown : 0;
  for (std::size_t i = first; i < r.runs.size(); ++i) {
    const RunRecord& run = r.runs[i];
    std::vector<std::string> labels;
    for (const auto& [k, v] : run.labels) labels.push_back(k + "=" + v);
    t.rows.push_back({std::to_string(run.id), run.uuid, run.rig, run.started_at, run.status,
                      with_commas(run.sessions), join(labels, " ")});
  }
  s.blocks.push_back(table_block(std::move(t)));
  if (first > 0)
    s.blocks.push_back(
        paragraph("(the " + std::to_string(first) + " older runs are listed in the JSON report)"));
  return s;
}

Section sli_section(const Report& r) {
  Section s{"sli", r.comparison ? "SLI per version" : "SLI", {}};
  s.blocks.push_back(paragraph(
      "Session SLI: SLI-eligible sessions that unlocked within their budget (the app's retries "
      "inside), Wilson " +
      conf_text(r.options.confidence) +
      " intervals. First attempt: sessions whose first attempt already unlocked."));
  Table t;
  t.header = {"version",      "SLI [CI]",         "unlocked/SLI",      "first attempt [CI]",
              "first ok/SLI", "attempts/session", "assertions failed", "rig faults"};
  t.numeric = {false, true, true, true, true, true, true, true};
  t.drop_order = {0, 0, 3, 2, 1, 4, 5, 6};
  for (const auto& a : r.arms) {
    char mean[32];
    std::snprintf(mean, sizeof mean, "%.3f", a.mean_attempts);
    t.rows.push_back({arm_title(a), estimate(a.sli), counts(a.sli_counts),
                      estimate(a.first_attempt), counts(a.first_attempt_counts),
                      a.sli_counts.trials ? mean : "-",
                      with_commas(a.assertions_failed) + "/" + with_commas(a.assertions),
                      with_commas(a.rig_fault_sessions)});
  }
  s.blocks.push_back(table_block(std::move(t)));

  // How many attempts sessions needed.
  std::set<int> attempts;
  for (const auto& a : r.arms)
    for (const auto& b : a.attempts) attempts.insert(b.attempts);
  if (!attempts.empty()) {
    Table h;
    h.header = {"attempts"};
    h.numeric = {true};
    for (const auto& a : r.arms) {
      h.header.push_back(a.name + " sessions");
      h.header.push_back(a.name + " unlocked");
      h.numeric.push_back(true);
      h.numeric.push_back(true);
    }
    for (int n : attempts) {
      std::vector<std::string> row = {std::to_string(n)};
      for (const auto& a : r.arms) {
        const AttemptsBucket* b = nullptr;
        for (const auto& x : a.attempts)
          if (x.attempts == n) b = &x;
        if (!b) {
          row.push_back("0");
          row.push_back("0");
          continue;
        }
        row.push_back(
            with_commas(b->sessions) + " (" +
            pct(static_cast<double>(b->sessions) / static_cast<double>(a.sli_counts.trials), 1) +
            ")");
        row.push_back(with_commas(b->successes));
      }
      h.rows.push_back(std::move(row));
    }
    s.blocks.push_back(paragraph("Attempts per SLI session:"));
    s.blocks.push_back(table_block(std::move(h)));
  }
  return s;
}

// The reason is spelled out under the table; the cell only names the role.
std::string role_text(const StratumComparison& sc) {
  if (sc.role == stats::StratumRole::contributes) return "";
  return std::string(stats::to_string(sc.role)) + " (see below)";
}

Table strata_table(const Report& r) {
  const Comparison& c = *r.comparison;
  Table t;
  t.header = {r.options.strata, "candidate",  "cand. rate", "cand. mix",
              "baseline",       "base. rate", "base. mix",  "difference [CI]",
              "Fisher p",       "Holm p",     "note"};
  t.numeric = {false, true, true, true, true, true, true, true, true, true, false};
  t.drop_order = {0, 5, 0, 1, 6, 0, 2, 0, 3, 7, 4};
  t.highlight_is_bad = false;  // the highlighted row is the pooled one
  for (const auto& sc : c.strata) {
    t.rows.push_back(
        {sc.label, counts(sc.candidate), sc.candidate.trials ? pct(sc.candidate.rate()) : "-",
         pct(sc.candidate_share, 1), counts(sc.baseline),
         sc.baseline.trials ? pct(sc.baseline.rate()) : "-", pct(sc.baseline_share, 1),
         sc.difference ? pts_with_interval(sc.difference->difference, sc.difference->interval)
                       : "-",
         sc.fisher ? pval(sc.fisher->p_two_sided) : "-",
         sc.fisher_p_holm ? pval(*sc.fisher_p_holm) : "-", role_text(sc)});
    t.highlight.push_back(false);
  }
  const auto& rd = c.risk_difference;
  t.rows.push_back({"stratified (Mantel-Haenszel)", counts(r.arms[1].sli_counts),
                    pct(r.arms[1].sli_counts.rate()), "", counts(r.arms[0].sli_counts),
                    pct(r.arms[0].sli_counts.rate()), "",
                    rd.informative ? pts_with_interval(rd.difference, rd.interval) : "-",
                    c.cmh.informative ? pval(c.cmh.p_value) + " (CMH)" : "-", "", ""});
  t.highlight.push_back(true);
  return t;
}

// Strata that could not contribute, and why, so no one wonders where they went; then the
// library's notes on the methods.
std::vector<std::string> strata_explanations(const Comparison& c) {
  std::vector<std::string> explained;
  for (const auto& sc : c.strata)
    if (sc.role != stats::StratumRole::contributes)
      explained.push_back(sc.label + ": " + stats::to_string(sc.role) +
                          " for CMH, odds ratio and Breslow-Day; " + sc.reason +
                          (sc.role == stats::StratumRole::uninformative
                               ? ". It still enters the risk difference (and the gate) with "
                                 "difference 0."
                               : "."));
  std::set<std::string> notes;
  for (const auto* v :
       {&c.cmh.notes, &c.risk_difference.notes, &c.odds_ratio.notes, &c.breslow_day.notes})
    notes.insert(v->begin(), v->end());
  for (const auto& n : notes) explained.push_back(n);
  return explained;
}

Section comparison_section(const Report& r) {
  const Comparison& c = *r.comparison;
  const std::string conf = conf_text(r.options.confidence);
  Section s{"comparison", "Comparison: candidate vs baseline", {}};
  s.blocks.push_back(paragraph(
      "Differences are candidate - baseline in percentage points (negative = the candidate "
      "fails more), with Newcombe " +
      conf +
      " intervals; Fisher's exact test is two-sided; "
      "P(worse), pooled, is the posterior probability under Jeffreys priors that the candidate's "
      "pooled rate is below the baseline's: pooled over " +
      r.options.strata +
      ", so not adjusted for the mix (the stratified figures below are)."));
  Table o;
  o.header = {"measure", "candidate", "baseline", "difference [CI]", "Fisher p", "P(worse), pooled"};
  o.numeric = {false, true, true, true, true, true};
  o.drop_order = {0, 0, 0, 0, 2, 1};
  const Arm& cand = r.arms[1];
  const Arm& base = r.arms[0];
  o.rows.push_back({"session SLI", pct(cand.sli->rate) + " (" + counts(cand.sli_counts) + ")",
                    pct(base.sli->rate) + " (" + counts(base.sli_counts) + ")",
                    pts_with_interval(c.overall.difference, c.overall.interval),
                    pval(c.fisher.p_two_sided), probability(c.bayes.probability_candidate_worse)});
  o.rows.push_back({"first-attempt success",
                    pct(cand.first_attempt->rate) + " (" + counts(cand.first_attempt_counts) + ")",
                    pct(base.first_attempt->rate) + " (" + counts(base.first_attempt_counts) + ")",
                    pts_with_interval(c.first_attempt.difference, c.first_attempt.interval),
                    pval(c.first_attempt_fisher.p_two_sided), "-"});
  s.blocks.push_back(table_block(std::move(o)));

  s.blocks.push_back(paragraph("Per " + r.options.strata +
                               " (mix = share of the version's SLI sessions; Holm-adjusted p "
                               "across the strata compared):"));
  s.blocks.push_back(table_block(strata_table(r)));
  s.blocks.push_back(chart(ChartKind::forest));

  Block defs;
  defs.kind = Block::Kind::definitions;
  defs.defs.push_back(
      {"CMH test", c.cmh.informative
                       ? "chi-squared " + num(c.cmh.statistic) + ", p = " + pval(c.cmh.p_value) +
                             (c.cmh.continuity_correction ? " (continuity-corrected)" : "")
                       : "not informative (no stratum has a failure)"});
  defs.defs.push_back({"MH risk difference",
                       c.risk_difference.informative
                           ? pts(c.risk_difference.difference) + ", " + conf + " CI " +
                                 pts_interval(c.risk_difference.interval) + " (Sato variance, se " +
                                 num(100.0 * c.risk_difference.se, 3) + " pts)"
                           : "not estimable"});
  std::string orr = "not estimable";
  if (c.odds_ratio.informative) {
    orr = num(c.odds_ratio.odds_ratio);
    if (c.odds_ratio.interval)
      orr += ", " + conf + " CI " + num(c.odds_ratio.interval->lower) + "-" +
             num(c.odds_ratio.interval->upper);
    orr += " (odds of unlocking, candidate vs baseline)";
  }
  defs.defs.push_back({"MH odds ratio", orr});
  defs.defs.push_back(
      {"Breslow-Day", c.breslow_day.informative
                          ? "chi-squared " + num(c.breslow_day.statistic) + " on " +
                                std::to_string(c.breslow_day.degrees_of_freedom) +
                                " df, p = " + pval(c.breslow_day.p_value)
                          : "not informative (fewer than two strata with failures)"});
  if (!r.headline.empty()) {
    std::vector<std::string> tests;
    for (const auto& t : r.headline)
      tests.push_back(t.test + " p = " + pval(t.p) + " -> " + pval(t.p_holm) +
                      (t.significant ? " (significant)" : ""));
    defs.defs.push_back(
        {"Headline tests", "Holm-adjusted across the " + std::to_string(r.headline.size()) +
                               " tests the findings state, so that two equal versions show any "
                               "finding with probability at most about alpha " +
                               num(r.options.alpha) + ": " + join(tests, "; ")});
  }
  s.blocks.push_back(defs);
  if (c.homogeneity_warning)
    s.blocks.push_back(
        warning("The strata disagree (Breslow-Day p = " + pval(c.breslow_day.p_value) +
                ", Holm-adjusted over the headline tests below " + num(r.options.alpha) +
                "): the difference depends on " + r.options.strata +
                ". Read the per-stratum rows before the common estimate."));
  if (c.simpson_warning)
    s.blocks.push_back(warning(
        "The pooled comparison (" + pts_with_interval(c.overall.difference, c.overall.interval) +
        ") and the stratified one (MH " + pts(c.stratified_difference) +
        ") disagree by more than " + pts(c.simpson_tolerance).substr(1) +
        " or in sign: the versions ran on a different mix of " + r.options.strata +
        " (compare the mix columns). The stratified figure compares like with like."));

  const std::vector<std::string> explained = strata_explanations(c);
  if (!explained.empty()) {
    s.blocks.push_back(paragraph("Strata and methods:"));
    s.blocks.push_back(bullets(explained));
  }
  if (c.power) {
    std::string p = "No significant difference at alpha " + num(r.options.alpha) + ". ";
    if (c.power->drop)
      p += "With " + with_commas(std::lround(c.power->n_per_version)) +
           " SLI sessions per version (harmonic mean), a two-sided test would detect a drop of " +
           pts(c.power->drop->drop).substr(1) + " (" + pct(c.power->baseline_rate) + " to " +
           pct(c.power->drop->candidate_rate) + ") with power " + num(r.options.power) +
           "; smaller drops may go unseen.";
    else
      p += "The sessions at hand cannot detect even a drop to 0% with power " +
           num(r.options.power) + ".";
    s.blocks.push_back(paragraph(p));
  }
  return s;
}

Section gate_section(const Report& r) {
  const Gate& g = *r.gate;
  Section s{"gate", "Release gate (non-inferiority)", {}};
  Block defs;
  defs.kind = Block::Kind::definitions;
  std::string verdict = to_string(g.verdict);
  std::transform(verdict.begin(), verdict.end(), verdict.begin(), ::toupper);
  defs.defs.push_back({"verdict", verdict + " (exit code " + std::to_string(g.exit_code) + ")"});
  defs.defs.push_back({"hypothesis", "H0: candidate - baseline <= -" + margin_text(g.margin) +
                                         " vs H1: > -" + margin_text(g.margin) +
                                         "; alpha " + num(g.alpha) +
                                         " one-sided for each claim (PASS and FAIL)"});
  const std::string method =
      g.method == "chan-exact-unconditional"
          ? "Chan's exact unconditional test (one " + r.options.strata +
                " with few sessions; score statistic as the ordering)"
      : g.method == "group-sequential-stratified-score"
          ? "stratified Miettinen-Nurminen score test by " + r.options.strata +
                ", group-sequential look"
          : "stratified Miettinen-Nurminen score test by " + r.options.strata +
                " (Mantel-Haenszel weights)";
  defs.defs.push_back({"method", method});
  defs.defs.push_back({"difference", pts(g.difference) +
                                         (g.se ? ", null se " + num(100.0 * *g.se, 3) + " pts"
                                               : "")});
  if (g.lower_bound && g.upper_bound)
    defs.defs.push_back(
        {"bounds", "one-sided " + conf_text(1.0 - g.alpha) + " lower " + pts(*g.lower_bound) +
                       ", upper " + pts(*g.upper_bound) + " (together the two-sided " +
                       conf_text(g.interval_level) + " interval; score test inverted)"});
  if (g.look)
    defs.defs.push_back(
        {"test", "score z = " + num(g.z, 4) + " at -margin; look " +
                     std::to_string(g.look->look) + " of " +
                     std::to_string(g.look->max_looks) + ": PASS when z >= " +
                     num(g.look->critical, 4) + ", FAIL when z <= " + num(-g.look->critical, 4) +
                     " (nominal p " + pval(g.look->nominal_p) + ", alpha spent " +
                     num(g.look->cumulative_alpha, 3) + ", " + g.look->spending + ")"});
  else if (g.method == "chan-exact-unconditional")
    defs.defs.push_back({"test", "score z = " + num(g.z, 4) + "; exact p(pass) = " +
                                     pval(g.p_value) + ", p(fail) = " + pval(g.p_fail)});
  else
    defs.defs.push_back({"test", "z = " + num(g.z, 4) + ", p(pass) = " + pval(g.p_value) +
                                     ", p(fail) = " + pval(g.p_fail)});
  defs.defs.push_back(
      {"looks", g.look ? "look " + std::to_string(g.look->look) + " of " +
                             std::to_string(g.look->max_looks) + " declared, journaled"
                       : "a single look (fixed-sample test); repeated looks need --looks N"});
  if (!g.strata_checks.empty()) {
    std::vector<std::string> rows;
    for (const auto& c : g.strata_checks)
      rows.push_back(c.label + " " + pts(c.difference) + " (Holm p " + pval(c.p_holm) +
                     (c.worse ? ", WORSE" : "") + ")");
    defs.defs.push_back({"per " + r.options.strata + " (worse than -margin?)", join(rows, "; ")});
  }
  defs.defs.push_back(
      {"failure ratio allowed",
       g.failure_ratio_allowed
           ? num(*g.failure_ratio_allowed, 3) + "x the baseline's failure rate (" +
                 pct(1.0 - g.baseline_rate, 3) + " -> " +
                 pct(1.0 - g.baseline_rate + g.margin, 3) + ")"
           : "unbounded (the baseline never failed)"});
  if (g.needed) {
    const SessionsNeeded& n = *g.needed;
    defs.defs.push_back(
        {"sessions needed",
         n.achievable ? with_commas(n.more_per_version) + " more SLI sessions per version (" +
                            with_commas(n.per_version) + " per version in all; baseline +" +
                            with_commas(n.more_baseline) + ", candidate +" +
                            with_commas(n.more_candidate) + ")"
                      : "no sample size is likely to settle it"});
    defs.defs.push_back({"plan basis", n.basis});
  }
  defs.defs.push_back({"rule", g.rule});
  s.blocks.push_back(defs);
  if (!g.notes.empty()) s.blocks.push_back(bullets(g.notes));
  return s;
}

Section groups_section(const Report& r, bool by_scenario) {
  Section s{by_scenario ? "scenarios" : "strata",
            by_scenario ? "SLI by scenario" : "SLI by " + r.options.strata,
            {}};
  Table t;
  t.header = {"version",
              by_scenario ? "scenario" : r.options.strata,
              "SLI [CI]",
              "unlocked/SLI",
              "first attempt [CI]",
              "first ok/SLI"};
  t.numeric = {false, false, true, true, true, true};
  t.drop_order = {0, 0, 0, 2, 3, 1};
  for (const auto& a : r.arms)
    for (const auto& g : by_scenario ? a.by_scenario : a.by_stratum)
      t.rows.push_back({a.name, g.key, estimate(g.sli), counts(g.sli.counts),
                        estimate(g.first_attempt), counts(g.first_attempt.counts)});
  if (t.rows.empty())
    s.blocks.push_back(paragraph("No SLI sessions."));
  else
    s.blocks.push_back(table_block(std::move(t)));
  return s;
}

Section locks_section(const Report& r) {
  Section s{"locks", "Locks", {}};
  s.blocks.push_back(paragraph(
      "Each lock against its peers (the other locks of the same version on the same door "
      "material; a lock without one is not compared): one-sided Fisher test "
      "that the lock fails more, Benjamini-Hochberg adjusted over the locks compared, then "
      "times the lock family's Holm factor among the report's headline tests (family p); WORSE "
      "when the family p is below " +
      num(r.options.alpha) + "."));
  Table t;
  t.header = {"lock",  "version",        "material", "model", "firmware", "SLI [CI]", "unlocked/SLI",
              "peers", "peers unlocked", "p",        "BH p",  "family p", "flag"};
  t.numeric = {false, false, false, false, false, true, true, false, true, true, true, true, false};
  // Lock, version, SLI and the flag always; the peer detail first, the family p last.
  t.drop_order = {0, 0, 8, 4, 6, 0, 7, 1, 3, 2, 5, 9, 0};
  for (const auto& l : r.locks) {
    t.rows.push_back(
        {l.lock_id, l.arm, l.material, l.model, l.firmware, estimate(l.sli), counts(l.counts),
         l.peers.empty() ? "-" : l.peers,
         l.peer_counts.trials ? counts(l.peer_counts) + " (" + pct(l.peer_counts.rate()) + ")"
                              : "-",
         l.p_worse ? pval(*l.p_worse) : "-", l.p_worse_adjusted ? pval(*l.p_worse_adjusted) : "-",
         l.p_worse_family ? pval(*l.p_worse_family) : "-", l.flagged ? "WORSE" : ""});
    t.highlight.push_back(l.flagged);
  }
  if (t.rows.empty()) {
    s.blocks.push_back(paragraph("No SLI sessions."));
    return s;
  }
  s.blocks.push_back(table_block(std::move(t)));
  s.blocks.push_back(chart(ChartKind::lock_dots));
  // Issue 15 item 4: each lock's failed SLI sessions by id, flagged locks first, so a failure
  // leads to its attempts and transcript (`lockrig show RUN/SESSION`).
  if (r.evidence) {
    std::vector<std::string> items;
    std::set<std::string> listed;
    for (const bool flagged : {true, false})
      for (const auto& l : r.locks) {
        if (l.flagged != flagged || listed.count(l.lock_id)) continue;
        const auto refs = failed_refs(r, [&](const std::string&, const std::string& lock,
                                             const FailedSessionRef& f) {
          return lock == l.lock_id && f.sli && f.result == "fail";
        });
        if (refs.empty()) continue;
        listed.insert(l.lock_id);
        items.push_back(l.lock_id + (flagged ? " (WORSE)" : "") + ": " +
                        std::to_string(refs_count(refs)) + " failed SLI session(s): " +
                        refs_text(refs));
      }
    if (!items.empty()) {
      s.blocks.push_back(paragraph(
          "Failed sessions by lock, as RUN/SESSION ids (`lockrig show RUN/SESSION` prints a "
          "session's attempts and transcript; `lockrig runs RUN --failures` lists them all):"));
      s.blocks.push_back(bullets(std::move(items)));
    }
  }
  return s;
}

Section causes_section(const Report& r) {
  Section s{"causes", "Failure causes", {}};
  s.blocks.push_back(paragraph(
      "Failed SLI sessions by the outcome of their last attempt; class lock = the lock answered "
      "wrongly or not at all, timeout = no answer within the budget. Rig faults are not lock "
      "failures and are listed apart."));
  std::set<std::pair<std::string, std::string>> outcomes;
  for (const auto& a : r.arms)
    for (const auto& c : a.causes) outcomes.insert({c.class_, c.outcome});
  if (outcomes.empty()) {
    s.blocks.push_back(paragraph("No failed SLI sessions."));
    return s;
  }
  Table t;
  t.header = {"outcome", "class"};
  t.numeric = {false, false};
  for (const auto& a : r.arms) {
    t.header.push_back(a.name);
    t.numeric.push_back(true);
  }
  for (const auto& [cls, outcome] : outcomes) {
    std::vector<std::string> row = {outcome, cls};
    for (const auto& a : r.arms) {
      long n = 0;
      for (const auto& c : a.causes)
        if (c.outcome == outcome) n = c.sessions;
      row.push_back(with_commas(n) + " (" +
                    (a.sli_counts.trials
                         ? pct(static_cast<double>(n) / static_cast<double>(a.sli_counts.trials), 3)
                         : "-") +
                    ")");
    }
    t.rows.push_back(std::move(row));
  }
  std::vector<std::string> rf = {"rig fault (excluded)", "rig_fault"};
  for (const auto& a : r.arms) rf.push_back(with_commas(a.rig_fault_sessions));
  t.rows.push_back(std::move(rf));
  s.blocks.push_back(table_block(std::move(t)));
  return s;
}

Section latency_section(const Report& r) {
  Section s{"latency", "Latency", {}};
  s.blocks.push_back(paragraph(
      "Duration of successful SLI sessions (unlock requested to unlocked, retries included). "
      "Percentiles with distribution-free " +
      conf_text(r.options.confidence) +
      " intervals from order statistics (\"-\" = too few sessions for that bound); share within "
      "the SLO of " +
      ms(r.options.latency_slo_ms) + " with a Wilson interval."));
  Table t;
  t.header = {"version",         "sessions",        "p50 [CI]", "p90 [CI]", "p99 [CI]",
              "within SLO [CI]", "within/sessions", "mean",     "max"};
  t.numeric = {false, true, true, true, true, true, true, true, true};
  t.drop_order = {0, 4, 0, 3, 6, 0, 2, 1, 5};
  for (const auto& a : r.arms) {
    const LatencySummary& l = a.latency;
    if (l.n == 0) {
      t.rows.push_back({a.name, "0", "-", "-", "-", "-", "-", "-", "-"});
      continue;
    }
    t.rows.push_back({a.name, with_commas(static_cast<long long>(l.n)),
                      percentile_cell(l.percentiles[0]), percentile_cell(l.percentiles[1]),
                      percentile_cell(l.percentiles[2]), estimate(l.within_slo),
                      counts(l.within_slo->counts), ms(l.mean), ms(l.max)});
  }
  s.blocks.push_back(table_block(std::move(t)));
  if (r.latency_shift) {
    const auto& m = *r.latency_shift;
    s.blocks.push_back(paragraph("Mann-Whitney U (candidate vs baseline): U = " + num(m.u, 10) +
                                 ", p = " + pval(m.p_value) +
                                 (m.exact ? " (exact)" : " (normal approximation)") +
                                 "; P(a candidate session is slower than a baseline one) = " +
                                 probability(m.probability_x_greater) + "."));
  }
  s.blocks.push_back(chart(ChartKind::latency_cdf));
  return s;
}

Section assertions_section(const Report& r) {
  Section s{"assertions", "Assertions", {}};
  s.blocks.push_back(paragraph(
      "Sessions that are not SLI events (expected failures such as a removed battery, recovery "
      "checks) are assertions: each passes or fails."));
  if (r.assertions.empty()) {
    s.blocks.push_back(paragraph("No assertion sessions in the selection."));
    return s;
  }
  Table t;
  t.header = {"scenario", "expect",  "version", "passed", "failed", "failures (lock: outcome)",
              "failed sessions (RUN/SESSION)"};
  t.numeric = {false, false, false, true, true, false, false};
  t.drop_order = {0, 4, 0, 3, 0, 2, 1};
  for (const auto& a : r.assertions) {
    // Issue 15 item 4: the failed assertion sessions by id (every version's: an id's run says
    // which version it ran).
    const auto refs = a.failed > 0 ? failed_refs(r, [&](const std::string& scenario,
                                                        const std::string&,
                                                        const FailedSessionRef& f) {
      return scenario == a.scenario && !f.sli && f.result == "fail" && f.expect == a.expect;
    })
                                   : std::vector<const FailedSessionRef*>{};
    t.rows.push_back({a.scenario, a.expect, a.arm, with_commas(a.passed), with_commas(a.failed),
                      join(a.failures, "; "), refs_text(refs)});
    t.highlight.push_back(a.failed > 0);
  }
  s.blocks.push_back(table_block(std::move(t)));
  return s;
}

Section rig_faults_section(const Report& r) {
  Section s{"rig-faults", "Rig faults", {}};
  const RigFaults& f = r.rig_faults;
  if (f.sessions == 0 && f.events.empty()) {
    s.blocks.push_back(paragraph("No rig faults in the selection."));
    return s;
  }
  s.blocks.push_back(paragraph(
      with_commas(f.sessions) + (f.sessions == 1 ? " session" : " sessions") +
      " ended in a rig fault (the rig's own hardware or stack failed), excluded from every SLI, "
      "assertion and latency figure above."));
  Table t;
  t.header = {"run", "rig-fault sessions", "rig_fault/quarantine events"};
  t.numeric = {false, true, true};
  for (const auto& x : f.by_run)
    t.rows.push_back({x.run_uuid, with_commas(x.sessions), with_commas(x.events)});
  s.blocks.push_back(table_block(std::move(t)));
  if (!f.events.empty()) {
    Table e;
    e.header = {"run", "lock", "t", "kind", "target", "value", "detail"};
    e.numeric = {false, false, true, false, false, false, false};
    e.drop_order = {0, 0, 0, 0, 2, 3, 1};
    for (std::size_t i = 0; i < f.events.size() && i < kMaxEventsShown; ++i) {
      const FaultEvent& ev = f.events[i];
      e.rows.push_back({r.runs[ev.run].uuid.substr(0, 8), ev.lock_id.empty() ? "(rig)" : ev.lock_id,
                        ms(static_cast<double>(ev.t_ns) / 1e6), ev.kind, ev.target, ev.value,
                        ev.detail});
    }
    s.blocks.push_back(table_block(std::move(e)));
    if (f.events.size() > kMaxEventsShown)
      s.blocks.push_back(paragraph("(" + std::to_string(f.events.size() - kMaxEventsShown) +
                                   " more events in the JSON report)"));
  }
  return s;
}

}  // namespace

// Issue 16 item 6: the muted locks with their own figures, apart from the verdict.
static std::optional<Section> muted_section(const Report& r) {
  if (r.notes.muted.empty()) return std::nullopt;
  Section s{"muted", "Muted locks", {}};
  s.blocks.push_back(paragraph(
      "Still measured, left out of the figures and the verdict above (lockrig annotate "
      "--mute-until; docs/annotate.md)."));
  Table t;
  t.header = {"lock", "muted until", "by", "arm", "SLI", "sessions", "note"};
  t.numeric = {false, false, false, false, true, true, false};
  for (const auto& m : r.notes.muted) {
    if (m.figures.empty())
      t.rows.push_back({m.lock_id, m.mute_until, m.author, "-", "-", "0", m.text});
    for (const auto& l : m.figures)
      t.rows.push_back({m.lock_id, m.mute_until, m.author, l.arm, estimate(l.sli),
                        with_commas(l.counts.trials), m.text});
  }
  t.highlight.assign(t.rows.size(), false);
  s.blocks.push_back(table_block(std::move(t)));
  return s;
}

// Issue 16 item 6: every note on the selected runs, their locks and sessions.
static std::optional<Section> notes_section(const Report& r) {
  if (r.notes.notes.empty()) return std::nullopt;
  Section s{"notes", "Notes", {}};
  Table t;
  t.header = {"written", "by", "about", "mute", "note"};
  t.numeric = {false, false, false, false, false};
  for (const auto& n : r.notes.notes)
    t.rows.push_back({n.created_at.substr(0, 16), n.author, n.subject,
                      n.mute_until.empty() ? "-" : "until " + n.mute_until, n.text});
  t.highlight.assign(t.rows.size(), false);
  s.blocks.push_back(table_block(std::move(t)));
  return s;
}

Document report_document(const Report& r) {
  Document doc;
  doc.generated_at = r.generated_at;
  doc.guide = "docs/reports.md";
  doc.title = "lockrig report";
  const bool range_only = r.range && r.range->range_only;  // issue 14: sweeps alone
  doc.subtitle = r.comparison || range_only
                     ? "candidate " + filters_text(r.options.candidate) + " vs baseline " +
                           filters_text(r.options.baseline) + (range_only ? " (range only)" : "")
                     : "single population";
  doc.subtitle += "; " + covers_text(r);  // issue 15 item 4
  doc.sections.push_back(verdict_section(r));
  if (range_only) {
    // Issue 14: sweep sessions alone. The SLI, lock, cause and latency tables would hold only
    // zeros; one sentence says so and the Range section takes their place.
    Section sli{"sli", "SLI", {}};
    sli.blocks.push_back(paragraph(
        "No SLI sessions in the selection: its sessions are range-sweep sessions, which measure "
        "range, not daily reliability, so there is no SLI, per-lock comparison, failure cause or "
        "latency to show. The comparison is on range (below)."));
    doc.sections.push_back(std::move(sli));
    doc.sections.push_back(range_section(r));
    if (auto m = muted_section(r)) doc.sections.push_back(std::move(*m));
    doc.sections.push_back(assertions_section(r));
    doc.sections.push_back(rig_faults_section(r));
    if (auto n = notes_section(r)) doc.sections.push_back(std::move(*n));
    doc.sections.push_back(selection_section(r, true));
    return doc;
  }
  doc.sections.push_back(sli_section(r));
  if (r.comparison) {
    doc.sections.push_back(comparison_section(r));
    doc.sections.push_back(gate_section(r));
  } else {
    doc.sections.push_back(groups_section(r, false));
  }
  doc.sections.push_back(groups_section(r, true));
  doc.sections.push_back(locks_section(r));
  if (auto m = muted_section(r)) doc.sections.push_back(std::move(*m));
  doc.sections.push_back(causes_section(r));
  doc.sections.push_back(latency_section(r));
  doc.sections.push_back(assertions_section(r));
  doc.sections.push_back(rig_faults_section(r));
  if (auto n = notes_section(r)) doc.sections.push_back(std::move(*n));
  if (r.range) doc.sections.push_back(range_section(r));  // issue 14
  doc.sections.push_back(selection_section(r, true));
  return doc;
}

Document gate_document(const Report& r) {
  Document doc;
  doc.generated_at = r.generated_at;
  doc.guide = "docs/reports.md";
  doc.title = "lockrig gate";
  doc.subtitle = "candidate " + filters_text(r.options.candidate) + " vs baseline " +
                 filters_text(r.options.baseline);
  Section v{"verdict", "Verdict", {}};
  v.blocks.push_back(verdict_block(r));
  if (r.range && r.range->gate) {  // issue 14: gate --range-margin, its own verdict line
    Block b;
    b.kind = Block::Kind::verdict;
    b.text = r.range->gate->sentence;
    b.verdict_class = r.range->gate->verdict;
    v.blocks.push_back(std::move(b));
  }
  if (auto mute = mute_block(r)) v.blocks.push_back(std::move(*mute));
  if (auto worst = worst_groups_block(r)) v.blocks.push_back(std::move(*worst));
  for (const auto& w : r.warnings) v.blocks.push_back(warning(w));
  doc.sections.push_back(std::move(v));
  if (!r.gate) {  // issue 14: sweep sessions alone, gated on range only
    if (r.range) doc.sections.push_back(range_section(r));
    doc.sections.push_back(selection_section(r, false));
    return doc;
  }
  Section g = gate_section(r);
  g.blocks.push_back(paragraph("Per " + r.options.strata + ":"));
  g.blocks.push_back(table_block(strata_table(r)));
  std::vector<std::string> explained;
  for (auto& e : strata_explanations(*r.comparison))  // the gate's own notes are listed above
    if (std::find(r.gate->notes.begin(), r.gate->notes.end(), e) == r.gate->notes.end())
      explained.push_back(std::move(e));
  if (!explained.empty()) g.blocks.push_back(bullets(explained));
  g.blocks.push_back(chart(ChartKind::forest));
  doc.sections.push_back(std::move(g));
  if (auto m = muted_section(r)) doc.sections.push_back(std::move(*m));
  if (auto n = notes_section(r)) doc.sections.push_back(std::move(*n));
  if (r.range) doc.sections.push_back(range_section(r));  // issue 14
  doc.sections.push_back(selection_section(r, false));
  return doc;
}

}  // namespace lockrig::reports
