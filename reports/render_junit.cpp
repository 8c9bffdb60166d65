// JUnit XML for Jenkins / GitLab: one test case per scenario x lock (failed assertions are
// failures; SLI figures go to system-out, since SLI failures are data, not test failures), one
// per lock for "not significantly worse than its peers", and the release gate (FAIL is a failure,
// INCONCLUSIVE is reported as skipped: not cleared, not failed; the exit code carries the rest),
// and, with gate --range-margin, the range gate the same way (suite lockrig.range, issue 14).
//
// Issue 15: valid against the JUnit schema Jenkins' xUnit plugin validates with (junit-10.xsd,
// jenkinsci/xunit-plugin src/main/resources/org/jenkinsci/plugins/xunit/types/model/xsd/
// junit-10.xsd; vendored as tests/reports/junit-10.xsd): <testsuites> takes name, time, tests,
// failures, disabled and errors only (no skipped, no timestamp: those go on each <testsuite>).
// Case names are stable `scenario/lock` whatever the report mode (a comparison's arms are one
// case), so Jenkins and GitLab keep each case's history; `time` is the sessions' campaign time;
// <properties> name the runs, rigs, seeds, firmware and app; a failed case's system-out carries
// its failed sessions' ids and timelines (`lockrig show RUN/SESSION`).
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "reports/evidence_links.hpp"
#include "reports/format.hpp"
#include "reports/layout.hpp"
#include "rig/base/text.hpp"

namespace lockrig::reports {

namespace {

struct Case {
  std::string classname, name;
  double seconds = 0;
  std::string failure_message, failure_type, failure_body;
  std::string skipped_message;
  std::string system_out;
};

struct Suite {
  std::string name;
  std::vector<Case> cases;
};

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  return buf;
}

std::string attr(const std::string& s) {
  return escape_html(s);
}

void write_suite(std::ostringstream& out, const Suite& s, const std::string& timestamp,
                 const std::vector<std::pair<std::string, std::string>>& properties) {
  long failures = 0, skipped = 0;
  double seconds = 0;
  for (const auto& c : s.cases) {
    failures += !c.failure_message.empty();
    skipped += !c.skipped_message.empty();
    seconds += c.seconds;
  }
  out << "  <testsuite name=\"" << attr(s.name) << "\" tests=\"" << s.cases.size()
      << "\" failures=\"" << failures << "\" errors=\"0\" skipped=\"" << skipped << "\" time=\""
      << seconds_text(seconds) << "\" timestamp=\"" << attr(timestamp) << "\">\n";
  if (!properties.empty()) {
    out << "    <properties>\n";
    for (const auto& [k, v] : properties)
      out << "      <property name=\"" << attr(k) << "\" value=\"" << attr(v) << "\"/>\n";
    out << "    </properties>\n";
  }
  for (const auto& c : s.cases) {
    out << "    <testcase classname=\"" << attr(c.classname) << "\" name=\"" << attr(c.name)
        << "\" time=\"" << seconds_text(c.seconds) << "\"";
    if (c.failure_message.empty() && c.skipped_message.empty() && c.system_out.empty()) {
      out << "/>\n";
      continue;
    }
    out << ">\n";
    if (!c.failure_message.empty())
      out << "      <failure message=\"" << attr(c.failure_message) << "\" type=\""
          << attr(c.failure_type) << "\">" << escape_html(c.failure_body) << "</failure>\n";
    if (!c.skipped_message.empty())
      out << "      <skipped message=\"" << attr(c.skipped_message) << "\"/>\n";
    if (!c.system_out.empty())
      out << "      <system-out>" << escape_html(c.system_out) << "</system-out>\n";
    out << "    </testcase>\n";
  }
  out << "  </testsuite>\n";
}

// Issue 15 item 5: the capture files of the runs `failed` sessions belong to, one
// `[[ATTACHMENT|/abs/path]]` line each, on a line of its own as the Jenkins junit-attachments
// plugin requires (https://github.com/jenkinsci/junit-attachments-plugin, README "By printing out
// the file name"; GitLab reads the same syntax in system-out). Each file once per case.
std::string attachment_lines(const ReportEvidence& ev, const std::vector<FailedSessionRef>& failed) {
  std::set<std::int64_t> runs;
  for (const auto& f : failed) runs.insert(f.run_id);
  std::set<std::string> seen;
  std::string out;
  for (const auto run : runs) {
    const auto it = ev.attachments.find(run);
    if (it == ev.attachments.end()) continue;
    for (const auto& path : it->second)
      if (seen.insert(path).second) out += "[[ATTACHMENT|" + path + "]]\n";
  }
  return out.empty() ? out : "\n" + out;
}

}  // namespace

std::string render_junit(const Report& r) {
  std::vector<Suite> suites;
  if (r.gate) {
    const Gate& g = *r.gate;
    Suite s{"lockrig.gate", {}};
    Case c;
    c.classname = "lockrig.gate";
    c.name = "candidate " + filters_text(r.options.candidate) + " not worse than baseline " +
             filters_text(r.options.baseline) + " by more than " + pts(g.margin).substr(1);
    if (g.verdict == Verdict::fail) {
      c.failure_message = r.verdict;
      c.failure_type = "gate";
      c.failure_body = g.rule;
    } else if (g.verdict == Verdict::inconclusive) {
      c.skipped_message = r.verdict;
    }
    c.system_out = r.verdict + "\n" + join(r.findings, "\n");
    s.cases.push_back(std::move(c));
    suites.push_back(std::move(s));
  }
  // Issue 14: the range gate (gate --range-margin) as a case of its own, as the SLI gate's: FAIL
  // is a failure, INCONCLUSIVE skipped; it is the only gate case when the selection holds sweep
  // sessions alone (range only).
  if (r.range && r.range->gate) {
    const RangeGate& g = *r.range->gate;
    Suite s{"lockrig.range", {}};
    Case c;
    c.classname = "lockrig.range";
    c.name = "candidate " + filters_text(r.options.candidate) + " loses at most " +
             num(g.margin_db) + " dB of range against baseline " +
             filters_text(r.options.baseline) + " at " + pct(r.range->target, 1);
    if (g.verdict == "fail") {
      c.failure_message = g.sentence;
      c.failure_type = "range-gate";
      c.failure_body = "FAIL when the upper bound of the " + num(100.0 * g.interval_level, 3) +
                       "% interval of candidate - baseline is below -" + num(g.margin_db) +
                       " dB (docs/range.md)";
    } else if (g.verdict == "inconclusive") {
      c.skipped_message = g.sentence;
    }
    c.system_out = g.sentence + "\n" + join(r.range->findings, "\n");
    s.cases.push_back(std::move(c));
    suites.push_back(std::move(s));
  }
  Suite scenarios{"lockrig.scenarios", {}};
  const bool compare = r.comparison.has_value();
  // One case per scenario x lock, named `scenario/lock` in every mode: a comparison's arms of the
  // same scenario and lock are one case (its output says which arm said what).
  std::map<std::pair<std::string, std::string>, std::size_t> case_of;
  std::map<std::size_t, std::pair<long, long>> failed_of;  // case -> (failed, assertions)
  for (const auto& sl : r.scenario_locks) {
    const auto key = std::make_pair(sl.scenario, sl.lock_id);
    auto [it, fresh] = case_of.emplace(key, scenarios.cases.size());
    if (fresh) {
      Case c;
      c.classname = "lockrig.scenarios";
      c.name = sl.scenario + "/" + sl.lock_id;
      scenarios.cases.push_back(std::move(c));
    }
    Case& c = scenarios.cases[it->second];
    const std::string arm = compare ? sl.arm + ": " : "";
    std::string out;
    if (sl.sli.trials > 0) out += arm + "SLI " + pct(sl.sli.rate()) + " (" + counts(sl.sli) + ")\n";
    out += arm + "assertions " + with_commas(sl.assertions - sl.assertions_failed) + "/" +
           with_commas(sl.assertions) + " passed\n";
    if (sl.rig_faults > 0)
      out += arm + with_commas(sl.rig_faults) + " rig-fault sessions (excluded)\n";
    c.system_out += out;
    if (sl.assertions_failed > 0) {
      auto& [failed, total] = failed_of[it->second];
      failed += sl.assertions_failed;
      total += sl.assertions;
      c.failure_message = with_commas(failed) + " of " + with_commas(total) + " assertions failed";
      c.failure_type = "assertion";
      for (const auto& f : sl.failures)
        c.failure_body += (c.failure_body.empty() ? "" : "\n") + arm + f;
    }
  }
  // Issue 15: times and the failed sessions' evidence.
  if (r.evidence)
    for (auto& [key, index] : case_of) {
      const auto e = r.evidence->cases.find(key);
      if (e == r.evidence->cases.end()) continue;
      Case& c = scenarios.cases[index];
      c.seconds = e->second.seconds;
      if (e->second.failed.empty()) continue;
      std::string ids;
      for (const auto& f : e->second.failed)
        ids += (ids.empty() ? "" : ", ") + std::to_string(f.run_id) + "/" +
               std::to_string(f.session_id) + " (" + f.result + ": " + f.outcome + ")";
      c.system_out += "failed sessions (lockrig show RUN/SESSION): " + ids + "\n";
      for (const auto& f : e->second.failed)
        if (!f.timeline.empty()) c.system_out += "\n" + f.timeline;
      c.system_out += attachment_lines(*r.evidence, e->second.failed);
    }
  suites.push_back(std::move(scenarios));
  Suite locks{"lockrig.locks", {}};
  std::map<std::string, std::size_t> lock_case;  // one case per lock, whatever the arms
  for (const auto& l : r.locks) {
    auto [it, fresh] = lock_case.emplace(l.lock_id, locks.cases.size());
    if (fresh) {
      Case c;
      c.classname = "lockrig.locks";
      c.name = l.lock_id + " not worse than its peers";
      locks.cases.push_back(std::move(c));
    }
    Case& c = locks.cases[it->second];
    const std::string arm = compare ? l.arm + ": " : "";
    const std::string out = arm + "SLI " + (l.sli ? pct(l.sli->rate) : std::string("-")) + " (" +
                            counts(l.counts) + "); peers: " +
                            (l.peers.empty() ? "none" : l.peers) +
                            (l.peer_counts.trials ? " " + counts(l.peer_counts) : std::string()) +
                            "\n";
    c.system_out += out;
    if (l.flagged) {
      c.failure_message = l.lock_id + " is significantly worse than its peers (" + arm +
                          "BH-adjusted p " + pval(*l.p_worse_adjusted) + ")";
      c.failure_type = "lock";
      c.failure_body += out;
    }
    if (r.evidence) {  // issue 15: the lock's failed sessions, by id
      std::string ids;
      double seconds = 0;
      for (const auto& [key, e] : r.evidence->cases) {
        if (key.second != l.lock_id) continue;
        seconds += e.seconds;
        for (const auto& f : e.failed)
          ids += (ids.empty() ? "" : ", ") + std::to_string(f.run_id) + "/" +
                 std::to_string(f.session_id);
      }
      c.seconds = seconds;
      if (l.flagged && !ids.empty() && c.failure_body.find("failed sessions") == std::string::npos)
        c.failure_body += "failed sessions (lockrig show RUN/SESSION): " + ids + "\n";
      if (l.flagged && c.system_out.find("[[ATTACHMENT|") == std::string::npos) {
        std::vector<FailedSessionRef> failed;
        for (const auto& [key, e] : r.evidence->cases)
          if (key.second == l.lock_id) failed.insert(failed.end(), e.failed.begin(), e.failed.end());
        c.system_out += attachment_lines(*r.evidence, failed);
      }
    }
  }
  suites.push_back(std::move(locks));

  long tests = 0, failures = 0, skipped = 0;
  for (const auto& s : suites)
    for (const auto& c : s.cases) {
      ++tests;
      failures += !c.failure_message.empty();
      skipped += !c.skipped_message.empty();
    }
  (void)skipped;  // per suite only: junit-10.xsd has no `skipped` on <testsuites>
  double seconds = 0;
  for (const auto& s : suites)
    for (const auto& c : s.cases) seconds += c.seconds;
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"lockrig "
      << attr(r.command) << "\" tests=\"" << tests << "\" failures=\"" << failures
      << "\" errors=\"0\" time=\"" << seconds_text(seconds) << "\">\n";
  static const std::vector<std::pair<std::string, std::string>> kNoProperties;
  for (const auto& s : suites)
    write_suite(out, s, r.generated_at, r.evidence ? r.evidence->properties : kNoProperties);
  out << "</testsuites>\n";
  return out.str();
}

}  // namespace lockrig::reports
