// The SQLite journal: every run, the locks as seen in it, every session and attempt, and the
// event log of bench actions. WAL mode; each finished session is committed in its own
// transaction. Schema documented in docs/journal.md; versioned with PRAGMA user_version.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rig/engine/session.hpp"

namespace lockrig {

// Version 2 added the aggregate tables (agg_*) kept by triggers; see docs/journal.md.
inline constexpr int kJournalSchemaVersion = 2;
inline constexpr std::int32_t kJournalApplicationId = 0x4C4B5247;  // "LKRG"

// Throws JournalError with the path, the operation and SQLite's message.
void sqlite_check(int rc, sqlite3* db, const std::string& what);

struct RunInfo {
  std::string uuid;
  std::string host;
  std::string rig;
  std::string started_at;  // ISO 8601 UTC
  std::string clock;       // "virtual" or "real"
  std::uint64_t seed = 0;
  std::string fixture_source, fixture_sha256;
  std::string scenarios_sha256;  // over the scenario files in order
  std::string controller_version;
  std::string command_line;
  long long sessions_planned = 0;
  std::map<std::string, std::string> labels;
  struct ScenarioRow {
    std::string name, source, sha256;
    int repeat;
  };
  std::vector<ScenarioRow> scenarios;
};

struct LockRow {
  std::string lock_id, model, material, slot, driver;
  std::string firmware, reported_model, manufacturer;  // read from the lock; empty if unreadable
};

struct EventRow {
  std::string lock_id;  // empty for rig-wide events
  TimePoint t{0};
  std::string kind, target, value, detail;
};

// What a worker hands the writer: the events since its last batch and, usually, one session.
struct JournalBatch {
  std::vector<EventRow> events;
  std::optional<SessionRecord> session;
};

struct RunListing {
  std::int64_t id;
  std::string uuid, rig, started_at, ended_at, status, clock, labels;
  long long sessions, sli_sessions, sli_success;
  long long rig_faults;         // rig_fault events: voided sessions and bench faults alike
  long long failed_assertions;  // failed assertion sessions plus wait_until timeouts
  int exit_code;
};

enum class SyncMode { normal, full };

// The latency quantization of agg_latency (docs/journal.md): the duration in ns with all but its
// 8 most significant bits cleared, i.e. exact below 256 ns, then 128 buckets per doubling, each at
// most 1/128 of its lower edge wide. Must match the CASE in v_session_latency (journal_schema.sql).
std::int64_t latency_bucket_ns(std::int64_t duration_ns);
// Width in ns of the bucket whose lower edge is `bucket_ns` (1 below 256 ns).
std::int64_t latency_bucket_width_ns(std::int64_t bucket_ns);
// The value a bucket stands for, in ms: the midpoint of the integer durations it holds.
double latency_bucket_ms(std::int64_t bucket_ns);

// One disagreement between an aggregate table and the same aggregate recomputed from the raw rows.
struct AggregateMismatch {
  std::string table;   // "agg_sessions", "agg_latency" or "agg_attempts"
  std::string detail;  // the group and both values
};

class Journal {
 public:
  // Opens or creates a journal. Refuses (JournalError) a file that is not a lockrig journal,
  // a schema from a newer lockrig, or a location that cannot be written. A version-1 journal is
  // upgraded to version 2 in one transaction (the aggregates are built from its rows).
  static Journal open(const std::string& path, SyncMode sync = SyncMode::normal);
  // Opens an existing journal read-only (for `lockrig runs`, reports). A version-1 journal is
  // not upgraded: schema_version() says so and reports compute the aggregates on the fly.
  static Journal open_readonly(const std::string& path);
  Journal(Journal&&) noexcept;
  Journal& operator=(Journal&&) = delete;
  ~Journal();

  std::int64_t begin_run(const RunInfo& info);
  void record_locks(std::int64_t run, const std::vector<LockRow>& locks);
  void set_label(std::int64_t run, const std::string& key, const std::string& value);
  void commit(std::int64_t run, const JournalBatch& batch);  // one transaction
  void finish_run(std::int64_t run, const std::string& status, int exit_code,
                  const std::string& ended_at, double campaign_seconds);
  std::vector<RunListing> list_runs();
  // Recomputes every aggregate table from the sessions and attempts tables and lists where they
  // differ (empty when consistent). Throws JournalError for a version-1 journal (no aggregates).
  std::vector<AggregateMismatch> check_aggregates(std::size_t max_listed = 20);

  // PRAGMA user_version when the journal was opened (after an upgrade, the new version).
  int schema_version() const { return schema_version_; }
  // True when the journal has the agg_* tables (schema version 2 or later).
  bool has_aggregates() const { return schema_version_ >= 2; }
  sqlite3* db() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  Journal(sqlite3* db, std::string path);
  // Opens the file with `flags` and a busy timeout; no lockrig checks yet.
  static Journal connect(const std::string& path, int flags);
  void prepare();
  sqlite3* db_;
  std::string path_;
  int schema_version_ = kJournalSchemaVersion;
  sqlite3_stmt* ins_session_ = nullptr;
  sqlite3_stmt* ins_attempt_ = nullptr;
  sqlite3_stmt* ins_event_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
};

// A RAII transaction: rolls back in its destructor unless committed.
class Transaction {
 public:
  explicit Transaction(sqlite3* db, const char* begin = "BEGIN");
  ~Transaction();
  void commit();

 private:
  sqlite3* db_;
  bool done_ = false;
};

}  // namespace lockrig
