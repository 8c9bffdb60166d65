#include "rig/journal/annotations.hpp"

#include <set>

#include "rig/journal/sql.hpp"

namespace lockrig {

namespace {

bool has_table(Journal& journal) {
  SqlStatement st(journal,
                  "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'annotations'",
                  "annotations table");
  return st.step();
}

std::string short_uuid(const std::string& uuid) { return uuid.substr(0, 8); }

}  // namespace

std::string AnnotationRecord::subject() const {
  if (is_session())
    return "session " + lock_id + " " + scenario + " rep " + std::to_string(*repetition) +
           " step " + std::to_string(*step) + " in run " + short_uuid(run_uuid);
  if (!lock_id.empty())
    return run_uuid.empty() ? "lock " + lock_id
                            : "lock " + lock_id + " in run " + short_uuid(run_uuid);
  return "run " + short_uuid(run_uuid);
}

std::optional<NoteSessionKey> session_key(Journal& journal, std::int64_t run_id,
                                      std::int64_t session_id) {
  SqlStatement st(journal,
                  "SELECT r.uuid, s.lock_id, s.scenario, s.repetition, s.step FROM sessions s "
                  "JOIN runs r ON r.id = s.run_id WHERE s.id = ? AND s.run_id = ?",
                  "read session key");
  st.bind(1, session_id).bind(2, run_id);
  if (!st.step()) return std::nullopt;
  return NoteSessionKey{st.text(0), st.text(1), st.text(2), st.integer(3), st.integer(4)};
}

std::optional<std::int64_t> session_id_of(Journal& journal, const NoteSessionKey& key) {
  SqlStatement st(journal,
                  "SELECT s.id FROM sessions s JOIN runs r ON r.id = s.run_id WHERE r.uuid = ? "
                  "AND s.lock_id = ? AND s.scenario = ? AND s.repetition = ? AND s.step = ?",
                  "find session");
  st.bind(1, key.run_uuid).bind(2, key.lock_id).bind(3, key.scenario);
  st.bind(4, key.repetition).bind(5, key.step);
  if (!st.step()) return std::nullopt;
  return st.integer(0);
}

bool lock_known(Journal& journal, const std::string& lock_id, std::optional<std::int64_t> run_id) {
  SqlStatement st(journal,
                  run_id ? "SELECT 1 FROM run_locks WHERE lock_id = ? AND run_id = ?"
                         : "SELECT 1 FROM run_locks WHERE lock_id = ? LIMIT 1",
                  "find lock");
  st.bind(1, lock_id);
  if (run_id) st.bind(2, *run_id);
  return st.step();
}

void add_annotation(Journal& journal, const AnnotationRecord& note) {
  sqlite3* db = journal_db(journal);
  // BEGIN IMMEDIATE takes the write lock up front (waiting up to the busy timeout behind a run's
  // group commit) instead of failing on upgrade from a read transaction.
  Transaction t(db, "BEGIN IMMEDIATE");
  SqlStatement st(db,
                  "INSERT INTO annotations (uuid, created_at, author, run_uuid, lock_id, scenario, "
                  "repetition, step, mute_until, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  "add note");
  st.bind(1, note.uuid).bind(2, note.created_at).bind(3, note.author);
  auto text_or_null = [&](int i, const std::string& v) {
    if (!v.empty()) st.bind(i, v);  // unbound parameters are NULL
  };
  text_or_null(4, note.run_uuid);
  text_or_null(5, note.lock_id);
  text_or_null(6, note.scenario);
  if (note.repetition) st.bind(7, *note.repetition);
  if (note.step) st.bind(8, *note.step);
  text_or_null(9, note.mute_until);
  st.bind(10, note.text);
  st.step();
  t.commit();
}

std::vector<AnnotationRecord> read_annotations(Journal& journal, const AnnotationQuery& q) {
  std::vector<AnnotationRecord> out;
  if (!has_table(journal)) return out;  // a version-4 journal opened read-only
  SqlStatement st(journal,
                  "SELECT id, uuid, created_at, author, run_uuid, lock_id, scenario, repetition, "
                  "step, mute_until, text FROM annotations ORDER BY created_at, id",
                  "read notes");
  const std::set<std::string> runs(q.run_uuids.begin(), q.run_uuids.end());
  const std::set<std::string> locks(q.lock_ids.begin(), q.lock_ids.end());
  while (st.step()) {
    AnnotationRecord a;
    a.id = st.integer(0);
    a.uuid = st.text(1);
    a.created_at = st.text(2);
    a.author = st.text(3);
    a.run_uuid = st.text(4);
    a.lock_id = st.text(5);
    a.scenario = st.text(6);
    if (!st.null(7)) a.repetition = st.integer(7);
    if (!st.null(8)) a.step = st.integer(8);
    a.mute_until = st.text(9);
    a.text = st.text(10);
    if (!runs.empty()) {
      const bool lock_wide = a.run_uuid.empty() && !a.lock_id.empty();
      if (!(runs.count(a.run_uuid) || (lock_wide && q.include_lock_wide))) continue;
    }
    if (!locks.empty() && !locks.count(a.lock_id)) continue;
    out.push_back(std::move(a));
  }
  return out;
}

std::optional<AnnotationRecord> latest_mute(const std::vector<AnnotationRecord>& notes,
                                            const std::string& lock_id) {
  std::optional<AnnotationRecord> found;
  for (const auto& n : notes)  // oldest first: the last match is the latest
    if (n.lock_id == lock_id && n.run_uuid.empty() && !n.mute_until.empty()) found = n;
  return found;
}

}  // namespace lockrig
