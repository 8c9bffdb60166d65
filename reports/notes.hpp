// Triage notes in reports (issue 16 item 6, docs/annotate.md): which notes a report shows and the
// mute rule. A lock is muted in a report when its latest lock-wide mute note (rig/journal/
// annotations.hpp, latest_mute) has mute_until on or after the date (UTC, YYYY-MM-DD of
// started_at) of the newest selected run in which the lock took part. A muted lock's sessions are
// left out of every figure and of the verdict (so a gate never fails on a muted lock's regression
// alone), and the lock is measured apart: the report lists it with its mute and its own SLI, and
// says what the verdict would have been with it.
#pragma once

#include <set>
#include <string>

#include "reports/comparison.hpp"
#include "reports/dataset.hpp"
#include "rig/journal/journal.hpp"

namespace lockrig::reports {

// The dataset without the sessions and latency bins of the locks in `lock_ids`.
Dataset without_locks(const Dataset& d, const std::set<std::string>& lock_ids);

// compute_report with the notes and the mute rule applied: reads the notes on the selected runs,
// their locks and sessions, leaves the muted locks out of the figures and the verdict and fills
// Report::notes. Without notes (or a journal without the annotations table), compute_report.
Report compute_report_with_notes(Journal& journal, const Dataset& d, const ReportOptions& options);

}  // namespace lockrig::reports
