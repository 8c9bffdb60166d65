#include "reports/evidence_links.hpp"

#include <set>

#include "reports/evidence_view.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/evidence.hpp"
#include "rig/journal/run_records.hpp"

namespace lockrig::reports {

ReportEvidence load_report_evidence(Journal& journal, const std::vector<RunRecord>& runs,
                                    std::size_t timelines_per_case) {
  ReportEvidence ev;
  std::vector<std::string> uuids, seeds;
  std::set<std::string> rigs, firmware, apps;
  for (const auto& run : runs) {
    uuids.push_back(run.uuid);
    seeds.push_back(std::to_string(run_seed(journal, run.id)));
    rigs.insert(run.rig);
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
      FailedSessionRef f{run.id, s.session_id, run.uuid, s.result, s.expect, s.outcome, ""};
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

}  // namespace lockrig::reports
