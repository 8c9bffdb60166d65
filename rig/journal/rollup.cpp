#include "rig/journal/rollup.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <span>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "rig/base/errors.hpp"
#include "rig/journal/latency_hist.hpp"
#include "rig/journal/open_guard.hpp"
#include "rig/journal/records.hpp"
#include "rig/journal/report_reader.hpp"
#include "rig/journal/sql.hpp"

namespace lockrig {

namespace {

// agg_sessions' key with the run replaced by the configuration's representative run.
using GroupKey = std::tuple<std::int64_t, std::string, std::string, std::int64_t, std::string,
                            std::string, std::string, std::int64_t, std::int64_t, std::int64_t,
                            std::int64_t>;
struct GroupSum {
  std::int64_t first_run = 0, sessions = 0, duration_ns = 0;
};
using HistKey = std::tuple<std::int64_t, std::string, std::string>;  // rep run, lock, scenario
struct HistSum {
  std::int64_t first_run = 0, sessions = 0;
  std::map<std::int64_t, std::int64_t> buckets;
};

struct Rollup {
  std::map<GroupKey, GroupSum> sessions;
  std::map<HistKey, HistSum> latency;
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> runs;  // (run, scenario)
};

// Appends `s` with its length, so no two different lists of strings join to the same text.
void put(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}

bool add_checked(std::int64_t& sum, std::int64_t n) {
  return !__builtin_add_overflow(sum, n, &sum) && sum <= kJournalMaxTotal;
}

// Each (run, lock) entry's representative: the lowest run id among the runs whose lock entry
// agrees with it on everything a report can select or group a lock entry by but the run (rig,
// every label, lock id, model, material, slot, firmware; reports/dataset.cpp attribute_of).
std::map<std::pair<std::int64_t, std::string>, std::int64_t> representatives(sqlite3* db) {
  std::unordered_map<std::int64_t, std::string> run_key;
  {
    SqlStatement q(db, "SELECT id, rig FROM runs ORDER BY id", "rollup: read runs");
    while (q.step()) put(run_key[q.integer(0)], q.view(1));
  }
  {
    SqlStatement q(db, "SELECT run_id, key, value FROM run_labels ORDER BY run_id, key",
                   "rollup: read run labels");
    while (q.step()) {
      auto it = run_key.find(q.integer(0));
      if (it == run_key.end()) continue;
      put(it->second, q.view(1));
      put(it->second, q.view(2));
    }
  }
  std::map<std::string, std::int64_t> first_of_config;
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> rep;
  SqlStatement q(db,
                 "SELECT run_id, lock_id, model, material, slot, COALESCE(firmware, '') FROM "
                 "run_locks ORDER BY run_id, lock_id",
                 "rollup: read run locks");
  while (q.step()) {
    const std::int64_t run = q.integer(0);
    auto it = run_key.find(run);
    if (it == run_key.end()) continue;
    std::string key = it->second;
    key += '|';
    for (int c = 1; c <= 5; ++c) put(key, q.view(c));
    rep[{run, q.text(1)}] = first_of_config.emplace(std::move(key), run).first->second;
  }
  return rep;
}

// The rollup as the journal's rows make it now; false when a row is not what lockrig writes.
// `packed`: a finished run's histograms from agg_latency_hist (what readers use, and the quicker
// read); otherwise from agg_latency, which they copy (check --journal compares with that).
bool build(sqlite3* db, int schema_version, Rollup& out, bool packed = true) {
  const auto rep = representatives(db);
  auto rep_of = [&](std::int64_t run, std::string_view lock) {
    auto it = rep.find({run, std::string(lock)});
    return it == rep.end() ? run : it->second;  // a lock its run never recorded: its own
  };
  {
    SqlStatement q(db,
                   "SELECT run_id, lock_id, scenario, step, expect, result, outcome, attempts, "
                   "sli_eligible, sli_success, first_attempt_success, sessions, duration_ns FROM "
                   "agg_sessions ORDER BY run_id, lock_id, scenario, step, expect, result, "
                   "outcome, attempts, sli_eligible, sli_success, first_attempt_success",
                   "rollup: read agg_sessions");
    sqlite3_stmt* st = q.get();
    while (q.step()) {
      for (int c : {0, 3, 7, 8, 9, 10, 11, 12})
        if (sqlite3_column_type(st, c) != SQLITE_INTEGER) return false;
      for (int c : {1, 2, 4, 5, 6})
        if (sqlite3_column_type(st, c) != SQLITE_TEXT) return false;
      const std::int64_t run = q.integer(0), n = q.integer(11), dur = q.integer(12);
      if (n < 1 || n > kJournalMaxTotal || dur < 0) return false;
      if (q.view(4) == kSweepExpect) continue;  // reports read sweeps from sweep_sessions
      // A rig fault is counted per run, so its groups stay with their run.
      const std::int64_t r = q.view(5) == result_name(SessionResult::rig_fault)
                                 ? run
                                 : rep_of(run, q.view(1));
      GroupSum& g = out.sessions[GroupKey{r, q.text(1), q.text(2), q.integer(3), q.text(4),
                                          q.text(5), q.text(6), q.integer(7), q.integer(8),
                                          q.integer(9), q.integer(10)}];
      if (g.sessions == 0) g.first_run = run;  // rows come in run order: the lowest run
      if (!add_checked(g.sessions, n) || !add_checked(g.duration_ns, dur)) return false;
      if (!add_checked(out.runs[{run, q.text(2)}], n)) return false;
    }
  }
  std::set<std::pair<std::int64_t, std::string>> sweeps;
  if (schema_version >= 5) {
    SqlStatement q(db, sweep_scenarios_sql(), "rollup: read sweep scenarios");
    while (q.step()) sweeps.emplace(q.integer(0), q.text(1));
  }
  try {
    // Below version 4 read_latency_hists does not look for packed rows.
    read_latency_hists(db, packed ? schema_version : 3, std::nullopt, {},
                       [&](const LatencyHistRow& h) {
      if (!sweeps.empty() && sweeps.count({h.run_id, std::string(h.scenario)})) return;
      HistSum& s = out.latency[HistKey{rep_of(h.run_id, h.lock_id), std::string(h.lock_id),
                                       std::string(h.scenario)}];
      if (s.buckets.empty() && s.sessions == 0) s.first_run = h.run_id;
      for (const LatencyPair& p : h.pairs) {
        if (p.sessions < 1 || latency_bucket_ns(p.bucket_ns) != p.bucket_ns ||
            !add_checked(s.buckets[p.bucket_ns], p.sessions) || !add_checked(s.sessions, p.sessions))
          throw JournalError("not a histogram lockrig writes");
      }
    });
  } catch (const JournalError&) {
    return false;
  }
  return true;
}

std::vector<LatencyPair> pairs_of(const HistSum& h) {
  std::vector<LatencyPair> pairs;
  pairs.reserve(h.buckets.size());
  for (const auto& [b, n] : h.buckets) pairs.push_back({b, n});
  return pairs;
}

// A row as check --journal names it.
std::string session_row(const GroupKey& k, const GroupSum& g) {
  return "first_run=" + std::to_string(g.first_run) + ", lock_id=" + std::get<1>(k) +
         ", scenario=" + std::get<2>(k) + ", step=" + std::to_string(std::get<3>(k)) +
         ", expect=" + std::get<4>(k) + ", result=" + std::get<5>(k) +
         ", outcome=" + std::get<6>(k) + ", attempts=" + std::to_string(std::get<7>(k)) +
         ", sli_eligible=" + std::to_string(std::get<8>(k)) +
         ", sli_success=" + std::to_string(std::get<9>(k)) +
         ", first_attempt_success=" + std::to_string(std::get<10>(k)) +
         ", rep_run=" + std::to_string(std::get<0>(k)) +
         ", sessions=" + std::to_string(g.sessions) +
         ", duration_ns=" + std::to_string(g.duration_ns);
}

std::string latency_row(const HistKey& k, std::int64_t first_run,
                        std::span<const LatencyPair> pairs) {
  std::string s = "first_run=" + std::to_string(first_run) + ", lock_id=" + std::get<1>(k) +
                  ", scenario=" + std::get<2>(k) + ", rep_run=" + std::to_string(std::get<0>(k)) +
                  ", buckets=";
  for (std::size_t i = 0; i < pairs.size(); ++i)
    s += (i ? " " : "") + std::to_string(pairs[i].bucket_ns) + ":" +
         std::to_string(pairs[i].sessions);
  return s;
}

std::string runs_row(std::int64_t run, const std::string& scenario, std::int64_t n) {
  return "run_id=" + std::to_string(run) + ", scenario=" + scenario +
         ", sessions=" + std::to_string(n);
}

// The three tables' rows as text, in a canonical order, from a built rollup.
std::map<std::string, std::set<std::string>> rows_of(const Rollup& r) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& [k, g] : r.sessions) out["rollup_sessions"].insert(session_row(k, g));
  for (const auto& [k, h] : r.latency)
    out["rollup_latency"].insert(latency_row(k, h.first_run, pairs_of(h)));
  for (const auto& [k, n] : r.runs) out["rollup_runs"].insert(runs_row(k.first, k.second, n));
  return out;
}

// The same from the stored tables.
std::map<std::string, std::set<std::string>> stored_rows(sqlite3* db) {
  std::map<std::string, std::set<std::string>> out;
  {
    SqlStatement q(db,
                   "SELECT rep_run, lock_id, scenario, step, expect, result, outcome, attempts, "
                   "sli_eligible, sli_success, first_attempt_success, first_run, sessions, "
                   "duration_ns FROM rollup_sessions",
                   "read rollup_sessions");
    while (q.step())
      out["rollup_sessions"].insert(session_row(
          GroupKey{q.integer(0), q.text(1), q.text(2), q.integer(3), q.text(4), q.text(5),
                   q.text(6), q.integer(7), q.integer(8), q.integer(9), q.integer(10)},
          GroupSum{q.integer(11), q.integer(12), q.integer(13)}));
  }
  {
    SqlStatement q(db,
                   "SELECT rep_run, lock_id, scenario, first_run, buckets, sessions, hist FROM "
                   "rollup_latency",
                   "read rollup_latency");
    std::vector<LatencyPair> pairs;
    while (q.step()) {
      pairs.clear();
      const bool decoded = try_decode_latency_hist(q.blob(6), q.integer(4), q.integer(5), pairs);
      std::string row = latency_row(HistKey{q.integer(0), q.text(1), q.text(2)}, q.integer(3),
                                    pairs);  // empty unless decoded
      if (!decoded) row += "(not a histogram lockrig writes)";
      out["rollup_latency"].insert(row);
    }
  }
  {
    SqlStatement q(db, "SELECT run_id, scenario, sessions FROM rollup_runs", "read rollup_runs");
    while (q.step())
      out["rollup_runs"].insert(runs_row(q.integer(0), q.text(1), q.integer(2)));
  }
  return out;
}

}  // namespace

bool rollup_valid(sqlite3* db, int schema_version) {
  if (schema_version < 6) return false;
  SqlStatement q(db, "SELECT count(*) FROM rollup_state", "read rollup_state");
  return q.step() && q.integer(0) > 0;
}

bool rebuild_rollup(sqlite3* db, int schema_version) {
  if (schema_version < 6) return false;
  for (const char* t : {"rollup_state", "rollup_sessions", "rollup_latency", "rollup_runs"}) {
    SqlStatement d(db, std::string("DELETE FROM ") + t, "clear the rollup");
    d.step();
  }
  Rollup r;
  if (!build(db, schema_version, r)) return false;
  {
    SqlStatement ins(db,
                     "INSERT INTO rollup_sessions (first_run, lock_id, scenario, step, expect, "
                     "result, outcome, attempts, sli_eligible, sli_success, "
                     "first_attempt_success, rep_run, sessions, duration_ns) VALUES (?1, ?2, ?3, "
                     "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                     "write rollup_sessions");
    for (const auto& [k, g] : r.sessions) {
      ins.reset();
      ins.bind(1, g.first_run).bind(2, std::get<1>(k)).bind(3, std::get<2>(k));
      ins.bind(4, std::get<3>(k)).bind(5, std::get<4>(k)).bind(6, std::get<5>(k));
      ins.bind(7, std::get<6>(k)).bind(8, std::get<7>(k)).bind(9, std::get<8>(k));
      ins.bind(10, std::get<9>(k)).bind(11, std::get<10>(k)).bind(12, std::get<0>(k));
      ins.bind(13, g.sessions).bind(14, g.duration_ns);
      ins.step();
    }
  }
  {
    SqlStatement ins(db,
                     "INSERT INTO rollup_latency (first_run, lock_id, scenario, rep_run, buckets, "
                     "sessions, hist) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                     "write rollup_latency");
    for (const auto& [k, h] : r.latency) {
      const std::vector<LatencyPair> pairs = pairs_of(h);
      if (pairs.empty()) continue;
      const std::string blob = encode_latency_hist(pairs);
      ins.reset();
      ins.bind(1, h.first_run).bind(2, std::get<1>(k)).bind(3, std::get<2>(k));
      ins.bind(4, std::get<0>(k)).bind(5, static_cast<std::int64_t>(pairs.size()));
      ins.bind(6, h.sessions);
      sqlite3_bind_blob(ins.get(), 7, blob.data(), static_cast<int>(blob.size()),
                        SQLITE_TRANSIENT);
      ins.step();
    }
  }
  {
    SqlStatement ins(db, "INSERT INTO rollup_runs (run_id, scenario, sessions) VALUES (?1, ?2, ?3)",
                     "write rollup_runs");
    for (const auto& [k, n] : r.runs) {
      ins.reset();
      ins.bind(1, k.first).bind(2, k.second).bind(3, n);
      ins.step();
    }
  }
  SqlStatement ok(db, "INSERT INTO rollup_state (valid) VALUES (1)", "mark the rollup valid");
  ok.step();
  return true;
}

std::vector<AggregateMismatch> rollup_mismatches(sqlite3* db, int schema_version,
                                                 std::size_t max_listed) {
  std::vector<AggregateMismatch> out;
  if (!rollup_valid(db, schema_version)) return out;
  Rollup r;
  if (!build(db, schema_version, r, false)) {
    out.push_back({"rollup_state", "says the rollup is valid, but the rows it sums are not all "
                                   "rows lockrig writes"});
    return out;
  }
  auto want = rows_of(r);
  auto have = stored_rows(db);
  for (const char* t : {"rollup_sessions", "rollup_latency", "rollup_runs"}) {
    const auto& a = have[t];
    const auto& b = want[t];
    std::vector<std::string> only_a, only_b;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only_a));
    std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(only_b));
    for (const auto& row : only_a) {
      if (out.size() >= max_listed) return out;
      out.push_back({t, "kept only: " + row});
    }
    for (const auto& row : only_b) {
      if (out.size() >= max_listed) return out;
      out.push_back({t, "recomputed only: " + row});
    }
  }
  return out;
}

}  // namespace lockrig
