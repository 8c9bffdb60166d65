#include "rig/journal/run_records.hpp"

#include <unistd.h>

#include <fstream>
#include <unordered_map>

#include "rig/base/text.hpp"
#include "rig/journal/sql.hpp"

namespace lockrig {

std::vector<RunRecord> read_runs(Journal& journal) {
  std::vector<RunRecord> all;
  {
    SqlStatement q(journal,
                   std::string("SELECT id, uuid, host, rig, started_at, COALESCE(ended_at, ''), "
                               "status, ") +
                       (journal.schema_version() >= 3 ? "COALESCE(host_id, '')" : "''") +
                       " FROM runs ORDER BY id");
    while (q.step()) {
      RunRecord r;
      r.id = q.integer(0);
      r.uuid = q.text(1);
      r.host = q.text(2);
      r.rig = q.text(3);
      r.started_at = q.text(4);
      r.ended_at = q.text(5);
      r.status = q.text(6);
      r.host_id = q.text(7);
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

std::string this_host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "unknown";
  return buf;
}

std::string this_host_id() {
  // machine-id(5): 32 hex digits, the same for the life of the installation.
  for (const char* file : {"/etc/machine-id", "/var/lib/dbus/machine-id"}) {
    std::ifstream in(file);
    std::string id;
    if (in >> id && id.size() == 32 &&
        id.find_first_not_of("0123456789abcdef") == std::string::npos)
      return id;
  }
  return "host:" + this_host_name();
}

std::optional<std::string> run_elsewhere(const RunRecord& run) {
  const bool same_host = run.host == this_host_name();
  const bool same_machine = run.host_id.empty() || run.host_id == this_host_id();
  if (same_host && same_machine) return std::nullopt;
  std::string where = "host " + quote(run.host);
  if (!run.host_id.empty()) where += " (machine id " + run.host_id.substr(0, 12) + ")";
  return where;
}

}  // namespace lockrig
