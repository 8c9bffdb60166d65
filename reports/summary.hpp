// The short end-of-run summary `lockrig run` prints: per scenario and per door material,
// computed from the journal's views (so it shows what was recorded, not what was intended).
// Its figures are read through rig/journal/summary_reader.hpp.
#pragma once

#include <cstdint>
#include <string>

#include "rig/journal/journal.hpp"

namespace lockrig::reports {

std::string run_summary(Journal& journal, std::int64_t run_id);

}  // namespace lockrig::reports
