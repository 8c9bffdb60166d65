#include "rig/journal/export_reader.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <tuple>

#include "rig/base/text.hpp"
#include "rig/journal/evidence.hpp"
#include "rig/journal/latency_hist.hpp"
#include "rig/journal/open_guard.hpp"
#include "rig/journal/sql.hpp"

namespace lockrig {

namespace {

using Type = ExportType;

// One exported column (docs/exports.md, docs/bigquery/*.schema.json) and the SQL that computes
// it. Names and types never change meaning; new columns are only ever appended.
struct Column {
  const char* name;
  Type type;
  bool nullable;
  const char* sql;
  const char* description;
};

// Wall-clock time of a session or attempt: the run's UTC start plus the monotonic offset (on a
// virtual clock the offset is simulated time; see the clock column).
#define LOCKRIG_AT(ns) \
  "strftime('%Y-%m-%dT%H:%M:%fZ', r.started_at, printf('%+.3f seconds', " ns " / 1e9))"

// Columns every row carries, so a row is useful alone in a warehouse.
#define LOCKRIG_RUN_COLUMNS                                                                      \
  {"run_uuid", Type::string, false, "r.uuid", "Run identity (UUID), stable across merges"},      \
      {"rig", Type::string, false, "r.rig", "Rig name from the fixture"},                        \
      {"host", Type::string, false, "r.host", "Host that ran the rig"},                          \
      {"run_started_at", Type::timestamp, false, "strftime('%Y-%m-%dT%H:%M:%fZ', r.started_at)", \
       "When the run started (UTC)"},                                                            \
      {"run_status", Type::string, false, "r.status",                                            \
       "running, completed, aborted or rig_fault at export time"},                               \
      {"clock", Type::string, false, "r.clock",                                                  \
       "virtual (simulated rig: *_ns and derived times are simulated) or real"},                 \
      {"controller_version", Type::string, false, "r.controller_version",                        \
       "lockrig version that ran the run"},                                                      \
      {"lock_id", Type::string, false, "s.lock_id", "Lock id from the fixture"},                 \
      {"model", Type::string, true, "l.model", "Lock model as mounted in the run"},              \
      {"material", Type::string, true, "l.material", "Door material the lock was mounted on"},   \
      {"slot", Type::string, true, "l.slot", "Bench slot"},                                      \
      {"driver", Type::string, true, "l.driver", "Lock driver"},                                 \
      {"firmware", Type::string, true, "l.firmware",                                             \
       "Firmware read from the lock in this run (NULL: unreadable)"},                            \
      {"app", Type::string, true,                                                                \
       "(SELECT value FROM run_labels WHERE run_id = r.id AND key = 'app')",                     \
       "The run's app label (app build driving the lock), if any"},                              \
      {"labels", Type::string, false,                                                            \
       "(SELECT COALESCE(json_group_object(key, value), '{}') FROM (SELECT key, value FROM "     \
       "run_labels WHERE run_id = r.id ORDER BY key))",                                          \
       "Every run label as a JSON object text ({\"app\":\"5.3.0\",...})"},                       \
      {"scenario", Type::string, false, "s.scenario", "Scenario name"},                          \
      {"repetition", Type::integer, false, "s.repetition",                                       \
       "Repetition of the scenario (1-based)"},                                                  \
  {                                                                                              \
    "step", Type::integer, false, "s.step", "Index of the unlock step in the scenario (0-based)" \
  }

const std::vector<Column>& session_columns() {
  static const std::vector<Column> cols = {
      {"session_key", Type::string, false,
       "r.uuid || '/' || s.lock_id || '/' || s.scenario || '/' || s.repetition || '/' || s.step",
       "Natural key: run_uuid/lock_id/scenario/repetition/step (unique; use it to deduplicate)"},
      LOCKRIG_RUN_COLUMNS,
      {"expect", Type::string, false, "s.expect", "Expected outcome of the step"},
      {"within_ms", Type::floating, false, "s.within_ms", "Session budget (ms)"},
      {"started_at", Type::timestamp, false, LOCKRIG_AT("s.started_ns"),
       "Session start (UTC, millisecond precision)"},
      {"ended_at", Type::timestamp, false, LOCKRIG_AT("s.ended_ns"), "Session end (UTC)"},
      {"started_ns", Type::integer, false, "s.started_ns",
       "Session start, monotonic ns since the run started"},
      {"ended_ns", Type::integer, false, "s.ended_ns",
       "Session end, monotonic ns since the run started"},
      {"duration_ms", Type::floating, false, "(s.ended_ns - s.started_ns) / 1e6",
       "ended_ns - started_ns in ms"},
      {"result", Type::string, false, "s.result", "pass, fail or rig_fault"},
      {"outcome", Type::string, false, "s.outcome", "Outcome of the last attempt"},
      {"attempts", Type::integer, false, "s.attempts", "Attempts in the session"},
      {"sli_eligible", Type::boolean, false, "s.sli_eligible AND s.result <> 'rig_fault'",
       "Counts toward the unlock SLI (never for rig faults)"},
      {"sli_success", Type::boolean, false,
       "s.sli_success AND s.sli_eligible AND s.result <> 'rig_fault'",
       "An SLI session that unlocked within its budget"},
      {"first_attempt_success", Type::boolean, false, "s.first_attempt_success",
       "The first attempt unlocked"},
      // Issue 15: the session's evidence (session_evidence, docs/evidence.md), decoded.
      {"transcript_entries", Type::integer, true, "e.entries",
       "Transcript entries kept for the session (NULL: no transcript kept, see --keep-evidence)"},
      {"transcript_dropped", Type::integer, true, "e.dropped",
       "Older transcript entries the bounded recorder dropped (NULL: no transcript kept)"},
      {"transcript", Type::string, true,
       "CASE WHEN e.session_id IS NULL THEN NULL ELSE lockrig_transcript_json(e.encoding, "
       "e.raw_bytes, e.transcript) END",
       "The session's transcript as a JSON array text of {t_ns, mark, who, text} (NULL: none "
       "kept)"},
  };
  return cols;
}

const std::vector<Column>& attempt_columns() {
  static const std::vector<Column> cols = {
      {"session_key", Type::string, false,
       "r.uuid || '/' || s.lock_id || '/' || s.scenario || '/' || s.repetition || '/' || s.step",
       "The session's natural key (sessions.session_key)"},
      LOCKRIG_RUN_COLUMNS,
      {"attempt", Type::integer, false, "a.attempt", "Attempt number within the session (1-based)"},
      {"started_at", Type::timestamp, false, LOCKRIG_AT("a.started_ns"), "Attempt start (UTC)"},
      {"ended_at", Type::timestamp, false, LOCKRIG_AT("a.ended_ns"), "Attempt end (UTC)"},
      {"started_ns", Type::integer, false, "a.started_ns",
       "Attempt start, monotonic ns since the run started"},
      {"ended_ns", Type::integer, false, "a.ended_ns",
       "Attempt end, monotonic ns since the run started"},
      {"latency_ms", Type::floating, true, "a.latency_ms",
       "Unlock command to confirmation (NULL: command never sent)"},
      {"rssi_dbm", Type::integer, true, "a.rssi_dbm", "Signal strength seen, if any"},
      {"outcome", Type::string, false, "a.outcome",
       "success, rejected, not_found, timeout, disconnected, protocol_error, rig_fault"},
      {"class", Type::string, false, "a.class", "lock, expected or rig_fault"},
      {"phase", Type::string, false, "a.phase", "connect or unlock: where the attempt ended"},
      {"detail", Type::string, false, "a.detail", "Driver detail text"},
      {"session_result", Type::string, false, "s.result", "The session's result"},
  };
  return cols;
}

#undef LOCKRIG_RUN_COLUMNS
#undef LOCKRIG_AT


// What export_columns hands out: the columns without their SQL.
std::vector<ExportColumn> public_columns(const std::vector<Column>& cols) {
  std::vector<ExportColumn> out;
  for (const auto& c : cols) out.push_back(ExportColumn{c.name, c.type, c.nullable, c.description});
  return out;
}

const std::vector<Column>& columns_of(ExportTable table) {
  return table == ExportTable::sessions ? session_columns() : attempt_columns();
}

std::string in_list(const ReportScope& scope) {
  std::string s = "(";
  const auto& runs = *scope.runs;
  for (std::size_t i = 0; i < runs.size(); ++i) s += (i ? "," : "") + std::to_string(runs[i]);
  return s + ")";
}

// WHERE clause restricting sessions `s` to the scope's runs and scenarios (bound as ?1...).
std::string session_filter(const ReportScope& scope) {
  std::string w = " WHERE s.run_id IN " + in_list(scope);
  if (!scope.scenarios.empty()) {
    w += " AND s.scenario IN (";
    for (std::size_t i = 0; i < scope.scenarios.size(); ++i) w += i ? ",?" : "?";
    w += ")";
  }
  return w;
}

void bind_scenarios(SqlStatement& q, const ReportScope& scope) {
  for (std::size_t i = 0; i < scope.scenarios.size(); ++i)
    q.bind(static_cast<int>(i + 1), scope.scenarios[i]);
}

// The lock key's columns (LockKey, read back by key_of) as the first kKeyColumns of a query
// over sessions_from() or keyed_from(); `a` is the run's app label.
constexpr int kKeyColumns = 5;
const char* const kKeySelect =
    "r.rig, s.lock_id, COALESCE(l.material, '(unknown)'), COALESCE(l.firmware, '(unknown)'), "
    "COALESCE(a.value, '(none)')";

// The joins that give a row of `table s` its lock key, in the scope.
std::string keyed_from(const std::string& table, const ReportScope& scope) {
  return " FROM " + table +
         " s JOIN runs r ON r.id = s.run_id LEFT JOIN run_locks l ON l.run_id = s.run_id AND "
         "l.lock_id = s.lock_id LEFT JOIN run_labels a ON a.run_id = s.run_id AND a.key = 'app'" +
         session_filter(scope);
}

// The FROM clause of the per-lock counts: sessions with their run and lock, in the scope.
// Issue 18: with aggregates, `s` is agg_sessions (a group of identical sessions per row, `count`
// then reads sum(s.sessions)); a version-1 journal opened read-only has only the raw rows.
std::string sessions_from(const Journal& journal, const ReportScope& scope) {
  return keyed_from(journal.has_aggregates() ? "agg_sessions" : "sessions", scope);
}

// Issue 18 item 3: the lock key of each (run, lock) of the scope, looked up in memory. The
// per-lock counts of OpenMetrics used to join every aggregate row to runs, run_locks and the app
// label and sort the result on the key's text columns in temporary B-trees (two sorts per query;
// at 460 runs 72% of `export --format openmetrics`). Read instead in the aggregate tables'
// primary-key order (run, lock, ...), each row's key is found here once per (run, lock) and the
// counts summed in ordered maps, whose order is the ORDER BY's: text compared bytewise
// (std::string::compare, SQLite's BINARY collation), shorter first on a tie.
class LockKeys {
 public:
  LockKeys(Journal& journal, const ReportScope& scope) {
    SqlStatement q(journal,
                   "SELECT r.id, r.rig, COALESCE(a.value, '(none)'), r.started_at, "
                   "(julianday(r.started_at) - 2440587.5) * 86400.0 FROM runs r LEFT JOIN "
                   "run_labels a ON a.run_id = r.id AND a.key = 'app' WHERE r.id IN " +
                       in_list(scope));
    // julianday() of a started_at SQLite cannot read is NULL, read as 0.0 as before.
    while (q.step()) runs_[q.integer(0)] = Run{q.text(1), q.text(2), q.text(3), q.real(4), {}};
    SqlStatement l(journal,
                   "SELECT run_id, lock_id, COALESCE(material, '(unknown)'), "
                   "COALESCE(firmware, '(unknown)') FROM run_locks WHERE run_id IN " +
                       in_list(scope));
    while (l.step())
      if (auto it = runs_.find(l.integer(0)); it != runs_.end())
        it->second.mounted[l.text(1)] = {l.text(2), l.text(3)};
  }

  // The key of `lock` in `run`, or null for a run not in `runs` (the SQL's inner join).
  const LockKey* of(std::int64_t run, std::string_view lock) {
    if (have_ && run_ == run && last_.lock == lock) return run_row_ ? &last_ : nullptr;
    have_ = true;
    run_ = run;
    const auto r = runs_.find(run);
    run_row_ = r != runs_.end() ? &r->second : nullptr;
    if (!run_row_) {
      last_ = LockKey{};
      last_.lock = lock;
      return nullptr;
    }
    const auto m = run_row_->mounted.find(lock);
    const bool known = m != run_row_->mounted.end();
    last_ = LockKey{run_row_->rig, std::string(lock), known ? m->second.first : "(unknown)",
                    known ? m->second.second : "(unknown)", run_row_->app};
    return &last_;
  }
  // The run's started_at as journaled, and in Unix seconds.
  const std::string& started_at(std::int64_t run) const { return runs_.at(run).started_at; }
  double started_unix(std::int64_t run) const { return runs_.at(run).unix; }

 private:
  struct Run {
    std::string rig, app, started_at;
    double unix = 0;
    std::map<std::string, std::pair<std::string, std::string>, std::less<>> mounted;
  };
  std::map<std::int64_t, Run> runs_;
  bool have_ = false;
  std::int64_t run_ = 0;
  const Run* run_row_ = nullptr;
  LockKey last_;
};

struct KeyLess {
  bool operator()(const LockKey& a, const LockKey& b) const {
    return std::tie(a.rig, a.lock, a.material, a.firmware, a.app) <
           std::tie(b.rig, b.lock, b.material, b.firmware, b.app);
  }
};

// Per-lock sums keyed by LockKey: the entry of (run, lock) is looked up once for each stretch of
// rows with the same run and lock (the rows come in the aggregate tables' primary-key order), not
// once per row. Issue 18: at 460 runs the per-row lookups (five strings compared at each level of
// the map) were a sixth of `export --format openmetrics`'s instructions (callgrind).
template <class Value>
class SumsByKey {
 public:
  explicit SumsByKey(LockKeys& keys) : keys_(keys) {}
  // The sums of the lock key of (run, lock); null for a run not in `runs` (the SQL's inner join).
  Value* at(std::int64_t run, std::string_view lock) {
    if (valid_ && run == run_ && lock == lock_) return current_;
    valid_ = true;
    run_ = run;
    lock_ = lock;
    const LockKey* k = keys_.of(run, lock);
    current_ = k ? &sums_[*k] : nullptr;
    return current_;
  }
  const std::map<LockKey, Value, KeyLess>& sums() const { return sums_; }

 private:
  LockKeys& keys_;
  std::map<LockKey, Value, KeyLess> sums_;
  bool valid_ = false;
  std::int64_t run_ = 0;
  std::string lock_;
  Value* current_ = nullptr;
};

// `by[key] += n` for a text key read as a view, without making a string unless the key is new.
template <class Map, class Add>
void add_to(Map& by, std::string_view key, Add add) {
  auto it = by.find(key);
  if (it == by.end()) it = by.emplace(std::string(key), typename Map::mapped_type{}).first;
  add(it->second);
}

LockKey key_of(const SqlStatement& q) {
  return LockKey{q.text(0), q.text(1), q.text(2), q.text(3), q.text(4)};
}

// The GROUP BY / ORDER BY list of the key columns and `extra` more.
std::string key_columns(int extra) {
  std::string s;
  for (int i = 1; i <= kKeyColumns + extra; ++i) s += (i > 1 ? ", " : "") + std::to_string(i);
  return s;
}
std::string grouped(int extra) {
  return " GROUP BY " + key_columns(extra) + " ORDER BY " + key_columns(extra);
}

// A JSON string literal of `s` (RFC 8259 section 7: quote, backslash and the controls below
// U+0020 escaped). Bytes that are not UTF-8 pass through; the row writers make the row valid
// UTF-8 as they do for every text column.
void append_json_string(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

// SQL function lockrig_transcript_json(encoding, raw_bytes, blob): a session_evidence row's
// transcript as a JSON array text, [{"t_ns":..,"mark":">","who":"..","text":".."},...], in the
// recorder's order. A damaged or unknown-encoding row fails the query with the reason (the export
// then exits 2 leaving its -o file untouched).
void transcript_json(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const auto* enc = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  if (!enc || std::string_view(enc) != "zlib-lines-1") {
    const std::string msg = "session evidence in encoding " + quote(enc ? enc : "NULL") +
                            ", which this lockrig cannot read";
    sqlite3_result_error(ctx, msg.c_str(), -1);
    return;
  }
  const auto* blob = static_cast<const char*>(sqlite3_value_blob(argv[2]));
  const std::string data(blob ? blob : "", static_cast<std::size_t>(sqlite3_value_bytes(argv[2])));
  try {
    const auto lines = decode_evidence(data, sqlite3_value_int64(argv[1]));
    std::string out = "[";
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const auto& l = lines[i];
      out += i ? ",{\"t_ns\":" : "{\"t_ns\":";
      out += std::to_string(l.t_ns);
      out += ",\"mark\":";
      append_json_string(out, std::string_view(&l.mark, 1));
      out += ",\"who\":";
      append_json_string(out, l.who);
      out += ",\"text\":";
      append_json_string(out, l.text);
      out += '}';
    }
    out += ']';
    sqlite3_result_text64(ctx, out.data(), out.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  } catch (const std::exception& e) {
    sqlite3_result_error(ctx, e.what(), -1);
  }
}

// Makes lockrig_transcript_json known to the journal's connection (idempotent).
void register_transcript_json(Journal& journal) {
  sqlite3* db = journal_db(journal);
  sqlite_check(sqlite3_create_function_v2(db, "lockrig_transcript_json", 3,
                                          SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                          &transcript_json, nullptr, nullptr, nullptr),
               db, "register lockrig_transcript_json");
}

}  // namespace

const std::vector<ExportColumn>& export_columns(ExportTable table) {
  static const std::vector<ExportColumn> sessions = public_columns(session_columns());
  static const std::vector<ExportColumn> attempts = public_columns(attempt_columns());
  return table == ExportTable::sessions ? sessions : attempts;
}

bool ExportRow::null(int column) const { return q_.null(column); }
long long ExportRow::integer(int column) const { return q_.integer(column); }
double ExportRow::real(int column) const { return q_.real(column); }
std::string_view ExportRow::text(int column) const { return q_.view(column); }

std::string export_rows_sql(Journal& journal, ExportTable table, const ReportScope& scope) {
  // Issue 18: rows come out in rowid order (sessions.id; attempts by their primary key
  // (session_id, attempt)) by scanning the table in that order between the first and last
  // session id of the selected runs, instead of sorting the selection in a temporary B-tree.
  // CROSS JOIN keeps the scanned table the outer loop; the unary + keeps the run filter from
  // choosing the (run_id, ...) index, which would need the sort again.
  long long lo = 0, hi = -1;
  {
    SqlStatement q(journal, "SELECT min(id), max(id) FROM sessions WHERE run_id IN " +
                                in_list(scope));
    if (q.step() && !q.null(0)) {
      lo = q.integer(0);
      hi = q.integer(1);
    }
  }
  const auto& cols = columns_of(table);
  std::string sql = "SELECT ";
  for (std::size_t i = 0; i < cols.size(); ++i) sql += (i ? ", " : "") + std::string(cols[i].sql);
  const std::string range = std::to_string(lo) + " AND " + std::to_string(hi);
  std::string filter = session_filter(scope);
  filter.replace(filter.find("s.run_id IN"), 11, "+s.run_id IN");
  if (table == ExportTable::sessions) {
    // Issue 15: a journal before version 3 has no session_evidence; its rows read as none kept.
    register_transcript_json(journal);
    const std::string evidence =
        journal.has_evidence()
            ? " LEFT JOIN session_evidence e ON e.session_id = s.id"
            : " LEFT JOIN (SELECT NULL AS session_id, NULL AS encoding, NULL AS entries, NULL AS "
              "dropped, NULL AS raw_bytes, NULL AS transcript) e ON 0";
    sql += " FROM sessions s CROSS JOIN runs r ON r.id = s.run_id LEFT JOIN run_locks l ON "
           "l.run_id = s.run_id AND l.lock_id = s.lock_id" +
           evidence + filter + " AND s.id BETWEEN " + range + " ORDER BY s.id";
  }
  else
    sql += " FROM attempts a CROSS JOIN sessions s ON s.id = a.session_id CROSS JOIN runs r ON "
           "r.id = s.run_id LEFT JOIN run_locks l ON l.run_id = s.run_id AND l.lock_id = "
           "s.lock_id" +
           filter + " AND a.session_id BETWEEN " + range + " ORDER BY a.session_id, a.attempt";
  return sql;
}

void read_export_rows(Journal& journal, ExportTable table, const ReportScope& scope,
                      const std::function<void(const ExportRow&)>& row) {
  SqlStatement q(journal, export_rows_sql(journal, table, scope));
  bind_scenarios(q, scope);
  const ExportRow current(q);
  while (q.step()) row(current);
}

std::vector<std::string> export_scenarios(Journal& journal, const ReportScope& scope) {
  SqlStatement q(journal, std::string("SELECT DISTINCT scenario FROM ") +
                              (journal.has_aggregates() ? "agg_sessions" : "sessions") + " s" +
                              session_filter(scope));
  bind_scenarios(q, scope);
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.text(0));
  return out;
}

std::vector<ResultCount> sessions_by_result(Journal& journal, const ReportScope& scope) {
  if (journal.has_aggregates()) {
    LockKeys keys(journal, scope);
    SumsByKey<std::map<std::string, std::array<long long, 3>, std::less<>>> sums(keys);
    sqlite3* db = journal_db(journal);
    // Issue 18: where agg_sessions' counts are still to be checked (a read-only open defers them
    // to the first statement that reads one; this is OpenMetrics' first), every row is read here
    // and checked as it is read (SessionCountTally, as `report` and `slo` do), the scope applied
    // in C++, instead of the table's own check scanning it first (14% of the export's
    // instructions at 460 runs, callgrind). SQLite still computes the two flags.
    if (claim_table_counts(db, "agg_sessions")) {
      SqlStatement all(journal,
                       "SELECT s.run_id, s.lock_id, s.result, s.sessions, (s.sli_eligible AND "
                       "s.result <> 'rig_fault'), (s.sli_success AND s.sli_eligible AND "
                       "s.result <> 'rig_fault'), s.scenario, s.attempts, s.duration_ns FROM "
                       "agg_sessions s");
      sqlite3_stmt* st = all.get();
      SessionCountTally counts(db, journal.path());
      while (all.step()) {
        const long long n = counts.read(st, 3, 7, 8).sessions;
        // The scope, as session_filter() puts it: the selected runs (LockKeys knows only
        // those), and the scenarios compared byte for byte.
        if (!scope.scenarios.empty() &&
            std::find(scope.scenarios.begin(), scope.scenarios.end(), all.view(6)) ==
                scope.scenarios.end())
          continue;
        if (auto* by = sums.at(all.integer(0), all.view(1)))
          add_to(*by, all.view(2), [&](std::array<long long, 3>& c) {
            c[0] += n;
            c[1] += n * all.integer(4);
            c[2] += n * all.integer(5);
          });
      }
      counts.finish();
    } else {
      SqlStatement q(journal,
                     "SELECT s.run_id, s.lock_id, s.result, s.sessions, s.sessions * "
                     "(s.sli_eligible AND s.result <> 'rig_fault'), s.sessions * (s.sli_success "
                     "AND s.sli_eligible AND s.result <> 'rig_fault') FROM agg_sessions s" +
                         session_filter(scope));
      bind_scenarios(q, scope);
      while (q.step())
        if (auto* by = sums.at(q.integer(0), q.view(1)))
          add_to(*by, q.view(2), [&](std::array<long long, 3>& c) {
            for (int i = 0; i < 3; ++i) c[static_cast<std::size_t>(i)] += q.integer(3 + i);
          });
    }
    std::vector<ResultCount> out;
    for (const auto& [k, by] : sums.sums())
      for (const auto& [result, c] : by) out.push_back(ResultCount{k, result, c[0], c[1], c[2]});
    return out;
  }
  // A version-1 journal: its raw sessions, joined and grouped in SQL.
  SqlStatement q(journal, std::string("SELECT ") + kKeySelect +
                              ", s.result, count(*), sum(s.sli_eligible AND s.result <> "
                              "'rig_fault'), sum(s.sli_success AND s.sli_eligible AND s.result "
                              "<> 'rig_fault')" +
                              sessions_from(journal, scope) + grouped(1));
  bind_scenarios(q, scope);
  std::vector<ResultCount> out;
  while (q.step())
    out.push_back(ResultCount{key_of(q), q.text(5), q.integer(6), q.integer(7), q.integer(8)});
  return out;
}

std::vector<OutcomeCount> failed_sli_sessions_by_outcome(Journal& journal,
                                                         const ReportScope& scope) {
  const char* const failed =
      " AND s.sli_eligible = 1 AND s.result <> 'rig_fault' AND s.sli_success = 0";
  std::vector<OutcomeCount> out;
  if (journal.has_aggregates()) {
    LockKeys keys(journal, scope);
    SumsByKey<std::map<std::string, long long, std::less<>>> sums(keys);
    SqlStatement q(journal, "SELECT s.run_id, s.lock_id, s.outcome, s.sessions FROM "
                            "agg_sessions s" +
                                session_filter(scope) + failed);
    bind_scenarios(q, scope);
    while (q.step())
      if (auto* by = sums.at(q.integer(0), q.view(1)))
        add_to(*by, q.view(2), [&](long long& n) { n += q.integer(3); });
    for (const auto& [k, by] : sums.sums())
      for (const auto& [outcome, n] : by) out.push_back(OutcomeCount{k, outcome, n});
    return out;
  }
  SqlStatement q(journal, std::string("SELECT ") + kKeySelect + ", s.outcome, count(*)" +
                              sessions_from(journal, scope) + failed + grouped(1));
  bind_scenarios(q, scope);
  while (q.step()) out.push_back(OutcomeCount{key_of(q), q.text(5), q.integer(6)});
  return out;
}

std::vector<AttemptCount> failed_attempts(Journal& journal, const ReportScope& scope) {
  std::vector<AttemptCount> out;
  if (journal.has_aggregates()) {
    // Issue 18: agg_attempts holds these counts per (run, lock, scenario, class, outcome).
    LockKeys keys(journal, scope);
    SumsByKey<std::map<std::pair<std::string, std::string>, long long>> sums(keys);
    SqlStatement q(journal, "SELECT s.run_id, s.lock_id, s.class, s.outcome, s.attempts FROM "
                            "agg_attempts s" +
                                session_filter(scope) + " AND s.outcome <> 'success'");
    bind_scenarios(q, scope);
    while (q.step())
      if (auto* by = sums.at(q.integer(0), q.view(1)))
        (*by)[{q.text(2), q.text(3)}] += q.integer(4);
    for (const auto& [k, by] : sums.sums())
      for (const auto& [co, n] : by) out.push_back(AttemptCount{k, co.first, co.second, n});
    return out;
  }
  // A version-1 journal: the raw attempts joined to their sessions (`t` the attempt).
  SqlStatement q(journal, std::string("SELECT ") + kKeySelect + ", t.class, t.outcome, count(*)" +
                              keyed_from("attempts t JOIN sessions", scope) +
                              " AND t.session_id = s.id AND t.outcome <> 'success'" + grouped(2));
  bind_scenarios(q, scope);
  while (q.step()) out.push_back(AttemptCount{key_of(q), q.text(5), q.text(6), q.integer(7)});
  return out;
}

std::string rig_events_sql(const Journal& journal, const ReportScope& scope,
                           const std::vector<EventKind>& kinds) {
  // The kinds as literals from the fault index, as read_run_events (report_reader.cpp) reads
  // them: with the kinds bound as parameters SQLite could not use the partial index and counted
  // rig-fault events by reading every event of the selected runs, 15.8 M rows, 85% of the
  // OpenMetrics export's 13.9 s on the 460-run benchmark journal (issue 18 item 3).
  return "SELECT r.rig, e.kind, count(*) FROM " + events_source(journal, kinds, "e") +
         " JOIN runs r ON r.id = e.run_id WHERE e.kind IN (" + event_kinds_sql(kinds) +
         ") AND e.run_id IN " + in_list(scope) + " GROUP BY 1, 2 ORDER BY 1, 2";
}

std::vector<RigEventCount> rig_events(Journal& journal, const ReportScope& scope,
                                      const std::vector<EventKind>& kinds) {
  SqlStatement q(journal, rig_events_sql(journal, scope, kinds));
  std::vector<RigEventCount> out;
  while (q.step()) out.push_back(RigEventCount{q.text(0), q.text(1), q.integer(2)});
  return out;
}

std::vector<LockLastRun> last_run_per_lock(Journal& journal, const ReportScope& scope) {
  std::vector<LockLastRun> out;
  if (journal.has_aggregates()) {
    // The run with the greatest started_at (as text, SQL's max()) among the runs each lock key
    // has session groups in.
    LockKeys keys(journal, scope);
    std::map<LockKey, std::int64_t, KeyLess> latest;
    SqlStatement q(journal, "SELECT DISTINCT s.run_id, s.lock_id FROM agg_sessions s" +
                                session_filter(scope));
    bind_scenarios(q, scope);
    while (q.step()) {
      const std::int64_t run = q.integer(0);
      if (const LockKey* k = keys.of(run, q.view(1))) {
        const auto [it, added] = latest.try_emplace(*k, run);
        if (!added && keys.started_at(it->second) < keys.started_at(run)) it->second = run;
      }
    }
    for (const auto& [k, run] : latest) out.push_back(LockLastRun{k, keys.started_unix(run)});
    return out;
  }
  SqlStatement q(journal, std::string("SELECT ") + kKeySelect +
                              ", (julianday(max(r.started_at)) - 2440587.5) * 86400.0" +
                              sessions_from(journal, scope) + grouped(0));
  bind_scenarios(q, scope);
  while (q.step()) out.push_back(LockLastRun{key_of(q), q.real(5)});
  return out;
}

std::optional<RunStartExit> run_start_exit(Journal& journal, std::int64_t run) {
  SqlStatement q(journal,
                 "SELECT (julianday(started_at) - 2440587.5) * 86400.0, COALESCE(exit_code, -1) "
                 "FROM runs WHERE id = " +
                     std::to_string(run));
  if (!q.step()) return std::nullopt;
  return RunStartExit{q.real(0), static_cast<int>(q.integer(1))};
}

std::vector<LatencyHistogram> latency_histograms(Journal& journal, const ReportScope& scope) {
  // The report's latency population (report_reader.cpp): successful SLI sessions, rig faults
  // excluded; the same rows agg_latency keeps (journal_schema.sql, v_session_latency).
  const char* const successful =
      " AND s.sli_eligible = 1 AND s.sli_success = 1 AND s.result <> 'rig_fault'";
  // agg_latency has a row per run, lock, scenario and bucket (530,870 in the 40-run 10 M-attempt
  // bench journal): joining each row to its lock key and grouping in SQL sorted them all (1.3 s).
  // Instead the rows are read in primary-key order without a join, and the lock key of each
  // (run, lock) is looked up here: one pass, no sort.
  LockKeys keys(journal, scope);
  struct Series {
    std::map<std::int64_t, long long> buckets;
    long long sessions = 0;
    std::int64_t duration_ns = 0;
  };
  using SeriesKey = std::array<std::string, 6>;  // the lock key's five labels, then scenario
  std::map<SeriesKey, Series> series;
  // The rows come grouped by run, lock and scenario: the series is looked up when those change.
  struct Cursor {
    std::int64_t run = -1;
    std::string lock, scenario;
    Series* series = nullptr;
  } at;
  auto series_for = [&](std::int64_t run, std::string_view lock,
                        std::string_view scenario) -> Series& {
    if (at.series && at.run == run && at.lock == lock && at.scenario == scenario)
      return *at.series;
    at.run = run;
    at.lock = lock;
    at.scenario = scenario;
    const LockKey* k = keys.of(run, lock);
    static const LockKey none{"", "", "(unknown)", "(unknown)", ""};
    if (!k) k = &none;  // not reached: the scope's runs are rows of `runs`
    at.series = &series[SeriesKey{k->rig, at.lock, k->material, k->firmware, k->app, at.scenario}];
    return *at.series;
  };
  auto series_of = [&](const SqlStatement& q) -> Series& {
    return series_for(q.integer(0), q.view(1), q.view(2));
  };
  if (journal.has_aggregates()) {
    // Packed per (run, lock, scenario) where the run has them (schema version 4), else
    // agg_latency's rows: the same buckets (latency_hist.hpp).
    read_latency_hists(journal_db(journal), journal.schema_version(), scope.runs, scope.scenarios,
                       [&](const LatencyHistRow& row) {
                         Series& h = series_for(row.run_id, row.lock_id, row.scenario);
                         // The pairs come in bucket order: each is found by walking on from
                         // the previous one (issue 18: a tree descent per pair was a quarter of
                         // the export at 460 runs), and inserted there when new.
                         auto it = h.buckets.begin();
                         bool first = true;
                         std::int64_t last = 0;
                         for (const auto& p : row.pairs) {
                           if (!first && p.bucket_ns <= last)
                             it = h.buckets.lower_bound(p.bucket_ns);  // out of order: seek
                           first = false;
                           last = p.bucket_ns;
                           while (it != h.buckets.end() && it->first < p.bucket_ns) ++it;
                           if (it != h.buckets.end() && it->first == p.bucket_ns)
                             it->second += p.sessions;
                           else
                             it = h.buckets.emplace_hint(it, p.bucket_ns, p.sessions);
                           ++it;
                           h.sessions += p.sessions;
                         }
                       },
                       journal.path());
    // The exact sum of the durations, from the session groups (`duration_ns` is their sum).
    at = Cursor{};
    SqlStatement d(journal, "SELECT s.run_id, s.lock_id, s.scenario, s.duration_ns FROM "
                            "agg_sessions s" +
                                session_filter(scope) + successful);
    bind_scenarios(d, scope);
    while (d.step()) series_of(d).duration_ns += d.integer(3);
  } else {
    // A version-1 journal has no aggregates: its sessions, bucketed here by the same rule.
    SqlStatement q(journal, "SELECT s.run_id, s.lock_id, s.scenario, s.ended_ns - s.started_ns "
                            "FROM sessions s" +
                                session_filter(scope) + successful);
    bind_scenarios(q, scope);
    while (q.step()) {
      Series& h = series_of(q);
      ++h.buckets[latency_bucket_ns(q.integer(3))];
      ++h.sessions;
      h.duration_ns += q.integer(3);
    }
  }
  std::vector<LatencyHistogram> out;
  for (auto& [k, h] : series) {
    if (h.sessions == 0) continue;  // only a duration row (cannot happen: the same population)
    out.push_back(LatencyHistogram{LockKey{k[0], k[1], k[2], k[3], k[4]}, k[5],
                                   {h.buckets.begin(), h.buckets.end()}, h.sessions,
                                   h.duration_ns});
  }
  return out;
}

}  // namespace lockrig
