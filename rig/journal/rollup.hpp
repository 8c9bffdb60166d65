// Internal to rig/journal: the cross-run rollup of schema version 6 (rollup_* in
// journal_schema.sql, issue 18 item 3). agg_sessions and agg_latency summed over the runs of each
// configuration (runs that agree on rig, labels and the lock's id, model, material, slot and
// firmware), so a report over every run reads rows per configuration, not per run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "rig/journal/journal.hpp"  // AggregateMismatch

namespace lockrig {

// Builds the rollup_* tables again from agg_sessions, the latency histograms (packed or not),
// runs, run_labels, run_locks and sweep_sessions, and marks them valid. Call inside a write
// transaction. Returns false, leaving the rollup stale, when a row is not what lockrig writes
// (readers then read per run, and name the row).
bool rebuild_rollup(sqlite3* db, int schema_version);

// True when the rollup_* tables are a copy of what they sum (schema version 6, rollup_state has
// its row).
bool rollup_valid(sqlite3* db, int schema_version);

// `lockrig check --journal`: where the stored rollup differs from one built now (at most
// `max_listed`), each naming its table and "kept only: <row>" or "recomputed only: <row>".
// Empty when the rollup is stale (readers do not use it).
std::vector<AggregateMismatch> rollup_mismatches(sqlite3* db, int schema_version,
                                                 std::size_t max_listed);

}  // namespace lockrig
