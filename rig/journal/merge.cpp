#include "rig/journal/merge.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/events.hpp"
#include "rig/journal/journal.hpp"
#include "rig/journal/latency_hist.hpp"
#include "rig/journal/rollup.hpp"
#include "rig/journal/open_guard.hpp"  // shipped_view_query
#include "rig/journal/sql.hpp"

namespace fs = std::filesystem;

namespace lockrig {

namespace {

using Stmt = SqlStatement;

// Columns of `table` present in both journals (an input may predate columns the output has;
// those take their defaults). Base tables only ever gain columns, never change them.
std::vector<std::string> shared_columns(sqlite3* src, sqlite3* dst, const std::string& table) {
  auto names = [&](sqlite3* db) {
    std::vector<std::string> out;
    Stmt s(db, "SELECT name FROM pragma_table_info('" + table + "')");
    while (s.step()) out.push_back(s.text(0));
    return out;
  };
  const auto in_dst = names(dst);
  std::vector<std::string> out;
  for (const auto& c : names(src))
    if (std::find(in_dst.begin(), in_dst.end(), c) != in_dst.end()) out.push_back(c);
  return out;
}

// Copies the rows of `table` selected by `where` (with ?1 bound to `key`) from src to dst,
// replacing column `remap_col` by `remap_to` (the row's new parent id) and leaving out `drop_col`
// (an INTEGER PRIMARY KEY dst assigns). `on_row` sees each inserted row's old drop_col value and
// its new rowid.
template <typename OnRow>
long long copy_rows(sqlite3* src, sqlite3* dst, const std::string& table, const std::string& where,
                    long long key, const std::string& remap_col,
                    const std::function<long long(long long)>& remap_to,
                    const std::string& drop_col, OnRow on_row) {
  std::vector<std::string> cols = shared_columns(src, dst, table);
  std::string select = "SELECT ";
  std::string insert_cols, placeholders;
  int remap_index = -1, drop_index = -1, n = 0;
  std::vector<int> inserted;  // select index per insert position
  for (std::size_t i = 0; i < cols.size(); ++i) {
    select += (i ? ", " : "") + cols[i];
    if (cols[i] == remap_col) remap_index = static_cast<int>(i);
    if (cols[i] == drop_col) {
      drop_index = static_cast<int>(i);
      continue;
    }
    insert_cols += (n ? ", " : "") + cols[i];
    placeholders += n ? ",?" : "?";
    inserted.push_back(static_cast<int>(i));
    ++n;
  }
  Stmt sel(src, select + " FROM " + table + " WHERE " + where);
  sel.bind(1, key);
  Stmt ins(dst, "INSERT INTO " + table + " (" + insert_cols + ") VALUES (" + placeholders + ")");
  long long count = 0;
  while (sel.step()) {
    for (std::size_t p = 0; p < inserted.size(); ++p) {
      const int i = inserted[p];
      if (i == remap_index)
        sqlite3_bind_int64(ins.get(), static_cast<int>(p + 1),
                           remap_to(sqlite3_column_int64(sel.get(), i)));
      else
        sqlite3_bind_value(ins.get(), static_cast<int>(p + 1), sqlite3_column_value(sel.get(), i));
    }
    ins.step();
    on_row(drop_index >= 0 ? sqlite3_column_int64(sel.get(), drop_index) : 0,
           sqlite3_last_insert_rowid(dst));
    ins.reset();
    ++count;
  }
  return count;
}

struct RunState {
  long long id = 0;
  std::string uuid, identity, status, finish;  // finish: ended_at, exit_code, campaign_seconds
  long long events = 0;
  std::string labels;
  std::map<std::string, std::string> sessions;  // natural key -> content
};

// What decides whether two copies of a run are the same run, the same state, or one continued.
RunState read_state(sqlite3* db, long long id, bool with_sessions = true) {
  RunState st;
  st.id = id;
  {
    Stmt s(db,
           "SELECT uuid, host || '|' || rig || '|' || started_at || '|' || clock || '|' || seed || "
           "'|' || fixture_sha256 || '|' || scenarios_sha256, status, COALESCE(ended_at, '') || "
           "'|' || COALESCE(exit_code, '') || '|' || COALESCE(campaign_seconds, ''), (SELECT "
           "count(*) FROM events WHERE run_id = runs.id), (SELECT COALESCE(group_concat(key || "
           "'=' || value, char(10)), '') FROM (SELECT key, value FROM run_labels WHERE run_id = "
           "runs.id ORDER BY key)) FROM runs WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) throw JournalError("run " + std::to_string(id) + " vanished during the merge");
    st.uuid = s.text(0);
    st.identity = s.text(1);
    st.status = s.text(2);
    st.finish = s.text(3);
    st.events = s.integer(4);
    st.labels = s.text(5);
  }
  if (!with_sessions) return st;
  Stmt s(db,
         "SELECT lock_id || '/' || scenario || '/' || repetition || '/' || step, result || '|' || "
         "outcome || '|' || attempts || '|' || started_ns || '|' || ended_ns || '|' || "
         "sli_eligible || sli_success || first_attempt_success FROM sessions WHERE run_id = ?");
  s.bind(1, id);
  while (s.step()) st.sessions.emplace(s.text(0), s.text(1));
  return st;
}

enum class Verdict { same, input_newer, output_newer };

// Compares the output's copy of a run with an input's. A run that continued (resumed, or was
// still being written at the first merge) has every session of the older copy and more; the
// longer state wins. Anything else - the same session with a different result, sessions missing
// on both sides, two finished copies that disagree - is a conflict and refuses the merge.
Verdict compare(const RunState& out, const std::string& out_path, const RunState& in,
                const std::string& in_path) {
  const std::string where = "run " + out.uuid + " in " + quote(in_path) + " and " + quote(out_path);
  if (out.identity != in.identity)
    throw JournalError(where +
                       " have the same uuid but a different host, rig, start time, seed or "
                       "fixture; refusing to merge (these are different runs)");
  bool out_has_more = false, in_has_more = false;
  for (const auto& [key, content] : in.sessions) {
    auto it = out.sessions.find(key);
    if (it == out.sessions.end()) {
      in_has_more = true;
    } else if (it->second != content) {
      throw JournalError(where + " disagree about session " + key + " (" + it->second + " vs " +
                         content + "); refusing to merge");
    }
  }
  for (const auto& [key, content] : out.sessions)
    if (!in.sessions.count(key)) out_has_more = true;
  if (in_has_more && out_has_more)
    throw JournalError(where + " each have sessions the other lacks; refusing to merge");
  if (in_has_more) return Verdict::input_newer;
  if (out_has_more) return Verdict::output_newer;
  // Same sessions: a finished copy beats a running one; more events (e.g. the final safe-state)
  // beat fewer; otherwise they must agree.
  const bool same_end = out.status == in.status && out.finish == in.finish;
  if (same_end && out.events == in.events && out.labels == in.labels) return Verdict::same;
  const std::string_view running = name(RunStatus::running);
  if (out.status == running && in.status != running) return Verdict::input_newer;
  if (in.status == running && out.status != running) return Verdict::output_newer;
  if (same_end && out.events != in.events && out.labels == in.labels)
    return in.events > out.events ? Verdict::input_newer : Verdict::output_newer;
  throw JournalError(where + " end differently (status " + out.status + " vs " + in.status +
                     ", or different labels); refusing to merge");
}

// Issue 15: whether `db` has session_evidence (schema version 3; older inputs have none).
bool has_table(sqlite3* db, const char* table) {
  Stmt s(db, "SELECT count(*) FROM main.sqlite_master WHERE type = 'table' AND name = ?1");
  s.bind(1, std::string_view(table));
  return s.step() && s.integer(0) > 0;
}

// Tables with one row per session, keyed by session_id: re-keyed with their sessions.
constexpr const char* kSessionSideTables[] = {"session_evidence", "sweep_sessions"};

// ---- Bulk copy in bounded transactions (issue 18; issue 17 item 4) ----
// A run is copied with one INSERT ... SELECT per table and batch from the input ATTACHed to the
// output connection as `src`, in write transactions sized to last about kTargetTransaction, so a
// `lockrig run` writing the same output waits for the merge at most about that long (its busy
// timeout is 5 s). The output's triggers keep the aggregates, batch by batch, as for any writer.
constexpr std::chrono::milliseconds kTargetTransaction{50};

// Times write transactions and sizes the next batch so it lasts about kTargetTransaction.
struct Batcher {
  long long rows = 2000;  // the next batch, in sessions (or events)
  std::chrono::steady_clock::time_point t0;
  MergeSummary* sum = nullptr;
  // Into a journal a run may be writing: a pause after each commit, so the run's writer, which
  // tries for the lock every millisecond while it waits (journal.cpp, journal_busy_handler), gets
  // it between two merge transactions; SQLite does not queue writers.
  std::chrono::milliseconds gap{0};
  void begin(sqlite3* dst) {
    sqlite_check(sqlite3_exec(dst, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), dst,
                 "begin a merge transaction");
    t0 = std::chrono::steady_clock::now();  // the write lock is held from here
  }
  void commit(sqlite3* dst, long long done) {
    sqlite_check(sqlite3_exec(dst, "COMMIT", nullptr, nullptr, nullptr), dst,
                 "commit a merge transaction");
    const auto took = std::chrono::steady_clock::now() - t0;
    const double ms = std::chrono::duration<double, std::milli>(took).count();
    if (gap.count() > 0) std::this_thread::sleep_for(gap);
    sum->longest_transaction_ms = std::max(sum->longest_transaction_ms, ms);
    ++sum->transactions;
    if (done > 0 && ms > 0) {
      const double next = static_cast<double>(done) * kTargetTransaction.count() / ms;
      rows = std::clamp(static_cast<long long>(next), 16LL, std::min(rows * 2, 200000LL));
    }
  }
};

// Rolls back an open transaction on any exit that did not commit it.
struct RollbackGuard {
  sqlite3* db;
  ~RollbackGuard() {
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
};

long long one_integer(sqlite3* db, const std::string& sql, std::initializer_list<long long> args,
                      long long if_null = 0) {
  Stmt s(db, sql);
  int i = 1;
  for (long long a : args) s.bind(i++, static_cast<std::int64_t>(a));
  if (!s.step() || s.null(0)) return if_null;
  return s.integer(0);
}

// A column list ("a, b, c") of `cols` without `skip`, each prefixed with `prefix`.
std::string column_list(const std::vector<std::string>& cols,
                        std::initializer_list<const char*> skip, const std::string& prefix = "") {
  std::string out;
  for (const auto& c : cols) {
    if (std::find_if(skip.begin(), skip.end(), [&](const char* k) { return c == k; }) != skip.end())
      continue;
    out += (out.empty() ? "" : ", ") + prefix + c;
  }
  return out;
}

// Deletes a run's rows below `runs` in bounded transactions (the output's run row is first marked
// `running`, so a merge killed half-way leaves a shorter running copy the next merge replaces).
void delete_run_children(sqlite3* dst, long long id, Batcher& batch) {
  {
    Stmt s(dst,
           "UPDATE runs SET status = 'running', ended_at = NULL, exit_code = NULL, "
           "campaign_seconds = NULL WHERE id = ?");
    s.bind(1, static_cast<std::int64_t>(id));
    s.step();
  }
  for (;;) {
    batch.begin(dst);
    const long long hi = one_integer(
        dst, "SELECT max(id) FROM (SELECT id FROM sessions WHERE run_id = ?1 ORDER BY id LIMIT ?2)",
        {id, batch.rows}, -1);
    if (hi < 0) {
      batch.commit(dst, 0);
      break;
    }
    // Rows keyed by session go before the sessions they refer to: evidence (issue 15, none
    // before schema version 3) and sweep levels (issue 14, none before version 5).
    for (const char* side : kSessionSideTables) {
      if (!has_table(dst, side)) continue;
      Stmt s(dst, std::string("DELETE FROM ") + side +
                      " WHERE session_id IN (SELECT id FROM sessions WHERE run_id = ?1 AND id <= ?2)");
      s.bind(1, static_cast<std::int64_t>(id)).bind(2, static_cast<std::int64_t>(hi));
      s.step();
    }
    for (const char* sql :
         {"DELETE FROM attempts WHERE session_id IN (SELECT id FROM sessions WHERE run_id = ?1 "
          "AND id <= ?2)",
          "DELETE FROM sessions WHERE run_id = ?1 AND id <= ?2"}) {
      Stmt s(dst, sql);
      s.bind(1, static_cast<std::int64_t>(id)).bind(2, static_cast<std::int64_t>(hi));
      s.step();
    }
    batch.commit(dst, batch.rows);
  }
  for (;;) {
    batch.begin(dst);
    Stmt s(dst,
           "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE run_id = ?1 ORDER BY id "
           "LIMIT ?2)");
    s.bind(1, static_cast<std::int64_t>(id)).bind(2, static_cast<std::int64_t>(batch.rows * 4));
    s.step();
    const long long n = sqlite3_changes(dst);
    batch.commit(dst, n / 4);
    if (n == 0) break;
  }
  batch.begin(dst);
  for (const char* sql : {"DELETE FROM run_locks WHERE run_id = ?", "DELETE FROM run_scenarios WHERE run_id = ?",
                          "DELETE FROM run_labels WHERE run_id = ?"}) {
    Stmt s(dst, sql);
    s.bind(1, static_cast<std::int64_t>(id));
    s.step();
  }
  batch.commit(dst, 0);
}

// When a bulk INSERT fails, finds the first input row that fails alone (in a transaction rolled
// back right after) so the error names it.
std::string failing_row(sqlite3* dst, const std::string& insert_one, long long run,
                        const std::string& list_ids, const std::string& what) {
  std::vector<long long> ids;
  {
    Stmt s(dst, list_ids);
    s.bind(1, static_cast<std::int64_t>(run));
    while (s.step()) ids.push_back(s.integer(0));
  }
  sqlite3_exec(dst, "SAVEPOINT find_row", nullptr, nullptr, nullptr);
  std::string found;
  for (long long id : ids) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(dst, insert_one.c_str(), -1, &st, nullptr) != SQLITE_OK) break;
    sqlite3_bind_int64(st, 1, id);
    const int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
      found = what + " id " + std::to_string(id) + ": " + sqlite3_errmsg(dst);
      break;
    }
  }
  sqlite3_exec(dst, "ROLLBACK TO find_row; RELEASE find_row", nullptr, nullptr, nullptr);
  return found;
}

// Where a run is copied to. An existing output may be written by another process (a pause after
// each commit, see Batcher::gap) and keeps its aggregates through its triggers, so the copied run
// is packed there; a new output (a temporary file, triggers off) either takes the input's own
// aggregate rows of the run (`input_aggregates`: same schema version, see copy_run_aggregates) or
// gets them computed at the end (rebuild_aggregates).
struct CopyPlan {
  bool new_output = false;
  bool input_aggregates = false;
};

// The unary + on run_id below keeps SQLite from answering "the run's sessions after id X" through
// the (run_id, lock_id, ...) index, which would read all of the run's sessions for every batch;
// the rowid range is what bounds a batch.
// Copies one run (with everything under it) from the input `src_db` (also attached to dst as
// `src`) into dst. With `into` the run row `into` is overwritten in place (a longer state of a
// run dst has), otherwise a new row is added. Rows are taken up to the input snapshot's last
// session and event ids (`in`), so a run still being written is copied as that snapshot.
void copy_run_batches(sqlite3* src_db, sqlite3* dst, long long src_id,
                      std::optional<long long> into, const std::string& in_path,
                      MergeSummary& sum, long long& added, const CopyPlan& plan,
                      bool& aggregates_copied);

// Issue 18, merge in bulk: a new output takes a run's aggregate rows (every agg_* table both
// journals have) from the input instead of recomputing them from the copied rows. Recomputing was
// half of a merge's time (three GROUP BYs sorting every session and attempt again: 8.9 of 19.5 s
// for 1 M attempts), and the input's writer kept those rows in the same transactions as the rows
// they count (docs/journal.md). They are taken only from an input of the output's own schema
// version, and checked before they are kept: per lock and scenario, the sessions they count must
// be the sessions copied (read from the output's (run_id, lock_id, scenario, ...) index, no sort),
// the attempts the attempts copied, the latency histogram the SLI successes, and packed
// histograms, where the input has them, the same total (stale ones are packed again, as is a
// finished run the input had not packed). Anything else (an input run still being
// written whose aggregates moved on after the snapshot the rows came from, a journal edited by
// hand) drops them again and the run is recomputed from its rows like any other.
// `lockrig check --journal` re-derives every aggregate from the rows (tests/cli/merge_bulk_test.cpp
// runs it on merged outputs).
bool copy_run_aggregates(sqlite3* dst, long long src_id, long long dst_id, long long attempts,
                         bool finished) {
  std::vector<std::string> tables;
  {
    Stmt s(dst,
           "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name LIKE 'agg\\_%' "
           "ESCAPE '\\' AND name IN (SELECT name FROM src.sqlite_master WHERE type = 'table') "
           "ORDER BY name");
    while (s.step()) tables.push_back(s.text(0));
  }
  auto scalar = [&](const std::string& sql) {
    return one_integer(dst, sql, {dst_id}, 0);
  };
  auto drop = [&] {
    for (const auto& t : tables) {
      Stmt d(dst, "DELETE FROM main." + t + " WHERE run_id = ?");
      d.bind(1, static_cast<std::int64_t>(dst_id));
      d.step();
    }
    return false;
  };
  for (const auto& t : tables) {
    Stmt probe(dst, "SELECT name FROM pragma_table_info('" + t + "') ORDER BY cid");
    std::vector<std::string> cols;
    while (probe.step()) cols.push_back(probe.text(0));
    if (std::find(cols.begin(), cols.end(), "run_id") == cols.end()) return drop();
    Stmt ins(dst, "INSERT INTO main." + t + " (run_id, " + column_list(cols, {"run_id"}) +
                      ") SELECT ?2, " + column_list(cols, {"run_id"}) + " FROM src." + t +
                      " WHERE run_id = ?1",
             "copy the run's " + t);
    ins.bind(1, static_cast<std::int64_t>(src_id)).bind(2, static_cast<std::int64_t>(dst_id));
    ins.step();
  }
  const auto has = [&](const char* t) {
    return std::find(tables.begin(), tables.end(), t) != tables.end();
  };
  if (!has("agg_sessions") || !has("agg_attempts") || !has("agg_latency")) return drop();
  // Sessions per lock and scenario: rows against aggregates, both in (lock_id, scenario) order
  // (so also in total).
  {
    Stmt rows(dst,
              "SELECT lock_id, scenario, count(*) FROM main.sessions WHERE run_id = ?1 GROUP BY "
              "lock_id, scenario ORDER BY lock_id, scenario");
    Stmt aggs(dst,
              "SELECT lock_id, scenario, sum(sessions) FROM main.agg_sessions WHERE run_id = ?1 "
              "GROUP BY lock_id, scenario ORDER BY lock_id, scenario");
    rows.bind(1, static_cast<std::int64_t>(dst_id));
    aggs.bind(1, static_cast<std::int64_t>(dst_id));
    for (;;) {
      const bool r = rows.step(), a = aggs.step();
      if (r != a) return drop();
      if (!r) break;
      if (rows.view(0) != aggs.view(0) || rows.view(1) != aggs.view(1) ||
          rows.integer(2) != aggs.integer(2))
        return drop();
    }
  }
  if (scalar("SELECT sum(attempts) FROM main.agg_attempts WHERE run_id = ?") != attempts)
    return drop();
  const long long successes = scalar(
      "SELECT sum(sessions) FROM main.agg_sessions WHERE run_id = ? AND sli_eligible = 1 AND "
      "sli_success = 1 AND result <> 'rig_fault'");
  if (scalar("SELECT sum(sessions) FROM main.agg_latency WHERE run_id = ?") != successes)
    return drop();
  if (has("agg_latency_hist")) {
    const long long packed =
        scalar("SELECT sum(sessions) FROM main.agg_latency_hist WHERE run_id = ?");
    // Packed histograms are derived from agg_latency (checked above): packed rows whose total
    // disagrees with it (stale) are dropped and the run packed again from agg_latency, as is a
    // finished run the input had not packed (an older writer).
    if (packed != 0 && packed != successes) {
      Stmt d(dst, "DELETE FROM main.agg_latency_hist WHERE run_id = ?");
      d.bind(1, static_cast<std::int64_t>(dst_id));
      d.step();
    }
    if ((packed == 0 || packed != successes) && finished)
      pack_run_latency(dst, static_cast<std::int64_t>(dst_id));
  }
  return true;
}

// Returns the output's id of the run and whether its aggregates came with it (otherwise, on a new
// output, rebuild_aggregates computes them from the rows).
struct CopiedRun {
  long long id = 0;
  bool aggregates_copied = false;
};

CopiedRun copy_run(sqlite3* src_db, sqlite3* dst, long long src_id, std::optional<long long> into,
                   const std::string& in_path, MergeSummary& sum, const CopyPlan& plan) {
  long long dst_id = 0;  // the run row this merge added, once committed
  bool copied = false;
  try {
    copy_run_batches(src_db, dst, src_id, into, in_path, sum, dst_id, plan, copied);
    return {into ? *into : dst_id, copied};
  } catch (...) {
    // Nothing half-written of a run this merge was adding: what its earlier batches committed is
    // removed again (best effort; if that fails too, the run stays marked `running` and the next
    // merge replaces it). A run being replaced stays as the shorter running copy.
    if (!into && dst_id != 0) {
      try {
        if (!sqlite3_get_autocommit(dst)) sqlite3_exec(dst, "ROLLBACK", nullptr, nullptr, nullptr);
        Batcher batch;
        MergeSummary scratch;
        batch.sum = &scratch;
        delete_run_children(dst, dst_id, batch);
        Stmt del(dst, "DELETE FROM runs WHERE id = ?");
        del.bind(1, static_cast<std::int64_t>(dst_id));
        del.step();
      } catch (...) {
      }
    }
    throw;
  }
}

void copy_run_batches(sqlite3* src_db, sqlite3* dst, long long src_id,
                      std::optional<long long> into, const std::string& in_path,
                      MergeSummary& sum, long long& added, const CopyPlan& plan,
                      bool& aggregates_copied) {
  long long dst_id = 0;
  long long attempts_here = 0;  // what this run's batches copied
  Batcher batch;
  batch.sum = &sum;
  if (!plan.new_output) batch.gap = std::chrono::milliseconds(3);
  RollbackGuard guard{dst};
  const std::string uuid = [&] {
    Stmt s(src_db, "SELECT uuid FROM runs WHERE id = ?");
    s.bind(1, static_cast<std::int64_t>(src_id));
    return s.step() ? s.text(0) : std::string();
  }();
  const std::string where = "run " + uuid + " (id " + std::to_string(src_id) + ") of " + quote(in_path);
  // What the input's snapshot (its open read transaction) holds of the run.
  const long long last_session = one_integer(
      src_db, "SELECT max(id) FROM sessions WHERE run_id = ?", {src_id}, 0);
  const long long last_event =
      one_integer(src_db, "SELECT max(id) FROM events WHERE run_id = ?", {src_id}, 0);

  auto same = [&](long long) { return dst_id; };
  if (into) {
    dst_id = *into;
    delete_run_children(dst, dst_id, batch);
  }
  // The run row (marked running until its last batch is in), labels, scenarios and locks.
  batch.begin(dst);
  if (into) {
    std::vector<std::string> cols = shared_columns(src_db, dst, "runs");
    std::string set;
    for (const auto& c : cols)
      if (c != "id") set += (set.empty() ? "" : ", ") + c + " = ?";
    Stmt sel(src_db, "SELECT * FROM runs WHERE id = ?");
    sel.bind(1, static_cast<std::int64_t>(src_id));
    if (!sel.step()) throw JournalError(where + " vanished from its journal during the merge");
    Stmt upd(dst, "UPDATE runs SET " + set + " WHERE id = ?");
    int p = 1;
    for (int i = 0; i < sqlite3_column_count(sel.get()); ++i) {
      const std::string name = sqlite3_column_name(sel.get(), i);
      if (name == "id" || std::find(cols.begin(), cols.end(), name) == cols.end()) continue;
      sqlite3_bind_value(upd.get(), p++, sqlite3_column_value(sel.get(), i));
    }
    upd.bind(p, static_cast<std::int64_t>(dst_id));
    upd.step();
  } else {
    copy_rows(src_db, dst, "runs", "id = ?1", src_id, "", same, "id",
              [&](long long, long long rowid) { dst_id = rowid; });
  }
  // Marked running until the last batch is in, with the final status, end and exit code.
  {
    Stmt s(dst,
           "UPDATE runs SET status = 'running', ended_at = NULL, exit_code = NULL, "
           "campaign_seconds = NULL WHERE id = ?");
    s.bind(1, static_cast<std::int64_t>(dst_id));
    s.step();
  }
  for (const char* t : {"run_labels", "run_scenarios", "run_locks"})
    copy_rows(src_db, dst, t, "run_id = ?1", src_id, "run_id", same, "", [](long long, long long) {});
  batch.commit(dst, 0);
  if (!into) added = dst_id;

  // Sessions and their attempts, a batch of input session ids per transaction. New session ids
  // are the input's plus one offset per batch, chosen above every id in the output at that moment
  // (no other writer can add one while the transaction holds the write lock), so attempts follow
  // their sessions by the same offset.
  const auto scols = shared_columns(src_db, dst, "sessions");
  const auto acols = shared_columns(src_db, dst, "attempts");
  const std::string s_insert = "INSERT INTO main.sessions (id, run_id, " +
                               column_list(scols, {"id", "run_id"}) + ") SELECT id + ?3, ?4, " +
                               column_list(scols, {"id", "run_id"}) + " FROM src.sessions ";
  const std::string a_insert = "INSERT INTO main.attempts (session_id, " +
                               column_list(acols, {"session_id"}) + ") SELECT session_id + ?3, " +
                               column_list(acols, {"session_id"}) + " FROM src.attempts ";
  // Evidence (issue 15) and sweep levels (issue 14) where both journals have the table.
  std::vector<std::string> side_inserts;
  for (const char* side : kSessionSideTables) {
    if (!has_table(src_db, side) || !has_table(dst, side)) continue;
    const auto vcols = shared_columns(src_db, dst, side);
    side_inserts.push_back(std::string("INSERT INTO main.") + side + " (session_id, " +
                           column_list(vcols, {"session_id"}) + ") SELECT session_id + ?3, " +
                           column_list(vcols, {"session_id"}) + " FROM src." + side + " AS k ");
  }
  for (long long lo = 0;;) {
    batch.begin(dst);
    const long long first = one_integer(
        dst, "SELECT min(id) FROM src.sessions WHERE +run_id = ?1 AND id > ?2 AND id <= ?3",
        {src_id, lo, last_session}, -1);
    if (first < 0) {
      batch.commit(dst, 0);
      break;
    }
    const long long hi = one_integer(
        dst,
        "SELECT max(id) FROM (SELECT id FROM src.sessions WHERE +run_id = ?1 AND id >= ?2 AND "
        "id <= ?3 ORDER BY id LIMIT ?4)",
        {src_id, first, last_session, batch.rows});
    const long long base = one_integer(dst, "SELECT COALESCE(max(id), 0) FROM main.sessions", {});
    const long long offset = base + 1 - first;
    try {
      Stmt s(dst, s_insert + "WHERE +run_id = ?1 AND id BETWEEN ?2 AND ?5 ORDER BY id",
             "copy sessions");
      s.bind(1, static_cast<std::int64_t>(src_id)).bind(2, static_cast<std::int64_t>(first));
      s.bind(3, static_cast<std::int64_t>(offset)).bind(4, static_cast<std::int64_t>(dst_id));
      s.bind(5, static_cast<std::int64_t>(hi));
      s.step();
      sum.sessions_copied += sqlite3_changes64(dst);
      Stmt a(dst,
             a_insert + "WHERE session_id BETWEEN ?2 AND ?4 AND session_id IN (SELECT id FROM "
                        "src.sessions WHERE +run_id = ?1 AND "
                        "id BETWEEN ?2 AND ?4)",
             "copy attempts");
      a.bind(1, static_cast<std::int64_t>(src_id)).bind(2, static_cast<std::int64_t>(first));
      a.bind(3, static_cast<std::int64_t>(offset)).bind(4, static_cast<std::int64_t>(hi));
      a.step();
      attempts_here += sqlite3_changes64(dst);
      sum.attempts_copied += sqlite3_changes64(dst);
      for (const std::string& side_insert : side_inserts) {  // re-keyed with their sessions
        // By the batch's id range, each row checked against its session by rowid: `IN (SELECT
        // id FROM src.sessions WHERE run_id = ?1 ...)` built a list of every session of the run
        // for each batch (the unique index leads with run_id), quadratic in the run's size.
        Stmt e(dst,
               side_insert + "WHERE k.session_id BETWEEN ?2 AND ?4 AND EXISTS (SELECT 1 FROM "
                             "src.sessions s WHERE s.id = k.session_id AND s.run_id = ?1)",
               "copy rows keyed by session");
        e.bind(1, static_cast<std::int64_t>(src_id)).bind(2, static_cast<std::int64_t>(first));
        e.bind(3, static_cast<std::int64_t>(offset)).bind(4, static_cast<std::int64_t>(hi));
        e.step();
      }
    } catch (const JournalError& e) {
      const std::string msg = e.what();
      sqlite3_exec(dst, "ROLLBACK", nullptr, nullptr, nullptr);
      sqlite3_exec(dst, "BEGIN", nullptr, nullptr, nullptr);
      std::string one = s_insert + "WHERE id = ?1";
      one.replace(one.find("?3"), 2, std::to_string(offset));
      one.replace(one.find("?4"), 2, std::to_string(dst_id));
      std::string row = failing_row(
          dst, one, src_id,
          "SELECT id FROM src.sessions WHERE run_id = ?1 AND id BETWEEN " + std::to_string(first) +
              " AND " + std::to_string(hi) + " ORDER BY id",
          "session");
      throw JournalError("merging " + where + ": " + (row.empty() ? msg : row));
    }
    batch.commit(dst, hi - first + 1);
    lo = hi;
  }
  // Events, in their input order (new ids follow it).
  const auto ecols = shared_columns(src_db, dst, "events");
  const std::string e_insert = "INSERT INTO main.events (run_id, " +
                               column_list(ecols, {"id", "run_id"}) + ") SELECT ?4, " +
                               column_list(ecols, {"id", "run_id"}) + " FROM src.events ";
  for (long long lo = 0;;) {
    batch.begin(dst);
    const long long hi = one_integer(
        dst,
        "SELECT max(id) FROM (SELECT id FROM src.events WHERE run_id = ?1 AND id > ?2 AND id <= "
        "?3 ORDER BY id LIMIT ?4)",
        {src_id, lo, last_event, batch.rows * 4}, -1);
    if (hi < 0) {
      batch.commit(dst, 0);
      break;
    }
    try {
      Stmt s(dst, e_insert + "WHERE run_id = ?1 AND id > ?2 AND id <= ?3 ORDER BY id",
             "copy events");
      s.bind(1, static_cast<std::int64_t>(src_id)).bind(2, static_cast<std::int64_t>(lo));
      s.bind(3, static_cast<std::int64_t>(hi)).bind(4, static_cast<std::int64_t>(dst_id));
      s.step();
      sum.events_copied += sqlite3_changes64(dst);
    } catch (const JournalError& e) {
      throw JournalError("merging " + where + ": events with ids " + std::to_string(lo + 1) +
                         ".." + std::to_string(hi) + ": " + e.what());
    }
    batch.commit(dst, sqlite3_changes64(dst) / 4);
    lo = hi;
  }
  // The run's own status, end, exit code and campaign time, as the input snapshot has them.
  batch.begin(dst);
  {
    Stmt sel(src_db, "SELECT status, ended_at, exit_code, campaign_seconds FROM runs WHERE id = ?");
    sel.bind(1, static_cast<std::int64_t>(src_id));
    if (!sel.step()) throw JournalError(where + " vanished from its journal during the merge");
    Stmt upd(dst,
             "UPDATE runs SET status = ?, ended_at = ?, exit_code = ?, campaign_seconds = ? "
             "WHERE id = ?");
    for (int i = 0; i < 4; ++i) sqlite3_bind_value(upd.get(), i + 1, sqlite3_column_value(sel.get(), i));
    upd.bind(5, static_cast<std::int64_t>(dst_id));
    upd.step();
    // Its latency histograms packed as the run's own writer packs them when it ends (schema
    // version 4); a run still running on its rig is packed by a later merge.
    const bool finished = sel.view(0) != "running";
    if (!plan.new_output && finished && has_table(dst, "agg_latency_hist"))
      pack_run_latency(dst, static_cast<std::int64_t>(dst_id));
    if (plan.input_aggregates && !into)
      aggregates_copied = copy_run_aggregates(dst, src_id, dst_id, attempts_here, finished);
  }
  batch.commit(dst, 0);
}

// Leftovers of a merge that was killed while building a new output: `.NAME.merge-XXXXXX` next to
// the output and its -wal, -shm and -journal files. A merge holds an flock on its temporary file
// while it works, so only files nobody holds are removed.
void remove_merge_leftovers(const std::string& output) {
  const fs::path target(output);
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  const std::string prefix = "." + target.filename().string() + ".merge-";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || name.size() != prefix.size() + 6) continue;
    const int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;
    const bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    if (free)
      for (const char* suffix : {"", "-wal", "-shm", "-journal"})
        ::unlink((e.path().string() + suffix).c_str());
    ::close(fd);
  }
}

// A fresh output is built in a temporary file next to it and renamed into place at the end.
struct TempJournal {
  std::string path;
  int lock_fd = -1;  // flock held while the merge works, so remove_merge_leftovers skips it
  ~TempJournal() {
    if (lock_fd >= 0) ::close(lock_fd);
    if (path.empty()) return;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
  }
};

// A new output is built in a temporary file no other process writes, so it is copied with the
// connection's triggers off (TriggersOff, sql.hpp) and its aggregates are computed once at the end
// instead of being upserted by the triggers for every row copied (issue 18):
// the aggregate tables of a journal copied without triggers, computed from its rows in one
// transaction with the SQL lockrig ships (the v_agg_*_recomputed views `check --journal` uses,
// never the views stored in the file), then every run that is not running packed (schema
// version 4). Runs with the triggers still off: inserting into agg_latency must not drop the
// packed rows being written.
// Only the runs in `runs` (output ids) are rebuilt: the others came with their input's aggregates
// (copy_run_aggregates). Each run's rows are read through the sessions index on run_id.
void rebuild_aggregates(sqlite3* dst, const std::vector<long long>& runs) {
  if (runs.empty()) return;
  sqlite_check(sqlite3_exec(dst, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), dst,
               "begin rebuilding the aggregates");
  try {
    for (const char* table : {"agg_sessions", "agg_latency", "agg_attempts"}) {
      const std::string view = std::string("v_") + table + "_recomputed";
      Stmt clear(dst, std::string("DELETE FROM ") + table + " WHERE run_id = ?",
                 std::string("clear ") + table);
      Stmt rebuild(dst,
                   std::string("INSERT INTO ") + table + " SELECT * FROM (" +
                       shipped_view_query(view) + ") WHERE run_id = ?",
                   std::string("rebuild ") + table);
      for (long long run : runs) {
        clear.reset();
        clear.bind(1, static_cast<std::int64_t>(run));
        clear.step();
        rebuild.reset();
        rebuild.bind(1, static_cast<std::int64_t>(run));
        rebuild.step();
      }
    }
    if (has_table(dst, "agg_latency_hist"))
      for (long long run : runs)
        if (one_integer(dst, "SELECT count(*) FROM runs WHERE id = ? AND status <> 'running'",
                        {run}) > 0)
          pack_run_latency(dst, static_cast<std::int64_t>(run));
    sqlite_check(sqlite3_exec(dst, "COMMIT", nullptr, nullptr, nullptr), dst,
                 "commit the rebuilt aggregates");
  } catch (...) {
    sqlite3_exec(dst, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

// Issue 16: the attached input's notes the output lacks (by uuid), in one short transaction.
long long copy_annotations(sqlite3* src, sqlite3* dst) {
  const auto cols = shared_columns(src, dst, "annotations");
  Transaction t(dst, "BEGIN IMMEDIATE");
  Stmt s(dst, "INSERT INTO main.annotations (" + column_list(cols, {"id"}) + ") SELECT " +
                  column_list(cols, {"id"}) + " FROM src.annotations WHERE uuid NOT IN (SELECT uuid "
                  "FROM main.annotations) ORDER BY id",
         "copy notes");
  s.step();
  const long long n = sqlite3_changes64(dst);
  t.commit();
  return n;
}

// ATTACHes an input to the output connection as `src` for the bulk copies; DETACHes it after.
// Read-only (mode=ro, or immutable=1 where the input had to be opened so): the merge's
// BEGIN IMMEDIATE starts a write transaction on every attached database
// (https://www.sqlite.org/lang_transaction.html; SQLite 3.40's sqlite3BeginTransaction), so a
// read-write attach took the input's write lock for every batch: the rig writing that journal
// waited on the merge, and a second merge of the same input failed "database is locked".
struct Attached {
  sqlite3* db;
  Attached(sqlite3* dst, const std::string& path, bool immutable) : db(dst) {
    Stmt s(dst, "ATTACH DATABASE ? AS src", "attach " + quote(path));
    s.bind(1, journal_file_uri(path, immutable ? "immutable=1" : "mode=ro"));
    s.step();
  }
  ~Attached() { sqlite3_exec(db, "DETACH DATABASE src", nullptr, nullptr, nullptr); }
};

}  // namespace

MergeSummary merge_journals(const std::vector<std::string>& inputs, const std::string& output) {
  if (inputs.empty()) throw UsageError("lockrig merge needs at least one input journal");
  if (output.empty()) throw UsageError("lockrig merge needs -o OUTPUT (the merged journal)");
  MergeSummary sum;
  std::error_code ec;
  const bool output_exists = fs::exists(output, ec);
  if (output_exists && !fs::is_regular_file(output, ec))
    throw UsageError("-o " + quote(output) + " is not a regular file");

  // Open every input read-only first: a missing file, a non-journal or a newer schema is refused
  // before anything is written.
  std::vector<std::string> paths;
  std::vector<Journal> sources;
  for (const auto& in : inputs) {
    if (output_exists && fs::equivalent(in, output, ec)) {
      sum.notes.push_back(quote(in) + " is the output itself; its runs are already there");
      continue;
    }
    bool dup = false;
    for (const auto& p : paths) dup = dup || fs::equivalent(p, in, ec);
    if (dup) {
      sum.notes.push_back(quote(in) + " was given twice; merged once");
      continue;
    }
    sources.push_back(Journal::open_readonly(in));
    // A read-only open leaves the packed latency histograms to the reads that decode them
    // (issue 18); merge copies them as they are (copy_run_aggregates), so an input's are all
    // decoded and checked here, before anything is written.
    if (sources.back().schema_version() >= 4) check_latency_hists(journal_db(sources.back()), in);
    paths.push_back(in);
  }

  remove_merge_leftovers(output);
  TempJournal temp;
  std::string work = output;
  if (!output_exists) {
    const fs::path target(output);
    const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    if (!fs::is_directory(dir, ec))
      throw UsageError("-o " + quote(output) + ": directory " + quote(dir.string()) +
                       " does not exist");
    std::string tmpl = (dir / ("." + target.filename().string() + ".merge-XXXXXX")).string();
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0) throw UsageError("cannot create a temporary file next to " + quote(output));
    ::flock(fd, LOCK_EX | LOCK_NB);  // held until the merge ends (TempJournal closes it)
    temp.lock_fd = fd;
    temp.path = work = tmpl;
  }
  {
    Journal out = Journal::open(work);  // refuses an output that is not a journal
    sqlite3* dst = journal_db(out);
    // A new output is a temporary file no other process opens (it is renamed into place at the
    // end, and removed on any failure), so it needs neither the WAL nor a sync per commit: its
    // rollback journal is kept in memory (ROLLBACK still works, for the error paths) and the file
    // is synced once, before the rename. Every page is then written once instead of to the WAL
    // and again at each checkpoint (issue 18: 11.1 -> 8.2 s for the raw copy of 1 M attempts in
    // the sqlite3 shell). It is switched back to WAL before it is closed, as every journal is.
    // https://www.sqlite.org/pragma.html#pragma_journal_mode, #pragma_synchronous
    if (!output_exists)
      for (const char* pragma : {"PRAGMA journal_mode = MEMORY", "PRAGMA synchronous = OFF",
                                 "PRAGMA cache_size = -32768"})
        sqlite_check(sqlite3_exec(dst, pragma, nullptr, nullptr, nullptr), dst, pragma);

    // Every run of every input, in the order they started, so merged ids follow time.
    struct Item {
      std::size_t source;
      long long id;
      std::string started_at, uuid;
    };
    std::vector<Item> items;
    for (std::size_t i = 0; i < sources.size(); ++i) {
      // One read transaction per input: a run still being written is copied as one snapshot.
      sqlite3* src = journal_db(sources[i]);
      sqlite_check(sqlite3_exec(src, "BEGIN", nullptr, nullptr, nullptr), src, "begin");
      Stmt s(src, "SELECT id, started_at, uuid FROM runs ORDER BY id");
      while (s.step()) items.push_back({i, s.integer(0), s.text(1), s.text(2)});
    }
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
      return a.started_at != b.started_at ? a.started_at < b.started_at : a.uuid < b.uuid;
    });
    // First decide for every run, copying nothing: a conflict anywhere refuses the merge before
    // anything is written (one read transaction on the output). The same uuid twice among the
    // inputs is compared against the state the earlier one will leave.
    struct Step {
      const Item* item;
      std::optional<long long> into;  // replace this output run; nullopt: add
    };
    std::vector<Step> steps;
    // How many inputs hold each uuid: a run that only one input has and the output lacks is
    // compared with nothing, so its sessions are not read into memory for the plan (issue 18:
    // that copy of every session's key was what made a 5 M + 5 M merge peak at 2.2 GB).
    std::map<std::string, int> inputs_with;
    for (const Item& it : items) ++inputs_with[it.uuid];
    {
      Transaction read(dst, "BEGIN");
      std::map<std::string, std::pair<RunState, std::string>> planned;  // uuid -> state, file
      Stmt find(dst, "SELECT id FROM runs WHERE uuid = ?");
      for (const Item& it : items) {
        sqlite3* src = journal_db(sources[it.source]);
        const RunState head = read_state(src, it.id, false);
        if (head.status == name(RunStatus::running))
          sum.notes.push_back("run " + head.uuid + " in " + quote(paths[it.source]) +
                              " is still running (or was killed): copied as it is now; merging "
                              "again later takes its longer state");
        find.reset();
        find.bind(1, head.uuid);
        const bool in_output = find.step();
        const long long existing = in_output ? find.integer(0) : 0;
        auto earlier = planned.find(head.uuid);
        if (!in_output && earlier == planned.end()) {
          steps.push_back({&it, std::nullopt});
          planned.emplace(head.uuid,
                          std::make_pair(inputs_with[head.uuid] > 1 ? read_state(src, it.id) : head,
                                         paths[it.source]));
          ++sum.runs_added;
          continue;
        }
        RunState in = read_state(src, it.id);
        const RunState have =
            earlier != planned.end() ? earlier->second.first : read_state(dst, existing);
        const std::string& have_path = earlier != planned.end() ? earlier->second.second : output;
        switch (compare(have, have_path, in, paths[it.source])) {
          case Verdict::same:
            ++sum.runs_unchanged;
            break;
          case Verdict::output_newer:
            ++sum.runs_kept;
            break;
          case Verdict::input_newer:
            if (earlier != planned.end()) {
              // A later input has a longer state of a run this merge adds: add that one instead.
              for (auto& st : steps)
                if (st.item->uuid == it.uuid) st.item = &it;
            } else {
              steps.push_back({&it, existing});
              ++sum.runs_replaced;
            }
            planned[head.uuid] = std::make_pair(std::move(in), paths[it.source]);
            break;
        }
      }
      read.commit();
    }
    // Then copy, run by run, in bounded transactions (a live run on the output keeps writing).
    // A new output (a temporary file until it is renamed into place) is copied without
    // triggers and gets its aggregates computed once at the end.
    std::optional<TriggersOff> no_triggers;
    if (!output_exists) no_triggers.emplace(dst);
    std::vector<long long> recompute;  // new output: runs whose aggregates did not come along
    for (std::size_t i = 0; i < sources.size(); ++i) {
      std::optional<Attached> att;
      CopyPlan plan;
      plan.new_output = !output_exists;
      plan.input_aggregates =
          plan.new_output && sources[i].schema_version() == out.schema_version();
      for (const Step& st : steps) {
        if (st.item->source != i) continue;
        if (!att) att.emplace(dst, paths[i], sources[i].immutable());
        const CopiedRun c =
            copy_run(journal_db(sources[i]), dst, st.item->id, st.into, paths[i], sum, plan);
        if (no_triggers && !c.aggregates_copied) recompute.push_back(c.id);
        if (c.aggregates_copied) ++sum.runs_with_input_aggregates;
      }
      // Issue 16: notes are copied by uuid, also from an input whose runs are all unchanged
      // (a note added since the last merge); a note already in the output is left as it is.
      if (has_table(journal_db(sources[i]), "annotations") && has_table(dst, "annotations")) {
        if (!att) att.emplace(dst, paths[i], sources[i].immutable());
        sum.annotations_copied += copy_annotations(journal_db(sources[i]), dst);
      }
    }
    if (no_triggers) rebuild_aggregates(dst, recompute);
    sum.runs_aggregates_recomputed = static_cast<long long>(recompute.size());
    // Issue 18 item 3: the cross-run rollup (schema version 6) built once for the merged runs,
    // in a transaction of its own (a new output's copy ran without the triggers that mark it
    // stale; an existing output's marked it stale as rows came in).
    if (out.schema_version() >= 6) {
      Transaction tx(dst, "BEGIN IMMEDIATE");
      rebuild_rollup(dst, out.schema_version());
      tx.commit();
    }
    if (!output_exists) {
      Stmt wal(dst, "PRAGMA journal_mode = WAL", "switch the merged journal back to WAL");
      if (!wal.step() || wal.text(0) != "wal")
        throw JournalError("cannot switch the merged journal " + quote(work) + " back to WAL");
    }
    // An existing output is a schema-2-or-later journal (Journal::open upgrades an older one):
    // its triggers have kept the aggregate tables in step with every row inserted or deleted
    // above, batch by batch, so there is nothing derived to rebuild.
  }
  if (!output_exists) {
    // Synced before it is renamed into place (it was written with synchronous = OFF).
    const int fd = ::open(temp.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      const int err = errno;
      if (fd >= 0) ::close(fd);
      throw JournalError("cannot sync the merged journal " + quote(temp.path) + ": " +
                         std::strerror(err));
    }
    ::close(fd);
    if (::rename(temp.path.c_str(), output.c_str()) != 0)
      throw UsageError("cannot rename the merged journal into place as " + quote(output) + ": " +
                       std::strerror(errno));
    temp.path.clear();
  }
  return sum;
}

}  // namespace lockrig
