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
#include "rig/base/errors.hpp"
#include "rig/base/options.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/export_reader.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace lockrig::reports {

namespace {

void append_json_string(std::string& out, std::string_view s);
void append_csv_field(std::string& out, std::string_view s);

std::string number(double v) {
  if (!std::isfinite(v)) return "NaN";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  return std::string(buf, res.ptr);
}

// ---- Row exports (NDJSON, CSV) ----

using Type = ExportType;
using Column = ExportColumn;

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

std::string bigquery_schema(const std::vector<Column>& cols) {
  std::string out = "[\n";
  for (std::size_t i = 0; i < cols.size(); ++i) {
    const Column& c = cols[i];
    out += std::string("  {\"name\": ") + json_string(c.name) + ", \"type\": \"" +
           bigquery_type(c.type) + "\", \"mode\": \"" + (c.nullable ? "NULLABLE" : "REQUIRED") +
           "\", \"description\": " + json_string(c.description) + "}" +
           (i + 1 < cols.size() ? ",\n" : "\n");
  }
  return out + "]\n";
}

// The selected runs and scenarios, as the journal's export readers take them.
ReportScope scope_of(const std::vector<RunRecord>& runs, const RunSelection& sel) {
  ReportScope scope;
  scope.runs.emplace();
  for (const auto& r : runs) scope.runs->push_back(r.id);
  scope.scenarios = sel.scenarios;
  return scope;
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

void export_rows(Journal& journal, const ReportScope& scope, const std::string& table,
                 const std::string& format, Sink& sink) {
  const ExportTable which = table == "sessions" ? ExportTable::sessions : ExportTable::attempts;
  const auto& cols = export_columns(which);
  const bool csv = format == "csv";
  std::string line;
  if (csv) {
    for (std::size_t i = 0; i < cols.size(); ++i)
      line += (i ? "," : "") + std::string(cols[i].name);
    line += "\r\n";
    sink.write(line);
  }
  // What precedes each value: a comma in CSV, the quoted key in NDJSON.
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < cols.size(); ++i)
    keys.push_back(csv ? std::string(i ? "," : "")
                       : std::string(i ? ",\"" : "{\"") + cols[i].name + "\":");
  read_export_rows(journal, which, scope, [&](const ExportRow& q) {
    line.clear();
    for (std::size_t i = 0; i < cols.size(); ++i) {
      const Column& c = cols[i];
      const int col = static_cast<int>(i);
      line += keys[i];
      if (q.null(col)) {
        if (!csv) line += "null";  // CSV: an empty field, loaded as NULL
        continue;
      }
      switch (c.type) {
        case Type::integer:
          line += std::to_string(q.integer(col));
          break;
        case Type::floating:
          line += number(q.real(col));
          break;
        case Type::boolean:
          line += q.integer(col) ? "true" : "false";
          break;
        case Type::string:
        case Type::timestamp:
          if (csv)
            append_csv_field(line, q.text(col));
          else
            append_json_string(line, q.text(col));
          break;
      }
    }
    line += csv ? "\r\n" : "}\n";
    sink.write(line);
  });
}

// ---- OpenMetrics ----

struct Family {
  std::string name, type = "gauge", unit, help;
  std::vector<std::string> samples;  // "{labels} value"
};

std::string labels_text(const std::vector<std::pair<std::string, std::string>>& labels) {
  std::string s = "{";
  for (std::size_t i = 0; i < labels.size(); ++i)
    s +=
        (i ? "," : "") + labels[i].first + "=\"" + openmetrics_label_value(labels[i].second) + "\"";
  return s + "}";
}

std::string openmetrics(Journal& journal, const std::vector<RunRecord>& runs,
                        const ReportScope& scope) {
  using Labels = std::vector<std::pair<std::string, std::string>>;
  auto key = [](const LockKey& k) {
    return Labels{{"rig", k.rig}, {"lock", k.lock}, {"material", k.material}};
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
    std::map<Labels, std::pair<long long, long long>> sli_counts;
    for (const ResultCount& q : sessions_by_result(journal, scope)) {
      Labels l = key(q.key);
      Labels with_result = l;
      with_result.emplace_back("result", q.result);
      sessions.samples.push_back(labels_text(with_result) + " " + std::to_string(q.sessions));
      auto& c = sli_counts[l];
      c.first += q.sli_sessions;
      c.second += q.sli_successes;
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
  for (const OutcomeCount& q : failed_sli_sessions_by_outcome(journal, scope)) {
    Labels l = key(q.key);
    l.emplace_back("outcome", q.outcome);
    failures.samples.push_back(labels_text(l) + " " + std::to_string(q.sessions));
  }
  Family failed_attempts{"lockrig_failed_attempts",
                         "gauge",
                         "",
                         "Attempts that did not unlock, by class (lock, expected, rig_fault) and "
                         "outcome",
                         {}};
  for (const AttemptCount& q : lockrig::failed_attempts(journal, scope)) {
    Labels l = key(q.key);
    l.emplace_back("class", q.cls);
    l.emplace_back("outcome", q.outcome);
    failed_attempts.samples.push_back(labels_text(l) + " " + std::to_string(q.attempts));
  }
  Family fault_events{"lockrig_rig_fault_events",
                      "gauge",
                      "",
                      "Rig-fault and quarantine events journaled in the selected runs",
                      {}};
  for (const RigEventCount& q :
       rig_events(journal, scope, {EventKind::rig_fault, EventKind::quarantine}))
    fault_events.samples.push_back(labels_text({{"rig", q.rig}, {"kind", q.kind}}) + " " +
                                   std::to_string(q.events));
  Family last_lock{"lockrig_last_run_timestamp_seconds",
                   "gauge",
                   "seconds",
                   "Start of the latest selected run with sessions of this lock (Unix time)",
                   {}};
  for (const LockLastRun& q : last_run_per_lock(journal, scope))
    last_lock.samples.push_back(labels_text(key(q.key)) + " " +
                                number(std::round(q.started_unix * 1000.0) / 1000.0));
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
    std::map<std::string, const RunRecord*> latest;
    for (const auto& r : runs) {
      ++by_status[{r.rig, r.status}];
      latest[r.rig] = &r;  // runs are oldest first
    }
    for (const auto& [k, n] : by_status)
      runs_family.samples.push_back(labels_text({{"rig", k.first}, {"status", k.second}}) + " " +
                                    std::to_string(n));
    for (const auto& [rig, r] : latest) {
      const auto q = run_start_exit(journal, r->id);
      if (!q) continue;
      rig_last.samples.push_back(labels_text({{"rig", rig}}) + " " +
                                 number(std::round(q->started_unix * 1000.0) / 1000.0));
      rig_exit.samples.push_back(labels_text({{"rig", rig}}) + " " + std::to_string(q->exit_code));
    }
  }

  std::string out;
  for (const Family* f :
       {&sli, &sli_sessions, &sli_successes, &sessions, &failures, &failed_attempts, &fault_events,
        &last_lock, &runs_family, &rig_last, &rig_exit}) {
    out += "# HELP " + f->name + " " + f->help + "\n";
    out += "# TYPE " + f->name + " " + f->type + "\n";
    if (!f->unit.empty()) out += "# UNIT " + f->name + " " + f->unit + "\n";
    for (const auto& s : f->samples) out += f->name + s + "\n";
  }
  return out + "# EOF\n";
}

}  // namespace

// ---- Escaping ----

namespace {

// Printable ASCII needs no sanitizing: the common case, kept off the allocation path.
bool plain_ascii(std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7F) return false;
  }
  return true;
}

void append_json_string(std::string& out, std::string_view s) {
  if (plain_ascii(s) && s.find_first_of("\"\\") == std::string_view::npos) {
    out += '"';
    out += s;
    out += '"';
    return;
  }
  out += json_string(s);
}

void append_csv_field(std::string& out, std::string_view s) {
  if (plain_ascii(s) && s.find_first_of(",\"") == std::string_view::npos)
    out += s;
  else
    out += csv_field(s);
}

}  // namespace

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char ch : sanitize_utf8(s)) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
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
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

std::string csv_field(std::string_view s) {
  const std::string clean = sanitize_utf8(s);
  if (clean.find_first_of(",\"\r\n") == std::string::npos) return clean;
  std::string out = "\"";
  for (char c : clean) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string openmetrics_label_value(std::string_view s) {
  std::string out;
  for (char c : sanitize_utf8(s)) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// ---- The command ----

int cmd_export(const std::vector<std::string>& args) {
  return cmd_export(args, std::cout);
}

int cmd_export(const std::vector<std::string>& args, std::ostream& out) {
  SelectionOptions sel_opts;
  std::string format, table = "sessions", output, schema;
  po::options_description desc("Options");
  desc.add_options()("help,h", "explain the options")("format", po::value(&format),
                                                      "ndjson | csv | openmetrics (required)")(
      "table", po::value(&table)->default_value(table),
      "ndjson/csv: sessions (one row per unlock session) or attempts (one row per attempt)");
  add_selection_options(desc, sel_opts);
  desc.add_options()("output,o", po::value(&output),
                     "write to FILE instead of stdout, atomically (temporary file, fsync, rename)")(
      "bigquery-schema", po::value(&schema),
      "print the BigQuery schema (JSON) of --table sessions|attempts and exit");
  const po::variables_map vm = parse_options("export", args, desc);
  if (vm.count("help")) {
    out << "Usage: lockrig export --format ndjson|csv|openmetrics [options]\n\n"
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
    out << bigquery_schema(
        export_columns(schema == "sessions" ? ExportTable::sessions : ExportTable::attempts));
    return 0;
  }
  if (format.empty()) throw UsageError("lockrig export needs --format ndjson, csv or openmetrics");
  const std::vector<std::string> formats = {"ndjson", "csv", "openmetrics"};
  if (std::find(formats.begin(), formats.end(), format) == formats.end())
    throw UsageError("--format must be ndjson, csv or openmetrics; got " + quote(format) +
                     did_you_mean(format, formats));
  if (table != "sessions" && table != "attempts")
    throw UsageError("--table must be sessions or attempts; got " + quote(table) +
                     did_you_mean(table, {"sessions", "attempts"}));
  if (format == "openmetrics" && !vm["table"].defaulted())
    throw UsageError(
        "--table applies to ndjson and csv; openmetrics covers sessions, attempts "
        "and events together");
  check_output_path(output);
  check_output_is_not_journal(output, sel_opts.db);
  const RunSelection sel = run_selection_of(sel_opts, vm);
  Journal journal = Journal::open_readonly(sel_opts.db);
  // One read transaction: a run being written meanwhile cannot make the rows inconsistent.
  Transaction snapshot(journal, "BEGIN");
  const std::vector<RunRecord> runs = select_runs(journal, sel);
  const ReportScope scope = scope_of(runs, sel);
  if (!sel.scenarios.empty()) {
    const std::vector<std::string> present = export_scenarios(journal, scope);
    const std::set<std::string> found(present.begin(), present.end());
    for (const auto& s : sel.scenarios)
      if (!found.count(s))
        throw UsageError("--scenario " + quote(s) + " has no sessions in the selected runs");
  }
  Sink sink(output, out);
  if (format == "openmetrics")
    sink.write(openmetrics(journal, runs, scope));
  else
    export_rows(journal, scope, table, format, sink);
  sink.finish();
  return 0;
}

}  // namespace lockrig::reports
