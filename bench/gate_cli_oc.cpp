// Operating characteristics of `lockrig gate` itself (issue 11, phase B): simulated nights are
// written to a real journal through lockrig::Journal (the writes `lockrig run` makes), and the
// gate is run through cmd_gate, the function `lockrig gate` runs (options, journal reading,
// aggregates, stratification, the decision, the exit code). Four door materials, equal sessions.
//
//   single  P(exit 0 PASS | candidate truly `margin` worse), one look per night   (size)
//           P(PASS) and P(FAIL) when the versions are equal                        (power, f.fail)
//   looks   nightly looks at the accumulated sessions, candidate truly `margin` worse:
//           P(ever PASS) over --looks nights with `gate --looks N` (journaled looks), against
//           the same nights gated without --looks (a single-look gate re-run every night)
//
//   calibrate  (issue 11 item 8) the planner's predicted power (stats::gate_power_detail, what
//           `lockrig plan --margin --stratum --looks` plans with) against P(PASS) simulated
//           through cmd_gate when the versions are equal, over a grid of designs (strata,
//           rates, shares, sessions, looks); prints both, the Wilson 95% interval and the
//           difference. --design I runs only the I-th row; --nights 0 prints the plans only.
//
// Usage: gate_cli_oc [--nights 1000] [--campaigns 200] [--per 200] [--baseline-rate 0.995]
//                    [--margin 0.005] [--looks 10] [--seed 1] [--skip-single] [--skip-looks]
//        gate_cli_oc --calibrate [--nights 1500] [--design I] [--seed 1]
// --per: SLI sessions per material and version per night (4 materials: 800 per version).
// Binomial 95% intervals are Wilson's.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "reports/stats/proportion.hpp"
#include "reports/commands.hpp"
#include "reports/stats/gate_plan.hpp"
#include "rig/base/errors.hpp"
#include "rig/journal/journal.hpp"

using namespace lockrig;
namespace fs = std::filesystem;

namespace {

const char* kMaterials[] = {"wood", "glass", "aluminium", "steel"};

struct Sim {
  std::mt19937_64 rng;
  explicit Sim(std::uint64_t seed) : rng(seed) {}
  bool fails(double rate) { return std::uniform_real_distribution<double>(0.0, 1.0)(rng) < rate; }
};

// The i-th (0-based) SLI unlock session of a simulated lock: one attempt, 800 ms long, that
// succeeded or timed out.
SessionRecord sim_session(std::string lock_id, long i, bool ok) {
  SessionRecord s;
  s.lock_id = std::move(lock_id);
  s.scenario = "daily-unlock";
  s.repetition = static_cast<int>(i + 1);
  s.expect = "success";
  s.within = Duration(10'000'000'000);
  s.started = Duration(static_cast<std::int64_t>(i + 1) * 20'000'000'000);
  s.sli_eligible = true;
  s.sli_success = ok;
  s.first_attempt_success = ok;
  s.result = ok ? SessionResult::pass : SessionResult::fail;
  s.outcome = ok ? "success" : "timeout";
  s.ended = s.started + Duration(800'000'000);
  AttemptRecord at;
  at.number = 1;
  at.outcome = s.outcome;
  at.phase = "unlock";
  s.attempts.push_back(at);
  return s;
}

// The run record of simulated night `night` (its uuid and start date come from the number).
RunRecord night_run(int night) {
  RunRecord info;
  char uuid[64];
  std::snprintf(uuid, sizeof uuid, "00000000-0000-4000-8000-%012d", night);
  info.uuid = uuid;
  info.host = "bench";
  info.rig = "bench-rig";
  char when[64];
  std::snprintf(when, sizeof when, "2026-11-%02dT08:00:00.000Z", 1 + night % 28);
  info.started_at = when;
  info.clock = "virtual";
  info.fixture_source = "fixture.yaml";
  info.fixture_sha256 = info.scenarios_sha256 = "0";
  info.controller_version = "bench";
  info.command_line = "lockrig run";
  return info;
}

// One night: a run with a baseline and a candidate lock per material, `per` SLI sessions each.
void write_night(Journal& j, int night, long per, double base_fail, double cand_fail, Sim& sim) {
  const std::int64_t run = j.begin_run(night_run(night));
  std::vector<LockRow> rows;
  for (const char* m : kMaterials)
    for (const char* fw : {"2.4.0", "2.4.1"})
      rows.push_back(LockRow{std::string(m) + "-" + fw, "Acme Bolt 3", m, "A1", "sim", fw,
                             "Acme Bolt 3", "acme"});
  j.record_locks(run, rows);
  for (const char* m : kMaterials)
    for (const char* fw : {"2.4.0", "2.4.1"}) {
      const double f = std::string(fw) == "2.4.0" ? base_fail : cand_fail;
      for (long i = 0; i < per; ++i) {
        const SessionRecord s = sim_session(std::string(m) + "-" + fw, i, !sim.fails(f));
        j.commit(run, JournalBatch{{}, s});
      }
    }
  j.finish_run(run, "completed", 0, "2026-11-30T00:00:00.000Z", 60.0);
}

int run_gate(const std::string& db, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--db", db, "--baseline", "firmware=2.4.0", "--candidate",
                                   "firmware=2.4.1"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::ostringstream out;
  try {
    return reports::cmd_gate(args, out);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "gate: %s\n", e.what());
    return 2;
  }
}

void line(const char* what, long k, long n) {
  const lockrig::stats::Interval w = lockrig::stats::wilson_interval({k, n});
  std::printf("  %-52s %6.2f%%  [%5.2f, %5.2f]  (%ld / %ld)\n", what, 100.0 * k / n, 100.0 * w.lower,
              100.0 * w.upper, k, n);
}

fs::path temp_dir() {
  // /dev/shm when there is one: the journal fsyncs each session, which a tmpfs makes free.
  char tmpl[] = "/dev/shm/gate-cli-oc-XXXXXX";
  if (!fs::is_directory("/dev/shm")) std::snprintf(tmpl, sizeof tmpl, "/tmp/gcoc-XXXXXX");
  return fs::path(mkdtemp(tmpl));
}


// ---- calibration of the planner (issue 11 item 8) ----

struct CalStratum {
  const char* name;
  double rate;   // both versions' true SLI (the planner's "versions equal" design)
  double share;  // of each version's sessions
};
struct CalDesign {
  std::vector<CalStratum> strata;
  long sessions;  // per version, at the last look
  int looks;      // 1: one gate per night; K: K nights, `gate --looks K` after each
};

std::vector<CalDesign> calibration_grid() {
  return {
      {{{"all", 0.990, 1.0}}, 1600, 1},
      {{{"all", 0.995, 1.0}}, 400, 1},  // one stratum <= 500: the gate's exact test
      {{{"wood", 0.995, 0.25}, {"glass", 0.995, 0.25}, {"aluminium", 0.995, 0.25},
        {"steel", 0.995, 0.25}},
       800, 1},
      {{{"wood", 0.999, 0.25}, {"glass", 0.999, 0.25}, {"aluminium", 0.999, 0.25},
        {"steel", 0.999, 0.25}},
       800, 1},
      {{{"wood", 0.999, 0.25}, {"glass", 0.999, 0.25}, {"aluminium", 0.999, 0.25},
        {"steel", 0.999, 0.25}},
       400, 1},
      {{{"wood", 0.995, 0.75}, {"steel", 0.990, 0.25}}, 2000, 1},
      {{{"wood", 0.995, 0.25}, {"glass", 0.995, 0.25}, {"aluminium", 0.995, 0.25},
        {"steel", 0.995, 0.25}},
       2400, 3},
      {{{"wood", 0.999, 0.25}, {"glass", 0.999, 0.25}, {"aluminium", 0.999, 0.25},
        {"steel", 0.999, 0.25}},
       1600, 2},
      {{{"wood", 0.999, 0.25}, {"glass", 0.999, 0.25}, {"aluminium", 0.999, 0.25},
        {"steel", 0.999, 0.25}},
       800, 2},
  };
}

std::string plan_command(const CalDesign& d) {
  std::ostringstream o;
  o << "lockrig plan --baseline-rate " << d.strata[0].rate * 100 << "% --drop 0.5pp --margin 0.5pp";
  if (d.strata.size() > 1 || std::string(d.strata[0].name) != "all")
    for (const auto& s : d.strata) o << " --stratum " << s.name << "=" << s.rate * 100 << "%:" << s.share;
  if (d.looks > 1) o << " --looks " << d.looks;
  return o.str();
}

// Sessions of stratum k per version per night.
std::vector<long> per_night(const CalDesign& d) {
  std::vector<long> out;
  for (const auto& s : d.strata)
    out.push_back(std::lround(s.share * static_cast<double>(d.sessions) / d.looks));
  return out;
}

// One night of the design: one baseline and one candidate lock per stratum, written in groups
// of at most kMaxGroupSessions sessions per transaction (the run's journal writer, issue 18).
void write_design_night(Journal& j, int night, const CalDesign& d, Sim& sim) {
  const std::int64_t run = j.begin_run(night_run(night));
  std::vector<LockRow> rows;
  for (const auto& st : d.strata)
    for (const char* fw : {"2.4.0", "2.4.1"})
      rows.push_back(LockRow{std::string(st.name) + "-" + fw, "Acme Bolt 3", st.name, "A1", "sim",
                             fw, "Acme Bolt 3", "acme"});
  j.record_locks(run, rows);
  const auto per = per_night(d);
  std::vector<JournalBatch> group;
  for (std::size_t k = 0; k < d.strata.size(); ++k)
    for (const char* fw : {"2.4.0", "2.4.1"}) {
      for (long i = 0; i < per[k]; ++i) {
        const bool ok = !sim.fails(1.0 - d.strata[k].rate);
        const SessionRecord s = sim_session(std::string(d.strata[k].name) + "-" + fw, i, ok);
        group.push_back(JournalBatch{{}, s});
        if (group.size() == kMaxGroupSessions) {
          j.commit_group(run, group);
          group.clear();
        }
      }
    }
  if (!group.empty()) j.commit_group(run, group);
  j.finish_run(run, "completed", 0, "2026-11-30T00:00:00.000Z", 60.0);
}

int calibrate(long nights, int only, std::uint64_t seed) {
  const double margin = 0.005;
  const fs::path dir = temp_dir();
  const auto grid = calibration_grid();
  std::printf("planner vs lockrig gate through cmd_gate, versions equal, margin 0.50 pts, alpha "
              "0.05, %ld nights (campaigns) per design, seed %llu; P(PASS) by the last look\n",
              nights, static_cast<unsigned long long>(seed));
  std::printf("  %-3s %-78s %6s | %8s %8s | %-26s | %6s\n", "#", "design (as lockrig plan)",
              "n/ver", "normal", "planned", "simulated [Wilson 95%]", "planned-sim");
  for (std::size_t g = 0; g < grid.size(); ++g) {
    if (only >= 0 && static_cast<std::size_t>(only) != g) continue;
    const CalDesign& d = grid[g];
    const auto t0 = std::chrono::steady_clock::now();
    stats::GateDesign design;
    design.margin = margin;
    design.max_looks = d.looks;
    const auto per = per_night(d);
    long total = 0;
    for (std::size_t k = 0; k < d.strata.size(); ++k) {
      design.strata.push_back({d.strata[k].name, d.strata[k].share, d.strata[k].rate, d.strata[k].rate});
      total += per[k] * d.looks;
    }
    // The planner (gate_power: exact for one look where tractable, simulated through the gate's
    // rule for K looks with few failures per look) and the normal approximation it used before
    // issue 11 item 8.
    const stats::GatePower detail = stats::gate_power_detail(static_cast<double>(total), design);
    const double planned = detail.cumulative.back();
    char how[96];
    if (detail.method == stats::PowerMethod::simulated)
      std::snprintf(how, sizeof how, "planned %s, MC SE %.2f pts", stats::to_string(detail.method),
                    100 * detail.standard_error);
    else
      std::snprintf(how, sizeof how, "planned %s", stats::to_string(detail.method));
    const double normal =
        stats::gate_power_curve_normal(static_cast<double>(total), design).back();
    if (nights == 0) {
      std::printf("  %-3zu %-78s %6ld | %7.2f%% %7.2f%% | (not simulated; %s)\n", g,
                  plan_command(d).c_str(), total, 100 * normal, 100 * planned, how);
      continue;
    }
    Sim sim(seed + 1000 * g);
    long pass = 0, usage = 0;
    for (long c = 0; c < nights; ++c) {
      const fs::path db = dir / "cal.db";
      fs::remove(db);
      fs::remove(dir / "cal.db-wal");
      fs::remove(dir / "cal.db-shm");
      for (int k = 1; k <= d.looks; ++k) {
        {
          Journal j = Journal::open(db.string());
          write_design_night(j, k, d, sim);
        }
        std::vector<std::string> extra = {"--margin", "0.5pp"};
        if (d.looks > 1) {
          extra.push_back("--looks");
          extra.push_back(std::to_string(d.looks));
        }
        const int code = run_gate(db.string(), extra);
        if (code == 2) ++usage;
        if (code == 0) ++pass;
        if (code == 0 || code == 1) break;  // the design stops at a decision
      }
    }
    const lockrig::stats::Interval w = lockrig::stats::wilson_interval({pass, nights});
    const double sim_p = static_cast<double>(pass) / nights;
    std::printf("  %-3zu %-78s %6ld | %7.2f%% %7.2f%% | %6.2f%% [%5.2f, %5.2f] | %+6.2f  (%.0f s, %s%s)\n",
                g, plan_command(d).c_str(), total, 100 * normal, 100 * planned, 100 * sim_p, 100 * w.lower,
                100 * w.upper, 100 * (planned - sim_p),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), how,
                usage ? ", usage errors!" : "");
    std::fflush(stdout);
  }
  fs::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  long nights = 1000, campaigns = 200, per = 200;
  double base_rate = 0.995, margin = 0.005;
  int looks = 10;
  std::uint64_t seed = 1;
  bool single = true, sequential = true, calibration = false;
  int only = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--nights") nights = std::stol(next());
    else if (a == "--campaigns") campaigns = std::stol(next());
    else if (a == "--per") per = std::stol(next());
    else if (a == "--baseline-rate") base_rate = std::stod(next());
    else if (a == "--margin") margin = std::stod(next());
    else if (a == "--looks") looks = std::stoi(next());
    else if (a == "--seed") seed = std::stoull(next());
    else if (a == "--skip-single") single = false;
    else if (a == "--skip-looks") sequential = false;
    else if (a == "--calibrate") calibration = true;
    else if (a == "--design") only = std::stoi(next());
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (calibration) return calibrate(nights, only, seed);
  const double f0 = 1.0 - base_rate;
  const std::string margin_arg = std::to_string(margin);
  const fs::path dir = temp_dir();
  Sim sim(seed);
  const auto t0 = std::chrono::steady_clock::now();
  std::printf("lockrig gate through cmd_gate on simulated journals: 4 materials x %ld SLI sessions "
              "per version per night, baseline %.2f%%, margin %.2f pts, alpha 0.05, seed %llu\n",
              per, 100.0 * base_rate, 100.0 * margin, static_cast<unsigned long long>(seed));
  if (single) {
    long pass_drop = 0, pass_eq = 0, fail_eq = 0, usage = 0;
    for (long n = 0; n < nights; ++n) {
      for (int eq = 0; eq < 2; ++eq) {
        const fs::path db = dir / "night.db";
        fs::remove(db);
        fs::remove(dir / "night.db-wal");
        fs::remove(dir / "night.db-shm");
        {
          Journal j = Journal::open(db.string());
          write_night(j, 1, per, f0, eq ? f0 : f0 + margin, sim);
        }
        const int code = run_gate(db.string(), {"--margin", margin_arg});
        if (code == 2) ++usage;
        if (!eq && code == 0) ++pass_drop;
        if (eq && code == 0) ++pass_eq;
        if (eq && code == 1) ++fail_eq;
      }
    }
    std::printf("one look per night, %ld nights each:\n", nights);
    line("size: P(PASS | candidate truly margin worse)", pass_drop, nights);
    line("power: P(PASS | equal)", pass_eq, nights);
    line("false fail: P(FAIL | equal)", fail_eq, nights);
    if (usage) std::printf("  (%ld gate runs ended in a usage error)\n", usage);
  }
  if (sequential) {
    std::vector<long> ever_gsd(looks, 0), ever_naive(looks, 0);
    long usage = 0;
    for (long c = 0; c < campaigns; ++c) {
      const fs::path db = dir / "campaign.db";
      fs::remove(db);
      fs::remove(dir / "campaign.db-wal");
      fs::remove(dir / "campaign.db-shm");
      bool passed_gsd = false, stopped_gsd = false, passed_naive = false;
      for (int k = 1; k <= looks; ++k) {
        {
          Journal j = Journal::open(db.string());
          write_night(j, k, per, f0, f0 + margin, sim);
        }
        const int naive = run_gate(db.string(), {"--margin", margin_arg});
        passed_naive = passed_naive || naive == 0;
        if (!stopped_gsd) {
          const int code =
              run_gate(db.string(), {"--margin", margin_arg, "--looks", std::to_string(looks)});
          if (code == 2) ++usage;
          if (code == 0) passed_gsd = true;
          if (code == 0 || code == 1) stopped_gsd = true;  // the design stops at a decision
        }
        if (passed_gsd) ++ever_gsd[k - 1];
        if (passed_naive) ++ever_naive[k - 1];
      }
    }
    std::printf("nightly looks at the accumulated sessions, candidate truly margin worse, %ld "
                "campaigns:\n  look | P(ever PASS) single-look gate re-run | gate --looks %d\n",
                campaigns, looks);
    for (int k = 0; k < looks; ++k) {
      const lockrig::stats::Interval a = lockrig::stats::wilson_interval({ever_naive[k], campaigns}),
                                       b = lockrig::stats::wilson_interval({ever_gsd[k], campaigns});
      std::printf("  %4d | %6.2f%% [%5.2f, %5.2f]              | %6.2f%% [%5.2f, %5.2f]\n", k + 1,
                  100.0 * ever_naive[k] / campaigns, 100 * a.lower, 100 * a.upper,
                  100.0 * ever_gsd[k] / campaigns, 100 * b.lower, 100 * b.upper);
    }
    if (usage) std::printf("  (%ld gate runs ended in a usage error)\n", usage);
  }
  fs::remove_all(dir);
  std::printf("(%.0f s)\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return 0;
}
