// Merging journals: combines the journals of several rigs into one (docs/merge.md; the command
// line, `lockrig merge A.db B.db ... -o lab.db`, is rig/app/merge_command.cpp). Runs keep their
// UUIDs (rows get new integer ids), rig and host names are kept, so reports can stratify by rig.
// Merging is idempotent: merging the same inputs again changes nothing. All of it happens in one
// transaction on the output (or in a temporary file renamed into place when the output is new),
// so a failure leaves the output as it was.
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
  std::vector<std::string> notes;  // running runs, skipped inputs
};

// Merges `inputs` into `output` (created when missing). Throws JournalError / UsageError naming
// the offending file or run; the output is then unchanged.
MergeSummary merge_journals(const std::vector<std::string>& inputs, const std::string& output);

}  // namespace lockrig
