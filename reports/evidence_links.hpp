// Issue 15: what the reports link to the evidence of the runs they cover: per scenario x lock the
// campaign time spent and the failed sessions (run/session ids, and the first few timelines),
// and the properties CI shows (runs, rigs, seeds, firmware, app). Read from the journal once,
// beside the dataset; rendered by render_junit (and the other formats as they adopt it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "rig/journal/journal.hpp"

namespace lockrig::reports {

struct FailedSessionRef {
  std::int64_t run_id = 0, session_id = 0;
  std::string run_uuid, result, expect, outcome;
  std::string timeline;  // `lockrig show RUN/SESSION` text; empty past the first few per case
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
};

// The evidence of `runs` (a report's selected runs); timelines for at most
// `timelines_per_case` failed sessions of each scenario x lock.
ReportEvidence load_report_evidence(Journal& journal, const std::vector<RunRecord>& runs,
                                    std::size_t timelines_per_case = 3);

}  // namespace lockrig::reports
