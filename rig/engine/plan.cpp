#include "rig/engine/plan.hpp"

#include <algorithm>
#include <numeric>

#include "rig/base/text.hpp"

namespace lockrig {

namespace {

struct UnionFind {
  std::vector<std::size_t> parent;
  explicit UnionFind(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  std::size_t find(std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void unite(std::size_t a, std::size_t b) { parent[find(a)] = find(b); }
};

// Locks whose scenarios could disturb one another: same relay channel or same supply.
std::vector<std::vector<std::size_t>> shared_resource_groups(const Fixture& f,
                                                             const std::vector<std::size_t>& selected) {
  UnionFind uf(f.locks.size());
  auto index_of = [&](const std::string& id) {
    for (std::size_t i = 0; i < f.locks.size(); ++i)
      if (f.locks[i].id == id) return i;
    return f.locks.size();
  };
  auto unite_all = [&](const std::vector<std::string>& ids) {
    for (std::size_t k = 1; k < ids.size(); ++k) uf.unite(index_of(ids[0]), index_of(ids[k]));
  };
  for (const auto& b : f.switches)
    for (const auto& c : b.channels) unite_all(c.locks);
  for (const auto& s : f.supplies) unite_all(s.locks);
  for (const auto& a : f.attenuators) unite_all(a.locks);  // one level at a time (issue 14)

  std::vector<std::vector<std::size_t>> groups;
  std::vector<std::size_t> root_of_group;
  for (std::size_t i : selected) {
    std::size_t root = uf.find(i);
    auto it = std::find(root_of_group.begin(), root_of_group.end(), root);
    if (it == root_of_group.end()) {
      root_of_group.push_back(root);
      groups.push_back({i});
    } else {
      groups[static_cast<std::size_t>(it - root_of_group.begin())].push_back(i);
    }
  }
  return groups;
}

bool lock_can_run(const Fixture& f, const drivers::LockSpec& lock, const Scenario& s,
                  std::string* why) {
  for (const auto& ch : s.channels_used())
    if (!f.lock_has_channel(lock.id, ch)) {
      *why = "no channel " + quote(ch);
      return false;
    }
  for (const auto& sup : s.supplies_used())
    if (!f.supply_for(lock.id, sup)) {
      *why = "no supply " + quote(sup);
      return false;
    }
  for (const auto& att : s.attenuators_used())
    if (!f.attenuator_for(lock.id, att)) {
      *why = "no attenuator " + quote(att);
      return false;
    }
  return true;
}

}  // namespace

Plan make_plan(const Fixture& fixture, const std::vector<Scenario>& scenarios,
               const PlanOptions& options) {
  Plan plan;
  if (options.lock_filter.empty()) {
    for (std::size_t i = 0; i < fixture.locks.size(); ++i) plan.locks.push_back(i);
  } else {
    const auto ids = fixture.lock_ids();
    for (const auto& want : options.lock_filter) {
      auto it = std::find(ids.begin(), ids.end(), want);
      if (it == ids.end())
        throw UsageError("--locks: rig " + quote(fixture.rig) + " has no lock " + quote(want) +
                         did_you_mean(want, ids) + "; locks: " + join(ids, ", "));
      std::size_t idx = static_cast<std::size_t>(it - ids.begin());
      if (std::find(plan.locks.begin(), plan.locks.end(), idx) == plan.locks.end())
        plan.locks.push_back(idx);
    }
    std::sort(plan.locks.begin(), plan.locks.end());
  }

  for (const auto& s : scenarios) plan.repeats.push_back(options.repeat_override.value_or(s.repeat));

  // Which (scenario, lock) pairs are possible on this rig.
  std::vector<std::string> why_not;
  auto& runs = plan.eligible;
  runs.assign(scenarios.size(), std::vector<bool>(fixture.locks.size()));
  for (std::size_t si = 0; si < scenarios.size(); ++si) {
    std::vector<std::string> skipped;
    bool any = false;
    std::string why;
    for (std::size_t li : plan.locks) {
      runs[si][li] = lock_can_run(fixture, fixture.locks[li], scenarios[si], &why);
      any = any || runs[si][li];
      if (!runs[si][li]) skipped.push_back(fixture.locks[li].id + " (" + why + ")");
    }
    if (!any)
      plan.notes.push_back("scenario " + scenarios[si].name +
                           " skipped: no selected lock can run it: " + join(skipped, ", "));
    else if (!skipped.empty())
      plan.notes.push_back("scenario " + scenarios[si].name + " skips " + join(skipped, ", "));
    if (!any) why_not.push_back(scenarios[si].name + " (" + join(skipped, "; ") + ")");
  }

  for (auto& locks : shared_resource_groups(fixture, plan.locks)) {
    LockGroup g;
    g.locks = std::move(locks);
    for (std::size_t si = 0; si < scenarios.size(); ++si)
      for (std::size_t li : g.locks)
        if (runs[si][li])
          g.sessions += static_cast<long long>(plan.repeats[si]) * scenarios[si].unlock_steps();
    plan.total_sessions += g.sessions;
    if (g.sessions > 0) plan.groups.push_back(std::move(g));
  }
  if (plan.total_sessions == 0)
    throw ConfigError(scenarios.empty() ? SourceLocation{} : scenarios.front().where,
                      "nothing to run: no selected lock can run any of the scenarios: " +
                          join(why_not, "; "));
  return plan;
}

}  // namespace lockrig
