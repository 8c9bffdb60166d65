// Issue 15, item 5: the Markdown summary for merge-request comments (`--format markdown-summary`,
// or `--summary`): the verdict, the one key table (SLI per arm), and the failures in collapsed
// <details> blocks with their run/session ids, in at most ~40 lines whatever the size of the
// selection (each list is cut with a count of what was left out); issue 14: a Range line per
// version, the comparison and the range gate (one line per version, whatever the levels).
#include <algorithm>
#include <set>
#include <sstream>

#include "reports/comparison.hpp"
#include "reports/evidence_links.hpp"
#include "reports/format.hpp"
#include "reports/markdown_summary.hpp"
#include "rig/base/text.hpp"

namespace lockrig::reports {

namespace {

constexpr std::size_t kListed = 5;  // items per <details> block

void details(std::ostringstream& out, const std::string& title,
             const std::vector<std::string>& items) {
  if (items.empty()) return;
  out << "<details><summary>" << escape_html(title) << " (" << items.size()
      << ")</summary>\n\n";
  for (std::size_t i = 0; i < items.size() && i < kListed; ++i)
    out << "- " << escape_markdown(items[i]) << "\n";
  if (items.size() > kListed) out << "- ... and " << items.size() - kListed << " more\n";
  out << "\n</details>\n";
}

std::string session_ids(const Report& r, const std::string& scenario, const std::string& lock) {
  if (!r.evidence) return "";
  const auto it = r.evidence->cases.find({scenario, lock});
  if (it == r.evidence->cases.end() || it->second.failed.empty()) return "";
  std::string ids;
  std::size_t n = 0;
  for (const auto& f : it->second.failed) {
    if (n++ == 3) {
      ids += ", ...";
      break;
    }
    ids += (ids.empty() ? "" : ", ") + std::to_string(f.run_id) + "/" +
           std::to_string(f.session_id);
  }
  return " (sessions " + ids + ")";
}

// Issue 14: the Range section in a few lines: each version's range margin per stratum, the
// pooled candidate - baseline difference, and the range gate's verdict line when there is one.
void range_lines(std::ostringstream& out, const Report& r) {
  if (!r.range) return;
  const RangeSection& s = *r.range;
  out << "**Range** (margin at " << pct(s.target, 1) << ", " << stats::to_string(s.link) << " fit, "
      << with_commas(s.sessions) << " sweep sessions" << (s.range_only ? "; range only" : "")
      << ")\n\n";
  std::vector<std::string> arms;
  for (const auto& c : s.curves)
    if (std::find(arms.begin(), arms.end(), c.arm) == arms.end()) arms.push_back(c.arm);
  for (const auto& arm : arms) {
    std::vector<std::string> parts;
    for (const auto& c : s.curves)
      if (c.arm == arm)
        parts.push_back(c.stratum + " " +
                        (c.margin ? db_text(c.margin->level) + " dB" +
                                        (c.extrapolated ? " (extrapolated)" : "")
                                  : std::string("no fit")));
    const auto& filter = arm == "baseline" ? r.options.baseline : r.options.candidate;
    out << "- " << escape_markdown(arm + (arm == "all" ? "" : " (" + filters_text(filter) + ")"))
        << ": " << escape_markdown(join(parts, ", ")) << "\n";
  }
  if (s.compare)
    out << "- candidate - baseline: "
        << escape_markdown(s.comparison
                               ? range_difference_text(s.comparison->difference,
                                                       s.comparison->interval) +
                                     " (" + pct(s.confidence, 0) + " CI, pooled over " +
                                     std::to_string(s.comparison->strata.size()) +
                                     (s.comparison->strata.size() == 1 ? " stratum)" : " strata)")
                               : "no comparison (" + s.comparison_reason + ")")
        << "\n";
  if (s.gate) out << "- " << escape_markdown(s.gate->sentence) << "\n";
  out << "\n";
}

}  // namespace

std::string render_markdown_summary(const Report& r) {
  std::ostringstream out;
  out << "### lockrig " << escape_markdown(r.command) << ": " << escape_markdown(r.verdict)
      << "\n\n";
  // What it covers: rigs, nights and runs.
  std::set<std::string> rigs, nights;
  for (const auto& run : r.runs) {
    rigs.insert(run.rig);
    nights.insert(run.started_at.substr(0, 10));
  }
  std::string covered = std::to_string(r.runs.size()) + " run(s) on rig(s) " +
                        join(std::vector<std::string>(rigs.begin(), rigs.end()), ", ");
  if (!nights.empty())
    covered += ", " + *nights.begin() + (nights.size() > 1 ? " to " + *nights.rbegin() : "");
  if (!r.runs.empty())
    covered += "; runs " + r.runs.front().uuid.substr(0, 8) +
               (r.runs.size() > 1 ? " .. " + r.runs.back().uuid.substr(0, 8) : "");
  out << "_" << escape_markdown(covered) << "; " << r.sessions << " sessions_\n\n";
  out << "| arm | sessions | SLI | interval | assertions failed | rig faults |\n"
         "| --- | ---: | ---: | ---: | ---: | ---: |\n";
  for (const auto& a : r.arms)
    out << "| " << escape_markdown(a.name) << " | " << a.sessions << " | "
        << (a.sli ? pct(a.sli->rate) : std::string("-")) << " | "
        << (a.sli ? pct_interval(a.sli->interval) : std::string("-")) << " | "
        << a.assertions_failed << " | " << a.rig_fault_sessions << " |\n";
  out << "\n";
  range_lines(out, r);
  std::vector<std::string> failed, flagged;
  for (const auto& sl : r.scenario_locks)
    if (sl.assertions_failed > 0)
      failed.push_back(sl.scenario + "/" + sl.lock_id + (r.comparison ? " [" + sl.arm + "]" : "") +
                       ": " + join(sl.failures, "; ") + session_ids(r, sl.scenario, sl.lock_id));
  for (const auto& l : r.locks)
    if (l.flagged)
      flagged.push_back(l.lock_id + (r.comparison ? " [" + l.arm + "]" : "") + ": SLI " +
                        (l.sli ? pct(l.sli->rate) : std::string("-")) + " vs peers " +
                        (l.peers.empty() ? "none" : l.peers) + ", BH-adjusted p " +
                        pval(*l.p_worse_adjusted));
  details(out, "Failed assertions", failed);
  details(out, "Locks worse than their peers", flagged);
  details(out, "Findings", r.findings);
  details(out, "Warnings", r.warnings);
  out << "\n_Details: `lockrig report --format html`; a session's evidence: `lockrig show "
         "RUN/SESSION`._\n";
  return out.str();
}

}  // namespace lockrig::reports
