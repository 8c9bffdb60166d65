// The words the journal stores for event kinds (events.kind) and run states (runs.status), as
// enums. name() gives the exact stored text; parsing a stored text never throws: a word this
// lockrig does not know (a journal written by another version) reads as nullopt, and the
// caller keeps the text as it is. The kinds and their target/value/detail: docs/journal.md.
#pragma once

#include <optional>
#include <string_view>

namespace lockrig {

enum class EventKind {
  // Bench actions and scenario steps.
  set_switch,  // "switch"
  set_supply,  // "supply"
  wait,
  wait_until,
  disconnect,
  safe_state,
  // Faults.
  rig_fault,
  quarantine,
  item_abandoned,
  controller_stall,  // issue 17: the controller did not run during a session
  // What a lock said about itself.
  identity,
  client_version,
  // Crash-safe resume (docs/operations.md).
  plan,
  resumed,
  interrupted,
  reconnect,
  abandoned,
  // `run --until-decided` (docs/sequential.md).
  select_build,
  sequential_design,
  sequential_evidence,
  sequential_verdict,
  // An RF attenuator set to a level (issue 14; docs/range.md).
  set_attenuator,  // "attenuate"
};

enum class RunStatus { running, completed, aborted, rig_fault };

std::string_view name(EventKind kind);
std::string_view name(RunStatus status);

std::optional<EventKind> parse_event_kind(std::string_view stored);
std::optional<RunStatus> parse_run_status(std::string_view stored);

}  // namespace lockrig
