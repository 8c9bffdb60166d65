// History across builds (`lockrig report --history firmware|app`, issue 16 item 2): the session
// SLI per version of one attribute (firmware, app, or any attribute a report accepts), in order of
// first appearance in the selected runs, with Wilson intervals, per stratum (door material), per
// lock and per run; and the change point, the first build whose SLI is significantly below its
// predecessors' (reports/stats/changepoint.hpp). Computed from a Dataset in memory; renderers in
// render_history_*.cpp only format what is here. Documented in docs/reports.md ("History").
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "reports/dataset.hpp"
#include "reports/stats/changepoint.hpp"
#include "reports/stats/proportion.hpp"

namespace lockrig::reports {

struct HistoryOptions {
  std::string key = "firmware";     // the attribute whose values are the builds
  std::string strata = "material";  // an attribute name, or "none"
  double confidence = 0.95;         // Wilson intervals
  double alpha = 0.05;              // family-wise, for the change point
};

// SLI sessions of one group within a version: a stratum, a lock or a run.
struct HistoryGroup {
  std::string key;       // stratum label, lock id or run uuid
  std::string detail;    // by_lock: the lock's material; by_run: the run's start time
  stats::Counts counts;  // SLI sessions and successes
  std::optional<stats::ProportionEstimate> sli;  // absent without SLI sessions
};

struct HistoryVersion {
  std::string version;
  std::size_t first_run = 0;  // index into History::runs of the run it first appeared in
  std::string first_seen, last_seen;  // started_at of its first and last run
  long runs = 0;                      // runs with sessions of this version
  long sessions = 0;                  // every selected session, rig faults and assertions too
  long rig_fault_sessions = 0, assertions = 0;
  stats::Counts counts;  // SLI sessions
  std::optional<stats::ProportionEstimate> sli;
  std::vector<HistoryGroup> by_stratum;  // stratum order (alphabetical, "(unknown)" last)
  std::vector<HistoryGroup> by_lock;     // lock id order
  std::vector<HistoryGroup> by_run;      // run order (oldest first)
};

struct History {
  std::string journal, generated_at;
  RunSelection selection;
  std::vector<RunRecord> runs;  // the selected runs, oldest first
  HistoryOptions options;
  std::vector<HistoryVersion> versions;  // in order of first appearance
  long sessions = 0;                     // every selected session
  long sessions_without_version = 0;     // no value for the key (firmware unread, label absent)
  stats::ChangePointResult change;       // steps[i] is versions[i + 1]
  std::string verdict;                   // one plain-language sentence
  std::vector<std::string> warnings;
};

// Throws UsageError for an unknown attribute (--history or --strata, quoting it) and when no
// selected session has a value for the key.
History compute_history(const Dataset& d, const HistoryOptions& options);

// The history's tables as plain (unescaped) text cells, shared by the text, Markdown and HTML
// renderers: the builds with the change-point comparison, then per stratum, per lock, per run.
struct HistoryTable {
  std::string title;
  std::vector<std::string> header;
  std::vector<bool> numeric;  // per column: right-aligned
  std::vector<std::vector<std::string>> rows;
  std::optional<std::size_t> marked_row;  // the change point's row (builds table)
};
std::vector<HistoryTable> history_tables(const History& h);
// The method in one paragraph (every format prints it under the tables).
std::string history_method(const History& h);

// Renderers (render_history_*.cpp): text, markdown, html (inline SVG chart), json
// (schema "lockrig.history/1", docs/report-json.md).
std::string render_history_text(const History& h);
std::string render_history_markdown(const History& h);
std::string render_history_html(const History& h);

// Build changes on a time chart (render_history_html.cpp; also the SLO charts, issue 16 item 2).
// `builds[i]` is the set of builds (firmware or app versions) seen at the i-th point in time, in
// order; a mark goes before each point whose non-empty set differs from the last non-empty set
// before it, naming the builds new there.
struct BuildMark {
  std::size_t at = 0;              // index of the point the change comes into force at
  std::vector<std::string> added;  // builds not in the previous set
};
std::vector<BuildMark> build_marks(const std::vector<std::set<std::string>>& builds);
// One mark as SVG: a dashed vertical line at x from y_top to y_bottom (class "build-change"),
// labelled with the new builds (shortened; escaped) just above y_top.
std::string svg_build_mark(double x, double y_top, double y_bottom, const BuildMark& mark);
std::string render_history_json(const History& h);

// Throws UsageError unless --format `name` is one --history writes (text, markdown, html, json).
void check_history_format(const std::string& name);
// The renderer for --format `name` (check_history_format first).
std::string render_history(const History& h, const std::string& format);

}  // namespace lockrig::reports
