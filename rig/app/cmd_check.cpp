// lockrig check: fixture and scenario files validated without running anything, or (--journal)
// a journal's aggregate tables checked against its raw rows.
#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

#include "drivers/bluez/bluez_config.hpp"
#include "drivers/registry.hpp"
#include "reports/format.hpp"
#include "rig/app/commands.hpp"
#include "rig/base/embedded.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/options.hpp"
#include "rig/base/text.hpp"
#include "rig/base/yaml_util.hpp"
#include "rig/engine/fixture.hpp"
#include "rig/engine/plan.hpp"
#include "rig/engine/scenario.hpp"
#include "rig/journal/journal.hpp"

namespace po = boost::program_options;

namespace lockrig {

namespace {

// lockrig check --journal: the aggregate tables against the raw rows they summarize.
int check_journal(const std::string& path, bool upgrade) {
  // A missing file is an error, not a new journal, also with --upgrade.
  if (upgrade) Journal::open_readonly(path);
  Journal j = upgrade ? Journal::open(path) : Journal::open_readonly(path);
  if (!j.has_aggregates()) {
    std::fprintf(stderr,
                 "error: journal %s has schema version %d, without aggregates (reports compute "
                 "them on the fly); build them with: lockrig check --journal %s --upgrade\n",
                 quote(path).c_str(), j.schema_version(), path.c_str());
    return exit_code::usage;
  }
  const auto mismatches = j.check_aggregates();
  if (mismatches.empty()) {
    const auto [sessions, attempts, groups] = j.aggregate_totals();
    std::printf(
        "ok  journal %s: schema version %d, aggregates agree with the raw rows (%s "
        "sessions in %s groups, %s attempts)\n",
        path.c_str(), j.schema_version(), reports::with_commas(sessions).c_str(),
        reports::with_commas(groups).c_str(), reports::with_commas(attempts).c_str());
    return exit_code::ok;
  }
  for (const auto& m : mismatches)
    std::fprintf(stderr, "mismatch %s: %s\n", m.table.c_str(), m.detail.c_str());
  std::fprintf(stderr,
               "error: journal %s: the aggregate tables disagree with the sessions/attempts rows "
               "(first %zu differences above); reports from it would be wrong\n",
               quote(path).c_str(), mismatches.size());
  return 1;
}

// Issue 12: `bluez` locks on one adapter take turns on it (discovery and connection setup are
// one procedure per adapter in BlueZ, src/adapter.c:2474-2537), share its RSSI, and share its
// controller's connection slots (CSR controllers give 5, Broadcom 7: bleak-retry-connector
// src/bleak_retry_connector/bluez.py, wait_for_disconnect). Past a handful of locks a night's
// sessions queue behind each other and a lock that holds its link can keep the next from its
// slot. A warning (exit code unchanged) when more than kSharedAdapterLocks locks, or more than
// the adapter's max_connections, share one adapter as the fixture spells it.
constexpr std::size_t kSharedAdapterLocks = 4;

void warn_shared_adapters(const Fixture& fx, const std::string& file) {
  struct Use {
    std::vector<std::string> locks;
    int max_connections = 0;  // the smallest non-zero limit any of its locks sets
  };
  std::map<std::string, Use> by_adapter;
  for (const auto& l : fx.locks) {
    if (l.driver != "bluez") continue;
    const auto cfg = drivers::bluez::parse_bluez_config(l);
    Use& u = by_adapter[cfg.adapter];
    u.locks.push_back(l.id);
    if (cfg.max_connections > 0 &&
        (u.max_connections == 0 || cfg.max_connections < u.max_connections))
      u.max_connections = cfg.max_connections;
  }
  for (const auto& [adapter, u] : by_adapter) {
    const std::size_t limit =
        u.max_connections > 0 ? static_cast<std::size_t>(u.max_connections) : kSharedAdapterLocks;
    if (u.locks.size() <= limit) continue;
    const std::string why =
        u.max_connections > 0
            ? "more than its max_connections " + std::to_string(u.max_connections)
            : "more than " + std::to_string(kSharedAdapterLocks);
    std::fprintf(stderr,
                 "warning: %s: %zu bluez locks share adapter %s (%s): %s. They take turns to "
                 "discover and connect, share its scan and RSSI, and compete for its connection "
                 "slots; give some of them an adapter of their own (settings: adapter: "
                 "<address>)\n",
                 file.c_str(), u.locks.size(), adapter.c_str(), why.c_str(),
                 join(u.locks, ", ").c_str());
  }
}

}  // namespace

int check_command(const CommandLine& cl) {
  std::vector<std::string> files;
  std::string fixture_path, journal_path;
  po::options_description desc("Options");
  desc.add_options()("help,h", "explain the options")(
      "fixture,f", po::value(&fixture_path)->default_value(kDefaultFixture),
      "fixture that scenario files are checked against (channel and supply names)")(
      "journal", po::value(&journal_path),
      "check a journal instead: recompute its aggregate tables from the sessions and attempts "
      "rows and compare (exit 0 when they agree, 1 when they do not)")(
      "upgrade",
      "with --journal: open it for writing first, upgrading a schema-1 journal (builds "
      "the aggregates from its rows)")("file", po::value(&files)->composing(),
                                       "fixture or scenario files");
  po::positional_options_description pos;
  pos.add("file", -1);
  po::variables_map vm = parse_options("check", cl.args, desc, &pos);
  if (vm.count("upgrade") && journal_path.empty())
    throw UsageError("--upgrade goes with --journal PATH");
  if (!journal_path.empty()) {
    if (!files.empty())
      throw UsageError("--journal checks a journal; check " + quote(files.front()) +
                       " in a separate lockrig check");
    return check_journal(journal_path, vm.count("upgrade") > 0);
  }
  if (vm.count("help") || files.empty()) {
    print_help(
        "Usage: lockrig check [--fixture F] FILE...\n"
        "       lockrig check --journal PATH [--upgrade]\n\nValidates fixture and "
        "scenario files (strictly: unknown keys, wrong types, bad durations,\nunknown "
        "channels) and reports the first mistake in each file with file:line:col.\n"
        "Scenarios are checked against --fixture, or else against the first fixture among\n"
        "the FILEs, or else against the built-in simulated lab. Nothing is opened: to\n"
        "contact the parts a fixture configures and see their identities, use\n"
        "lockrig probe --fixture F.\n\nWith --journal, "
        "checks that the journal's aggregate tables (what reports read) equal\nthe same "
        "aggregates recomputed from its sessions and attempts rows.\n",
        desc);
    return files.empty() && !vm.count("help") ? exit_code::usage : exit_code::ok;
  }
  const auto& registry = drivers::builtin_drivers();
  // A file is a fixture when its top level has any fixture key (a typo in one of them, such
  // as `rigg:`, is then reported against the fixture's keys, not the scenario's).
  auto is_fixture = [](const YAML::Node& root) {
    if (!root.IsMap()) return false;
    for (const char* key : {"rig", "locks", "switches", "supplies", "on_rig_fault", "drivers"})
      if (root[key]) return true;
    return false;
  };
  // Without --fixture, scenarios are checked against the first fixture given with them.
  if (vm["fixture"].defaulted())
    for (const auto& f : files) try {
        const std::string text = read_source_file(f);
        if (is_fixture(yaml::parse(text, f))) {
          fixture_path = f;
          break;
        }
      } catch (const ConfigError&) {
        // reported in the loop below
      }
  std::optional<Fixture> fixture;
  const bool fixture_in_files =
      std::find(files.begin(), files.end(), fixture_path) != files.end();
  auto reference = [&]() -> const Fixture& {
    if (!fixture) {
      fixture = load_fixture(fixture_path);
      validate_fixture_drivers(*fixture, registry);
      // A --fixture not among the FILEs is not reported on its own line: its warnings here.
      if (!fixture_in_files) warn_shared_adapters(*fixture, fixture_path);
    }
    return *fixture;
  };
  int bad = 0;
  for (const auto& f : files) {
    try {
      const std::string text = read_source_file(f);
      const YAML::Node root = yaml::parse(text, f);
      if (is_fixture(root)) {
        Fixture fx = parse_fixture(text, f);
        validate_fixture_drivers(fx, registry);
        std::size_t channels = 0;
        for (const auto& b : fx.switches) channels += b.channels.size();
        auto n = [](std::size_t count, const char* one, const char* many) {
          return std::to_string(count) + " " + (count == 1 ? one : many);
        };
        std::printf("ok  %s: rig %s, %s, %s, %s\n", f.c_str(), fx.rig.c_str(),
                    n(fx.locks.size(), "lock", "locks").c_str(),
                    n(channels, "switch channel", "switch channels").c_str(),
                    n(fx.supplies.size(), "supply", "supplies").c_str());
        warn_shared_adapters(fx, f);
      } else {
        auto scenarios = parse_scenarios(text, f);
        const Fixture& fx = reference();
        std::vector<std::string> names;
        for (const auto& s : scenarios) {
          validate_against_fixture(s, fx);
          names.push_back(s.name + " x" + std::to_string(s.repeat));
        }
        (void)make_plan(fx, scenarios, PlanOptions{});
        std::printf("ok  %s: %s (checked against rig %s)\n", f.c_str(), join(names, ", ").c_str(),
                    fx.rig.c_str());
      }
    } catch (const ConfigError& e) {
      ++bad;
      std::fprintf(stderr, "error: %s\n", e.what());
    }
  }
  return bad ? exit_code::usage : exit_code::ok;
}

}  // namespace lockrig
