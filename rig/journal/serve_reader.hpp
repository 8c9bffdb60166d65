// Readers for `lockrig serve` (issue 16): the progress of every run, a night's locks, a lock's
// nights, sessions and one session's attempts and events. Each reader runs its queries inside
// the caller's read transaction (Transaction(journal, "BEGIN")), so a page built from several of
// them is one consistent WAL snapshot while a run goes on writing; nothing here writes.
// Totals come from the aggregate tables (schema 2) or, on a version-1 journal, from the rows.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rig/journal/journal.hpp"

namespace lockrig {

// Sessions counted the way `lockrig runs` and the end-of-run summary count them.
struct SessionTotals {
  long long sessions = 0;
  long long sli_sessions = 0, sli_success = 0;
  long long rig_fault_sessions = 0;  // sessions voided by a rig fault
  long long failed = 0;              // sessions whose result is fail (SLI or assertion)
};

struct RunProgress {
  RunRecord run;  // id, uuid, host, rig, started_at, ended_at, status, clock, labels,
                  // sessions_planned, exit_code (-1 while running)
  SessionTotals done;
};

struct LockTotals {
  std::string lock_id, model, material, slot, firmware;
  std::int64_t run_id = 0;
  SessionTotals done;
};

struct SessionRow {
  std::int64_t id = 0, run_id = 0;
  std::string lock_id, scenario, expect, result, outcome;
  int repetition = 0, step = 0, attempts = 0;
  std::int64_t started_ns = 0, ended_ns = 0;
  bool sli_eligible = false, sli_success = false;
};

struct SessionDetail {
  SessionRow session;
  std::string run_uuid, run_started_at, material, firmware;
  std::vector<AttemptRecord> attempts;
  std::vector<EventRow> events;  // the lock's and rig-wide events while the session ran
};

// Every run, oldest first.
std::vector<RunProgress> read_run_progress(Journal& journal);
// One run, or nothing when the journal has no run with this id.
std::optional<RunProgress> read_one_run_progress(Journal& journal, std::int64_t run_id);
// The locks of a run with their totals so far, by lock id.
std::vector<LockTotals> read_run_lock_totals(Journal& journal, std::int64_t run_id);
// A lock's totals in every run that had it, oldest run first (empty: no such lock).
std::vector<LockTotals> read_lock_history(Journal& journal, const std::string& lock_id);
// The latest `limit` sessions (newest first) of a run and/or lock that did not pass.
std::vector<SessionRow> read_unpassed_sessions(Journal& journal, std::optional<std::int64_t> run_id,
                                               const std::optional<std::string>& lock_id,
                                               int limit);
std::optional<SessionDetail> read_session_detail(Journal& journal, std::int64_t session_id);

}  // namespace lockrig
