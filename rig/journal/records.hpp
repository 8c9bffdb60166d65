// The journal's records as plain data: what the engine hands the journal to write and what the
// journal's readers hand back. One RunRecord stands for a run everywhere (begin_run's input,
// list_runs, --resume, report selections); the session, attempt, lock and event rows mirror the
// tables of docs/journal.md. Nothing here knows about drivers or the engine: the engine fills
// SessionRecord (rig/engine/session.hpp classifies it), the journal only stores and reads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rig/base/clock.hpp"
#include "rig/journal/events.hpp"

namespace lockrig {

// How an attempt counts (attempts.class) and how a session ended (sessions.result).
enum class AttemptClass { lock, expected, rig_fault };
enum class SessionResult { pass, fail, rig_fault };

// The names stored in the journal.
std::string_view class_name(AttemptClass c);
std::string_view result_name(SessionResult r);

struct AttemptRecord {
  int number = 1;
  TimePoint started{0}, ended{0};   // on the worker's monotonic clock, from run start
  std::optional<Duration> latency;  // command → confirmation; nullopt if never sent
  std::optional<int> rssi_dbm;
  std::string outcome;  // a LockOutcome name, or "rig_fault"
  AttemptClass cls = AttemptClass::lock;
  std::string phase;  // "connect" or "unlock": where the attempt ended
  std::string detail;
};

// Issue 15: a session's transcript as stored in session_evidence (rig/journal/evidence.hpp).
struct EvidenceBlob {
  std::string data;  // encode_evidence's output: zlib-compressed lines
  long long entries = 0, dropped = 0, raw_bytes = 0;
};

// Issue 14: the attenuation a sweep session ran at (a row of sweep_sessions). The engine marks
// such a session sli_eligible = false; the writer stores what it is given.
// A sweep session's `expect`: an unlock run to measure range, neither an SLI session nor an
// assertion, so a failure in a sweep never counts as a failed assertion (run exit 1, `runs`).
inline constexpr std::string_view kSweepExpect = "range";

struct SweepLevel {
  std::string sweep;  // the sweep's name
  std::string part;   // the attenuator, as the fixture names it
  double level_db = 0.0;
  std::string design = "grid";  // "grid", "staircase" or "quantile"
};

struct SessionRecord {
  std::string lock_id;
  std::string scenario;
  int repetition = 0;
  int step_index = 0;  // 0-based index of the unlock step in the scenario
  std::string expect;
  Duration within{0};
  TimePoint started{0}, ended{0};
  std::vector<AttemptRecord> attempts;

  // Derived from the attempts by the engine's classify():
  SessionResult result = SessionResult::fail;
  std::string outcome;  // final attempt's outcome
  bool sli_eligible = false;
  bool sli_success = false;
  bool first_attempt_success = false;

  // Issue 15: the session's transcript when --keep-evidence kept it, already encoded and
  // compressed by rig/journal/evidence.hpp (on the worker, not the writer thread); written in the
  // session's own transaction.
  std::optional<EvidenceBlob> evidence;

  // Issue 14: set for a session of a range sweep; written in the session's own transaction.
  std::optional<SweepLevel> sweep;
};

// A lock as seen in one run (run_locks).
struct LockRow {
  std::string lock_id, model, material, slot, driver;
  std::string firmware, reported_model, manufacturer;  // read from the lock; empty if unreadable
};

// One row of the event log. `kind` is the stored text: name(EventKind) (rig/journal/events.hpp)
// for the kinds lockrig writes; a journal from another version may hold others.
// lockrig's own code names the kind by the enum; the stored text is for readers.
struct EventRow {
  EventRow() = default;
  EventRow(std::string lock, TimePoint at, EventKind k, std::string tgt = {}, std::string val = {},
           std::string det = {})
      : lock_id(std::move(lock)), t(at), kind(name(k)), target(std::move(tgt)),
        value(std::move(val)), detail(std::move(det)) {}
  // As read back (any stored kind, including ones this version does not know).
  EventRow(std::string lock, TimePoint at, std::string stored_kind, std::string tgt,
           std::string val, std::string det)
      : lock_id(std::move(lock)), t(at), kind(std::move(stored_kind)), target(std::move(tgt)),
        value(std::move(val)), detail(std::move(det)) {}

  bool is(EventKind k) const { return kind == name(k); }

  std::string lock_id;  // empty for rig-wide events
  TimePoint t{0};
  std::string kind, target, value, detail;
};

// What a run has done so far, as the end-of-run summary and the progress line count it.
struct RunCounters {
  long long sessions = 0;
  long long sli_sessions = 0;
  long long sli_successes = 0;
  long long rig_faults = 0;         // sessions voided by a rig fault
  long long failed_assertions = 0;  // non-SLI sessions that failed + wait_until timeouts
  long long attempts = 0;
};

// A run (runs, with its run_labels and run_scenarios rows). The writer (Journal::begin_run) and
// every reader use it; each reader fills what it reads and leaves the rest at its default, as
// noted per group.
struct RunRecord {
  // Identity and state: every reader.
  std::int64_t id = 0;  // 0 until begin_run has assigned it
  std::string uuid;
  std::string rig;
  std::string started_at;  // ISO 8601 UTC
  std::string status;      // as stored: name(RunStatus) (rig/journal/events.hpp) for lockrig's own
  std::string ended_at;    // empty while running
  std::string host;        // not by list_runs
  std::string host_id;     // machine id (schema 3, issue 17; empty: before version 3)
  std::map<std::string, std::string> labels;  // not by read_run (resume)

  // What the run was made of: begin_run's input; read back by read_run (resume).
  std::string clock;  // "virtual" or "real" (list_runs reads it too)
  std::uint64_t seed = 0;
  std::string fixture_source, fixture_sha256;
  std::string scenarios_sha256;  // over the scenario files in order
  std::string controller_version;
  std::string command_line;        // begin_run only
  long long sessions_planned = 0;  // begin_run only
  struct ScenarioRow {
    std::string name, source, sha256;
    int repeat = 0;
  };
  std::vector<ScenarioRow> scenarios;

  // The `plan` events a new run journals first (read_run): what --resume rebuilds the plan from.
  bool has_plan = false;
  std::vector<std::string> scenario_files;  // as given, in order
  std::vector<std::string> locks;           // the selected lock ids

  // Totals (list_runs; reports fill `sessions` with the sessions their selection kept).
  long long sessions = 0;
  long long sli_sessions = 0, sli_success = 0;
  long long rig_faults = 0;         // rig_fault events: voided sessions and bench faults alike
  long long failed_assertions = 0;  // failed assertion sessions plus wait_until timeouts
  int exit_code = -1;               // list_runs: -1 while running
};

// One latency bucket of a histogram (latency_bucket_ns) and the SLI successes in it.
struct LatencyPair {
  std::int64_t bucket_ns = 0;
  std::int64_t sessions = 0;
  bool operator==(const LatencyPair&) const = default;
};

// One (run, lock, scenario) latency histogram as readers get it: its pairs in bucket order.
struct LatencyHistRow {
  std::int64_t run_id = 0;
  std::string_view lock_id, scenario;
  std::span<const LatencyPair> pairs;
};

// The labels as `lockrig runs` shows them: "key=value" in key order, separated by spaces.
std::string labels_text(const std::map<std::string, std::string>& labels);

}  // namespace lockrig
