// What `lockrig show`, `lockrig runs RUN --failures` and the reports (JUnit system-out, HTML
// --evidence) print about a run's failed sessions and one session's evidence (issue 15;
// docs/evidence.md).
#pragma once

#include <string>

#include "rig/journal/evidence.hpp"

namespace lockrig::reports {

// The failed and rig-faulted sessions of `run`, one a line with their ids, as text; `json`:
// one JSON document.
std::string failed_sessions_text(Journal& journal, const RunRecord& run);
std::string failed_sessions_json(Journal& journal, const RunRecord& run);

// One session's attempts, events and transcript merged into one timeline, times in ms relative
// to the session's start (negative: what led up to it).
std::string session_timeline_text(const SessionEvidence& s);
std::string session_timeline_json(const SessionEvidence& s);

}  // namespace lockrig::reports
