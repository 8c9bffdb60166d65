// Issue 17 (part A): a journal file is data, not code. Every connection lockrig opens on a
// journal is hardened here before anything of the file is read: SQLite's defensive mode, no
// trusted schema, limits on value and statement sizes, and a time budget enforced by a progress
// handler. Then the file's schema is compared with the schema this lockrig ships (tables must be
// tables with the expected columns; views, triggers and indexes must be lockrig's exact SQL), and
// the counts in the aggregate tables are range-checked. docs/journal.md ("Foreign journals").
// Internal to rig/journal: other layers see only JournalError.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace lockrig {

// The largest string or blob a journal connection reads or writes (SQLITE_LIMIT_LENGTH). Longer
// values in a foreign file fail the statement ("string or blob too big") instead of being copied
// into every row a report or export builds from them.
inline constexpr int kJournalMaxValueBytes = 64 * 1024;
// The longest SQL statement (SQLITE_LIMIT_SQL_LENGTH); lockrig's longest is about 5 KB.
inline constexpr int kJournalMaxSqlBytes = 100 * 1000;
// Expression nesting (SQLITE_LIMIT_EXPR_DEPTH); lockrig's deepest is well under 20.
inline constexpr int kJournalMaxExprDepth = 100;
// Terms of a compound SELECT (SQLITE_LIMIT_COMPOUND_SELECT).
inline constexpr int kJournalMaxCompoundSelect = 50;
// Trigger recursion (SQLITE_LIMIT_TRIGGER_DEPTH); lockrig's nest two deep (a session's
// aggregate trigger writes agg_latency, whose triggers drop stale packed histograms).
inline constexpr int kJournalMaxTriggerDepth = 10;
// The most attempts a session may have in an aggregate row. Scenarios allow at most 100
// (rig/engine/steps/unlock.cpp); the journal accepts up to ten times that.
inline constexpr long long kJournalMaxAttemptsPerSession = 1000;
// What a count or a sum of counts may reach: 2^62, so that adding two of them still fits in the
// 63 bits of a signed 64-bit integer.
inline constexpr long long kJournalMaxTotal = 1LL << 62;

// The time one piece of SQLite work may take without producing a row or starting a statement
// (LOCKRIG_JOURNAL_BUDGET_MS in the environment, else 60 s). A query that runs longer is stopped
// and its command fails with an error naming the journal.
std::chrono::milliseconds journal_time_budget();
// For tests: overrides the budget for connections opened from now on (0 ms: back to the default).
void set_journal_time_budget(std::chrono::milliseconds budget);

// Configures a freshly opened connection (before any read of the file). Throws JournalError.
void harden_journal_connection(sqlite3* db, const std::string& path);
// The message for an SQLite error code when it is the time budget that stopped the statement
// (SQLITE_INTERRUPT); empty otherwise.
std::string journal_budget_message(int rc);

// Compares the file's schema with the one lockrig ships for `version` (1, 2, ...). Throws
// JournalError naming the first object that differs: a lockrig table that is missing, is a view,
// or has other columns; a lockrig view, trigger or index whose SQL is not lockrig's; a trigger
// lockrig does not ship. Tables, views and indexes of the user's own are left alone.
void check_journal_schema(sqlite3* db, const std::string& path, int version);

// Range-checks the counts of the aggregate tables (version 2 and later): no negative count, at
// most kJournalMaxAttemptsPerSession attempts per session, every column's total below
// kJournalMaxTotal. Throws JournalError naming the table and the row's key. From version 4 on,
// with `packed_hists`, every packed latency histogram is decoded and checked too
// (check_latency_hists); read-only opens leave that to the reads, which decode each histogram
// they use with the same checks and refuse it with the same message (read_latency_hists).
void check_journal_counts(sqlite3* db, const std::string& path, int version,
                          bool packed_hists = true);

// Issue 18: the same checks, table by table, when a statement first reads one of the table's
// counts instead of at open (read-only opens of the commands that read only what they report:
// report, gate, slo, export, runs, serve). SQLite's authorizer notes, while a statement is
// prepared, every column it reads; SqlStatement then calls check_deferred_counts, which runs the
// checks of the tables whose counts it reads and throws the same JournalError as at open. A
// table no statement reads a count of is not scanned (agg_attempts for `report`). Connections
// opened otherwise (writers, merge, check) keep checking everything at open.
void defer_journal_counts(sqlite3* db, const std::string& path, int version);
// Runs the deferred checks the statements prepared so far call for (nothing for a connection
// without deferred checks). Throws JournalError.
void check_deferred_counts(sqlite3* db);
// A reader that checks every row of `table` itself as it reads it (SessionCountTally) claims the
// table, so that its statement does not scan it a second time first. False when the connection
// does not defer its checks (they already ran at open).
bool claim_table_counts(sqlite3* db, const char* table);
// The detailed rules of one table, naming the first row that breaks one (JournalError), and the
// sessions × attempts message when `product_too_large`. Returns when nothing is broken.
void recheck_table_counts(sqlite3* db, const std::string& path, const char* table,
                          bool product_too_large);

// The counts of one agg_sessions row.
struct SessionCounts {
  std::int64_t sessions = 0, attempts = 0, duration_ns = 0;
};

// The agg_sessions checks, row by row, for a reader that reads every row of the table anyway
// (claim_table_counts): the same ranges and sums as check_journal_counts. read() returns a row's
// counts and, while checking, checks them; at the first broken rule, and at finish() after the
// last row (the sums' limits), recheck_table_counts names the row and throws.
class SessionCountTally {
 public:
  // `checking` false: read() only reads (the table was checked another way).
  SessionCountTally(sqlite3* db, std::string path, bool checking = true);
  // The counts in columns `sessions`, `attempts` and `duration_ns` of the current row of `st`,
  // each column's type read before its value: SQLite leaves the type undefined after a
  // conversion (sqlite.org/c3ref/column_blob.html).
  SessionCounts read(sqlite3_stmt* st, int sessions, int attempts, int duration_ns);
  // After the last row. Checks nothing more once it has run (or when not checking).
  void finish();

 private:
  bool add(int sessions_type, std::int64_t sessions, int attempts_type, std::int64_t attempts,
           int duration_type, std::int64_t duration_ns);

  sqlite3* db_;
  std::string path_;
  bool checking_;
  bool broken_ = false;
  std::int64_t sessions_sum_ = 0, attempts_sum_ = 0, duration_sum_ = 0;
  double product_ = 0;
};

// The raw sessions rows' attempts range-checked the same way (a full scan; for check --journal).
void check_session_counts(sqlite3* db, const std::string& path);

// lockrig's own SELECT for the view `view` of the shipped schema (e.g. "v_agg_sessions_recomputed"),
// with every lockrig view it reads inlined as a common table expression, so that the query never
// reads a view stored in the file.
std::string shipped_view_query(const std::string& view);

// The schema text lockrig ships for `version`: the part of journal_schema.sql above the
// "@@ version N+1" line (all of it for the current version).
std::string shipped_schema(int version);

}  // namespace lockrig
