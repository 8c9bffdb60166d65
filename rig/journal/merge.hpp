// Merging journals: combines the journals of several rigs into one (docs/merge.md; the command
// line, `lockrig merge A.db B.db ... -o lab.db`, is rig/app/merge_command.cpp). Runs keep their
// UUIDs (rows get new integer ids), rig and host names are kept, so reports can stratify by rig.
// Merging is idempotent: merging the same inputs again changes nothing. Every run is compared
// before anything is written, so a conflict leaves the output as it was. Copying is done in bulk
// (INSERT ... SELECT from the attached input) in write transactions of about 50 ms, so a
// `lockrig run` writing the output meanwhile is not stopped (issue 18, issue 17 item 4); a merge
// killed half-way leaves complete runs plus at most one run marked `running` with part of its
// rows, which the next merge replaces. A new output is built in a temporary file renamed into
// place at the end; a killed merge's temporary files are removed by the next merge.
#pragma once

#include <string>
#include <vector>

namespace lockrig {

struct MergeSummary {
  long long runs_added = 0;      // uuids new to the output
  long long runs_replaced = 0;   // the input had a longer state of the same run (it continued)
  long long runs_unchanged = 0;  // already in the output with the same content
  long long runs_kept = 0;       // the output already had a longer state of the same run
  long long sessions_copied = 0, attempts_copied = 0, events_copied = 0;
  long long annotations_copied = 0;  // issue 16: notes new to the output (by uuid)
  // Issue 18: runs of a new output whose aggregate rows were taken from their input (checked
  // against the copied rows) rather than recomputed from the rows.
  long long runs_with_input_aggregates = 0;
  long long runs_aggregates_recomputed = 0;  // ... and those recomputed from their copied rows
  // Issue 18: the write transactions on the output and the longest of them, in ms (what a run
  // writing the same journal may have waited for the merge at most, besides its own commit).
  long long transactions = 0;
  double longest_transaction_ms = 0;
  std::vector<std::string> notes;  // running runs, skipped inputs
};

// Merges `inputs` into `output` (created when missing). Throws JournalError / UsageError naming
// the offending file or run; the output is then unchanged.
MergeSummary merge_journals(const std::vector<std::string>& inputs, const std::string& output);

}  // namespace lockrig
