// The short end-of-run summary `lockrig run` prints: per scenario and per door material,
// computed from the journal's views (so it shows what was recorded, not what was intended).
// Its figures are read through rig/journal/summary_reader.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rig/journal/journal.hpp"

namespace lockrig::reports {

std::string run_summary(Journal& journal, std::int64_t run_id);

// Issue 15, item 6: each failed assertion of the run, one a line: the failed non-SLI sessions
// (scenario, lock, session id, what was expected, what happened, and the `lockrig show` that
// prints its evidence) and the waits that timed out; at most `max_listed`, then a count.
std::vector<std::string> failed_assertion_lines(Journal& journal, std::int64_t run_id,
                                                std::size_t max_listed = 20,
                                                bool include_waits = true);

}  // namespace lockrig::reports
