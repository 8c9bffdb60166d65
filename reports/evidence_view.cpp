// Issue 15: what `lockrig show`, `lockrig runs RUN --failures` and the reports print about a
// run's failed sessions and one session's evidence (reports/evidence_view.hpp).
#include "reports/evidence_view.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "reports/json_writer.hpp"
#include "rig/base/text.hpp"

namespace lockrig::reports {

namespace {

struct TimelineRow {
  std::int64_t t_ns = 0;
  int order = 0;  // ties: events, then attempts, then transcript
  std::string who;
  char mark = '-';
  std::string kind;  // "event", "attempt", "transcript"
  std::string text;
};

std::vector<TimelineRow> timeline(const SessionEvidence& s) {
  std::vector<TimelineRow> rows;
  for (const auto& e : s.events) {
    std::string text = e.kind;
    if (!e.target.empty()) text += " " + e.target;
    if (!e.value.empty()) text += " = " + e.value;
    if (!e.detail.empty()) text += " (" + e.detail + ")";
    rows.push_back({e.t.count(), 0, e.lock_id.empty() ? "rig" : "bench", '-', "event", text});
  }
  for (const auto& a : s.attempts) {
    rows.push_back({a.started.count(), 1, "engine", '-', "attempt",
                    "attempt " + std::to_string(a.number) + " started"});
    std::string text = "attempt " + std::to_string(a.number) + " ended: " + a.outcome + " (" +
                       std::string(class_name(a.cls)) + ", " + a.phase + ")";
    if (a.latency) text += ", latency " + format_number(to_ms(*a.latency)) + " ms";
    if (a.rssi_dbm) text += ", rssi " + std::to_string(*a.rssi_dbm) + " dBm";
    if (!a.detail.empty()) text += ": " + a.detail;
    rows.push_back({a.ended.count(), 1, "engine", '-', "attempt", text});
  }
  for (const auto& l : s.transcript)
    rows.push_back({l.t_ns, 2, l.who, l.mark, "transcript", l.text});
  std::stable_sort(rows.begin(), rows.end(), [](const TimelineRow& a, const TimelineRow& b) {
    return a.t_ns != b.t_ns ? a.t_ns < b.t_ns : a.order < b.order;
  });
  return rows;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string session_heading(const SessionEvidence& s) {
  return "session " + std::to_string(s.session_id) + " of run " + std::to_string(s.run_id) +
         " (" + s.run_uuid + "): lock " + s.lock_id + ", " + s.scenario + "#" +
         std::to_string(s.repetition) + " step " + std::to_string(s.step) + ", expected " +
         s.expect + " within " + format_number(s.within_ms) + " ms";
}

}  // namespace

std::string failed_sessions_text(Journal& journal, const RunRecord& run) {
  const auto sessions = failed_sessions(journal, run.id);
  std::string out = "run " + std::to_string(run.id) + " (" + run.uuid + ", rig " + run.rig +
                    ", started " + run.started_at + ", " + run.status + "): " +
                    std::to_string(sessions.size()) + " failed session(s)\n";
  if (sessions.empty()) return out;
  char line[512];
  std::snprintf(line, sizeof line, "%-8s %-12s %-24s %4s %-9s %-18s %9s  %s\n", "session", "lock",
                "scenario#rep", "step", "result", "outcome", "ms", "evidence");
  out += line;
  for (const auto& s : sessions) {
    const std::string item = s.scenario + "#" + std::to_string(s.repetition);
    std::snprintf(line, sizeof line, "%-8" PRId64 " %-12s %-24s %4d %-9s %-18s %9.1f  %s\n",
                  s.session_id, s.lock_id.c_str(), item.c_str(), s.step, s.result.c_str(),
                  s.outcome.c_str(), static_cast<double>(s.ended_ns - s.started_ns) / 1e6,
                  s.has_transcript ? "transcript" : "-");
    out += line;
  }
  out += "details: lockrig show " + std::to_string(run.id) + "/SESSION --db " +
         quote(journal.path()) + "\n";
  return out;
}

std::string failed_sessions_json(Journal& journal, const RunRecord& run) {
  JsonWriter w;
  w.begin_object();
  w.field("run_id", static_cast<long long>(run.id)).field("run_uuid", run.uuid);
  w.field("rig", run.rig).field("started_at", run.started_at).field("status", run.status);
  w.key("failed_sessions").begin_array();
  for (const auto& s : failed_sessions(journal, run.id)) {
    w.begin_object(JsonWriter::Layout::inline_);
    w.field("session_id", static_cast<long long>(s.session_id)).field("lock", s.lock_id);
    w.field("scenario", s.scenario).field("repetition", s.repetition).field("step", s.step);
    w.field("expect", s.expect).field("result", s.result).field("outcome", s.outcome);
    w.field("duration_ms", static_cast<double>(s.ended_ns - s.started_ns) / 1e6);
    w.field("transcript", s.has_transcript);
    w.end_object();
  }
  w.end_array().end_object();
  return w.str();
}

std::string session_timeline_text(const SessionEvidence& s) {
  std::string out = session_heading(s) + "\n";
  out += "result " + s.result + ": " + s.outcome + " after " +
         fmt("%.1f", static_cast<double>(s.ended_ns - s.started_ns) / 1e6) + " ms, " +
         std::to_string(s.attempts.size()) + " attempt(s)" +
         (s.sli_eligible ? ", counts toward the SLI" : "") + "\n";
  if (!s.has_transcript)
    out += "transcript: none kept (the run's --keep-evidence did not keep this session, or its "
           "drivers recorded nothing)\n";
  else if (s.transcript_dropped > 0)
    out += "transcript: the oldest " + std::to_string(s.transcript_dropped) +
           " entries were dropped (bounded recorder)\n";
  out += "\n";
  char line[256];
  std::snprintf(line, sizeof line, "%10s  %-18s %s\n", "ms", "who", "what");
  out += line;
  for (const auto& r : timeline(s)) {
    const double ms = static_cast<double>(r.t_ns - s.started_ns) / 1e6;
    std::snprintf(line, sizeof line, "%10.1f  %-18s %c ", ms, r.who.c_str(), r.mark);
    out += line;
    // A multi-line text (harness output) stays one entry, its lines indented under it.
    std::string text;
    for (char c : r.text) text += c == '\n' ? std::string("\n") + std::string(33, ' ') : std::string(1, c);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) text.pop_back();
    out += text + "\n";
  }
  return out;
}

std::string session_timeline_json(const SessionEvidence& s) {
  JsonWriter w;
  w.begin_object();
  w.field("session_id", static_cast<long long>(s.session_id));
  w.field("run_id", static_cast<long long>(s.run_id)).field("run_uuid", s.run_uuid);
  w.field("lock", s.lock_id).field("scenario", s.scenario).field("repetition", s.repetition);
  w.field("step", s.step).field("expect", s.expect).field("within_ms", s.within_ms);
  w.field("result", s.result).field("outcome", s.outcome);
  w.field("duration_ms", static_cast<double>(s.ended_ns - s.started_ns) / 1e6);
  w.field("sli_eligible", s.sli_eligible);
  w.field("transcript_kept", s.has_transcript);
  w.field("transcript_dropped", static_cast<long long>(s.transcript_dropped));
  w.key("timeline").begin_array();
  for (const auto& r : timeline(s)) {
    w.begin_object(JsonWriter::Layout::inline_);
    w.field("t_ms", static_cast<double>(r.t_ns - s.started_ns) / 1e6);
    w.field("kind", r.kind).field("who", r.who).field("dir", std::string(1, r.mark));
    w.field("text", r.text);
    w.end_object();
  }
  w.end_array().end_object();
  return w.str();
}

}  // namespace lockrig::reports
