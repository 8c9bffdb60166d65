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

#include "rig/session.hpp"

namespace lockrig {

inline constexpr int kJournalSchemaVersion = 1;
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
  long long sessions, sli_sessions, sli_success, rig_faults, failed_assertions;
  int exit_code;
};

enum class SyncMode { normal, full };

class Journal {
 public:
  // Opens or creates a journal. Refuses (JournalError) a file that is not a lockrig journal,
  // a schema from a newer lockrig, or a location that cannot be written.
  static Journal open(const std::string& path, SyncMode sync = SyncMode::normal);
  // Opens an existing journal read-only (for `lockrig runs`, reports).
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

  sqlite3* db() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  Journal(sqlite3* db, std::string path);
  // Opens the file with `flags` and a busy timeout; no lockrig checks yet.
  static Journal connect(const std::string& path, int flags);
  void prepare();
  sqlite3* db_;
  std::string path_;
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
