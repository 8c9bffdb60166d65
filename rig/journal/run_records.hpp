// Readers of the runs table and what hangs off a run (run_labels, run_locks), as RunRecord and
// plain maps. `lockrig runs` reads through Journal::list_runs; --resume through
// rig/journal/resume.hpp; these serve report selections and `run --until-decided`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rig/journal/journal.hpp"

namespace lockrig {

// Every run, oldest first, with its identity (id, uuid, host, rig, started_at, ended_at as ''
// while running, status) and its labels; nothing else is filled.
std::vector<RunRecord> read_runs(Journal& journal);

// Fills the labels of `runs` (matched by id) from run_labels.
void read_run_labels(Journal& journal, std::vector<RunRecord>& runs);

// The firmware each lock reported in the run with this uuid (lock id → firmware, empty when it
// could not be read); empty when the journal has no such run.
std::map<std::string, std::string> run_lock_firmware(Journal& journal, const std::string& uuid);

// issue 17 (runs belong to their rig). This machine as runs.host and runs.host_id record it:
// the host name, and /etc/machine-id (else /var/lib/dbus/machine-id, else the host name).
std::string this_host_name();
std::string this_host_id();

// Where a run ran when that is not this machine ("host B (machine id 1234abcd...)"), nullopt
// when it ran here. A run is this machine's when its host is this host name and its host_id,
// if it has one (schema 3), is this machine's id: a merged journal's run from another rig is
// never taken for one of ours, and a cloned image's host name alone does not make it ours.
std::optional<std::string> run_elsewhere(const RunRecord& run);

}  // namespace lockrig
