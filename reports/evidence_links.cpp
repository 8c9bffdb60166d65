#include "reports/evidence_links.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <tuple>
#include <set>
#include <system_error>

#include "reports/evidence_view.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/evidence.hpp"
#include "rig/journal/run_records.hpp"

namespace lockrig::reports {

std::vector<std::string> capture_files(const RunRecord& run) {
  namespace fs = std::filesystem;
  std::set<std::string> files;
  for (const auto& [key, value] : run.labels) {
    if (key.rfind("capture.", 0) != 0) continue;
    // "argv; log PATH; started ...": the log sits in the run's capture directory.
    const auto at = value.find("; log ");
    if (at == std::string::npos) continue;
    const auto end = value.find("; ", at + 6);
    const fs::path log = value.substr(at + 6, end == std::string::npos ? end : end - at - 6);
    std::error_code ec;
    const fs::path dir = fs::absolute(log, ec).parent_path();
    if (ec) continue;
    for (fs::directory_iterator it(dir, ec), last; !ec && it != last; it.increment(ec))
      if (it->is_regular_file(ec)) files.insert(it->path().lexically_normal().string());
  }
  return std::vector<std::string>(files.begin(), files.end());
}

ReportEvidence load_report_evidence(Journal& journal, const std::vector<RunRecord>& runs,
                                    std::size_t timelines_per_case) {
  ReportEvidence ev;
  std::vector<std::string> uuids, seeds;
  std::set<std::string> rigs, firmware, apps;
  for (const auto& run : runs) {
    uuids.push_back(run.uuid);
    seeds.push_back(std::to_string(run_seed(journal, run.id)));
    rigs.insert(run.rig);
    if (auto files = capture_files(run); !files.empty()) ev.attachments[run.id] = std::move(files);
    if (auto it = run.labels.find("app"); it != run.labels.end()) apps.insert(it->second);
    for (const auto& [lock, fw] : run_lock_firmware(journal, run.uuid))
      if (!fw.empty()) firmware.insert(fw);
    for (const auto& s : run_sessions(journal, run.id)) {
      CaseEvidence& c = ev.cases[{s.scenario, s.lock_id}];
      const double secs = static_cast<double>(s.ended_ns - s.started_ns) / 1e9;
      c.seconds += secs;
      ev.seconds += secs;
      ++c.sessions;
      if (s.result == "pass") continue;
      FailedSessionRef f{run.id,   s.session_id, run.uuid, s.result,
                         s.expect, s.outcome,    "",       s.sli_eligible};
      if (c.failed.size() < timelines_per_case)
        f.timeline = session_timeline_text(read_session_evidence(journal, run.id, s.session_id));
      c.failed.push_back(std::move(f));
    }
  }
  auto list = [](const auto& items) {
    return join(std::vector<std::string>(items.begin(), items.end()), ",");
  };
  ev.properties = {{"lockrig.runs", list(uuids)},       {"lockrig.rigs", list(rigs)},
                   {"lockrig.seeds", list(seeds)},      {"lockrig.firmware", list(firmware)},
                   {"lockrig.app", list(apps)}};
  return ev;
}

ReportEvidence load_failed_session_refs(
    Journal& journal, const std::vector<RunRecord>& runs,
    const std::set<std::pair<std::string, std::string>>& cases, std::size_t ids_per_kind) {
  // Issue 18: the reports show the oldest few ids per kind and count the rest, so only those
  // few are read (runs oldest first, each walk stopping at what is still missing); the counts
  // come from the aggregates. Reading every failed session's row took 5.7 s at 10M attempts.
  ReportEvidence ev;
  std::map<std::tuple<std::string, std::string, bool, std::string, std::string>, std::size_t>
      named;  // (scenario, lock, sli, result, expect) -> ids read so far
  std::vector<const RunRecord*> ordered;
  for (const auto& run : runs) ordered.push_back(&run);
  std::sort(ordered.begin(), ordered.end(),
            [](const RunRecord* a, const RunRecord* b) { return a->id < b->id; });
  for (const RunRecord* run : ordered)
    for (const auto& [scenario, lock] : cases)
      for (const auto& kind : failed_session_counts(journal, run->id, lock, scenario)) {
        std::size_t& have = named[{scenario, lock, kind.sli, kind.result, kind.expect}];
        auto& failed = ev.cases[{scenario, lock}].failed;
        long long read = 0;
        if (have < ids_per_kind)
          for (const auto& s : failed_sessions(journal, run->id, lock, scenario, kind.sli,
                                               kind.result, kind.expect, ids_per_kind - have)) {
            failed.push_back(FailedSessionRef{run->id, s.session_id, run->uuid, s.result,
                                              s.expect, s.outcome, "", s.sli_eligible});
            ++have;
            ++read;
          }
        if (kind.sessions > read) {
          FailedSessionRef rest{run->id, 0, run->uuid, kind.result, kind.expect, "", "", kind.sli};
          rest.count = kind.sessions - read;
          failed.push_back(std::move(rest));
        }
      }
  return ev;
}

std::string session_ref(const FailedSessionRef& f) {
  return std::to_string(f.run_id) + "/" + std::to_string(f.session_id);
}

}  // namespace lockrig::reports
