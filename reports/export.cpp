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
#include "rig/journal/export_reader.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace lockrig::reports {

namespace {

std::string number(double v) {
  return shortest_number(v);
}

// ---- Row exports (NDJSON, CSV) ----

using Type = ExportType;

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

std::string bigquery_schema(const std::vector<ExportColumn>& cols) {
  JsonWriter j;
  j.begin_array();
  for (const ExportColumn& c : cols)
    j.begin_object(JsonWriter::Layout::inline_)
        .field("name", c.name)
        .field("type", bigquery_type(c.type))
        .field("mode", c.nullable ? "NULLABLE" : "REQUIRED")
        .field("description", c.description)
        .end_object();
  j.end_array();
  return j.str();
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
                 RowWriter& writer, Sink& sink) {
  const ExportTable which = table == "sessions" ? ExportTable::sessions : ExportTable::attempts;
  const auto& cols = export_columns(which);
  std::string line;
  std::vector<std::string_view> names;
  for (const ExportColumn& c : cols) names.emplace_back(c.name);
  writer.begin(line, names);
  if (!line.empty()) sink.write(line);
  std::vector<RowValue> values(cols.size());
  read_export_rows(journal, which, scope, [&](const ExportRow& q) {
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
          v.text = q.text(col);
          break;
      }
    }
    line.clear();
    writer.row(line, values);
    sink.write(line);
  });
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

}  // namespace

std::vector<double> latency_bucket_bounds_ms(double slo_ms) {
  // Fixed (docs/exports.md): the lab's 1.5 s latency SLO (report --latency-slo's default) and the
  // nightly scenarios' session budgets (5 s, 8 s, 30 s) are boundaries, so a dashboard reads the
  // share within each of them exactly. A --latency-slo that is not one of them is added.
  std::vector<double> b{100,  250,  500,   750,   1000,  1500,  2000, 3000,
                        5000, 8000, 10000, 15000, 20000, 30000, 60000};
  if (std::find(b.begin(), b.end(), slo_ms) == b.end()) {
    b.push_back(slo_ms);
    std::sort(b.begin(), b.end());
  }
  return b;
}

std::string openmetrics_le(double bound_ms) {
  // Seconds; integers as "1.0", as Prometheus 3 normalizes a classic histogram's `le` (a
  // dashboard's le="1.0" then matches the file whichever Prometheus reads it).
  std::string s = shortest_number(bound_ms / 1000.0);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

namespace {

MetricFamily latency_family(const std::vector<LatencyHistogram>& histograms, double slo_ms) {
  // An OpenMetrics histogram (OpenMetrics 1.0, "Histogram": cumulative `_bucket{le}` samples in
  // increasing `le` ending with "+Inf", then `_count` (= the +Inf bucket) and `_sum`). An
  // agg_latency bucket counts toward `le` when the value it stands for (latency_bucket_ms,
  // within 0.39 % of each duration in it) is <= le: the rule of the report's "within SLO" share
  // (stats::share_within_weighted), so the SLO bucket equals the report's figure.
  MetricFamily f{"lockrig_unlock_latency_seconds",
                 "histogram",
                 "seconds",
                 "Unlock latency of successful SLI sessions (request to unlocked), by lock and "
                 "scenario",
                 {}};
  const std::vector<double> bounds = latency_bucket_bounds_ms(slo_ms);
  for (const LatencyHistogram& h : histograms) {
    const std::string labels =
        labels_text({{"rig", h.key.rig},
                     {"lock", h.key.lock},
                     {"material", h.key.material},
                     {"firmware", h.key.firmware},
                     {"app", h.key.app},
                     {"scenario", h.scenario}});
    const std::string head = labels.substr(0, labels.size() - 1);  // without the closing brace
    std::size_t next = 0;
    long long cumulative = 0;
    for (double bound : bounds) {
      while (next < h.buckets.size() && latency_bucket_ms(h.buckets[next].first) <= bound)
        cumulative += h.buckets[next++].second;
      f.samples.push_back("_bucket" + head + ",le=\"" + openmetrics_le(bound) + "\"} " +
                          std::to_string(cumulative));
    }
    f.samples.push_back("_bucket" + head + ",le=\"+Inf\"} " + std::to_string(h.sessions));
    f.samples.push_back("_count" + labels + " " + std::to_string(h.sessions));
    f.samples.push_back("_sum" + labels + " " +
                        number(static_cast<double>(h.duration_ns) / 1e9));
  }
  return f;
}

std::vector<MetricFamily> openmetrics(Journal& journal, const std::vector<RunRecord>& runs,
                                      const ReportScope& scope, double slo_ms) {
  using Labels = std::vector<std::pair<std::string, std::string>>;
  auto key = [](const LockKey& k) {
    return Labels{{"rig", k.rig},
                  {"lock", k.lock},
                  {"material", k.material},
                  {"firmware", k.firmware},
                  {"app", k.app}};
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

  return {std::move(sli),
          std::move(sli_sessions),
          std::move(sli_successes),
          std::move(sessions),
          std::move(failures),
          std::move(failed_attempts),
          latency_family(latency_histograms(journal, scope), slo_ms),
          std::move(fault_events),
          std::move(last_lock),
          std::move(runs_family),
          std::move(rig_last),
          std::move(rig_exit)};
}

}  // namespace

// ---- The command ----

int cmd_export(const std::vector<std::string>& args) {
  return cmd_export(args, std::cout);
}

int cmd_export(const std::vector<std::string>& args, std::ostream& out) {
  SelectionOptions sel_opts;
  std::string format_name, table = "sessions", output, schema, latency_slo = "1.5s";
  po::options_description desc("Options");
  desc.add_options()("help,h", "explain the options")(
      "format", po::value(&format_name),
      (format_choices(FormatCommand::export_) + " (required)").c_str())(
      "table", po::value(&table)->default_value(table),
      "ndjson/csv: sessions (one row per unlock session) or attempts (one row per attempt)")(
      "latency-slo", po::value(&latency_slo)->default_value(latency_slo),
      "openmetrics: the latency threshold, a bucket boundary of lockrig_unlock_latency_seconds "
      "(as report --latency-slo)");
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
           "rig faults, last run time per rig/lock/material/firmware/app, gauges over the\n"
           "selected runs; an unlock latency histogram with the latency SLO as a bucket\n"
           "boundary). Grafana dashboard: packaging/grafana/lockrig-dashboard.json.\n"
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
  const auto slo = parse_duration(latency_slo);
  if (!slo || slo->count() <= 0)
    throw UsageError("--latency-slo wants a positive duration such as 1.5s or 800ms, got " +
                     quote(latency_slo));
  if (!format.metrics && !vm["latency-slo"].defaulted())
    throw UsageError("--latency-slo applies to openmetrics (the latency histogram), not " +
                     format_name);
  check_output_path(output);
  check_output_is_not_journal(output, sel_opts.db);
  const RunSelection sel = run_selection_of(sel_opts, vm);
  Journal journal = Journal::open_readonly(sel_opts.db, Journal::CountChecks::when_read);
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
  if (format.metrics)
    sink.write(format.metrics(
        openmetrics(journal, runs, scope, static_cast<double>(slo->count()) / 1e6)));
  else
    export_rows(journal, scope, table, *format.rows(), sink);
  sink.finish();
  return 0;
}

}  // namespace lockrig::reports
