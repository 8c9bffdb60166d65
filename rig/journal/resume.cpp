#include "rig/journal/resume.hpp"

#include <algorithm>

#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/events.hpp"
#include "rig/journal/run_records.hpp"
#include "rig/journal/sql.hpp"

namespace lockrig {

namespace {

using Query = SqlStatement;

// runs.host_id, or '' before schema version 3 (issue 17).
std::string host_id_column(const Journal& journal) {
  return journal.schema_version() >= 3 ? "COALESCE(host_id, '')" : "''";
}

RunRecord load_run(const Journal& journal, sqlite3* db, std::int64_t id) {
  RunRecord r;
  Query q(db,
          "SELECT id, uuid, status, host, clock, started_at, seed, fixture_source, fixture_sha256, "
          "scenarios_sha256, controller_version, " + host_id_column(journal) +
              " FROM runs WHERE id = ?");
  q.bind(1, id);
  if (!q.step()) throw UsageError("--resume: the journal has no run " + std::to_string(id));
  r.id = q.integer(0);
  r.uuid = q.text(1);
  r.status = q.text(2);
  r.host = q.text(3);
  r.clock = q.text(4);
  r.started_at = q.text(5);
  r.seed = static_cast<std::uint64_t>(q.integer(6));
  r.fixture_source = q.text(7);
  r.fixture_sha256 = q.text(8);
  r.scenarios_sha256 = q.text(9);
  r.controller_version = q.text(10);
  r.host_id = q.text(11);
  Query s(db, "SELECT name, source, sha256, repeat FROM run_scenarios WHERE run_id = ?");
  s.bind(1, id);
  while (s.step())
    r.scenarios.push_back({s.text(0), s.text(1), s.text(2), static_cast<int>(s.integer(3))});
  Query p(db, "SELECT target, value FROM events WHERE run_id = ? AND kind = ? ORDER BY id");
  p.bind(1, id).bind(2, name(EventKind::plan));
  while (p.step()) {
    r.has_plan = true;
    if (p.text(0) == "scenario_file")
      r.scenario_files.push_back(p.text(1));
    else if (p.text(0) == "locks")
      r.locks = split_commas({p.text(1)});
  }
  return r;
}

}  // namespace

std::string item_label(const std::string& scenario, int repetition) {
  return scenario + "#" + std::to_string(repetition);
}

std::vector<EventRow> plan_events(const std::vector<std::string>& scenario_files,
                                  const std::vector<std::string>& lock_ids) {
  std::vector<EventRow> out;
  const std::string plan(name(EventKind::plan));
  out.push_back(EventRow{"", TimePoint{0}, plan, "locks", join(lock_ids, ","),
                         "locks selected for the run (for --resume)"});
  for (const auto& f : scenario_files)
    out.push_back(EventRow{"", TimePoint{0}, plan, "scenario_file", f,
                           "scenario file, in the order given (for --resume)"});
  return out;
}

RunRecord find_run_to_resume(Journal& journal, const std::string& selector,
                             const RunLockHolder& holder, bool lock_is_ours) {
  sqlite3* db = journal_db(journal);
  std::int64_t id = 0;
  if (selector.empty()) {
    Query q(db, "SELECT id, uuid, host, " + host_id_column(journal) +
                    " FROM runs WHERE status = ? ORDER BY id DESC");
    q.bind(1, name(RunStatus::running));
    while (q.step()) {
      RunRecord here;
      here.host = q.text(2);
      here.host_id = q.text(3);
      // issue 17: another rig's run (a merged journal) is never this one's to resume.
      if (run_elsewhere(here)) continue;
      if (!holder(q.text(1))) {
        id = q.integer(0);
        break;
      }
    }
    if (id == 0)
      throw UsageError("--resume: journal " + quote(journal.path()) +
                       " has no interrupted run (see lockrig runs)");
  } else if (selector.find_first_not_of("0123456789") == std::string::npos) {
    id = std::stoll(selector);
  } else {
    if (selector.size() < 8)
      throw UsageError("--resume wants a run id or a uuid (at least 8 characters), got " +
                       quote(selector));
    Query q(db, "SELECT id FROM runs WHERE uuid LIKE ? || '%'");
    q.bind(1, selector);
    std::vector<std::int64_t> ids;
    while (q.step()) ids.push_back(q.integer(0));
    if (ids.empty())
      throw UsageError("--resume: journal " + quote(journal.path()) + " has no run " +
                       quote(selector));
    if (ids.size() > 1)
      throw UsageError("--resume: " + quote(selector) + " matches " + std::to_string(ids.size()) +
                       " runs; give more of the uuid");
    id = ids.front();
  }
  RunRecord r = load_run(journal, db, id);
  const std::string run_name = "run " + std::to_string(r.id) + " (" + r.uuid + ")";
  const auto status = parse_run_status(r.status);
  if (status == RunStatus::running || status == RunStatus::aborted) {
    // issue 17: its plan, lock files and hardware are on the machine that ran it.
    if (const auto where = run_elsewhere(r))
      throw UsageError("--resume: " + run_name + " ran on " + *where + ", not on this host (" +
                       quote(this_host_name()) + "); only that rig can resume it");
  }
  if (status == RunStatus::running) {
    const auto held_by = lock_is_ours ? std::nullopt : holder(r.uuid);
    // Another lockrig is running or resuming it: exit 75, try again later (issue 17, item 8).
    if (held_by) throw BusyError("--resume: " + run_name + " is still running: " + *held_by);
  } else if (status != RunStatus::aborted) {
    throw UsageError("--resume: " + run_name + " is " + r.status +
                     "; only interrupted (or aborted) runs can be resumed");
  }
  return r;
}

JournaledProgress read_progress(Journal& journal, std::int64_t run) {
  sqlite3* db = journal_db(journal);
  JournaledProgress p;
  {
    // Each session with its last attempt: did the link survive it?
    Query q(db,
            "SELECT s.lock_id, s.scenario, s.repetition, s.step, s.result, s.sli_eligible, "
            "s.sli_success, s.attempts, s.ended_ns, a.phase, a.outcome, s.expect FROM sessions s "
            "LEFT JOIN attempts a ON a.session_id = s.id AND a.attempt = s.attempts "
            "WHERE s.run_id = ?");
    q.bind(1, run);
    while (q.step()) {
      const std::string lock = q.text(0), scenario = q.text(1), result = q.text(4);
      const int rep = static_cast<int>(q.integer(2)), step = static_cast<int>(q.integer(3));
      const std::string phase = q.text(9), outcome = q.text(10);
      p.sessions[{lock, scenario, rep, step}] =
          phase == "unlock" && outcome != "disconnected" && outcome != "rig_fault";
      const bool voided = result == result_name(SessionResult::rig_fault);
      if (voided) p.rig_fault_items.insert({lock, scenario, rep});
      ++p.counters.sessions;
      p.counters.attempts += q.integer(7);
      p.counters.sli_sessions += q.integer(5);
      p.counters.sli_successes += q.integer(6);
      p.counters.rig_faults += voided;
      p.counters.failed_assertions +=
          q.integer(5) == 0 && result == result_name(SessionResult::fail) &&
          q.text(11) != kSweepExpect;  // a sweep session is no assertion (issue 14)
      p.last_t = std::max(p.last_t, TimePoint{q.integer(8)});
    }
  }
  auto item_of = [](const std::string& lock, const std::string& label) -> std::optional<ItemKey> {
    const auto hash = label.rfind('#');
    if (hash == std::string::npos || hash + 1 == label.size()) return std::nullopt;
    try {
      return ItemKey{lock, label.substr(0, hash), std::stoi(label.substr(hash + 1))};
    } catch (const std::exception&) {
      return std::nullopt;
    }
  };
  Query e(db,
          "SELECT COALESCE(lock_id, ''), t_ns, kind, target, value, detail FROM events "
          "WHERE run_id = ? ORDER BY id");
  e.bind(1, run);
  while (e.step()) {
    const std::string lock = e.text(0), target = e.text(3), value = e.text(4);
    const auto kind = parse_event_kind(e.view(2));
    p.last_t = std::max(p.last_t, TimePoint{e.integer(1)});
    if (kind == EventKind::wait_until && value == "timeout")
      ++p.wait_failures;
    else if (kind == EventKind::rig_fault && p.first_rig_fault.empty())
      p.first_rig_fault = (lock.empty() ? "" : lock + ": ") + e.text(5);
    else if (kind == EventKind::resumed)
      ++p.attempts;
    else if (kind == EventKind::interrupted) {
      // Only crashes count toward the quarantine: a kill -9 or power cut says nothing about
      // the item (value `stopped`).
      if (value == "crash")
        if (auto k = item_of(lock, target)) ++p.crashes[*k];
    } else if (kind == EventKind::item_abandoned) {
      // Cut short by a rig fault under `on_rig_fault: continue`: finished, as it would be.
      if (auto k = item_of(lock, target)) p.rig_fault_items.insert(*k);
    } else if (kind == EventKind::quarantine) {
      if (value == "controller_crash") {
        if (auto k = item_of(lock, target)) p.quarantined.insert(*k);
      } else if (!lock.empty()) {
        p.quarantine_reason[lock] = e.text(5);
      }
    }
  }
  Query l(db, "SELECT lock_id, COALESCE(firmware, '') FROM run_locks WHERE run_id = ?");
  l.bind(1, run);
  while (l.step()) {
    p.locks_recorded.insert(l.text(0));
    p.firmware[l.text(0)] = l.text(1);
  }
  Query a(db, "SELECT count(*) FROM run_labels WHERE run_id = ? AND key = 'app'");
  a.bind(1, run);
  p.has_app_label = a.step() && a.integer(0) > 0;
  return p;
}

void record_missing_locks(Journal& journal, std::int64_t run, const std::vector<LockRow>& rows) {
  sqlite3* db = journal_db(journal);
  Transaction tx(db);
  for (const auto& r : rows) {
    Query q(db,
            "INSERT OR IGNORE INTO run_locks (run_id, lock_id, model, material, slot, driver, "
            "firmware, reported_model, manufacturer) VALUES (?,?,?,?,?,?,NULLIF(?, ''),NULLIF(?, "
            "''),NULLIF(?, ''))");
    q.bind(1, run).bind(2, r.lock_id).bind(3, r.model).bind(4, r.material).bind(5, r.slot);
    q.bind(6, r.driver).bind(7, r.firmware).bind(8, r.reported_model).bind(9, r.manufacturer);
    q.step();
  }
  tx.commit();
}

void abandon_run(Journal& journal, std::int64_t run, const std::string& why,
                 const std::string& ended_at) {
  sqlite3* db = journal_db(journal);
  Transaction tx(db);
  TimePoint last{0};
  {
    Query q(db,
            "SELECT max(COALESCE((SELECT max(t_ns) FROM events WHERE run_id = ?1), 0), "
            "COALESCE((SELECT max(ended_ns) FROM sessions WHERE run_id = ?1), 0))");
    q.bind(1, run);
    if (q.step()) last = TimePoint{q.integer(0)};
  }
  Query e(db,
          "INSERT INTO events (run_id, lock_id, t_ns, kind, target, value, detail) "
          "VALUES (?, NULL, ?, ?, '', '', ?)");
  e.bind(1, run).bind(2, static_cast<std::int64_t>(last.count()));
  e.bind(3, name(EventKind::abandoned)).bind(4, why);
  e.step();
  Query u(db,
          "UPDATE runs SET status = ?, exit_code = ?, ended_at = ? WHERE id = ? AND status = ?");
  u.bind(1, name(RunStatus::aborted)).bind(2, static_cast<std::int64_t>(kAbandonedExitCode));
  u.bind(3, ended_at).bind(4, run).bind(5, name(RunStatus::running));
  u.step();
  tx.commit();
}

void reopen_run(Journal& journal, std::int64_t run) {
  Query q(journal, "UPDATE runs SET status = ?, ended_at = NULL, exit_code = NULL WHERE id = ?");
  q.bind(1, name(RunStatus::running)).bind(2, run);
  q.step();
}

}  // namespace lockrig
