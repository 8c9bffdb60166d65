// The SQLite journal: every run, the locks as seen in it, every session and attempt, and the
// event log of bench actions. WAL mode; each finished session is committed in its own
// transaction. Schema documented in docs/journal.md; versioned with PRAGMA user_version.
// The records it writes and reads are plain data (rig/journal/records.hpp); what other layers
// read goes through the readers beside this file (resume.hpp, run_records.hpp,
// report_reader.hpp, export_reader.hpp, summary_reader.hpp). SQLite itself stays inside
// rig/journal: only its .cpp files include <sqlite3.h> and the statement wrapper sql.hpp.
#pragma once

#include <bit>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rig/base/errors.hpp"  // JournalError, which every operation may throw
#include "rig/journal/events.hpp"
#include "rig/journal/records.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace lockrig {

// A SQLite file: URI for a journal path with an optional query ("mode=ro", "immutable=1").
std::string journal_file_uri(const std::string& path, const std::string& query);


// Version 2 added the aggregate tables (agg_*) kept by triggers; version 3 (issue 18) writes the
// CHECK constraints as OR chains (same rules) adds runs.host_id (issue 17)
// and the session_evidence table (issue 15); version 4 (issue 18) keeps a finished run's latency
// histograms packed (agg_latency_hist) and indexes events by run; version 5 adds sweep_sessions
// (issue 14, range sweeps) and annotations (issue 16, triage notes); see docs/journal.md.
inline constexpr int kJournalSchemaVersion = 6;
inline constexpr std::int32_t kJournalApplicationId = 0x4C4B5247;  // "LKRG"

// The bound of one group commit by the run's journal writer (issue 18, docs/journal.md): at most
// this many sessions per transaction. The writer never waits to fill a group: it commits whatever
// it has drained at once, so on a real rig, where a session takes seconds, every group is one
// session, and a session waits at most for the group before it to commit.
inline constexpr std::size_t kMaxGroupSessions = 256;


// What `runs` and the readers say of a journal with no schema (Journal::has_no_schema).
inline constexpr const char* kEmptyJournalNote =
    "the file has no schema: it was created by a run interrupted before its first commit, and "
    "holds no runs; a new lockrig run writes the schema into it, --resume has nothing to resume";

// What a worker hands the writer: the events since its last batch and, usually, one session.
struct JournalBatch {
  std::vector<EventRow> events;
  std::optional<SessionRecord> session;
};

enum class SyncMode { normal, full };

// The latency quantization of agg_latency (docs/journal.md): the duration in ns with all but its
// 8 most significant bits cleared, i.e. exact below 256 ns, then 128 buckets per doubling, each at
// most 1/128 of its lower edge wide. Must match the CASE in v_session_latency (journal_schema.sql).
// Inline: readers check every packed bucket with it (latency_hist.cpp).
inline std::int64_t latency_bucket_ns(std::int64_t duration_ns) {
  if (duration_ns < 256) return duration_ns < 0 ? 0 : duration_ns;
  const int drop = std::bit_width(static_cast<std::uint64_t>(duration_ns)) - 8;
  return duration_ns & ~((std::int64_t{1} << drop) - 1);
}
// Width in ns of the bucket whose lower edge is `bucket_ns` (1 below 256 ns).
std::int64_t latency_bucket_width_ns(std::int64_t bucket_ns);
// The value a bucket stands for, in ms: the midpoint of the integer durations it holds.
double latency_bucket_ms(std::int64_t bucket_ns);

// One disagreement between an aggregate table and the same aggregate recomputed from the raw rows.
struct AggregateMismatch {
  std::string table;   // "agg_sessions", "agg_latency", "agg_attempts", "agg_latency_hist" or a
                       // rollup table (schema version 6)
  std::string detail;  // the group and both values
};

// What the aggregate tables hold in all (lockrig check --journal).
struct AggregateTotals {
  long long sessions = 0;  // sum of agg_sessions.sessions
  long long attempts = 0;  // sum of agg_attempts.attempts
  long long groups = 0;    // rows of agg_sessions
};

class Journal {
 public:
  // Opens or creates a journal. Refuses (JournalError) a file that is not a lockrig journal,
  // a schema from a newer lockrig, or a location that cannot be written. A version-1 journal is
  // upgraded to version 2 in one transaction (the aggregates are built from its rows), and a
  // version-2 journal to version 3 (its CHECK constraints rewritten, runs.host_id and the empty
  // session_evidence table added), in the same transaction.
  static Journal open(const std::string& path, SyncMode sync = SyncMode::normal);
  // Opens an existing journal read-only (for `lockrig runs`, reports). A version-1 journal is
  // not upgraded: schema_version() says so and reports compute the aggregates on the fly.
  // It is opened with SQLite's mode=ro; when that cannot work because the WAL index cannot be
  // created (a read-only directory, a 0444 file of another user) and there is no WAL file, it is
  // opened immutable (docs/journal.md, "Read-only journals"; issue 17).
  //
  // `counts`: the aggregate tables' range checks (docs/journal.md, "Foreign journals") run at
  // open (at_open), or, for a command that reads only what it reports (report, gate, slo,
  // export, runs, serve), table by table before the first statement that reads one of its counts
  // (when_read; issue 18: at 460 runs the open-time scans of tables `report` never reads were a
  // quarter of its time). Either way a broken count is refused with the same message before any
  // row of its table is used.
  enum class CountChecks { at_open, when_read };
  static Journal open_readonly(const std::string& path, CountChecks counts = CountChecks::at_open);
  // True for an existing file with no schema at all (0 bytes, or an SQLite file with no tables
  // and no lockrig header): what a run leaves when it is cut off before its first commit.
  static bool has_no_schema(const std::string& path);
  // True when open_readonly had to fall back to immutable.
  bool immutable() const { return immutable_; }
  Journal(Journal&&) noexcept;
  Journal& operator=(Journal&&) = delete;
  ~Journal();

  // Journals a new run as `running` (with its labels and scenarios); returns its id. Reads the
  // "what the run was made of" fields of `run` (id, status and the totals are ignored).
  std::int64_t begin_run(const RunRecord& run);
  void record_locks(std::int64_t run, const std::vector<LockRow>& locks);
  void set_label(std::int64_t run, const std::string& key, const std::string& value);
  void commit(std::int64_t run, const JournalBatch& batch);  // one transaction
  // Group commit (issue 18): every batch in `batches` in one transaction, or none of them. The
  // writer adds the group's sessions and attempts into the agg_* tables itself, one upsert per
  // touched aggregate row (the triggers, which do one per raw row, are off on this connection for
  // the transaction; they stay in the schema for every other writer). The caller bounds a group
  // (the runner: kMaxGroupSessions).
  void commit_group(std::int64_t run, std::span<const JournalBatch> batches);
  // For tests of crash safety only: called inside commit_group after every row of the group is
  // written and before COMMIT, with the number of sessions in the group.
  void set_before_commit_hook(std::function<void(std::size_t sessions)> hook) {
    before_commit_ = std::move(hook);
  }
  void finish_run(std::int64_t run, const std::string& status, int exit_code,
                  const std::string& ended_at, double campaign_seconds);
  void finish_run(std::int64_t run, RunStatus status, int exit_code, const std::string& ended_at,
                  double campaign_seconds);
  // Every run with its labels and totals, oldest first (`lockrig runs`).
  std::vector<RunRecord> list_runs();
  // Recomputes every aggregate table from the sessions and attempts tables and lists where they
  // differ (empty when consistent). Throws JournalError for a version-1 journal (no aggregates).
  std::vector<AggregateMismatch> check_aggregates(std::size_t max_listed = 20);
  // The totals of the aggregate tables (schema version 2 or later).
  AggregateTotals aggregate_totals();

  // PRAGMA user_version when the journal was opened (after an upgrade, the new version).
  int schema_version() const { return schema_version_; }
  // True when the journal has the agg_* tables (schema version 2 or later).
  bool has_aggregates() const { return schema_version_ >= 2; }
  // True when the journal has the session_evidence table (schema version 3 or later, issue 15).
  bool has_evidence() const { return schema_version_ >= 3; }
  // True when the journal has the sweep_sessions and annotations tables (schema version 5 or
  // later, issues 14 and 16); an older journal has no sweep sessions and no notes.
  bool has_sweeps() const { return schema_version_ >= 5; }
  bool has_annotations() const { return schema_version_ >= 5; }
  const std::string& path() const { return path_; }


 private:
  friend sqlite3* journal_db(const Journal& journal);
  Journal(sqlite3* db, std::string path);
  // Opens the file with `flags` and a busy timeout; no lockrig checks yet.
  // `uri`: open that URI (SQLITE_OPEN_URI) instead of the path.
  // The read-only connection of open_readonly, before any lockrig check.
  static Journal open_readonly_file(const std::string& path);
  static Journal connect(const std::string& path, int flags, const std::string& uri = "");
  void prepare();
  void insert_batch(std::int64_t run, const JournalBatch& batch);
  sqlite3* db_;
  std::string path_;
  int schema_version_ = kJournalSchemaVersion;
  bool immutable_ = false;
  sqlite3_stmt* ins_session_ = nullptr;
  sqlite3_stmt* ins_attempt_ = nullptr;
  sqlite3_stmt* ins_event_ = nullptr;
  sqlite3_stmt* ins_evidence_ = nullptr;  // issue 15
  sqlite3_stmt* ins_sweep_ = nullptr;     // issue 14
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* up_agg_sessions_ = nullptr;
  sqlite3_stmt* up_agg_latency_ = nullptr;
  sqlite3_stmt* up_agg_attempts_ = nullptr;
  sqlite3_stmt* stale_rollup_ = nullptr;  // schema version 6 only
  std::function<void(std::size_t)> before_commit_;
};

// A RAII transaction: rolls back in its destructor unless committed. A read transaction on a
// read-only journal is a consistent snapshot for the readers that run inside it.
class Transaction {
 public:
  explicit Transaction(Journal& journal, const char* begin = "BEGIN");
  explicit Transaction(sqlite3* db, const char* begin = "BEGIN");  // inside rig/journal
  ~Transaction();
  void commit();

 private:
  sqlite3* db_;
  bool done_ = false;
};

}  // namespace lockrig
