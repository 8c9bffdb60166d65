#include "drivers/registry.hpp"

#include <algorithm>

#include "rig/base/text.hpp"

namespace lockrig::drivers {

namespace {

template <class Entry>
const Entry& find(const std::vector<Entry>& entries, const std::string& name,
                  const SourceLocation& where, const char* kind) {
  for (const auto& e : entries)
    if (e.name == name) return e;
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.name);
  throw ConfigError(where, std::string("unknown ") + kind + " driver " + quote(name) +
                               did_you_mean(name, names) + "; known " + kind +
                               " drivers: " + (names.empty() ? "(none)" : join(names, ", ")));
}

template <class Entry>
void insert(std::vector<Entry>& entries, Entry e) {
  auto same = [&](const Entry& x) { return x.name == e.name; };
  if (std::any_of(entries.begin(), entries.end(), same))
    throw std::logic_error("driver registered twice: " + e.name);
  entries.push_back(std::move(e));
}

template <class Entry>
std::vector<std::string> names_of(const std::vector<Entry>& entries) {
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.name);
  return names;
}

}  // namespace

void SelectedBuilds::select(const std::string& lock_id, const std::string& build) {
  std::lock_guard lk(mu_);
  builds_[lock_id] = build;
}

void SelectedBuilds::clear() {
  std::lock_guard lk(mu_);
  builds_.clear();
}

std::optional<std::string> SelectedBuilds::build_of(const std::string& lock_id) const {
  std::lock_guard lk(mu_);
  auto it = builds_.find(lock_id);
  if (it == builds_.end()) return std::nullopt;
  return it->second;
}

void DriverRegistry::add(LockDriver d) { insert(locks_, std::move(d)); }
void DriverRegistry::add(SwitchDriver d) { insert(switches_, std::move(d)); }
void DriverRegistry::add(SupplyDriver d) { insert(supplies_, std::move(d)); }
void DriverRegistry::add(AttenuatorDriver d) { insert(attenuators_, std::move(d)); }
void DriverRegistry::add(ProbeEntry p) {
  auto same = [&](const ProbeEntry& x) { return x.family == p.family; };
  if (std::any_of(probes_.begin(), probes_.end(), same))
    throw std::logic_error("probe registered twice: " + p.family);
  probes_.push_back(std::move(p));
}

const LockDriver& DriverRegistry::lock_driver(const std::string& name,
                                              const SourceLocation& where) const {
  return find(locks_, name, where, "lock");
}
const SwitchDriver& DriverRegistry::switch_driver(const std::string& name,
                                                  const SourceLocation& where) const {
  return find(switches_, name, where, "switch");
}
const SupplyDriver& DriverRegistry::supply_driver(const std::string& name,
                                                  const SourceLocation& where) const {
  return find(supplies_, name, where, "supply");
}

const AttenuatorDriver& DriverRegistry::attenuator_driver(const std::string& name,
                                                          const SourceLocation& where) const {
  return find(attenuators_, name, where, "attenuator");
}

std::vector<std::string> DriverRegistry::lock_driver_names() const { return names_of(locks_); }
std::vector<std::string> DriverRegistry::switch_driver_names() const { return names_of(switches_); }
std::vector<std::string> DriverRegistry::supply_driver_names() const { return names_of(supplies_); }
std::vector<std::string> DriverRegistry::attenuator_driver_names() const {
  return names_of(attenuators_);
}

}  // namespace lockrig::drivers
