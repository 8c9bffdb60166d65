#include "reports/export.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <unordered_map>

#include "reports/commands.hpp"
#include "reports/format.hpp"
#include "reports/json_writer.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/options.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/sql.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace lockrig::reports {

namespace {

using Query = SqlStatement;

std::string number(double v) {
  return shortest_number(v);
}

// ---- Row exports (NDJSON, CSV) ----

enum class Type { string, integer, floating, boolean, timestamp };

const char* bigquery_type(Type t) {
  switch (t) {
    case Type::string:
      return "STRING";
    case Type::integer:
      return "INTEGER";
    case Type::floating:
      return "FLOAT";
    case Type::boolean:
      return "BOOLEAN";
    case Type::timestamp:
      return "TIMESTAMP";
  }
  return "STRING";
}

// One exported column: its stable name and type (docs/exports.md, docs/bigquery/*.schema.json),
// whether it can be NULL, and the SQL that computes it. Names and types never change meaning;
// new columns are only ever appended.
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

std::string bigquery_schema(const std::vector<Column>& cols) {
  JsonWriter j;
  j.begin_array();
  for (const Column& c : cols)
    j.begin_object(JsonWriter::Layout::inline_)
        .field("name", c.name)
        .field("type", bigquery_type(c.type))
        .field("mode", c.nullable ? "NULLABLE" : "REQUIRED")
        .field("description", c.description)
        .end_object();
  j.end_array();
  return j.str();
}

std::string in_list(const std::vector<RunRow>& runs) {
  std::string s = "(";
  for (std::size_t i = 0; i < runs.size(); ++i) s += (i ? "," : "") + std::to_string(runs[i].id);
  return s + ")";
}

// WHERE clause restricting sessions `s` to the selected runs and scenarios (bound as ?1...).
std::string session_filter(const std::vector<RunRow>& runs, const RunSelection& sel) {
  std::string w = " WHERE s.run_id IN " + in_list(runs);
  if (!sel.scenarios.empty()) {
    w += " AND s.scenario IN (";
    for (std::size_t i = 0; i < sel.scenarios.size(); ++i) w += i ? ",?" : "?";
    w += ")";
  }
  return w;
}

void bind_scenarios(Query& q, const RunSelection& sel) {
  for (std::size_t i = 0; i < sel.scenarios.size(); ++i)
    q.bind(static_cast<int>(i + 1), sel.scenarios[i]);
}

// Where the export goes: stdout (streamed) or an AtomicFile.
class Sink {
 public:
  Sink(const std::string& path, std::ostream& out) : out_(out) {
    if (!path.empty()) file_.emplace(path);
  }
  void write(std::string_view s) {
    buf_ += s;
    if (buf_.size() >= (1 << 16)) flush();
  }
  void finish() {
    flush();
    if (file_)
      file_->commit();
    else
      out_.flush();
  }

 private:
  void flush() {
    if (file_)
      file_->write(buf_);
    else
      out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
  }
  std::ostream& out_;
  std::optional<AtomicFile> file_;
  std::string buf_;
};

void export_rows(Journal& journal, const std::vector<RunRow>& runs, const RunSelection& sel,
                 const std::string& table, RowWriter& writer, Sink& sink) {
  const auto& cols = table == "sessions" ? session_columns() : attempt_columns();
  std::string sql = "SELECT ";
  for (std::size_t i = 0; i < cols.size(); ++i) sql += (i ? ", " : "") + std::string(cols[i].sql);
  if (table == "sessions")
    sql += " FROM sessions s";
  else
    sql += " FROM attempts a JOIN sessions s ON s.id = a.session_id";
  sql +=
      " JOIN runs r ON r.id = s.run_id LEFT JOIN run_locks l ON l.run_id = s.run_id AND "
      "l.lock_id = s.lock_id" +
      session_filter(runs, sel) +
      (table == "sessions" ? " ORDER BY s.id" : " ORDER BY s.id, a.attempt");
  Query q(journal.db(), sql);
  bind_scenarios(q, sel);
  std::string line;
  std::vector<std::string_view> names;
  for (const Column& c : cols) names.emplace_back(c.name);
  writer.begin(line, names);
  if (!line.empty()) sink.write(line);
  std::vector<RowValue> values(cols.size());
  while (q.step()) {
    for (std::size_t i = 0; i < cols.size(); ++i) {
      const int col = static_cast<int>(i);
      RowValue& v = values[i];
      if (q.null(col)) {
        v.kind = RowValue::Kind::null;
        continue;
      }
      switch (cols[i].type) {
        case Type::integer:
          v.kind = RowValue::Kind::integer;
          v.integer = q.integer(col);
          break;
        case Type::floating:
          v.kind = RowValue::Kind::real;
          v.real = q.real(col);
          break;
        case Type::boolean:
          v.kind = RowValue::Kind::boolean;
          v.integer = q.integer(col);
          break;
        case Type::string:
        case Type::timestamp:
          v.kind = RowValue::Kind::text;
          v.text = q.view(col);
          break;
      }
    }
    line.clear();
    writer.row(line, values);
    sink.write(line);
  }
}

// ---- OpenMetrics ----

using Family = MetricFamily;

std::string labels_text(const std::vector<std::pair<std::string, std::string>>& labels) {
  std::string s = "{";
  for (std::size_t i = 0; i < labels.size(); ++i)
    s +=
        (i ? "," : "") + labels[i].first + "=\"" + openmetrics_label_value(labels[i].second) + "\"";
  return s + "}";
}

std::vector<MetricFamily> openmetrics(Journal& journal, const std::vector<RunRow>& runs,
                                      const RunSelection& sel) {
  sqlite3* db = journal.db();
  const std::string from =
      " FROM sessions s JOIN runs r ON r.id = s.run_id LEFT JOIN run_locks l ON l.run_id = "
      "s.run_id AND l.lock_id = s.lock_id" +
      session_filter(runs, sel);
  using Labels = std::vector<std::pair<std::string, std::string>>;
  auto key = [](Query& q) {
    return Labels{{"rig", q.text(0)}, {"lock", q.text(1)}, {"material", q.text(2)}};
  };

  Family sessions{"lockrig_sessions",
                  "gauge",
                  "",
                  "Sessions in the selected runs by result (pass, fail, rig_fault)",
                  {}};
  Family sli_sessions{"lockrig_sli_sessions",
                      "gauge",
                      "",
                      "SLI-eligible sessions (rig faults excluded) in the selected runs",
                      {}};
  Family sli_successes{
      "lockrig_sli_successes", "gauge", "", "SLI sessions that unlocked within their budget", {}};
  Family sli{"lockrig_sli_ratio",
             "gauge",
             "ratio",
             "Session SLI: successes / SLI sessions over the selected runs",
             {}};
  {
    Query q(db,
            "SELECT r.rig, s.lock_id, COALESCE(l.material, '(unknown)'), s.result, count(*), "
            "sum(s.sli_eligible AND s.result <> 'rig_fault'), "
            "sum(s.sli_success AND s.sli_eligible AND s.result <> 'rig_fault')" +
                from + " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4");
    bind_scenarios(q, sel);
    std::map<Labels, std::pair<long long, long long>> sli_counts;
    while (q.step()) {
      Labels l = key(q);
      Labels with_result = l;
      with_result.emplace_back("result", q.text(3));
      sessions.samples.push_back(labels_text(with_result) + " " + std::to_string(q.integer(4)));
      auto& c = sli_counts[l];
      c.first += q.integer(5);
      c.second += q.integer(6);
    }
    for (const auto& [l, c] : sli_counts) {
      sli_sessions.samples.push_back(labels_text(l) + " " + std::to_string(c.first));
      sli_successes.samples.push_back(labels_text(l) + " " + std::to_string(c.second));
      if (c.first > 0)
        sli.samples.push_back(labels_text(l) + " " +
                              number(static_cast<double>(c.second) / static_cast<double>(c.first)));
    }
  }
  Family failures{"lockrig_sli_failures",
                  "gauge",
                  "",
                  "Failed SLI sessions by the outcome of their last attempt",
                  {}};
  {
    Query q(db, "SELECT r.rig, s.lock_id, COALESCE(l.material, '(unknown)'), s.outcome, count(*)" +
                    from +
                    " AND s.sli_eligible = 1 AND s.result <> 'rig_fault' AND s.sli_success = 0 "
                    "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4");
    bind_scenarios(q, sel);
    while (q.step()) {
      Labels l = key(q);
      l.emplace_back("outcome", q.text(3));
      failures.samples.push_back(labels_text(l) + " " + std::to_string(q.integer(4)));
    }
  }
  Family failed_attempts{"lockrig_failed_attempts",
                         "gauge",
                         "",
                         "Attempts that did not unlock, by class (lock, expected, rig_fault) and "
                         "outcome",
                         {}};
  {
    Query q(db,
            "SELECT r.rig, s.lock_id, COALESCE(l.material, '(unknown)'), a.class, a.outcome, "
            "count(*) FROM attempts a JOIN sessions s ON s.id = a.session_id JOIN runs r ON r.id "
            "= s.run_id LEFT JOIN run_locks l ON l.run_id = s.run_id AND l.lock_id = s.lock_id" +
                session_filter(runs, sel) +
                " AND a.outcome <> 'success' GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5");
    bind_scenarios(q, sel);
    while (q.step()) {
      Labels l = key(q);
      l.emplace_back("class", q.text(3));
      l.emplace_back("outcome", q.text(4));
      failed_attempts.samples.push_back(labels_text(l) + " " + std::to_string(q.integer(5)));
    }
  }
  Family fault_events{"lockrig_rig_fault_events",
                      "gauge",
                      "",
                      "Rig-fault and quarantine events journaled in the selected runs",
                      {}};
  {
    Query q(db,
            "SELECT r.rig, e.kind, count(*) FROM events e JOIN runs r ON r.id = e.run_id WHERE "
            "e.kind IN ('rig_fault', 'quarantine') AND e.run_id IN " +
                in_list(runs) + " GROUP BY 1, 2 ORDER BY 1, 2");
    while (q.step())
      fault_events.samples.push_back(labels_text({{"rig", q.text(0)}, {"kind", q.text(1)}}) + " " +
                                     std::to_string(q.integer(2)));
  }
  Family last_lock{"lockrig_last_run_timestamp_seconds",
                   "gauge",
                   "seconds",
                   "Start of the latest selected run with sessions of this lock (Unix time)",
                   {}};
  {
    Query q(
        db,
        "SELECT r.rig, s.lock_id, COALESCE(l.material, '(unknown)'), (julianday(max(r.started_at)) "
        "- 2440587.5) * 86400.0" +
            from + " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3");
    bind_scenarios(q, sel);
    while (q.step())
      last_lock.samples.push_back(labels_text(key(q)) + " " +
                                  number(std::round(q.real(3) * 1000.0) / 1000.0));
  }
  Family runs_family{"lockrig_runs", "gauge", "", "Selected runs by rig and status", {}};
  Family rig_last{"lockrig_rig_last_run_timestamp_seconds",
                  "gauge",
                  "seconds",
                  "Start of the rig's latest selected run (Unix time)",
                  {}};
  Family rig_exit{"lockrig_rig_last_run_exit_code",
                  "gauge",
                  "",
                  "Exit code of the rig's latest selected run (-1 while it is running)",
                  {}};
  {
    std::map<std::pair<std::string, std::string>, long long> by_status;
    std::map<std::string, const RunRow*> latest;
    for (const auto& r : runs) {
      ++by_status[{r.rig, r.status}];
      latest[r.rig] = &r;  // runs are oldest first
    }
    for (const auto& [k, n] : by_status)
      runs_family.samples.push_back(labels_text({{"rig", k.first}, {"status", k.second}}) + " " +
                                    std::to_string(n));
    for (const auto& [rig, r] : latest) {
      Query q(db,
              "SELECT (julianday(started_at) - 2440587.5) * 86400.0, COALESCE(exit_code, -1) FROM "
              "runs WHERE id = " +
                  std::to_string(r->id));
      if (!q.step()) continue;
      rig_last.samples.push_back(labels_text({{"rig", rig}}) + " " +
                                 number(std::round(q.real(0) * 1000.0) / 1000.0));
      rig_exit.samples.push_back(labels_text({{"rig", rig}}) + " " + std::to_string(q.integer(1)));
    }
  }

  return {std::move(sli),          std::move(sli_sessions), std::move(sli_successes),
          std::move(sessions),     std::move(failures),     std::move(failed_attempts),
          std::move(fault_events), std::move(last_lock),    std::move(runs_family),
          std::move(rig_last),     std::move(rig_exit)};
}

}  // namespace

// ---- The command ----

int cmd_export(const std::vector<std::string>& args) {
  return cmd_export(args, std::cout);
}

int cmd_export(const std::vector<std::string>& args, std::ostream& out) {
  SelectionOptions sel_opts;
  std::string format_name, table = "sessions", output, schema;
  po::options_description desc("Options");
  desc.add_options()("help,h", "explain the options")(
      "format", po::value(&format_name),
      (format_choices(FormatCommand::export_) + " (required)").c_str())(
      "table", po::value(&table)->default_value(table),
      "ndjson/csv: sessions (one row per unlock session) or attempts (one row per attempt)");
  add_selection_options(desc, sel_opts);
  desc.add_options()("output,o", po::value(&output),
                     "write to FILE instead of stdout, atomically (temporary file, fsync, rename)")(
      "bigquery-schema", po::value(&schema),
      "print the BigQuery schema (JSON) of --table sessions|attempts and exit");
  const po::variables_map vm = parse_options("export", args, desc);
  if (vm.count("help")) {
    out << "Usage: lockrig export --format " << format_choices(FormatCommand::export_, "|")
        << " [options]\n\n"
           "Exports the journal for other tools. ndjson and csv: one row per session (or per\n"
           "attempt with --table attempts), denormalized (run, rig, host, lock, material,\n"
           "firmware, app, scenario, UTC and monotonic times, result) so a warehouse such as\n"
           "BigQuery loads the file as is; columns and types: docs/exports.md. openmetrics: a\n"
           "textfile for node_exporter's textfile collector (SLI, sessions, failures by class,\n"
           "rig faults, last run time per rig/lock/material), all gauges over the selected runs.\n"
           "Rows are streamed: memory does not grow with the journal.\n\n"
        << desc
        << "\nExamples:\n"
           "  lockrig export --format ndjson --since 1d -o sessions.ndjson\n"
           "  lockrig export --format csv --table attempts --where build=nightly -o a.csv\n"
           "  lockrig export --format openmetrics -o /var/lib/node_exporter/textfile/lockrig.prom\n"
           "  lockrig export --bigquery-schema sessions > sessions.schema.json\n\n"
           "Exit codes: 0 written, 2 usage or journal error (nothing written).\n";
    return 0;
  }
  if (vm.count("bigquery-schema")) {
    if (schema != "sessions" && schema != "attempts")
      throw UsageError("--bigquery-schema must be sessions or attempts; got " + quote(schema));
    out << bigquery_schema(schema == "sessions" ? session_columns() : attempt_columns());
    return 0;
  }
  if (format_name.empty())
    throw UsageError("lockrig export needs --format " + format_list(FormatCommand::export_));
  const OutputFormat& format = output_format(FormatCommand::export_, format_name);
  if (table != "sessions" && table != "attempts")
    throw UsageError("--table must be sessions or attempts; got " + quote(table) +
                     did_you_mean(table, {"sessions", "attempts"}));
  if (!format.rows && !vm["table"].defaulted())
    throw UsageError(
        "--table applies to ndjson and csv; openmetrics covers sessions, attempts "
        "and events together");
  check_output_path(output);
  check_output_is_not_journal(output, sel_opts.db);
  const RunSelection sel = run_selection_of(sel_opts, vm);
  Journal journal = Journal::open_readonly(sel_opts.db);
  // One read transaction: a run being written meanwhile cannot make the rows inconsistent.
  Transaction snapshot(journal.db(), "BEGIN");
  const std::vector<RunRow> runs = select_runs(journal, sel);
  if (!sel.scenarios.empty()) {
    Query q(journal.db(), "SELECT DISTINCT scenario FROM sessions s" + session_filter(runs, sel));
    bind_scenarios(q, sel);
    std::set<std::string> found;
    while (q.step()) found.insert(q.text(0));
    for (const auto& s : sel.scenarios)
      if (!found.count(s))
        throw UsageError("--scenario " + quote(s) + " has no sessions in the selected runs");
  }
  Sink sink(output, out);
  if (format.metrics)
    sink.write(format.metrics(openmetrics(journal, runs, sel)));
  else
    export_rows(journal, runs, sel, table, *format.rows(), sink);
  sink.finish();
  return 0;
}

}  // namespace lockrig::reports
