// Triage notes (issue 16 item 6, `lockrig annotate`, docs/annotate.md): the annotations table of
// schema version 5. A note is about a run, a lock (in one run, or in every run when it names no
// run) or a session (run, lock, scenario, repetition, step: natural keys, because `lockrig merge`
// renumbers ids). Notes are append-only: a later note supersedes an earlier one (a mute is
// ended by a later note on the same lock with an earlier mute_until), nothing is edited.
//
// Readers cope with journals without the table (a version-4 journal opened read-only): no notes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rig/journal/journal.hpp"

namespace lockrig {

struct AnnotationRecord {
  std::int64_t id = 0;  // this journal's row id (renumbered by merge; never a key)
  std::string uuid, created_at, author;
  std::string run_uuid;  // empty: not about one run
  std::string lock_id;   // empty: not about a lock
  std::string scenario;  // with repetition and step: about one session
  std::optional<std::int64_t> repetition, step;
  std::string mute_until;  // 'YYYY-MM-DD' (inclusive), empty: no mute
  std::string text;

  bool is_session() const { return !scenario.empty() && repetition && step; }
  // "run 5f0c…", "lock steel-2", "lock steel-2 in run 5f0c…", "session nightly#0/step 1 …"
  std::string subject() const;
};

// A session as a note names it.
struct NoteSessionKey {
  std::string run_uuid, lock_id, scenario;
  std::int64_t repetition = 0, step = 0;
};

// The natural key of session `session_id` of run `run_id`; nullopt when the run has no such
// session.
std::optional<NoteSessionKey> session_key(Journal& journal, std::int64_t run_id,
                                      std::int64_t session_id);
// The session id (in this journal) of a natural key; nullopt when absent.
std::optional<std::int64_t> session_id_of(Journal& journal, const NoteSessionKey& key);

// Whether any run (or the run `run_id` when given) has the lock `lock_id` (run_locks).
bool lock_known(Journal& journal, const std::string& lock_id,
                std::optional<std::int64_t> run_id = std::nullopt);

// Appends one note in its own short write transaction (BEGIN IMMEDIATE, the journal's busy
// timeout), so a run writing the same journal is held up for one insert at most. The journal
// must have the table (Journal::open upgrades an older one). Throws JournalError.
void add_annotation(Journal& journal, const AnnotationRecord& note);

// Which notes to read. Every given field must match; `run_uuids` matches notes about any of those
// runs, and (with include_lock_wide) the lock-wide notes (no run) of the locks in `lock_ids`.
struct AnnotationQuery {
  std::vector<std::string> run_uuids;  // empty: any run
  std::vector<std::string> lock_ids;   // empty: any lock (and notes about no lock)
  bool include_lock_wide = true;       // lock notes without a run, with run_uuids given
};

// The notes that match, oldest first (created_at, then id; merge copies notes in id order, keeping it in every merged
// copy). Empty when the journal has no annotations table.
std::vector<AnnotationRecord> read_annotations(Journal& journal, const AnnotationQuery& query = {});

// The mute in force for a lock (docs/annotate.md, "The mute rule"): the latest lock-wide note
// on the lock that sets mute_until decides; the lock is muted on every day up to and including
// its mute_until. nullopt when no note ever muted the lock.
std::optional<AnnotationRecord> latest_mute(const std::vector<AnnotationRecord>& notes,
                                            const std::string& lock_id);

}  // namespace lockrig
