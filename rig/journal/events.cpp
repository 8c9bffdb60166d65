#include "rig/journal/events.hpp"

#include "rig/base/name_table.hpp"

namespace lockrig {

namespace {

constexpr NameTable<EventKind, 22> kEventKinds{{
    {EventKind::set_switch, "switch"},
    {EventKind::set_supply, "supply"},
    {EventKind::wait, "wait"},
    {EventKind::wait_until, "wait_until"},
    {EventKind::disconnect, "disconnect"},
    {EventKind::safe_state, "safe_state"},
    {EventKind::rig_fault, "rig_fault"},
    {EventKind::quarantine, "quarantine"},
    {EventKind::item_abandoned, "item_abandoned"},
    {EventKind::controller_stall, "controller_stall"},
    {EventKind::identity, "identity"},
    {EventKind::client_version, "client_version"},
    {EventKind::plan, "plan"},
    {EventKind::resumed, "resumed"},
    {EventKind::interrupted, "interrupted"},
    {EventKind::reconnect, "reconnect"},
    {EventKind::abandoned, "abandoned"},
    {EventKind::select_build, "select_build"},
    {EventKind::sequential_design, "sequential_design"},
    {EventKind::sequential_evidence, "sequential_evidence"},
    {EventKind::sequential_verdict, "sequential_verdict"},
    {EventKind::set_attenuator, "attenuate"},
}};

constexpr NameTable<RunStatus, 4> kRunStatuses{{
    {RunStatus::running, "running"},
    {RunStatus::completed, "completed"},
    {RunStatus::aborted, "aborted"},
    {RunStatus::rig_fault, "rig_fault"},
}};

}  // namespace

std::string_view name(EventKind kind) {
  return name_of(kEventKinds, kind);
}
std::string_view name(RunStatus status) {
  return name_of(kRunStatuses, status);
}

std::optional<EventKind> parse_event_kind(std::string_view stored) {
  return value_of(kEventKinds, stored);
}
std::optional<RunStatus> parse_run_status(std::string_view stored) {
  return value_of(kRunStatuses, stored);
}

}  // namespace lockrig
