// What the end-of-run summary (reports/summary.cpp) reads of one run: its sessions counted per
// scenario, door material or firmware (v_sessions), and the events of one kind.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rig/journal/events.hpp"
#include "rig/journal/journal.hpp"

namespace lockrig {

// What the sessions of a run are grouped by.
enum class SummaryKey { scenario, material, firmware };

struct SummaryRow {
  std::string key;  // "(unknown)" when the run has no value (a lock without run_locks row)
  long long sessions = 0;
  long long sli = 0, sli_ok = 0, first_ok = 0;  // SLI sessions, successes, first-try successes
  long long failed_assertions = 0, assertions = 0;
  long long rig_faults = 0;
};

// One row per value of `key`, in key order.
std::vector<SummaryRow> summary_rows(Journal& journal, std::int64_t run, SummaryKey key);

// The events of one kind (and value, if given) in a run: how many, and the first `keep`.
struct EventSample {
  long long count = 0;
  std::vector<EventRow> first;  // lock_id and detail filled
};
EventSample sample_events(Journal& journal, std::int64_t run, EventKind kind,
                          const std::optional<std::string>& value, std::size_t keep);

}  // namespace lockrig
