// `lockrig report --history --format json`, schema "lockrig.history/1" (docs/report-json.md,
// "History"). Every rate sits next to the counts it came from.
#include "reports/format.hpp"
#include "reports/history.hpp"
#include "reports/json_writer.hpp"

namespace lockrig::reports {

namespace {

void counts_object(JsonWriter& j, std::string_view k, const stats::Counts& c) {
  j.key(k).begin_object(JsonWriter::Layout::inline_)
      .field("successes", c.successes)
      .field("trials", c.trials)
      .end_object();
}

// Proportion: {"successes", "trials", "rate", "interval", "confidence", "method"} (as the report).
void proportion(JsonWriter& j, std::string_view k, const stats::Counts& c,
                const std::optional<stats::ProportionEstimate>& e, double confidence) {
  j.key(k).begin_object(JsonWriter::Layout::inline_);
  j.field("successes", c.successes).field("trials", c.trials);
  if (e) {
    j.field("rate", e->rate);
    j.key("interval").begin_object(JsonWriter::Layout::inline_)
        .field("lower", e->interval.lower)
        .field("upper", e->interval.upper)
        .end_object();
  } else {
    j.key("rate").null().key("interval").null();
  }
  j.field("confidence", confidence).field("method", "wilson").end_object();
}

void groups(JsonWriter& j, std::string_view k, std::string_view name, std::string_view detail,
            const std::vector<HistoryGroup>& gs, double confidence) {
  j.key(k).begin_array();
  for (const auto& g : gs) {
    j.begin_object().field(name, g.key);
    if (!detail.empty()) j.field(detail, g.detail);
    proportion(j, "sli", g.counts, g.sli, confidence);
    j.end_object();
  }
  j.end_array();
}

}  // namespace

std::string render_history_json(const History& h) {
  const double conf = h.options.confidence;
  JsonWriter j;
  j.begin_object();
  j.field("schema", "lockrig.history/1");
  j.field("generator", std::string("lockrig ") + LOCKRIG_VERSION);
  j.field("generated_at", h.generated_at);
  j.field("journal", h.journal);
  j.key("selection").begin_object();
  if (h.selection.last)
    j.field("last", *h.selection.last);
  else
    j.key("last").null();
  j.field("since", h.selection.since);
  j.strings("runs", h.selection.runs);
  j.key("where").begin_array();
  for (const auto& f : h.selection.where)
    j.begin_object(JsonWriter::Layout::inline_).field("key", f.key).field("value", f.value).end_object();
  j.end_array();
  j.strings("scenarios", h.selection.scenarios);
  j.end_object();
  j.key("settings")
      .begin_object()
      .field("key", h.options.key)
      .field("strata", h.options.strata)
      .field("confidence", conf)
      .field("alpha", h.options.alpha)
      .end_object();
  j.key("runs").begin_array();
  for (const auto& r : h.runs)
    j.begin_object(JsonWriter::Layout::inline_)
        .field("uuid", r.uuid)
        .field("started_at", r.started_at)
        .field("status", r.status)
        .end_object();
  j.end_array();
  j.key("sessions")
      .begin_object()
      .field("total", h.sessions)
      .field("without_version", h.sessions_without_version)
      .end_object();
  j.key("versions").begin_array();
  for (std::size_t i = 0; i < h.versions.size(); ++i) {
    const HistoryVersion& v = h.versions[i];
    j.begin_object()
        .field("order", static_cast<long>(i + 1))
        .field("version", v.version)
        .field("first_seen", v.first_seen)
        .field("last_seen", v.last_seen)
        .field("runs", v.runs)
        .key("sessions")
        .begin_object(JsonWriter::Layout::inline_)
        .field("total", v.sessions)
        .field("sli", v.counts.trials)
        .field("assertions", v.assertions)
        .field("rig_fault", v.rig_fault_sessions)
        .end_object();
    proportion(j, "sli", v.counts, v.sli, conf);
    groups(j, "by_stratum", "stratum", "", v.by_stratum, conf);
    groups(j, "by_lock", "lock", "material", v.by_lock, conf);
    groups(j, "by_run", "run", "started_at", v.by_run, conf);
    j.end_object();
  }
  j.end_array();
  const stats::ChangePointResult& c = h.change;
  j.key("change_point").begin_object();
  j.field("test", "cochran-mantel-haenszel-one-sided");
  j.field("procedure", c.procedure);
  j.field("alpha", c.alpha);
  if (c.first)
    j.field("first", h.versions[*c.first].version);
  else
    j.key("first").null();
  j.key("steps").begin_array();
  for (const auto& s : c.steps) {
    j.begin_object().field("version", s.name);
    counts_object(j, "candidate", s.candidate);
    counts_object(j, "predecessors", s.predecessors);
    if (s.risk_difference.informative)
      j.field("difference", s.risk_difference.difference);
    else
      j.key("difference").null();
    j.field("informative", s.cmh.informative)
        .field("p", s.p)
        .field("p_holm", s.p_holm)
        .field("significant", s.significant);
    j.key("strata").begin_array();
    for (const auto& u : s.cmh.strata) {
      j.begin_object(JsonWriter::Layout::inline_).field("label", u.label);
      counts_object(j, "candidate", u.candidate);
      counts_object(j, "predecessors", u.baseline);
      j.field("role", stats::to_string(u.role)).field("reason", u.reason).end_object();
    }
    j.end_array();
    j.end_object();
  }
  j.end_array();
  j.strings("notes", c.notes);
  j.end_object();
  j.field("verdict", h.verdict);
  j.strings("warnings", h.warnings);
  j.end_object();
  return j.str();
}

}  // namespace lockrig::reports
