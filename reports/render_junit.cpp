// JUnit XML for Jenkins / GitLab: one test case per scenario x lock (failed assertions are
// failures; SLI figures go to system-out, since SLI failures are data, not test failures), one
// per lock for "not significantly worse than its peers", and the release gate (FAIL is a failure,
// INCONCLUSIVE is reported as skipped: not cleared, not failed; the exit code carries the rest).
#include <sstream>

#include "reports/format.hpp"
#include "reports/layout.hpp"
#include "rig/base/text.hpp"

namespace lockrig::reports {

namespace {

struct Case {
  std::string classname, name;
  std::string failure_message, failure_type, failure_body;
  std::string skipped_message;
  std::string system_out;
};

struct Suite {
  std::string name;
  std::vector<Case> cases;
};

std::string attr(const std::string& s) {
  return escape_html(s);
}

void write_suite(std::ostringstream& out, const Suite& s) {
  long failures = 0, skipped = 0;
  for (const auto& c : s.cases) {
    failures += !c.failure_message.empty();
    skipped += !c.skipped_message.empty();
  }
  out << "  <testsuite name=\"" << attr(s.name) << "\" tests=\"" << s.cases.size()
      << "\" failures=\"" << failures << "\" errors=\"0\" skipped=\"" << skipped << "\">\n";
  for (const auto& c : s.cases) {
    out << "    <testcase classname=\"" << attr(c.classname) << "\" name=\"" << attr(c.name)
        << "\"";
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
  Suite scenarios{"lockrig.scenarios", {}};
  const bool compare = r.comparison.has_value();
  for (const auto& sl : r.scenario_locks) {
    Case c;
    c.classname = "lockrig." + sl.scenario;
    c.name = sl.lock_id + (compare ? " (" + sl.arm + ")" : "");
    std::string out;
    if (sl.sli.trials > 0) out += "SLI " + pct(sl.sli.rate()) + " (" + counts(sl.sli) + ")\n";
    out += "assertions " + with_commas(sl.assertions - sl.assertions_failed) + "/" +
           with_commas(sl.assertions) + " passed\n";
    if (sl.rig_faults > 0) out += with_commas(sl.rig_faults) + " rig-fault sessions (excluded)\n";
    c.system_out = out;
    if (sl.assertions_failed > 0) {
      c.failure_message = with_commas(sl.assertions_failed) + " of " + with_commas(sl.assertions) +
                          " assertions failed";
      c.failure_type = "assertion";
      c.failure_body = join(sl.failures, "\n");
    }
    scenarios.cases.push_back(std::move(c));
  }
  suites.push_back(std::move(scenarios));
  Suite locks{"lockrig.locks", {}};
  for (const auto& l : r.locks) {
    Case c;
    c.classname = "lockrig.locks";
    c.name = l.lock_id + (compare ? " (" + l.arm + ")" : "") + " not worse than its peers";
    c.system_out = "SLI " + (l.sli ? pct(l.sli->rate) : std::string("-")) + " (" +
                   counts(l.counts) + "); peers: " + (l.peers.empty() ? "none" : l.peers) +
                   (l.peer_counts.trials ? " " + counts(l.peer_counts) : std::string()) + "\n";
    if (l.flagged) {
      c.failure_message = l.lock_id + " is significantly worse than its peers (BH-adjusted p " +
                          pval(*l.p_worse_adjusted) + ")";
      c.failure_type = "lock";
      c.failure_body = c.system_out;
    }
    locks.cases.push_back(std::move(c));
  }
  suites.push_back(std::move(locks));

  long tests = 0, failures = 0, skipped = 0;
  for (const auto& s : suites)
    for (const auto& c : s.cases) {
      ++tests;
      failures += !c.failure_message.empty();
      skipped += !c.skipped_message.empty();
    }
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"lockrig "
      << attr(r.command) << "\" tests=\"" << tests << "\" failures=\"" << failures
      << "\" errors=\"0\" skipped=\"" << skipped << "\" timestamp=\"" << attr(r.generated_at)
      << "\">\n";
  for (const auto& s : suites) write_suite(out, s);
  out << "</testsuites>\n";
  return out.str();
}

}  // namespace lockrig::reports
