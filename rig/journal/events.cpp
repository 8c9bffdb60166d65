#include "rig/journal/events.hpp"

#include <array>
#include <utility>

namespace lockrig {

namespace {

constexpr std::array<std::pair<EventKind, std::string_view>, 20> kEventKinds{{
    {EventKind::set_switch, "switch"},
    {EventKind::set_supply, "supply"},
    {EventKind::wait, "wait"},
    {EventKind::wait_until, "wait_until"},
    {EventKind::disconnect, "disconnect"},
    {EventKind::safe_state, "safe_state"},
    {EventKind::rig_fault, "rig_fault"},
    {EventKind::quarantine, "quarantine"},
    {EventKind::item_abandoned, "item_abandoned"},
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
}};

constexpr std::array<std::pair<RunStatus, std::string_view>, 4> kRunStatuses{{
    {RunStatus::running, "running"},
    {RunStatus::completed, "completed"},
    {RunStatus::aborted, "aborted"},
    {RunStatus::rig_fault, "rig_fault"},
}};

template <typename Enum, std::size_t N>
std::string_view name_in(const std::array<std::pair<Enum, std::string_view>, N>& table, Enum e) {
  for (const auto& [value, text] : table)
    if (value == e) return text;
  return "?";
}

template <typename Enum, std::size_t N>
std::optional<Enum> parse_in(const std::array<std::pair<Enum, std::string_view>, N>& table,
                             std::string_view stored) {
  for (const auto& [value, text] : table)
    if (text == stored) return value;
  return std::nullopt;
}

}  // namespace

std::string_view name(EventKind kind) {
  return name_in(kEventKinds, kind);
}
std::string_view name(RunStatus status) {
  return name_in(kRunStatuses, status);
}

std::optional<EventKind> parse_event_kind(std::string_view stored) {
  return parse_in(kEventKinds, stored);
}
std::optional<RunStatus> parse_run_status(std::string_view stored) {
  return parse_in(kRunStatuses, stored);
}

}  // namespace lockrig
