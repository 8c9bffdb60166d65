// Internal to rig/journal: the packed latency histograms of schema version 4 (agg_latency_hist
// in journal_schema.sql, issue 18). A run that is over keeps its agg_latency buckets as one row
// per (run, lock, scenario); readers take a run's packed rows when it has them and its
// agg_latency rows otherwise, and see the same (bucket, sessions) pairs either way.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sqlite3.h>

#include "rig/journal/records.hpp"  // LatencyPair, LatencyHistRow

namespace lockrig {

// `pairs` (buckets strictly increasing, sessions > 0) as the column `hist` stores them.
std::string encode_latency_hist(std::span<const LatencyPair> pairs);

// The pairs of a stored `hist`, appended to `out`. Throws JournalError naming `where` (the row)
// when the bytes are not a histogram lockrig writes: a varint that runs past the end or past 64
// bits, a bucket that is not a latency bucket (latency_bucket_ns) or not above the previous one,
// sessions out of 1..kJournalMaxTotal, or a count or sum that disagrees with `buckets` and
// `sessions`.
void decode_latency_hist(std::string_view hist, std::int64_t buckets, std::int64_t sessions,
                         const std::string& where, std::vector<LatencyPair>& out);

// decode_latency_hist without the message: false (and `out` as it was) for a `hist` that
// decode_latency_hist would refuse. For readers that name the row only when it is refused.
bool try_decode_latency_hist(std::string_view hist, std::int64_t buckets, std::int64_t sessions,
                             std::vector<LatencyPair>& out);

// Packs the histograms of `run` from its agg_latency rows, replacing its packed rows. Returns
// false, packing nothing, when a row is not what lockrig writes (the run then stays readable
// through agg_latency, and the next open names the row). Call inside a write transaction.
bool pack_run_latency(sqlite3* db, std::int64_t run);

// Packs every run whose status is not `running` (pack_run_latency): the 3 -> 4 upgrade, and a
// merge's new output once its aggregates are built. Call inside a write transaction.
void pack_finished_runs(sqlite3* db);

// The histograms of `runs` (nullopt: every run in `runs`), restricted to `scenarios` when not
// empty, in run, lock and scenario order: packed where the run has packed rows, else from
// agg_latency. Needs schema version 2 or later; packed rows are looked for from version 4 on.
// A packed row that is not a histogram lockrig writes is refused (JournalError naming the row and
// `journal_path`, by default SQLite's name of the file), as check_latency_hists refuses it.
void read_latency_hists(sqlite3* db, int schema_version,
                        const std::optional<std::vector<std::int64_t>>& runs,
                        const std::vector<std::string>& scenarios,
                        const std::function<void(const LatencyHistRow&)>& row,
                        const std::string& journal_path = "");

// Checks every packed row of a version-4 journal (decode_latency_hist), for the open guard.
void check_latency_hists(sqlite3* db, const std::string& path);

// `lockrig check --journal`: the packed rows that disagree with agg_latency (at most
// `max_listed`), each as "run_id=.., lock_id=.., scenario=..: <what>".
std::vector<std::string> latency_hist_mismatches(sqlite3* db, std::size_t max_listed);

}  // namespace lockrig
