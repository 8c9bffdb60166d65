#include "rig/journal/merge.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/events.hpp"
#include "rig/journal/journal.hpp"
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
RunState read_state(sqlite3* db, long long id) {
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
bool has_evidence_table(sqlite3* db) {
  Stmt s(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = "
             "'session_evidence'");
  return s.step() && s.integer(0) > 0;
}

void delete_run_children(sqlite3* dst, long long id) {
  if (has_evidence_table(dst)) {  // issue 15: evidence goes before the sessions it refers to
    Stmt s(dst, "DELETE FROM session_evidence WHERE session_id IN (SELECT id FROM sessions WHERE "
                "run_id = ?)");
    s.bind(1, id);
    s.step();
  }
  for (const char* sql :
       {"DELETE FROM attempts WHERE session_id IN (SELECT id FROM sessions WHERE run_id = ?)",
        "DELETE FROM sessions WHERE run_id = ?", "DELETE FROM events WHERE run_id = ?",
        "DELETE FROM run_locks WHERE run_id = ?", "DELETE FROM run_scenarios WHERE run_id = ?",
        "DELETE FROM run_labels WHERE run_id = ?"}) {
    Stmt s(dst, sql);
    s.bind(1, id);
    s.step();
  }
}

// Copies one run (with everything under it) from src into dst. With `into` the run row `into`
// is overwritten in place (a longer state of a run dst has), otherwise a new row is added.
void copy_run(sqlite3* src, sqlite3* dst, long long src_id, std::optional<long long> into,
              MergeSummary& sum) {
  long long dst_id = 0;
  auto same = [&](long long) { return dst_id; };
  if (into) {
    dst_id = *into;
    delete_run_children(dst, dst_id);
    std::vector<std::string> cols = shared_columns(src, dst, "runs");
    std::string set;
    for (const auto& c : cols)
      if (c != "id") set += (set.empty() ? "" : ", ") + c + " = ?";
    Stmt sel(src, "SELECT * FROM runs WHERE id = ?");
    sel.bind(1, src_id);
    if (!sel.step()) throw JournalError("run vanished from its journal during the merge");
    Stmt upd(dst, "UPDATE runs SET " + set + " WHERE id = ?");
    int p = 1;
    for (int i = 0; i < sqlite3_column_count(sel.get()); ++i) {
      const std::string name = sqlite3_column_name(sel.get(), i);
      if (name == "id" || std::find(cols.begin(), cols.end(), name) == cols.end()) continue;
      sqlite3_bind_value(upd.get(), p++, sqlite3_column_value(sel.get(), i));
    }
    upd.bind(p, dst_id);
    upd.step();
  } else {
    copy_rows(src, dst, "runs", "id = ?1", src_id, "", same, "id",
              [&](long long, long long rowid) { dst_id = rowid; });
  }
  for (const char* t : {"run_labels", "run_scenarios", "run_locks"})
    copy_rows(src, dst, t, "run_id = ?1", src_id, "run_id", same, "", [](long long, long long) {});
  std::unordered_map<long long, long long> session_ids;
  sum.sessions_copied +=
      copy_rows(src, dst, "sessions", "run_id = ?1 ORDER BY id", src_id, "run_id", same, "id",
                [&](long long old_id, long long rowid) { session_ids.emplace(old_id, rowid); });
  sum.attempts_copied += copy_rows(
      src, dst, "attempts",
      "session_id IN (SELECT id FROM sessions WHERE run_id = ?1) ORDER BY session_id, attempt",
      src_id, "session_id",
      [&](long long old_session) {
        auto it = session_ids.find(old_session);
        if (it == session_ids.end())
          throw JournalError("an attempt refers to a session missing from its journal");
        return it->second;
      },
      "", [](long long, long long) {});
  sum.events_copied += copy_rows(src, dst, "events", "run_id = ?1 ORDER BY id", src_id, "run_id",
                                 same, "id", [](long long, long long) {});
  // Issue 15: session evidence, re-keyed to the copied sessions like the attempts.
  if (has_evidence_table(src) && has_evidence_table(dst))
    copy_rows(
        src, dst, "session_evidence",
        "session_id IN (SELECT id FROM sessions WHERE run_id = ?1) ORDER BY session_id", src_id,
        "session_id",
        [&](long long old_session) {
          auto it = session_ids.find(old_session);
          if (it == session_ids.end())
            throw JournalError("session evidence refers to a session missing from its journal");
          return it->second;
        },
        "", [](long long, long long) {});
}

// A fresh output is built in a temporary file next to it and renamed into place at the end.
struct TempJournal {
  std::string path;
  ~TempJournal() {
    if (path.empty()) return;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
  }
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
    paths.push_back(in);
  }

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
    ::close(fd);
    ::unlink(tmpl.c_str());  // Journal::open creates it, with the journal's schema
    temp.path = work = tmpl;
  }
  {
    Journal out = Journal::open(work);  // refuses an output that is not a journal
    sqlite3* dst = journal_db(out);
    Transaction tx(dst, "BEGIN IMMEDIATE");

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
    Stmt find(dst, "SELECT id FROM runs WHERE uuid = ?");
    for (const Item& it : items) {
      sqlite3* src = journal_db(sources[it.source]);
      const RunState in = read_state(src, it.id);
      if (in.status == name(RunStatus::running))
        sum.notes.push_back("run " + in.uuid + " in " + quote(paths[it.source]) +
                            " is still running (or was killed): copied as it is now; merging "
                            "again later takes its longer state");
      find.reset();
      find.bind(1, in.uuid);
      if (!find.step()) {
        copy_run(src, dst, it.id, std::nullopt, sum);
        ++sum.runs_added;
        continue;
      }
      const long long existing = find.integer(0);
      const RunState have = read_state(dst, existing);
      switch (compare(have, output, in, paths[it.source])) {
        case Verdict::same:
          ++sum.runs_unchanged;
          break;
        case Verdict::output_newer:
          ++sum.runs_kept;
          break;
        case Verdict::input_newer:
          copy_run(src, dst, it.id, existing, sum);
          ++sum.runs_replaced;
          break;
      }
    }
    // The output is a schema-2 journal (Journal::open upgrades an older one): its triggers have
    // kept the aggregate tables in step with every row inserted or deleted above, in this same
    // transaction, so there is nothing derived to rebuild.
    tx.commit();
  }
  if (!output_exists) {
    if (::rename(temp.path.c_str(), output.c_str()) != 0)
      throw UsageError("cannot rename the merged journal into place as " + quote(output) + ": " +
                       std::strerror(errno));
    temp.path.clear();
  }
  return sum;
}

}  // namespace lockrig
