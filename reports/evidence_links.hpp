// Issue 15: what the reports link to the evidence of the runs they cover: per scenario x lock the
// campaign time spent and the failed sessions (run/session ids, and the first few timelines),
// and the properties CI shows (runs, rigs, seeds, firmware, app). Read from the journal once,
// beside the dataset; rendered by render_junit (and the other formats as they adopt it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "rig/journal/journal.hpp"

namespace lockrig::reports {

struct FailedSessionRef {
  std::int64_t run_id = 0, session_id = 0;
  std::string run_uuid, result, expect, outcome;
  std::string timeline;  // `lockrig show RUN/SESSION` text; empty past the first few per case
  bool sli = false;      // an SLI session (else an assertion: expected failure, recovery check)
  // 1 for a session named by its id; a ref with session_id 0 stands for `count` more sessions of
  // its kind that the report counts but does not name (load_failed_session_refs).
  long long count = 1;
};

struct CaseEvidence {
  double seconds = 0;  // the sessions' time on the run clock
  long sessions = 0;
  std::vector<FailedSessionRef> failed;
};

struct ReportEvidence {
  std::map<std::pair<std::string, std::string>, CaseEvidence> cases;  // (scenario, lock)
  std::vector<std::pair<std::string, std::string>> properties;       // in order
  double seconds = 0;                                                 // all sessions
  // Issue 15 item 5: per run id, the files of its `run --capture` directory (absolute paths,
  // sorted), those that exist when the report is made; JUnit names them as attachments.
  std::map<std::int64_t, std::vector<std::string>> attachments;
};

// The capture files of a run: the directory of each `capture.N` label's log (rig/app/capture.hpp)
// and every regular file in it that exists now, absolute (a relative path resolved against the
// current directory), sorted, each once.
std::vector<std::string> capture_files(const RunRecord& run);

// The evidence of `runs` (a report's selected runs); timelines for at most
// `timelines_per_case` failed sessions of each scenario x lock.
ReportEvidence load_report_evidence(Journal& journal, const std::vector<RunRecord>& runs,
                                    std::size_t timelines_per_case = 3);
// Only the failed sessions' ids per scenario x lock (no times, timelines or properties): what the
// text, Markdown and HTML reports name beside each failure, read from the failed sessions alone
// so a report over millions of passing sessions does not read them.
// `cases` names the (scenario, lock) pairs to read (those the report's aggregates counted a failed
// or rig-faulted session for). Per kind (SLI or not, result, expected outcome) only the oldest
// `ids_per_kind` sessions are named; the rest are counted from the aggregates, as one ref with
// session_id 0 per run and kind.
ReportEvidence load_failed_session_refs(
    Journal& journal, const std::vector<RunRecord>& runs,
    const std::set<std::pair<std::string, std::string>>& cases, std::size_t ids_per_kind = 5);

// "RUN/SESSION" as `lockrig show` takes it.
std::string session_ref(const FailedSessionRef& f);

}  // namespace lockrig::reports
