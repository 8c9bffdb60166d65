// Issue 17 (part A): see open_guard.hpp. The measures follow SQLite's own advice for
// applications that read database files from untrusted sources ("Defense Against The Dark Arts",
// https://www.sqlite.org/security.html, section 1.2: SQLITE_DBCONFIG_DEFENSIVE, trusted_schema
// off, reduced sqlite3_limit() values, a progress handler bounding run time, and checking the
// schema before use).
#include "rig/journal/open_guard.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "rig/base/embedded.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/latency_hist.hpp"
#include "rig/journal/sql.hpp"

namespace lockrig {

namespace {

constexpr std::chrono::milliseconds kDefaultBudget{60'000};
std::atomic<long long> g_budget_override_ms{0};

// One per connection, freed when the connection closes (SQLITE_TRACE_CLOSE).
struct BudgetGuard {
  std::atomic<long long> since_ns{0};
  long long budget_ns = 0;
};

long long now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void forget_deferred(sqlite3* db);  // below, with the deferred count checks

// Every started statement (also a trigger's) and every row produced restarts the clock, so the
// budget bounds one stretch of work, not a long export.
int on_trace(unsigned kind, void* ctx, void* p, void*) {
  auto* g = static_cast<BudgetGuard*>(ctx);
  if (kind == SQLITE_TRACE_CLOSE) {
    forget_deferred(static_cast<sqlite3*>(p));  // p: the connection (sqlite3_trace_v2 docs)
    delete g;
  } else {
    g->since_ns.store(now_ns(), std::memory_order_relaxed);
  }
  return 0;
}

int on_progress(void* ctx) {
  const auto* g = static_cast<const BudgetGuard*>(ctx);
  return now_ns() - g->since_ns.load(std::memory_order_relaxed) > g->budget_ns ? 1 : 0;
}

[[noreturn]] void refuse(const std::string& path, const std::string& why) {
  throw JournalError("journal " + quote(path) + " " + why +
                     "; lockrig refuses to read it (a journal changed by hand or by another "
                     "program; see docs/journal.md, \"Foreign journals\")");
}

struct SchemaObject {
  std::string type, name, table, sql;
  std::string columns;  // tables: one "name type notnull pk" line per column
};

std::string table_columns(sqlite3* db, const std::string& table) {
  SqlStatement q(db, "SELECT name, type, \"notnull\", pk FROM pragma_table_xinfo(?)",
                 "read the columns of " + table);
  q.bind(1, table);
  std::string out;
  while (q.step())
    out += q.text(0) + " " + q.text(1) + " " + q.text(2) + " " + q.text(3) + "\n";
  return out;
}

std::map<std::string, SchemaObject> read_schema(sqlite3* db) {
  std::map<std::string, SchemaObject> out;
  {
    SqlStatement q(db,
                   "SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_schema "
                   "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
                   "read the schema");
    while (q.step()) out[q.text(1)] = SchemaObject{q.text(0), q.text(1), q.text(2), q.text(3), {}};
  }
  for (auto& [name, o] : out)
    if (o.type == "table") o.columns = table_columns(db, name);
  return out;
}

// The schema lockrig ships for each version, read from an in-memory database made with it.
const std::map<std::string, SchemaObject>& shipped_objects(int version) {
  static std::mutex m;
  static std::map<int, std::map<std::string, SchemaObject>> cache;
  std::lock_guard<std::mutex> lock(m);
  auto it = cache.find(version);
  if (it != cache.end()) return it->second;
  sqlite3* mem = nullptr;
  if (sqlite3_open(":memory:", &mem) != SQLITE_OK) {
    sqlite3_close(mem);
    throw JournalError("cannot open an in-memory database to read the shipped journal schema");
  }
  struct Closer {
    sqlite3* db;
    ~Closer() { sqlite3_close(db); }
  } closer{mem};
  char* err = nullptr;
  if (sqlite3_exec(mem, shipped_schema(version).c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "?";
    sqlite3_free(err);
    throw JournalError("the journal schema lockrig ships does not load: " + msg);
  }
  return cache[version] = read_schema(mem);
}

// The SELECT of a `CREATE VIEW name AS SELECT ...` statement.
std::string view_select(const SchemaObject& view) {
  const auto at = view.sql.find(" AS", view.sql.find(view.name) + view.name.size());
  if (at == std::string::npos) throw JournalError("shipped view " + view.name + " has no AS");
  return view.sql.substr(at + 3);
}

std::string key_text(SqlStatement& q, int first, int n) {
  std::string out;
  for (int c = first; c < first + n; ++c) {
    if (!out.empty()) out += ", ";
    out += std::string(sqlite3_column_name(q.get(), c)) + "=";
    if (sqlite3_column_type(q.get(), c) == SQLITE_TEXT)
      out += quote(q.view(c).substr(0, 80));
    else
      out += q.text(c);
  }
  return out;
}

struct CountRule {
  const char* table;
  const char* keys;    // the row's key, for the message
  const char* column;  // the count
  long long max;       // its largest acceptable value
};

void check_rule(sqlite3* db, const std::string& path, const CountRule& r) {
  const int nkeys = static_cast<int>(split_commas({r.keys}).size());
  // typeof: a count stored as text or real is as wrong as a negative one.
  SqlStatement q(db,
                 std::string("SELECT ") + r.column + ", " + r.keys + " FROM " + r.table +
                     " WHERE typeof(" + r.column + ") <> 'integer' OR " + r.column + " < 0 OR " +
                     r.column + " > ?1 LIMIT 1",
                 std::string("range-check ") + r.table + "." + r.column);
  q.bind(1, static_cast<std::int64_t>(r.max));
  if (q.step())
    refuse(path, std::string("has ") + r.table + "." + r.column + " = " + quote(q.text(0)) +
                     " in the row (" + key_text(q, 1, nkeys) + "), outside 0.." +
                     std::to_string(r.max));
  // total() sums in floating point, so a sum past 2^63 is seen instead of overflowing.
  SqlStatement t(db,
                 std::string("SELECT total(") + r.column + ") FROM " + r.table,
                 std::string("sum ") + r.table + "." + r.column);
  if (t.step() && !(t.real(0) < static_cast<double>(kJournalMaxTotal))) {
    char sum[64];
    std::snprintf(sum, sizeof sum, "%.6g", t.real(0));
    refuse(path, std::string("has ") + r.table + "." + r.column + " summing to " + sum +
                     ", more than the 2^62 a total of counts may reach");
  }
}

}  // namespace

std::chrono::milliseconds journal_time_budget() {
  if (const long long o = g_budget_override_ms.load(); o > 0) return std::chrono::milliseconds(o);
  if (const char* env = std::getenv("LOCKRIG_JOURNAL_BUDGET_MS")) {
    char* end = nullptr;
    const long long ms = std::strtoll(env, &end, 10);
    if (end != env && *end == '\0' && ms > 0) return std::chrono::milliseconds(ms);
  }
  return kDefaultBudget;
}

void set_journal_time_budget(std::chrono::milliseconds budget) {
  g_budget_override_ms.store(budget.count());
}

std::string journal_budget_message(int rc) {
  if ((rc & 0xff) != SQLITE_INTERRUPT) return "";
  return "stopped after " + std::to_string(journal_time_budget().count()) +
         " ms without progress (the journal time budget, LOCKRIG_JOURNAL_BUDGET_MS): a "
         "damaged or hostile journal, or one too large for the budget";
}

void harden_journal_connection(sqlite3* db, const std::string& path) {
  auto config = [&](int op, int on, const char* what) {
    int now = -1;
    if (sqlite3_db_config(db, op, on, &now) != SQLITE_OK || now != on)
      throw JournalError("journal " + quote(path) + ": cannot set " + what);
  };
  // Forbids writing the schema table directly and other ways to corrupt the file by SQL.
  config(SQLITE_DBCONFIG_DEFENSIVE, 1, "SQLITE_DBCONFIG_DEFENSIVE");
  // Views and triggers stored in the file may call only functions marked innocuous.
  config(SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, "trusted_schema=OFF");
  config(SQLITE_DBCONFIG_ENABLE_TRIGGER, 1, "triggers on");  // lockrig's aggregates need them
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, kJournalMaxValueBytes);
  sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, kJournalMaxSqlBytes);
  sqlite3_limit(db, SQLITE_LIMIT_EXPR_DEPTH, kJournalMaxExprDepth);
  sqlite3_limit(db, SQLITE_LIMIT_COMPOUND_SELECT, kJournalMaxCompoundSelect);
  sqlite3_limit(db, SQLITE_LIMIT_TRIGGER_DEPTH, kJournalMaxTriggerDepth);
  sqlite3_limit(db, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 1000);
  auto* guard = new BudgetGuard;
  guard->budget_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(journal_time_budget())
                         .count();
  guard->since_ns = now_ns();
  if (sqlite3_trace_v2(db, SQLITE_TRACE_STMT | SQLITE_TRACE_ROW | SQLITE_TRACE_CLOSE, on_trace,
                       guard) != SQLITE_OK) {
    delete guard;
    throw JournalError("journal " + quote(path) + ": cannot install the time budget");
  }
  sqlite3_progress_handler(db, 1000, on_progress, guard);
}

std::string shipped_schema(int version) {
  const std::string schema = read_source_file("<embedded>/rig/journal/journal_schema.sql");
  const auto next = schema.find("-- @@ version " + std::to_string(version + 1));
  return next == std::string::npos ? schema : schema.substr(0, next);
}

void check_journal_schema(sqlite3* db, const std::string& path, int version) {
  const auto& want = shipped_objects(version);
  const auto have = read_schema(db);
  // Tables first, so that a table replaced by a view is named as such, not by the triggers
  // its DROP took with it.
  for (const bool tables : {true, false})
  for (const auto& [name, w] : want) {
    if ((w.type == "table") != tables) continue;
    const auto it = have.find(name);
    if (it == have.end()) refuse(path, "has no " + w.type + " " + quote(name));
    const SchemaObject& h = it->second;
    if (h.type != w.type)
      refuse(path, "has " + quote(name) + " as a " + h.type + " where lockrig has a " + w.type);
    if (w.type == "table") {
      if (h.columns != w.columns)
        refuse(path, "has table " + quote(name) + " with other columns than lockrig's");
    } else if (h.sql != w.sql || h.table != w.table) {
      refuse(path, "has " + w.type + " " + quote(name) + " with SQL that is not lockrig's");
    }
  }
  // A trigger of someone else's would run inside lockrig's writes; the user's own tables,
  // views and indexes are never read by lockrig and stay allowed.
  for (const auto& [name, h] : have)
    if (h.type == "trigger" && !want.count(name))
      refuse(path, "has trigger " + quote(name) + " on " + quote(h.table) +
                       ", which is not one of lockrig's");
}

namespace {

const CountRule kCountRules[] = {
    {"agg_sessions",
     "run_id, lock_id, scenario, step, expect, result, outcome, attempts, sli_eligible, "
     "sli_success, first_attempt_success",
     "sessions", kJournalMaxTotal},
    {"agg_sessions", "run_id, lock_id, scenario, step, outcome, sessions", "attempts",
     kJournalMaxAttemptsPerSession},
    {"agg_sessions", "run_id, lock_id, scenario, step, outcome, attempts, sessions",
     "duration_ns", kJournalMaxTotal},
    {"agg_latency", "run_id, lock_id, scenario, bucket_ns", "sessions", kJournalMaxTotal},
    {"agg_latency", "run_id, lock_id, scenario, sessions", "bucket_ns", kJournalMaxTotal},
    {"agg_attempts", "run_id, lock_id, scenario, class, outcome", "attempts", kJournalMaxTotal},
};

// The tables whose counts are checked, in the order check_journal_counts checks them; a
// deferred check keeps one bit per table (1 << index).
const char* const kCountedTables[] = {"agg_sessions", "agg_latency", "agg_attempts"};

// The index of `table` in kCountedTables, or -1.
int counted_table(const char* table) {
  for (int t = 0; t < static_cast<int>(std::size(kCountedTables)); ++t)
    if (std::strcmp(table, kCountedTables[t]) == 0) return t;
  return -1;
}

// The rule for `column` of `table`, or nullptr when it is not a checked count.
const CountRule* count_rule(const char* table, const char* column) {
  for (const auto& r : kCountRules)
    if (std::strcmp(r.table, table) == 0 && std::strcmp(r.column, column) == 0) return &r;
  return nullptr;
}

// One table's checks, as check_journal_counts runs them.
void check_table_counts(sqlite3* db, const std::string& path, int version, const char* table) {
  // Issue 18: every open of a reader pays for these checks, so the happy path reads each table
  // once, with SQLite's cheapest aggregates: per count, sum(c) (an integer only when every value
  // is one, sum() docs: "If any input to sum() is neither an integer nor a NULL, then sum()
  // returns a floating point value"; past 2^63 it fails with "integer overflow") and the number
  // of values out of range. Only when that shows a broken rule are the rules run one by one for
  // the message naming the row. Each rule on its own cost two scans with typeof() and total() on
  // every row: four of agg_latency's half a million rows at 10M attempts in 40 runs, 37% of
  // `lockrig report`'s time.
  const auto limit = static_cast<std::int64_t>(kJournalMaxTotal);
  std::string sql = "SELECT ";
  int columns = 0;
  for (const auto& r : kCountRules) {
    if (std::string_view(r.table) != table) continue;
    const std::string c = r.column;
    sql += std::string(columns ? ", " : "") + "sum(" + c + "), sum(" + c + " < 0 OR " + c +
           " > " + std::to_string(r.max) + ")";
    columns += 2;
  }
  const bool sessions_table = std::string_view(table) == "agg_sessions";
  // Attempts per group as reports multiply them out: sessions × attempts (total(): in floating
  // point, so the product of two in-range counts cannot overflow here).
  if (sessions_table) sql += ", total(sessions * attempts)";
  bool broken = false, product_too_large = false;
  try {
    // Version 4: readers take a packed run's histograms from agg_latency_hist (checked below,
    // 2,560 rows at 10 M attempts in 40 runs) and never read its agg_latency rows, so those
    // are range-checked only for the runs without packed rows (issue 18: the scan of all
    // 530,870 was 29% of `lockrig report`). The detailed rules below, run only when something
    // is broken, still look at every row.
    const bool unpacked_only = version >= 4 && std::string_view(table) == "agg_latency";
    SqlStatement q(db,
                   sql + (unpacked_only
                              ? " FROM runs r CROSS JOIN agg_latency a ON a.run_id = r.id WHERE "
                                "NOT EXISTS (SELECT 1 FROM agg_latency_hist h WHERE h.run_id = "
                                "r.id)"
                              : std::string(" FROM ") + table),
                   std::string("range-check ") + table);
    if (q.step()) {
      for (int i = 0; i < columns; i += 2) {
        const int type = sqlite3_column_type(q.get(), i);
        broken = broken || (type != SQLITE_NULL && type != SQLITE_INTEGER) ||
                 q.integer(i) >= limit || q.integer(i + 1) != 0;
      }
      product_too_large =
          sessions_table && !(q.real(columns) < static_cast<double>(kJournalMaxTotal));
    }
  } catch (const JournalError&) {
    // "integer overflow" from sum(): a sum past 2^63, which the rules below name; anything
    // else (the time budget) fails them again with its own message.
    broken = true;
  }
  if (broken || product_too_large) recheck_table_counts(db, path, table, product_too_large);
}

// A connection whose count checks wait for the first statement that reads a count
// (defer_journal_counts). Freed when the connection closes.
struct DeferredCounts {
  std::string path;
  int version = 0;
  unsigned pending = 0;   // tables a prepared statement reads counts of, not checked yet
  unsigned done = 0;      // tables checked (or claimed by a reader that checks its rows)
  bool checking = false;  // the checks' own statements are running
};

std::mutex g_deferred_mutex;
std::map<sqlite3*, DeferredCounts*> g_deferred;
std::atomic<int> g_deferred_count{0};

DeferredCounts* deferred_of(sqlite3* db) {
  if (g_deferred_count.load(std::memory_order_relaxed) == 0) return nullptr;
  std::lock_guard<std::mutex> lock(g_deferred_mutex);
  const auto it = g_deferred.find(db);
  return it == g_deferred.end() ? nullptr : it->second;
}

void forget_deferred(sqlite3* db) {
  if (g_deferred_count.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard<std::mutex> lock(g_deferred_mutex);
  const auto it = g_deferred.find(db);
  if (it == g_deferred.end()) return;
  delete it->second;
  g_deferred.erase(it);
  g_deferred_count.fetch_sub(1);
}

// SQLite's authorizer is called while a statement is prepared, once per column it reads
// (SQLITE_READ, table and column; https://www.sqlite.org/c3ref/set_authorizer.html), also for the
// tables under a view or a CTE. It only takes note; the checks run after the prepare
// (check_deferred_counts), as SQLite forbids using the connection from inside the callback.
int on_authorize(void* ctx, int action, const char* table, const char* column, const char*,
                 const char*) {
  if (action != SQLITE_READ || !table || !column) return SQLITE_OK;
  auto* d = static_cast<DeferredCounts*>(ctx);
  if (d->checking) return SQLITE_OK;
  const int t = count_rule(table, column) ? counted_table(table) : -1;
  if (t >= 0 && !(d->done & (1u << t))) d->pending |= 1u << t;
  return SQLITE_OK;
}

}  // namespace

void recheck_table_counts(sqlite3* db, const std::string& path, const char* table,
                          bool product_too_large) {
  for (const auto& r : kCountRules)
    if (std::string_view(r.table) == table) check_rule(db, path, r);
  if (product_too_large)
    refuse(path, "has agg_sessions rows whose sessions × attempts sum past 2^62");
}

void check_journal_counts(sqlite3* db, const std::string& path, int version, bool packed_hists) {
  if (version < 2) return;
  for (const char* table : kCountedTables) check_table_counts(db, path, version, table);
  if (version >= 4 && packed_hists) check_latency_hists(db, path);
}

void defer_journal_counts(sqlite3* db, const std::string& path, int version) {
  if (version < 2) return;
  auto* d = new DeferredCounts{path, version, 0, 0, false};
  {
    std::lock_guard<std::mutex> lock(g_deferred_mutex);
    g_deferred[db] = d;
    g_deferred_count.fetch_add(1);
  }
  if (sqlite3_set_authorizer(db, on_authorize, d) != SQLITE_OK) {
    forget_deferred(db);
    throw JournalError("journal " + quote(path) + ": cannot install the count checks");
  }
}

void check_deferred_counts(sqlite3* db) {
  DeferredCounts* d = deferred_of(db);
  if (!d || d->checking || !d->pending) return;
  while (d->pending) {
    int t = 0;
    while (!(d->pending & (1u << t))) ++t;
    d->pending &= ~(1u << t);
    d->done |= 1u << t;
    d->checking = true;
    try {
      check_table_counts(db, d->path, d->version, kCountedTables[t]);
    } catch (...) {
      d->checking = false;
      throw;
    }
    d->checking = false;
  }
}

bool claim_table_counts(sqlite3* db, const char* table) {
  DeferredCounts* d = deferred_of(db);
  if (!d) return false;
  if (const int t = counted_table(table); t >= 0) {
    d->done |= 1u << t;
    d->pending &= ~(1u << t);
  }
  return true;
}

bool SessionCountTally::add(int sessions_type, std::int64_t sessions, int attempts_type,
                            std::int64_t attempts, int duration_type, std::int64_t duration_ns) {
  // As check_table_counts's sum() and range terms see a value: NULL counts as nothing (the
  // columns are NOT NULL in lockrig's schema), any other non-integer breaks the rule.
  auto one = [&](int type, std::int64_t v, std::int64_t max, std::int64_t& sum) {
    if (type == SQLITE_NULL) return;
    if (type != SQLITE_INTEGER || v < 0 || v > max || v >= kJournalMaxTotal - sum) {
      broken_ = true;
      return;
    }
    sum += v;
  };
  // The limits of kCountRules, so that the two ways of checking cannot drift apart.
  static const std::int64_t max_sessions = count_rule("agg_sessions", "sessions")->max,
                            max_attempts = count_rule("agg_sessions", "attempts")->max,
                            max_duration = count_rule("agg_sessions", "duration_ns")->max;
  one(sessions_type, sessions, max_sessions, sessions_sum_);
  one(attempts_type, attempts, max_attempts, attempts_sum_);
  one(duration_type, duration_ns, max_duration, duration_sum_);
  if (!broken_) product_ += static_cast<double>(sessions) * static_cast<double>(attempts);
  return !broken_;
}

SessionCountTally::SessionCountTally(sqlite3* db, std::string path, bool checking)
    : db_(db), path_(std::move(path)), checking_(checking) {}

SessionCounts SessionCountTally::read(sqlite3_stmt* st, int sessions, int attempts,
                                      int duration_ns) {
  if (!checking_)
    return {sqlite3_column_int64(st, sessions), sqlite3_column_int64(st, attempts),
            sqlite3_column_int64(st, duration_ns)};
  const int types[3] = {sqlite3_column_type(st, sessions), sqlite3_column_type(st, attempts),
                        sqlite3_column_type(st, duration_ns)};
  const SessionCounts c{sqlite3_column_int64(st, sessions), sqlite3_column_int64(st, attempts),
                        sqlite3_column_int64(st, duration_ns)};
  if (!add(types[0], c.sessions, types[1], c.attempts, types[2], c.duration_ns))
    finish();  // names the row and throws
  return c;
}

void SessionCountTally::finish() {
  if (!checking_) return;
  checking_ = false;
  const bool product_too_large = !(product_ < static_cast<double>(kJournalMaxTotal));
  if (broken_ || product_too_large)
    recheck_table_counts(db_, path_, "agg_sessions", product_too_large);
}

void check_session_counts(sqlite3* db, const std::string& path) {
  check_rule(db, path,
             {"sessions", "id, run_id, lock_id, scenario, repetition, step", "attempts",
              kJournalMaxAttemptsPerSession});
}

std::string shipped_view_query(const std::string& view) {
  const auto& objs = shipped_objects(kJournalSchemaVersion);
  if (!objs.count(view) || objs.at(view).type != "view")
    throw JournalError("lockrig ships no journal view " + quote(view));
  // Inlined in the order the schema creates them, so each one sees those it reads.
  const std::string schema = shipped_schema(kJournalSchemaVersion);
  std::vector<std::pair<std::size_t, const SchemaObject*>> views;
  for (const auto& [name, o] : objs)
    if (o.type == "view") views.emplace_back(schema.find("CREATE VIEW " + name + " AS"), &o);
  std::sort(views.begin(), views.end());
  std::string with;
  for (const auto& [pos, o] : views) {
    with += with.empty() ? "WITH " : ",\n";
    with += o->name + " AS (" + view_select(*o) + ")";
  }
  return with + "\nSELECT * FROM " + view;
}

}  // namespace lockrig
