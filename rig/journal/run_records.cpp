#include "rig/journal/run_records.hpp"

#include <unordered_map>

#include "rig/journal/sql.hpp"

namespace lockrig {

std::vector<RunRecord> read_runs(Journal& journal) {
  std::vector<RunRecord> all;
  {
    SqlStatement q(journal,
                   "SELECT id, uuid, host, rig, started_at, COALESCE(ended_at, ''), status FROM "
                   "runs ORDER BY id");
    while (q.step()) {
      RunRecord r;
      r.id = q.integer(0);
      r.uuid = q.text(1);
      r.host = q.text(2);
      r.rig = q.text(3);
      r.started_at = q.text(4);
      r.ended_at = q.text(5);
      r.status = q.text(6);
      all.push_back(std::move(r));
    }
  }
  read_run_labels(journal, all);
  return all;
}

void read_run_labels(Journal& journal, std::vector<RunRecord>& runs) {
  std::unordered_map<std::int64_t, std::size_t> index;
  for (std::size_t i = 0; i < runs.size(); ++i) index[runs[i].id] = i;
  SqlStatement q(journal, "SELECT run_id, key, value FROM run_labels");
  while (q.step()) {
    auto it = index.find(q.integer(0));
    if (it != index.end()) runs[it->second].labels[q.text(1)] = q.text(2);
  }
}

std::map<std::string, std::string> run_lock_firmware(Journal& journal, const std::string& uuid) {
  SqlStatement q(journal,
                 "SELECT l.lock_id, COALESCE(l.firmware, '') FROM run_locks l "
                 "JOIN runs r ON r.id = l.run_id WHERE r.uuid = ?",
                 "read the firmware of the block's locks");
  q.bind(1, uuid);
  std::map<std::string, std::string> out;
  while (q.step()) out[q.text(0)] = q.text(1);
  return out;
}

}  // namespace lockrig
