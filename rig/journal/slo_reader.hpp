// What `lockrig slo` reads from the journal: the SLI sessions of the selected runs counted per
// night, rig, lock, material, model, firmware and scenario (reports/slo_compute.hpp turns them into
// the error budget). Plain structs; the SQL stays in slo_reader.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lockrig {

class Journal;
class Transaction;

// SLI sessions (rig faults excluded) of one group of sessions.
struct SloRow {
  std::string date;  // the UTC date the run started, "2026-11-20" (as journaled: not checked)
  std::string rig, lock, material, model, firmware, scenario;  // "(unknown)" when not recorded
  std::string app;  // the run's `app` label, empty without one (build-change marks, issue 16)
  long long sli_sessions = 0;
  long long sli_successes = 0;
};

// One read transaction on the journal: what is read while it lives (the run selection, then the
// rows) sees one state of the journal, even while a run is being written.
class SloSnapshot {
 public:
  explicit SloSnapshot(Journal& journal);
  ~SloSnapshot();
  SloSnapshot(const SloSnapshot&) = delete;
  SloSnapshot& operator=(const SloSnapshot&) = delete;

 private:
  std::unique_ptr<Transaction> transaction_;
};

// The rows of the runs `run_ids`, restricted to `scenarios` when not empty, ordered by date.
std::vector<SloRow> read_slo_rows(Journal& journal, const std::vector<std::int64_t>& run_ids,
                                  const std::vector<std::string>& scenarios);

// True when the journal holds runs of more than one rig (a merged lab journal).
bool journal_has_several_rigs(Journal& journal);

}  // namespace lockrig
