#include "reports/summary.hpp"

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "rig/base/text.hpp"
#include "rig/journal/evidence.hpp"
#include "rig/journal/summary_reader.hpp"

namespace lockrig::reports {

namespace {

using Row = SummaryRow;

std::string pct(long long num, long long den) {
  if (den == 0) return "      -";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%6.2f%%",
                100.0 * static_cast<double>(num) / static_cast<double>(den));
  return buf;
}

std::string table(const char* title, const std::vector<Row>& rows) {
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-22s %8s %8s %8s %9s %11s %10s\n", title, "sessions", "SLI n",
                "SLI", "1st try", "assertions", "rig faults");
  out += buf;
  for (const auto& r : rows) {
    std::string assertions = r.assertions == 0
                                 ? "-"
                                 : std::to_string(r.assertions - r.failed_assertions) + "/" +
                                       std::to_string(r.assertions) + " ok";
    // Keys are journal strings (firmware as the lock reported it): printable() (issue 17 item 7).
    std::snprintf(buf, sizeof buf, "  %-20s %8lld %8lld %8s %9s %11s %10lld\n",
                  printable(r.key).c_str(), r.sessions, r.sli, pct(r.sli_ok, r.sli).c_str(),
                  pct(r.first_ok, r.sli).c_str(), assertions.c_str(), r.rig_faults);
    out += buf;
  }
  return out;
}

// Events of one kind (and value, if given) in the run: how many, and the first few, described.
struct EventDigest {
  long long count = 0;
  std::vector<std::string> first;
};

EventDigest events(Journal& journal, std::int64_t run, EventKind kind,
                   const std::optional<std::string>& value) {
  const EventSample sample = sample_events(journal, run, kind, value, 3);
  EventDigest d;
  d.count = sample.count;
  for (const auto& e : sample.first)
    d.first.push_back(printable((e.lock_id.empty() ? "" : e.lock_id + ": ") + e.detail));
  return d;
}

std::string digest(const char* title, const EventDigest& d) {
  if (d.count == 0) return "";
  std::string out = std::string(title) + ": " + std::to_string(d.count) + "\n";
  for (const auto& line : d.first) out += "  " + line + "\n";
  if (d.count > static_cast<long long>(d.first.size()))
    out += "  ... and " + std::to_string(d.count - static_cast<long long>(d.first.size())) +
           " more (the run's events in the journal)\n";
  return out;
}

std::string ms_text(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f ms", ms);
  return buf;
}

}  // namespace

std::vector<std::string> failed_assertion_lines(Journal& journal, std::int64_t run_id,
                                                std::size_t max_listed, bool include_waits) {
  std::vector<std::string> out;
  const auto sessions = failed_assertion_sessions(journal, run_id);
  const EventSample waits =
      include_waits ? sample_events(journal, run_id, EventKind::wait_until,
                                    std::string("timeout"), max_listed)
                    : EventSample{};
  for (const auto& s : sessions) {
    if (out.size() >= max_listed) break;
    const double took = static_cast<double>(s.ended_ns - s.started_ns) / 1e6;
    std::string line = s.scenario + "#" + std::to_string(s.repetition) + " step " +
                       std::to_string(s.step) + ", lock " + s.lock_id + ", session " +
                       std::to_string(s.session_id) + ": expected " + s.expect + " within " +
                       ms_text(s.within_ms) + "; happened: " + s.outcome + " after " +
                       ms_text(took);
    if (!s.last_detail.empty()) line += " (" + s.last_detail + ")";
    line += " [lockrig show " + std::to_string(run_id) + "/" + std::to_string(s.session_id) + "]";
    out.push_back(printable(line));  // journal strings (issue 17 item 7)
  }
  for (const auto& e : waits.first) {
    if (out.size() >= max_listed) break;
    out.push_back(printable("wait_until, lock " +
                            (e.lock_id.empty() ? std::string("(rig)") : e.lock_id) + ": " +
                            e.detail));
  }
  const long long total = static_cast<long long>(sessions.size()) + waits.count;
  if (total > static_cast<long long>(out.size()))
    out.push_back("... and " + std::to_string(total - static_cast<long long>(out.size())) +
                  " more (lockrig runs " + std::to_string(run_id) + " --failures)");
  return out;
}

std::string run_summary(Journal& journal, std::int64_t run_id) {
  std::string out;
  out += table("scenario", summary_rows(journal, run_id, SummaryKey::scenario));
  out += table("door material", summary_rows(journal, run_id, SummaryKey::material));
  out += table("firmware (from lock)", summary_rows(journal, run_id, SummaryKey::firmware));
  out +=
      "SLI = sessions that unlocked within budget / SLI-eligible sessions; expected-failure "
      "sessions are assertions, sessions a rig fault voided (column \"rig faults\") are excluded "
      "from both.\n";
  // What the session tables cannot show: waits that timed out (failed assertions outside any
  // session) and every rig fault the rig noticed, including those of the bench itself.
  // Issue 15, item 6: each failed assertion session named, with the session that shows its
  // evidence (the waits that timed out follow as before).
  const auto failed = failed_assertion_lines(journal, run_id, 20, false);
  if (!failed.empty()) {
    out += "failed assertion sessions:\n";
    for (const auto& line : failed) out += "  " + line + "\n";
  }
  out += digest("wait_until timed out (failed assertions)",
                events(journal, run_id, EventKind::wait_until, "timeout"));
  out += digest("rig faults (every one the rig noticed, bench included)",
                events(journal, run_id, EventKind::rig_fault, std::nullopt));
  out += digest("controller stalls (sessions the controller did not run through, run again)",
                events(journal, run_id, EventKind::controller_stall, std::nullopt));
  return out;
}

}  // namespace lockrig::reports
