// The short end-of-run summary `lockrig run` prints: per scenario and per door material,
// computed from the journal's views (so it shows what was recorded, not what was intended).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

namespace lockrig::reports {

std::string run_summary(sqlite3* db, std::int64_t run_id);

}  // namespace lockrig::reports
