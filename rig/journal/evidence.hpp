// Session evidence (issue 15): the encoding of a session's transcript in session_evidence, and
// the readers `lockrig show` and `lockrig runs --failures` use. Encoding is a pure function so
// the engine's workers can compress off the writer thread; docs/evidence.md describes the format.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rig/journal/journal.hpp"
#include "rig/journal/records.hpp"

namespace lockrig {

// One transcript entry as stored: `mark` is '>' (sent to the device or program), '<' (received
// from it) or '-' (a note: exit status, bench event).
struct TranscriptLine {
  std::int64_t t_ns = 0;  // on the run's clock, like sessions.started_ns
  char mark = '-';
  std::string who, text;
};

// Encodes and compresses `lines` (encoding 'zlib-lines-1'). Throws JournalError if zlib fails.
EvidenceBlob encode_evidence(const std::vector<TranscriptLine>& lines, long long dropped);
// The lines of an encoded transcript; throws JournalError naming the problem if it is damaged.
std::vector<TranscriptLine> decode_evidence(const std::string& data, long long raw_bytes);

// A run named by id or by uuid (or a unique uuid prefix of at least 8 characters). Throws
// UsageError naming the selector when there is no such run.
RunRecord find_run(Journal& journal, const std::string& selector);

// A session as `lockrig show` prints it.
struct SessionEvidence {
  std::int64_t session_id = 0, run_id = 0;
  std::string run_uuid, lock_id, scenario, expect, result, outcome;
  int repetition = 0, step = 0;
  double within_ms = 0;
  std::int64_t started_ns = 0, ended_ns = 0;
  std::int64_t window_start_ns = 0;  // where this session's events begin (the lock's previous
                                     // session's end in the run, or 0)
  bool sli_eligible = false;
  std::string last_detail;  // the last attempt's detail (what the driver said happened)
  std::vector<AttemptRecord> attempts;
  std::vector<EventRow> events;  // the lock's and rig-wide events in the window
  bool has_transcript = false;   // a transcript was kept (--keep-evidence)
  long long transcript_dropped = 0;
  std::vector<TranscriptLine> transcript;
};

// The sessions of `run` whose result is not `pass` (failed and rig-faulted), plus passing sessions
// of a step that expected a failure when `with_expected` is set; oldest first, without attempts,
// events or transcript. has_transcript says whether evidence was kept.
std::vector<SessionEvidence> failed_sessions(Journal& journal, std::int64_t run,
                                             bool with_expected = false);
// Issue 18 (report speed): one lock's sessions of one scenario in `run` of one kind (SLI or not,
// with this result and expected outcome), at most `limit`, oldest first, read through the
// sessions' (run, lock, scenario, ...) index: what the reports name by id for the lock and
// scenario pairs their aggregates say failed. The walk stops at the limit instead of reading every
// session of the lock and scenario.
std::vector<SessionEvidence> failed_sessions(Journal& journal, std::int64_t run,
                                             const std::string& lock_id,
                                             const std::string& scenario, bool sli,
                                             const std::string& result, const std::string& expect,
                                             std::size_t limit);
// How many sessions of one lock and scenario in `run` did not pass, per kind (SLI or not, result,
// expected outcome), from the aggregates when the journal has them.
struct FailedSessionCount {
  bool sli = false;
  std::string result, expect;
  long long sessions = 0;
};
std::vector<FailedSessionCount> failed_session_counts(Journal& journal, std::int64_t run,
                                                      const std::string& lock_id,
                                                      const std::string& scenario);
// The failed assertions among them: failed sessions that are not SLI sessions (an expected
// failure that did not happen, a recovery check), oldest first (the end-of-run summary).
std::vector<SessionEvidence> failed_assertion_sessions(Journal& journal, std::int64_t run);
// Every session of `run`, oldest first, as failed_sessions lists them.
std::vector<SessionEvidence> run_sessions(Journal& journal, std::int64_t run);
// One session of `run` with its attempts, events and transcript. Throws UsageError when the run
// has no such session.
SessionEvidence read_session_evidence(Journal& journal, std::int64_t run, std::int64_t session);

// The seed a run was journaled with (runs.seed); 0 when there is no such run.
std::uint64_t run_seed(Journal& journal, std::int64_t run);

}  // namespace lockrig
