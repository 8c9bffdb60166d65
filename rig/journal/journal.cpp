#include "rig/journal/journal.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <thread>
#include <tuple>

#include "rig/base/embedded.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/latency_hist.hpp"
#include "rig/journal/rollup.hpp"
#include "rig/journal/open_guard.hpp"
#include "rig/journal/run_records.hpp"
#include "rig/journal/sql.hpp"

namespace lockrig {

sqlite3* journal_db(const Journal& journal) {
  return journal.db_;
}

void sqlite_check(int rc, sqlite3* db, const std::string& what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return;
  std::string msg = journal_budget_message(rc);
  if (msg.empty()) msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
  throw JournalError("journal " + quote(file && *file ? file : "?") + ": " + what + ": " + msg);
}

namespace {

using Stmt = SqlStatement;

// How long a journal waits for another process's lock before giving up.
constexpr std::chrono::milliseconds kBusyTimeout{5000};

void exec(sqlite3* db, const std::string& sql, const std::string& what) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = journal_budget_message(rc);
    if (msg.empty()) msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    const char* file = sqlite3_db_filename(db, "main");
    throw JournalError("journal " + quote(file ? file : "?") + ": " + what + ": " + msg);
  }
}

long long pragma_int(sqlite3* db, const char* pragma) {
  Stmt s(db, pragma);
  return s.step() ? s.integer(0) : 0;
}

void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

// What a user can do about an SQLite error met while opening a journal, by its primary code.
std::string open_hint(sqlite3* db) {
  switch (db ? sqlite3_errcode(db) : SQLITE_OK) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return " (another process is writing to it: another lockrig, or an sqlite3 shell with a "
             "transaction open; try again when it is done)";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return " (the file is damaged or not a journal; restore it from a backup, or give a new "
             "journal with --db)";
    case SQLITE_FULL:
      return " (the disk is full)";
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return " (is the file and its directory writable by this user?)";
    case SQLITE_IOERR:
      return " (an I/O error: is the disk failing, full or gone?)";
    default:
      return "";
  }
}

// Reports the first problem a user can act on, before SQLite's terser message would.
void precheck_path(const std::string& path, bool must_exist) {
  if (path.empty()) throw JournalError("journal path is empty");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode))
      throw JournalError("journal " + quote(path) + " is a directory; give a file path such as " +
                         quote(path + "/lockrig.db"));
    return;
  }
  if (must_exist) throw JournalError("journal " + quote(path) + " does not exist");
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  if (dir.empty()) dir = "/";
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw JournalError("cannot create journal " + quote(path) + ": directory " + quote(dir) +
                       " does not exist");
}

}  // namespace

Journal::Journal(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

Journal::Journal(Journal&& o) noexcept
    : db_(o.db_),
      path_(std::move(o.path_)),
      schema_version_(o.schema_version_),
      immutable_(o.immutable_),
      ins_session_(o.ins_session_),
      ins_attempt_(o.ins_attempt_),
      ins_event_(o.ins_event_),
      ins_evidence_(o.ins_evidence_),
      ins_sweep_(o.ins_sweep_),
      begin_(o.begin_),
      commit_(o.commit_),
      up_agg_sessions_(o.up_agg_sessions_),
      up_agg_latency_(o.up_agg_latency_),
      up_agg_attempts_(o.up_agg_attempts_),
      stale_rollup_(o.stale_rollup_),
      before_commit_(std::move(o.before_commit_)) {
  o.db_ = nullptr;
  o.ins_session_ = o.ins_attempt_ = o.ins_event_ = o.ins_evidence_ = o.ins_sweep_ = o.begin_ = o.commit_ = nullptr;
  o.up_agg_sessions_ = o.up_agg_latency_ = o.up_agg_attempts_ = o.stale_rollup_ = nullptr;
}

Journal::~Journal() {
  for (auto* s : {ins_session_, ins_attempt_, ins_event_, ins_evidence_, ins_sweep_, begin_, commit_, up_agg_sessions_,
                  up_agg_latency_, up_agg_attempts_, stale_rollup_})
    sqlite3_finalize(s);
  if (db_) sqlite3_close(db_);
}

namespace {

struct JournalHeader {
  long long tables = 0, application_id = 0, version = 0;
};

// Reads what identifies a lockrig journal, refusing files of a newer schema. A file SQLite cannot
// read at all is "not a lockrig journal"; any other failure is about access, hinted by `hint`.
JournalHeader read_header(sqlite3* db, const std::string& path) {
  JournalHeader h;
  try {
    h.tables = pragma_int(db, "SELECT count(*) FROM sqlite_master");
    h.application_id = pragma_int(db, "PRAGMA application_id");
    h.version = pragma_int(db, "PRAGMA user_version");
  } catch (const JournalError&) {
    if (sqlite3_errcode(db) == SQLITE_NOTADB)
      throw JournalError("journal " + quote(path) + " is not a lockrig journal (" +
                         sqlite3_errmsg(db) + ")");
    throw JournalError("cannot open journal " + quote(path) + ": " + sqlite3_errmsg(db) +
                       open_hint(db));
  }
  if (h.version > kJournalSchemaVersion)
    throw JournalError("journal " + quote(path) + " has schema version " +
                       std::to_string(h.version) +
                       ", written by a newer lockrig; this lockrig understands up to version " +
                       std::to_string(kJournalSchemaVersion));
  return h;
}

// @@ issue 18: schema version 3. Versions 1 and 2 wrote CHECK (x IN ('a', 'b', 'c')); SQLite
// evaluates an IN list of three or more constants through an ephemeral table it builds on every
// execution of an insert (sqlite/sqlite src/expr.c, sqlite3FindInIndex: only "two or fewer terms"
// get IN_INDEX_NOOP, otherwise IN_INDEX_EPH). Version 3 states the same rules as OR chains.
// Each pair is (version-2 text, version-3 text) of one constraint in journal_schema.sql.
const std::pair<const char*, const char*> kV3CheckRewrites[] = {
    {"CHECK (status IN ('running', 'completed', 'aborted', 'rig_fault'))",
     "CHECK (status = 'running' OR status = 'completed' OR status = 'aborted' OR status = 'rig_fault')"},
    {"CHECK (clock IN ('virtual', 'real'))",
     "CHECK (clock = 'virtual' OR clock = 'real')"},
    {"CHECK (result IN ('pass', 'fail', 'rig_fault'))",
     "CHECK (result = 'pass' OR result = 'fail' OR result = 'rig_fault')"},
    {"CHECK (sli_eligible IN (0, 1))",
     "CHECK (sli_eligible = 0 OR sli_eligible = 1)"},
    {"CHECK (sli_success IN (0, 1))",
     "CHECK (sli_success = 0 OR sli_success = 1)"},
    {"CHECK (first_attempt_success IN (0, 1))",
     "CHECK (first_attempt_success = 0 OR first_attempt_success = 1)"},
    {"CHECK (class IN ('lock', 'expected', 'rig_fault'))",
     "CHECK (class = 'lock' OR class = 'expected' OR class = 'rig_fault')"},
};

// Rewrites the constraints in place with SQLite's documented procedure for schema changes that
// leave every stored row valid (sqlite.org/lang_altertable.html, "Making Other Kinds Of Table
// Schema Changes": writable_schema, UPDATE sqlite_schema, bump schema_version). The rows already
// satisfy the rules, which are unchanged. Runs inside open()'s BEGIN IMMEDIATE.
void upgrade_2_to_3(sqlite3* db) {
  int defensive = 0;  // writable_schema is refused in defensive mode; restored below
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, -1, &defensive);
  if (defensive) sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 0, nullptr);
  struct Restore {
    sqlite3* db;
    int defensive;
    ~Restore() {
      sqlite3_exec(db, "PRAGMA writable_schema = OFF", nullptr, nullptr, nullptr);
      if (defensive) sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
    }
  } restore{db, defensive};
  const long long schema_version = pragma_int(db, "PRAGMA schema_version");
  exec(db, "PRAGMA writable_schema = ON", "upgrade to schema version 3");
  for (const auto& [from, to] : kV3CheckRewrites) {
    Stmt s(db,
           "UPDATE sqlite_master SET sql = replace(sql, ?1, ?2) WHERE type = 'table' AND "
           "name IN ('runs', 'sessions', 'attempts')",
           "upgrade to schema version 3");
    s.bind(1, std::string_view(from)).bind(2, std::string_view(to));
    s.step();
  }
  exec(db, "PRAGMA schema_version = " + std::to_string(schema_version + 1),
       "upgrade to schema version 3");
  exec(db, "PRAGMA writable_schema = OFF", "upgrade to schema version 3");
  exec(db, "PRAGMA user_version = 3", "upgrade to schema version 3");
}

}  // namespace

// A file: URI for `path` with `query` (RFC 3986 percent-encoding of what SQLite's URI parser
// would otherwise read as syntax: https://www.sqlite.org/uri.html). An absolute path gets the
// empty authority ("file:///tmp/x.db"), so a path starting with "//" is not read as a host.
std::string journal_file_uri(const std::string& path, const std::string& query) {
  std::string out = path.starts_with('/') ? "file://" : "file:";
  for (const unsigned char c : path) {
    if (c == '%' || c == '?' || c == '#' || c < 0x20 || c >= 0x7f) {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return query.empty() ? out : out + "?" + query;
}

namespace {

// The busy handler of every journal connection: try again every millisecond for up to
// kBusyTimeout. SQLite's own busy timeout sleeps 1, 2, 5, 10, ... and then 100 ms between tries
// (sqliteDefaultBusyCallback, src/main.c), and SQLite does not queue writers: a merge committing
// bounded transactions one after another takes the write lock again within microseconds, so a
// run's writer that polled every 100 ms kept missing the gaps and gave up after 5 s with
// "database is locked" although no transaction lasted more than 122 ms
// (LockrigMergeBulk.AMergeIntoTheJournalOfALiveRunDoesNotStopTheRun on a loaded machine). The
// merge leaves a gap of a few ms after each commit into a shared journal (merge.cpp, Batcher).
int journal_busy_handler(void*, int tries) {
  thread_local std::chrono::steady_clock::time_point first;
  const auto now = std::chrono::steady_clock::now();
  if (tries == 0) first = now;
  if (now - first >= kBusyTimeout) return 0;  // SQLITE_BUSY to the caller
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return 1;
}

}  // namespace

Journal Journal::connect(const std::string& path, int flags, const std::string& uri) {
  // Once per process, before SQLite is first initialised: no allocation statistics, which lockrig
  // never reads and which cost a mutex on every sqlite3_malloc (SQLite's recommended options,
  // sqlite.org/compile.html, SQLITE_DEFAULT_MEMSTATUS=0; set at run time with
  // SQLITE_CONFIG_MEMSTATUS). If SQLite was already initialised (a test that opened a database
  // directly), the call fails with SQLITE_MISUSE and changes nothing.
  [[maybe_unused]] static const int memstatus = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  sqlite3* db = nullptr;
  // Always through a URI, so that the connection reads ATTACH file names as URIs too (merge
  // attaches its inputs with mode=ro; SQLite parses an ATTACH name as a URI only on a connection
  // opened with SQLITE_OPEN_URI: https://www.sqlite.org/uri.html, "URI filenames in ATTACH").
  const std::string name = uri.empty() ? journal_file_uri(path, "") : uri;
  int rc = sqlite3_open_v2(name.c_str(), &db, flags | SQLITE_OPEN_URI, nullptr);
  Journal j(db, path);  // closes db on any throw below
  if (rc != SQLITE_OK)
    throw JournalError("cannot open journal " + quote(path) + ": " +
                       (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  sqlite3_busy_handler(db, journal_busy_handler, nullptr);
  harden_journal_connection(db, path);  // issue 17: before anything of the file is read
  return j;
}

Journal Journal::open(const std::string& path, SyncMode sync) {
  precheck_path(path, false);
  Journal j = connect(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* db = j.db_;
  const JournalHeader header = read_header(db, path);
  if (header.tables > 0 && header.application_id != kJournalApplicationId)
    throw JournalError("journal " + quote(path) +
                       " is an SQLite database but not a lockrig journal; refusing to touch it");
  // issue 17: a foreign file's schema and counts are checked before any of it is used.
  if (header.tables > 0) {
    check_journal_schema(db, path, static_cast<int>(header.version));
    check_journal_counts(db, path, static_cast<int>(header.version));
  }

  exec(db, "PRAGMA foreign_keys = ON", "configure");
  try {
    // Switching a new file to WAL can meet SQLITE_BUSY without SQLite calling the busy handler
    // (another run is creating or switching the same new journal at that instant), so the busy
    // timeout is applied here by hand.
    for (const auto give_up = std::chrono::steady_clock::now() + kBusyTimeout;;) {
      const int rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
      if (rc != SQLITE_BUSY || std::chrono::steady_clock::now() >= give_up) {
        sqlite_check(rc, db, "enable WAL");
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    exec(db, sync == SyncMode::full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
         "configure");
    // Each session is its own small transaction; checkpointing (and its fsync) every ~40 MB of
    // WAL instead of every 4 MB keeps that cheap without changing what a crash can lose.
    exec(db, "PRAGMA wal_autocheckpoint = 10000", "configure");
    // Take the write lock once now, so an unwritable journal fails before any run starts.
    exec(db, "BEGIN IMMEDIATE", "check writability");
    // Count again under the write lock: another run may have created the schema meanwhile.
    if (pragma_int(db, "SELECT count(*) FROM sqlite_master") == 0) {
      exec(db, read_source_file("<embedded>/rig/journal/journal_schema.sql"), "create schema");
      exec(db, "PRAGMA application_id = " + std::to_string(kJournalApplicationId), "create schema");
      exec(db, "PRAGMA user_version = " + std::to_string(kJournalSchemaVersion), "create schema");
    } else {
      // Upgrades under the same write lock, one version at a time, in one transaction, so a
      // crash leaves the journal at its old version. Each runs its part of the schema file.
      const std::string schema = read_source_file("<embedded>/rig/journal/journal_schema.sql");
      auto part = [&](int v) {
        const auto from = schema.find("-- @@ version " + std::to_string(v));
        const auto to = schema.find("-- @@ version " + std::to_string(v + 1));
        if (from == std::string::npos)
          throw JournalError("embedded schema has no version " + std::to_string(v) + " part");
        return schema.substr(from, to == std::string::npos ? std::string::npos : to - from);
      };
      long long version = pragma_int(db, "PRAGMA user_version");
      if (version == 1) {
        // 1 -> 2: the aggregate tables, views and triggers, filled from the existing rows.
        exec(db, part(2), "upgrade to schema version 2");
        exec(db,
             "INSERT INTO agg_sessions SELECT * FROM v_agg_sessions_recomputed;"
             "INSERT INTO agg_latency SELECT * FROM v_agg_latency_recomputed;"
             "INSERT INTO agg_attempts SELECT * FROM v_agg_attempts_recomputed;"
             "PRAGMA user_version = 2;",
             "upgrade to schema version 2 (building the aggregates)");
        version = 2;
      }
      // 2 -> 3: the CHECK constraints without IN lists (issue 18), then runs.host_id (issue 17;
      // older runs keep NULL), under the same write lock.
      if (version == 2) {
        upgrade_2_to_3(db);
        exec(db, part(3) + ";PRAGMA user_version = 3;", "upgrade to schema version 3");
        version = 3;
      }
      // 3 -> 4: packed latency histograms and the events(run_id) index (issue 18). Every run
      // that is over is packed; a `running` one (being written, interrupted, or merged from a
      // rig where it runs) is packed when it ends.
      if (version == 3) {
        exec(db, part(4), "upgrade to schema version 4");
        pack_finished_runs(db);
        exec(db, "PRAGMA user_version = 4", "upgrade to schema version 4");
        version = 4;
      }
      // 4 -> 5: sweep_sessions (issue 14) and annotations (issue 16); both start empty.
      if (version == 4) {
        exec(db, part(5) + ";PRAGMA user_version = 5;", "upgrade to schema version 5");
        version = 5;
      }
      // 5 -> 6: the cross-run rollup (issue 18 item 3), built from the aggregates.
      if (version == 5) {
        exec(db, part(6), "upgrade to schema version 6");
        rebuild_rollup(db, 6);
        exec(db, "PRAGMA user_version = 6", "upgrade to schema version 6");
        version = 6;
      }
    }
    exec(db, "COMMIT", "check writability");
  } catch (const JournalError& e) {
    const std::string hint = open_hint(db);
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw JournalError(std::string(e.what()) + hint);
  }
  j.schema_version_ = static_cast<int>(pragma_int(db, "PRAGMA user_version"));
  j.prepare();
  return j;
}

namespace {

// SQLite's first read of the file, with its raw result code.
int probe(sqlite3* db) {
  return sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr);
}

}  // namespace

bool Journal::has_no_schema(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  if (st.st_size == 0) return true;
  try {
    Journal j = open_readonly_file(path);
    const JournalHeader h = read_header(j.db_, path);
    return h.tables == 0 && h.application_id == 0 && h.version == 0;
  } catch (const JournalError&) {
    return false;
  }
}

// issue 17, item 5: readers never write, not even the WAL index, where they cannot.
Journal Journal::open_readonly_file(const std::string& path) {
  // NOMUTEX (SQLite's "multi-thread" mode, sqlite.org/threadsafe.html): a read-only journal is
  // opened, read and closed by one thread (serve opens one per request), so the connection
  // mutex every sqlite3_column_* call took was pure cost: about 5% of `report`'s CPU at 460 runs
  // (perf: pthread_mutex_lock/unlock 4.2% of samples; task-clock 99 → 94 ms).
  Journal j = connect(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                      journal_file_uri(path, "mode=ro"));
  const int rc = probe(j.db_) & 0xff;
  if (rc != SQLITE_READONLY && rc != SQLITE_CANTOPEN) return j;
  // mode=ro needs the -shm WAL index; where this user cannot create it, read the file as
  // immutable, which is safe only while there is no WAL content that it would skip.
  struct stat st {};
  if (::stat((path + "-wal").c_str(), &st) == 0 && st.st_size > 0)
    throw JournalError("cannot open journal " + quote(path) + " read-only: " +
                       sqlite3_errmsg(j.db_) + " (its -wal file holds data that this user " +
                       "cannot index; open it once as its owner, or copy the journal with its " +
                       "-wal file to a writable directory)");
  Journal ro = connect(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                       journal_file_uri(path, "immutable=1"));
  ro.immutable_ = true;
  return ro;
}

Journal Journal::open_readonly(const std::string& path, CountChecks counts) {
  precheck_path(path, true);
  Journal j = open_readonly_file(path);
  const JournalHeader header = read_header(j.db_, path);
  if (header.tables == 0 && header.application_id == 0 && header.version == 0)
    throw JournalError("journal " + quote(path) + " is empty: " + kEmptyJournalNote);
  if (header.application_id != kJournalApplicationId)
    throw JournalError("journal " + quote(path) + " is not a lockrig journal");
  // issue 17: a foreign file's schema and counts are checked before any of it is used.
  check_journal_schema(j.db_, path, static_cast<int>(header.version));
  // Issue 18: a reader decodes the packed histograms it reads, and refuses a malformed one then
  // (read_latency_hists); decoding all of them here as well was 11% of `report` at 460 runs.
  if (counts == CountChecks::when_read)
    defer_journal_counts(j.db_, path, static_cast<int>(header.version));
  else
    check_journal_counts(j.db_, path, static_cast<int>(header.version), /*packed_hists=*/false);
  j.schema_version_ = static_cast<int>(header.version);
  return j;
}

void Journal::prepare() {
  auto prep = [&](const char* sql, sqlite3_stmt** out) {
    sqlite_check(sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, out, nullptr), db_,
                 "prepare");
  };
  prep(
      "INSERT INTO sessions (run_id, lock_id, scenario, repetition, step, expect, within_ms, "
      "started_ns, ended_ns, result, outcome, attempts, sli_eligible, sli_success, "
      "first_attempt_success) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      &ins_session_);
  prep(
      "INSERT INTO attempts (session_id, attempt, started_ns, ended_ns, latency_ms, rssi_dbm, "
      "outcome, class, phase, detail) VALUES (?,?,?,?,?,?,?,?,?,?)",
      &ins_attempt_);
  prep(
      "INSERT INTO events (run_id, lock_id, t_ns, kind, target, value, detail) "
      "VALUES (?,?,?,?,?,?,?)",
      &ins_event_);
  prep(
      "INSERT INTO session_evidence (session_id, encoding, entries, dropped, raw_bytes, "
      "transcript) VALUES (?,'zlib-lines-1',?,?,?,?)",
      &ins_evidence_);
  prep("INSERT INTO sweep_sessions (session_id, sweep, part, level_db, design) VALUES (?,?,?,?,?)",
       &ins_sweep_);
  prep("BEGIN", &begin_);
  prep("COMMIT", &commit_);
  // The writer's own aggregate upserts (issue 18): the same rows the triggers would add up to.
  prep(
      "INSERT INTO agg_sessions (run_id, lock_id, scenario, step, expect, result, outcome, "
      "attempts, sli_eligible, sli_success, first_attempt_success, sessions, duration_ns) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO UPDATE SET "
      "sessions = sessions + excluded.sessions, duration_ns = duration_ns + excluded.duration_ns",
      &up_agg_sessions_);
  prep(
      "INSERT INTO agg_latency (run_id, lock_id, scenario, bucket_ns, sessions) VALUES (?,?,?,?,?) "
      "ON CONFLICT DO UPDATE SET sessions = sessions + excluded.sessions",
      &up_agg_latency_);
  prep(
      "INSERT INTO agg_attempts (run_id, lock_id, scenario, class, outcome, attempts) "
      "VALUES (?,?,?,?,?,?) ON CONFLICT DO UPDATE SET attempts = attempts + excluded.attempts",
      &up_agg_attempts_);
  // Issue 18 item 3: what rollup_stale_* would do, for this connection's triggerless commits
  // (prepared once: the writer runs it in every transaction that adds sessions).
  if (schema_version_ >= 6) prep("DELETE FROM rollup_state", &stale_rollup_);
}

std::int64_t Journal::begin_run(const RunRecord& info) {
  Transaction tx(db_);
  Stmt s(db_,
         "INSERT INTO runs (uuid, host, rig, started_at, status, clock, seed, fixture_source, "
         "fixture_sha256, scenarios_sha256, controller_version, command_line, sessions_planned, "
         "host_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  bind_text(s.get(), 1, info.uuid);
  bind_text(s.get(), 2, info.host);
  bind_text(s.get(), 3, info.rig);
  bind_text(s.get(), 4, info.started_at);
  s.bind(5, name(RunStatus::running));
  bind_text(s.get(), 6, info.clock);
  sqlite3_bind_int64(s.get(), 7, static_cast<sqlite3_int64>(info.seed));
  bind_text(s.get(), 8, info.fixture_source);
  bind_text(s.get(), 9, info.fixture_sha256);
  bind_text(s.get(), 10, info.scenarios_sha256);
  bind_text(s.get(), 11, info.controller_version);
  bind_text(s.get(), 12, info.command_line);
  sqlite3_bind_int64(s.get(), 13, info.sessions_planned);
  // issue 17: the machine the run belongs to (this one unless the caller says otherwise).
  const std::string host_id = info.host_id.empty() ? this_host_id() : info.host_id;
  bind_text(s.get(), 14, host_id);
  s.step();
  const std::int64_t run = sqlite3_last_insert_rowid(db_);
  for (const auto& [k, v] : info.labels) {
    Stmt l(db_, "INSERT INTO run_labels (run_id, key, value) VALUES (?,?,?)");
    sqlite3_bind_int64(l.get(), 1, run);
    bind_text(l.get(), 2, k);
    bind_text(l.get(), 3, v);
    l.step();
  }
  for (const auto& sc : info.scenarios) {
    Stmt l(db_,
           "INSERT INTO run_scenarios (run_id, name, source, sha256, repeat) VALUES (?,?,?,?,?)");
    sqlite3_bind_int64(l.get(), 1, run);
    bind_text(l.get(), 2, sc.name);
    bind_text(l.get(), 3, sc.source);
    bind_text(l.get(), 4, sc.sha256);
    sqlite3_bind_int(l.get(), 5, sc.repeat);
    l.step();
  }
  tx.commit();
  return run;
}

void Journal::record_locks(std::int64_t run, const std::vector<LockRow>& locks) {
  Transaction tx(db_);
  for (const auto& l : locks) {
    Stmt s(db_,
           "INSERT INTO run_locks (run_id, lock_id, model, material, slot, driver, firmware, "
           "reported_model, manufacturer) VALUES (?,?,?,?,?,?,?,?,?)");
    sqlite3_bind_int64(s.get(), 1, run);
    bind_text(s.get(), 2, l.lock_id);
    bind_text(s.get(), 3, l.model);
    bind_text(s.get(), 4, l.material);
    bind_text(s.get(), 5, l.slot);
    bind_text(s.get(), 6, l.driver);
    auto opt = [&](int i, const std::string& v) {
      if (v.empty())
        sqlite3_bind_null(s.get(), i);
      else
        bind_text(s.get(), i, v);
    };
    opt(7, l.firmware);
    opt(8, l.reported_model);
    opt(9, l.manufacturer);
    s.step();
  }
  tx.commit();
}

void Journal::set_label(std::int64_t run, const std::string& key, const std::string& value) {
  Stmt s(db_, "INSERT OR REPLACE INTO run_labels (run_id, key, value) VALUES (?,?,?)");
  sqlite3_bind_int64(s.get(), 1, run);
  bind_text(s.get(), 2, key);
  bind_text(s.get(), 3, value);
  s.step();
}

namespace {

void step_reset(sqlite3* db, sqlite3_stmt* st, const char* what) {
  const int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  sqlite_check(rc, db, what);
}

// What one group commit adds to the aggregate tables, summed per aggregate row (issue 18). The
// keys and sums are those of the triggers in journal_schema.sql and of the v_agg_*_recomputed
// views `lockrig check --journal` compares with.
struct GroupAggregates {
  using SessionKey = std::tuple<std::string, std::string, int, std::string, std::string_view,
                                std::string, int, int, int, int>;
  std::map<SessionKey, std::pair<long long, long long>> sessions;  // key -> (sessions, duration)
  std::map<std::tuple<std::string, std::string, std::int64_t>, long long> latency;
  std::map<std::tuple<std::string, std::string, std::string_view, std::string>, long long>
      attempts;

  void add(const SessionRecord& s) {
    const std::int64_t d = s.ended.count() - s.started.count();
    auto& g = sessions[SessionKey{s.lock_id, s.scenario, s.step_index, s.expect,
                                  result_name(s.result), s.outcome,
                                  static_cast<int>(s.attempts.size()), s.sli_eligible,
                                  s.sli_success, s.first_attempt_success}];
    g.first += 1;
    g.second += d;
    if (s.sli_eligible && s.sli_success && s.result != SessionResult::rig_fault)
      ++latency[{s.lock_id, s.scenario, latency_bucket_ns(d)}];
    for (const auto& a : s.attempts) ++attempts[{s.lock_id, s.scenario, class_name(a.cls), a.outcome}];
  }
};

void bind_view(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}


}  // namespace

void Journal::insert_batch(std::int64_t run, const JournalBatch& batch) {
  auto run_stmt = [&](sqlite3_stmt* st, const char* what) { step_reset(db_, st, what); };
  for (const auto& e : batch.events) {
    sqlite3_bind_int64(ins_event_, 1, run);
    if (e.lock_id.empty())
      sqlite3_bind_null(ins_event_, 2);
    else
      bind_text(ins_event_, 2, e.lock_id);
    sqlite3_bind_int64(ins_event_, 3, e.t.count());
    bind_text(ins_event_, 4, e.kind);
    bind_text(ins_event_, 5, e.target);
    bind_text(ins_event_, 6, e.value);
    bind_text(ins_event_, 7, e.detail);
    run_stmt(ins_event_, "insert event");
  }
  if (batch.session) {
    const SessionRecord& s = *batch.session;
    sqlite3_stmt* st = ins_session_;
    sqlite3_bind_int64(st, 1, run);
    bind_text(st, 2, s.lock_id);
    bind_text(st, 3, s.scenario);
    sqlite3_bind_int(st, 4, s.repetition);
    sqlite3_bind_int(st, 5, s.step_index);
    bind_text(st, 6, s.expect);
    sqlite3_bind_double(st, 7, to_ms(s.within));
    sqlite3_bind_int64(st, 8, s.started.count());
    sqlite3_bind_int64(st, 9, s.ended.count());
    const std::string_view result = result_name(s.result);
    sqlite3_bind_text(st, 10, result.data(), static_cast<int>(result.size()), SQLITE_STATIC);
    bind_text(st, 11, s.outcome);
    sqlite3_bind_int(st, 12, static_cast<int>(s.attempts.size()));
    sqlite3_bind_int(st, 13, s.sli_eligible);
    sqlite3_bind_int(st, 14, s.sli_success);
    sqlite3_bind_int(st, 15, s.first_attempt_success);
    run_stmt(st, "insert session");
    const std::int64_t session_id = sqlite3_last_insert_rowid(db_);
    for (const auto& a : s.attempts) {
      sqlite3_stmt* at = ins_attempt_;
      sqlite3_bind_int64(at, 1, session_id);
      sqlite3_bind_int(at, 2, a.number);
      sqlite3_bind_int64(at, 3, a.started.count());
      sqlite3_bind_int64(at, 4, a.ended.count());
      if (a.latency) sqlite3_bind_double(at, 5, to_ms(*a.latency));
      if (a.rssi_dbm) sqlite3_bind_int(at, 6, *a.rssi_dbm);
      bind_text(at, 7, a.outcome);
      const std::string_view cls = class_name(a.cls);
      sqlite3_bind_text(at, 8, cls.data(), static_cast<int>(cls.size()), SQLITE_STATIC);
      bind_text(at, 9, a.phase);
      bind_text(at, 10, a.detail);
      run_stmt(at, "insert attempt");
    }
    // Issue 15: the session's transcript, in the session's own transaction.
    if (s.evidence) {
      sqlite3_stmt* ev = ins_evidence_;
      sqlite3_bind_int64(ev, 1, session_id);
      sqlite3_bind_int64(ev, 2, s.evidence->entries);
      sqlite3_bind_int64(ev, 3, s.evidence->dropped);
      sqlite3_bind_int64(ev, 4, s.evidence->raw_bytes);
      sqlite3_bind_blob(ev, 5, s.evidence->data.data(),
                        static_cast<int>(s.evidence->data.size()), SQLITE_STATIC);
      run_stmt(ev, "insert session evidence");
    }
    // Issue 14: a sweep session's level, in the same transaction.
    if (s.sweep) {
      sqlite3_stmt* sw = ins_sweep_;
      sqlite3_bind_int64(sw, 1, session_id);
      bind_text(sw, 2, s.sweep->sweep);
      bind_text(sw, 3, s.sweep->part);
      sqlite3_bind_double(sw, 4, s.sweep->level_db);
      bind_text(sw, 5, s.sweep->design);
      run_stmt(sw, "insert sweep session");
    }
  }
}

void Journal::commit(std::int64_t run, const JournalBatch& batch) {
  commit_group(run, std::span<const JournalBatch>(&batch, 1));
}

void Journal::commit_group(std::int64_t run, std::span<const JournalBatch> batches) {
  // A version-1 journal (opened for writing, so upgraded) always has the aggregates by now; the
  // guard keeps the writer honest should that ever change.
  const bool own_aggregates = has_aggregates();
  std::optional<TriggersOff> off;
  if (own_aggregates) off.emplace(db_);
  step_reset(db_, begin_, "begin");
  try {
    GroupAggregates agg;
    std::size_t sessions = 0;
    for (const auto& b : batches) {
      insert_batch(run, b);
      if (b.session) {
        ++sessions;
        if (own_aggregates) agg.add(*b.session);
      }
    }
    for (const auto& [k, v] : agg.sessions) {
      sqlite3_stmt* st = up_agg_sessions_;
      sqlite3_bind_int64(st, 1, run);
      bind_text(st, 2, std::get<0>(k));
      bind_text(st, 3, std::get<1>(k));
      sqlite3_bind_int(st, 4, std::get<2>(k));
      bind_text(st, 5, std::get<3>(k));
      bind_view(st, 6, std::get<4>(k));
      bind_text(st, 7, std::get<5>(k));
      sqlite3_bind_int(st, 8, std::get<6>(k));
      sqlite3_bind_int(st, 9, std::get<7>(k));
      sqlite3_bind_int(st, 10, std::get<8>(k));
      sqlite3_bind_int(st, 11, std::get<9>(k));
      sqlite3_bind_int64(st, 12, v.first);
      sqlite3_bind_int64(st, 13, v.second);
      step_reset(db_, st, "update agg_sessions");
    }
    for (const auto& [k, n] : agg.latency) {
      sqlite3_stmt* st = up_agg_latency_;
      sqlite3_bind_int64(st, 1, run);
      bind_text(st, 2, std::get<0>(k));
      bind_text(st, 3, std::get<1>(k));
      sqlite3_bind_int64(st, 4, std::get<2>(k));
      sqlite3_bind_int64(st, 5, n);
      step_reset(db_, st, "update agg_latency");
    }
    for (const auto& [k, n] : agg.attempts) {
      sqlite3_stmt* st = up_agg_attempts_;
      sqlite3_bind_int64(st, 1, run);
      bind_text(st, 2, std::get<0>(k));
      bind_text(st, 3, std::get<1>(k));
      bind_view(st, 4, std::get<2>(k));
      bind_text(st, 5, std::get<3>(k));
      sqlite3_bind_int64(st, 6, n);
      step_reset(db_, st, "update agg_attempts");
    }
    // This connection runs without triggers: the run's packed latency histograms, now stale,
    // go as agg_latency_hist_stale_* would drop them (journal_schema.sql, version 4).
    if (own_aggregates && !agg.latency.empty() && schema_version_ >= 4) {
      SqlStatement stale(db_, "DELETE FROM agg_latency_hist WHERE run_id = ?1", "unpack latency");
      stale.bind(1, run);
      stale.step();
    }
    // Nor does rollup_stale_* fire here: the cross-run rollup (version 6) is stale from this
    // transaction on, until the run ends and finish_run builds it again.
    if (own_aggregates && sessions > 0 && stale_rollup_)
      step_reset(db_, stale_rollup_, "mark the rollup stale");
    if (before_commit_) before_commit_(sessions);
    step_reset(db_, commit_, "commit");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void Journal::finish_run(std::int64_t run, const std::string& status, int exit_code,
                         const std::string& ended_at, double campaign_seconds) {
  Transaction tx(db_);
  Stmt s(
      db_,
      "UPDATE runs SET status = ?, exit_code = ?, ended_at = ?, campaign_seconds = ? WHERE id = ?");
  bind_text(s.get(), 1, status);
  sqlite3_bind_int(s.get(), 2, exit_code);
  bind_text(s.get(), 3, ended_at);
  sqlite3_bind_double(s.get(), 4, campaign_seconds);
  sqlite3_bind_int64(s.get(), 5, run);
  s.step();
  // The run is over: its latency histograms packed for readers (schema version 4), in the same
  // transaction. A histogram lockrig would not write leaves the run unpacked, never unfinished.
  if (schema_version_ >= 4 && status != name(RunStatus::running)) pack_run_latency(db_, run);
  // Issue 18 item 3: and the cross-run rollup built again (version 6), so a report over every run
  // reads it. A row lockrig would not write leaves it stale: readers then read per run.
  if (status != name(RunStatus::running)) rebuild_rollup(db_, schema_version_);
  tx.commit();
}

void Journal::finish_run(std::int64_t run, RunStatus status, int exit_code,
                         const std::string& ended_at, double campaign_seconds) {
  finish_run(run, std::string(name(status)), exit_code, ended_at, campaign_seconds);
}

namespace {
// Per run: every rig fault the rig noticed (a voided session or the bench), and the waits that
// timed out besides the failed assertion sessions, as the end-of-run summary counts them. One
// pass over events for all runs: events has no index on run_id, so the two correlated
// subqueries per run this replaced scanned every event twice per run (issue 18: `runs` took
// 10-12 s at 10M attempts in 40 runs, 80 scans of 704k events).
std::string run_event_counts() {
  const std::string fault(name(EventKind::rig_fault)), wait(name(EventKind::wait_until));
  // Each count's WHERE is its partial index's own (events_faults; events_wait_timeouts, schema
  // version 5), so SQLite reads those indexes instead of every event; an older journal read
  // without them gets the same counts by a scan.
  const std::string quarantine(name(EventKind::quarantine));
  return "(SELECT run_id, sum(rig_faults) AS rig_faults, sum(wait_timeouts) AS wait_timeouts "
         "FROM (SELECT run_id, sum(kind = '" + fault + "') AS rig_faults, 0 AS wait_timeouts "
         "FROM events WHERE kind IN ('" + fault + "', '" + quarantine + "') GROUP BY run_id "
         "UNION ALL SELECT run_id, 0, count(*) FROM events WHERE kind = '" + wait +
         "' AND value = 'timeout' GROUP BY run_id) GROUP BY run_id)";
}
}  // namespace

std::vector<RunRecord> Journal::list_runs() {
  // Issue 18: the session counts from agg_sessions (rows are groups of identical sessions), the
  // same numbers as v_run_summary counts over every raw session; that view stays for journals
  // without aggregates (a version-1 journal opened read-only).
  Stmt s(db_,
         has_aggregates()
             ? "SELECT r.id, r.uuid, r.rig, r.started_at, COALESCE(r.ended_at, ''), r.status, "
               "r.clock, COALESCE(a.sessions, 0), COALESCE(a.sli_sessions, 0), "
               "COALESCE(a.sli_successes, 0), COALESCE(ev.rig_faults, 0), "
               "COALESCE(a.failed_assertions, 0) + COALESCE(ev.wait_timeouts, 0), "
               "COALESCE(r.exit_code, -1) FROM runs r LEFT JOIN (SELECT run_id, sum(sessions) "
               "AS sessions, sum(sessions * sli_eligible) AS sli_sessions, sum(sessions * "
               "sli_success) AS sli_successes, sum(sessions * (sli_eligible = 0 AND result = "
               "'fail' AND expect <> 'range')) AS failed_assertions FROM agg_sessions GROUP BY run_id) a ON a.run_id = "
               "r.id LEFT JOIN " + run_event_counts() + " ev ON ev.run_id = r.id ORDER BY r.id"
             : "SELECT v.run_id, v.uuid, v.rig, v.started_at, COALESCE(v.ended_at, ''), v.status, "
         "r.clock, v.sessions, v.sli_sessions, v.sli_successes, COALESCE(ev.rig_faults, 0), "
         "v.failed_assertions + COALESCE(ev.wait_timeouts, 0), COALESCE(v.exit_code, -1) "
         "FROM v_run_summary v JOIN runs r ON r.id = v.run_id LEFT JOIN " + run_event_counts() +
         " ev ON ev.run_id = v.run_id ORDER BY v.run_id");
  std::vector<RunRecord> out;
  while (s.step()) {
    RunRecord r;
    r.id = s.integer(0);
    r.uuid = s.text(1);
    r.rig = s.text(2);
    r.started_at = s.text(3);
    r.ended_at = s.text(4);
    r.status = s.text(5);
    r.clock = s.text(6);
    r.sessions = s.integer(7);
    r.sli_sessions = s.integer(8);
    r.sli_success = s.integer(9);
    r.rig_faults = s.integer(10);
    r.failed_assertions = s.integer(11);
    r.exit_code = static_cast<int>(s.integer(12));
    out.push_back(std::move(r));
  }
  read_run_labels(*this, out);
  return out;
}

std::int64_t latency_bucket_width_ns(std::int64_t bucket_ns) {
  if (bucket_ns < 256) return 1;
  return std::int64_t{1} << (std::bit_width(static_cast<std::uint64_t>(bucket_ns)) - 8);
}

double latency_bucket_ms(std::int64_t bucket_ns) {
  const auto width = latency_bucket_width_ns(bucket_ns);
  return (static_cast<double>(bucket_ns) + static_cast<double>(width - 1) / 2.0) / 1e6;
}

std::vector<AggregateMismatch> Journal::check_aggregates(std::size_t max_listed) {
  if (!has_aggregates())
    throw JournalError("journal " + quote(path_) + " has schema version " +
                       std::to_string(schema_version_) +
                       " and no aggregates to check; open it for writing once (e.g. lockrig "
                       "check --journal --upgrade) to build them");
  struct Table {
    const char* name;
    const char* keys;
    const char* values;
  };
  static const Table tables[] = {
      {"agg_sessions",
       "run_id, lock_id, scenario, step, expect, result, outcome, attempts, sli_eligible, "
       "sli_success, first_attempt_success",
       "sessions, duration_ns"},
      {"agg_latency", "run_id, lock_id, scenario, bucket_ns", "sessions"},
      {"agg_attempts", "run_id, lock_id, scenario, class, outcome", "attempts"},
  };
  std::vector<AggregateMismatch> out;
  // One read transaction, so a run writing meanwhile cannot make the two sides differ.
  Transaction tx(db_);
  check_session_counts(db_, path_);  // issue 17: the raw rows' counts are in range too
  for (const auto& t : tables) {
    const std::string kept = std::string("SELECT ") + t.keys + ", " + t.values + " FROM " + t.name;
    // issue 17: lockrig's own SQL for the recomputation, never the views stored in the file.
    const std::string again = std::string("SELECT ") + t.keys + ", " + t.values + " FROM (" +
                              shipped_view_query(std::string("v_") + t.name + "_recomputed") +
                              ")";
    // Rows only one side has, or with different values: the full outer difference.
    Stmt s(db_, ("SELECT 'kept', * FROM (" + kept + " EXCEPT " + again +
                 ") UNION ALL SELECT 'recomputed', * FROM (" + again + " EXCEPT " + kept + ")")
                    .c_str());
    while (s.step()) {
      if (out.size() >= max_listed) break;
      std::string row;
      const int n = sqlite3_column_count(s.get());
      for (int c = 1; c < n; ++c) {
        if (c > 1) row += ", ";
        row += std::string(sqlite3_column_name(s.get(), c)) + "=" + s.text(c);
      }
      out.push_back({t.name, s.text(0) + " only: " + row});
    }
  }
  // Version 4: the packed histograms are copies of agg_latency (itself just compared).
  if (schema_version_ >= 4 && out.size() < max_listed)
    for (auto& m : latency_hist_mismatches(db_, max_listed - out.size()))
      out.push_back({"agg_latency_hist", std::move(m)});
  // Version 6: the cross-run rollup, where readers would use it, against one built now.
  if (out.size() < max_listed)
    for (auto& m : rollup_mismatches(db_, schema_version_, max_listed - out.size()))
      out.push_back(std::move(m));
  tx.commit();
  return out;
}

AggregateTotals Journal::aggregate_totals() {
  Stmt s(db_,
         "SELECT (SELECT COALESCE(sum(sessions), 0) FROM agg_sessions), "
         "(SELECT COALESCE(sum(attempts), 0) FROM agg_attempts), "
         "(SELECT count(*) FROM agg_sessions)",
         "count aggregates");
  AggregateTotals t;
  if (s.step()) {
    t.sessions = s.integer(0);
    t.attempts = s.integer(1);
    t.groups = s.integer(2);
  }
  return t;
}

Transaction::Transaction(Journal& journal, const char* begin)
    : Transaction(journal_db(journal), begin) {}

Transaction::Transaction(sqlite3* db, const char* begin) : db_(db) {
  exec(db, begin, "begin");
}
Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}
void Transaction::commit() {
  exec(db_, "COMMIT", "commit");
  done_ = true;
}

}  // namespace lockrig
