// Benchmark: a simulated campaign through the full path (plan → sim drivers → session
// classification → SQLite journal with one transaction per session), reporting attempts/s.
// Usage: campaign_bench [--attempts N] [--db PATH] [--jobs N] [--sync normal|full]
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "drivers/registry.hpp"
#include "rig/engine/fixture.hpp"
#include "rig/journal/journal.hpp"
#include "rig/engine/runner.hpp"
#include "rig/engine/scenario.hpp"

using namespace lockrig;

namespace {

// Eight locks on four materials, no shared hardware: four... eight independent groups.
const char* kFixture = R"(
rig: bench-rig
locks:
  - {id: l1, material: wood, driver: sim, settings: {firmware: 2.4.0}}
  - {id: l2, material: wood, driver: sim, settings: {firmware: 2.4.1}}
  - {id: l3, material: glass, driver: sim, settings: {firmware: 2.4.0}}
  - {id: l4, material: glass, driver: sim, settings: {firmware: 2.4.1}}
  - {id: l5, material: aluminium, driver: sim, settings: {firmware: 2.4.0}}
  - {id: l6, material: aluminium, driver: sim, settings: {firmware: 2.4.1}}
  - {id: l7, material: steel, driver: sim, settings: {firmware: 2.4.0}}
  - {id: l8, material: steel, driver: sim, settings: {firmware: 2.4.1}}
)";

const char* kScenario = R"(
name: bench-unlock
repeat: 1
steps:
  - unlock: {expect: success, within: 8s, retry: {attempts: 3, backoff: 500ms}}
)";

struct Quiet : RunObserver {};

}  // namespace

int main(int argc, char** argv) {
  long long attempts_target = 1'000'000;
  std::string db = "/tmp/lockrig-bench-" + std::to_string(getpid()) + ".db";
  int jobs = 0;
  SyncMode sync = SyncMode::normal;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--attempts") attempts_target = std::atoll(argv[i + 1]);
    else if (a == "--db") db = argv[i + 1];
    else if (a == "--jobs") jobs = std::atoi(argv[i + 1]);
    else if (a == "--sync") sync = std::string(argv[i + 1]) == "full" ? SyncMode::full : SyncMode::normal;
    else {
      std::fprintf(stderr, "usage: campaign_bench [--attempts N] [--db PATH] [--jobs N] [--sync normal|full]\n");
      return 2;
    }
  }
  for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((db + suffix).c_str());

  Fixture fixture = parse_fixture(kFixture, "<bench>/fixture.yaml");
  std::vector<Scenario> scenarios = parse_scenarios(kScenario, "<bench>/scenario.yaml");
  RunOptions opt;
  opt.seed = 42;
  opt.jobs = jobs;
  // Sessions average slightly more than one attempt; size the campaign to reach the target.
  opt.plan.repeat_override = static_cast<int>(attempts_target / 8 + 1);
  opt.command_line = "campaign_bench";

  Journal journal = Journal::open(db, sync);
  Quiet quiet;
  std::atomic<bool> stop{false};
  const auto t0 = std::chrono::steady_clock::now();
  RunOutcome out =
      run_plan(fixture, scenarios, drivers::builtin_drivers(), journal, opt, quiet, stop);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::printf("campaign_bench: %lld attempts in %lld sessions (%lld transactions), %.2f s wall, "
              "%.1f h of simulated lab time\n",
              out.counters.attempts, out.counters.sessions, out.counters.sessions, secs,
              out.campaign_seconds / 3600);
  std::printf("campaign_bench: %.0f attempts/s, %.0f sessions/s (target >= 100000 attempts/s: %s)\n",
              out.counters.attempts / secs, out.counters.sessions / secs,
              out.counters.attempts / secs >= 100000 ? "met" : "NOT met");
  for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((db + suffix).c_str());
  return out.status == "completed" ? 0 : 1;
}
