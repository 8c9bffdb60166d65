// Calibration of `lockrig run --until-decided` on the simulated rig: many A/A campaigns (both
// builds truly at 99.5% session success) and A/B campaigns (candidate truly 0.5 pts worse),
// reporting false-fail / false-pass / detection rates with Wilson intervals against the nominal
// alpha and power, and sessions to a verdict against the fixed-sample design.
//
// Each session's outcome is decided by the sim lock driver (drivers/sim, via the same simulated
// flash `--until-decided` uses and rig/engine/session.cpp's run_session with the door-materials unlock
// step and its retries); the journal is left out for speed (the full runner path is covered by the
// CLI test). Campaigns follow the CLI's design: blocks of --block sessions per lock alternating the
// builds in randomized order, sessions paired per lock, the cap at 3 x the fixed-sample size.
//
// With --full N, N more A/A and N A/B campaigns run through the real path (run_until_decided:
// the runner with its journal-writer stop hook, sim drivers, a SQLite journal per campaign in a
// temporary directory) as a cross-check of the direct drive; it costs ~0.3 s per campaign.
//
// Usage: sequential_calibration [--campaigns N] [--block R] [--threads T] [--seed S]
//                               [--alpha A] [--power P] [--full N]
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "drivers/registry.hpp"
#include "drivers/sim/sim.hpp"
#include "reports/stats/power.hpp"
#include "reports/stats/proportion.hpp"
#include "reports/stats/sequential.hpp"
#include "rig/engine/decision_series.hpp"
#include "rig/engine/fixture.hpp"
#include "rig/journal/journal.hpp"
#include "rig/engine/scenario.hpp"
#include "rig/engine/session.hpp"

using namespace lockrig;
using stats::Arm;
using stats::SequentialVerdict;

namespace {

constexpr double kBaselineRate = 0.995, kMargin = 0.005;

// Eight locks on four door materials, as the simulated lab. Every failure knob is 0 except the
// jam: the true session failure rate of a build is its jam_rate (a jam fails all three attempts).
// "2.4.0" and "2.4.0-rebuild" are the same lock behaviour under two names (the A/A pair).
std::string fixture_text(const std::string& prefix) {
  std::string locks;
  const char* materials[] = {"wood",      "wood",      "glass", "glass",
                             "aluminium", "aluminium", "steel", "steel"};
  for (int i = 0; i < 8; ++i)
    locks += "  - {id: " + prefix + "l" + std::to_string(i + 1) + ", material: " + materials[i] +
             ", driver: sim, settings: {firmware: 2.4.0}}\n";
  return "rig: calibration\n"
         "drivers:\n"
         "  sim:\n"
         "    drop_rate: 0\n    disconnect_rate: 0\n    reject_rate: 0\n    protocol_error_rate: "
         "0\n"
         "    firmware_profiles:\n"
         "      \"2.4.0\": {jam_rate: 0.005}\n"
         "      \"2.4.0-rebuild\": {jam_rate: 0.005}\n"
         "      \"2.4.1\": {jam_rate: 0.010}\n"
         "locks:\n" +
         locks;
}

const char* kScenario = R"(
name: door-materials
repeat: 1
steps:
  - unlock: {expect: success, within: 8s, retry: {attempts: 3, backoff: 500ms}, connection: per_session}
)";

class NoBench final : public drivers::BenchView {
 public:
  std::optional<bool> channel_state(std::string_view, std::string_view) const override {
    return std::nullopt;
  }
  std::optional<drivers::SupplyReading> supply_state(std::string_view) const override {
    return std::nullopt;
  }
};

struct CampaignResult {
  SequentialVerdict verdict = SequentialVerdict::undecided;
  long long sessions = 0;  // SLI sessions of both versions when it stopped
  long long failures[2] = {0, 0}, n[2] = {0, 0};
};

std::uint64_t mix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

CampaignResult run_one(const Fixture& fx, const UnlockStep& step, const stats::SequentialDesign& d,
                       const std::string& baseline, const std::string& candidate, int block,
                       long long cap, std::uint64_t seed) {
  const auto& driver = drivers::builtin_drivers().lock_driver("sim", {});
  NoBench bench;
  drivers::SelectedBuilds builds;  // the simulated flash
  stats::PairedSequentialTest test(d);
  std::uint64_t order = mix(seed);
  std::atomic<bool> never{false};
  long long counted = 0;
  Arm round[2];
  for (int b = 0; test.verdict() == SequentialVerdict::undecided && counted < cap; ++b) {
    if (b % 2 == 0) {
      order = mix(order);
      const bool candidate_first = order & 1;
      round[0] = candidate_first ? Arm::candidate : Arm::baseline;
      round[1] = candidate_first ? Arm::baseline : Arm::candidate;
    }
    const Arm arm = round[b % 2];
    const std::string& build = arm == Arm::baseline ? baseline : candidate;
    for (const auto& spec : fx.locks) {
      builds.select(spec.id, build);
      VirtualClock clock;
      // A sim lock seeds its randomness with ctx.seed ^ hash(its id); cancel the thread prefix
      // of the id so a campaign's sessions do not depend on which thread ran it.
      const std::string plain = spec.id.substr(spec.id.find('-') + 1);
      drivers::DriverContext ctx{clock, &bench,
                                 mix(seed ^ mix(static_cast<std::uint64_t>(b) + 1)) ^
                                     drivers::sim::stable_hash(spec.id) ^
                                     drivers::sim::stable_hash(plain),
                                 &builds};
      auto link = driver.create(spec, ctx);
      for (int r = 0; r < block; ++r) {
        auto s = run_session(*link, clock, step, never);
        if (!s || !s->sli_eligible || s->result == SessionResult::rig_fault) continue;
        test.add(spec.id, arm, s->sli_success);
        if (++counted >= cap || test.verdict() != SequentialVerdict::undecided) break;
      }
      if (counted >= cap || test.verdict() != SequentialVerdict::undecided) break;
    }
  }
  CampaignResult out;
  out.verdict = test.verdict();
  out.sessions = counted;
  for (Arm a : {Arm::baseline, Arm::candidate}) {
    out.n[a == Arm::candidate] = test.sessions(a);
    out.failures[a == Arm::candidate] = test.failures(a);
  }
  return out;
}

struct Summary {
  long long fail = 0, pass = 0, undecided = 0;
  std::vector<long long> sessions_decided;
  long long n[2] = {0, 0}, failures[2] = {0, 0};

  // One campaign's verdict, and the sessions it took when it reached one.
  void count(SequentialVerdict verdict, long long sessions) {
    if (verdict == SequentialVerdict::fail)
      ++fail;
    else if (verdict == SequentialVerdict::pass)
      ++pass;
    else
      ++undecided;
    if (verdict != SequentialVerdict::undecided) sessions_decided.push_back(sessions);
  }
};

Summary run_many(const std::string& candidate, const stats::SequentialDesign& d,
                 int campaigns, int block, long long cap, int threads, std::uint64_t seed,
                 const UnlockStep& step) {
  std::vector<CampaignResult> results(static_cast<std::size_t>(campaigns));
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      // Lock ids per thread: the simulated flash is keyed by lock id.
      const Fixture fx =
          parse_fixture(fixture_text("t" + std::to_string(t) + "-"), "<calibration>");
      for (int i; (i = next++) < campaigns;)
        results[static_cast<std::size_t>(i)] =
            run_one(fx, step, d, "2.4.0", candidate, block, cap,
                    mix(seed ^ mix(static_cast<std::uint64_t>(i) * 2 + (candidate == "2.4.1"))));
    });
  for (auto& t : pool) t.join();
  Summary s;
  for (const auto& r : results) {
    s.count(r.verdict, r.sessions);
    for (int a = 0; a < 2; ++a) {
      s.n[a] += r.n[a];
      s.failures[a] += r.failures[a];
    }
  }
  std::sort(s.sessions_decided.begin(), s.sessions_decided.end());
  return s;
}

// The same campaigns through `lockrig run --until-decided`'s own code path, journal included.
Summary run_full(const std::string& candidate, int campaigns, int block, std::uint64_t seed,
                 double alpha, double power) {
  const Fixture fx = parse_fixture(fixture_text(""), "<calibration>");
  const auto scenarios = parse_scenarios(kScenario, "<calibration>");
  std::string dir = "/tmp/lockrig-seqcal-XXXXXX";
  if (!::mkdtemp(dir.data())) throw std::runtime_error("mkdtemp failed");
  struct Quiet final : RunObserver {
  } quiet;
  std::atomic<bool> never{false};
  Summary s;
  for (int i = 0; i < campaigns; ++i) {
    const std::string path = dir + "/c.db";
    UntilDecidedOutcome r;
    {
      Journal j = Journal::open(path);
      RunOptions o;
      o.seed =
          mix(seed ^ mix(0xf011ULL + static_cast<std::uint64_t>(i) * 2 + (candidate == "2.4.1"))) &
          0x7fffffffffffffffULL;
      UntilDecidedOptions u;
      u.baseline_build = "2.4.0";
      u.candidate_build = candidate;
      u.alpha = alpha;
      u.power = power;
      u.block_repeat = block;
      r = run_until_decided(fx, scenarios, drivers::builtin_drivers(), j, o, u, quiet, nullptr,
                            never);
    }
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    s.count(r.verdict, r.sessions_at_decision);
  }
  std::filesystem::remove_all(dir);
  std::sort(s.sessions_decided.begin(), s.sessions_decided.end());
  return s;
}

std::string rate_ci(long long x, long long n) {
  if (n == 0) return "-";
  const auto ci =
      stats::wilson_interval(stats::Counts{static_cast<long>(x), static_cast<long>(n)}, 0.95);
  char buf[128];
  std::snprintf(buf, sizeof buf, "%5.2f%% [%5.2f, %5.2f]  (%lld/%lld)", 100.0 * x / n,
                100 * ci.lower, 100 * ci.upper, x, n);
  return buf;
}

// Against the target (within 1.5 points of nominal) and whether the nominal value is inside the
// 95% interval, so a small run is not read as a miss.
std::string verdict(long long x, long long n, double nominal) {
  const double off = 100.0 * static_cast<double>(x) / static_cast<double>(n) - 100 * nominal;
  const auto ci =
      stats::wilson_interval(stats::Counts{static_cast<long>(x), static_cast<long>(n)}, 0.95);
  char buf[160];
  std::snprintf(buf, sizeof buf, "%+.2f pts (%s 1.5), nominal %s the 95%% interval", off,
                std::fabs(off) <= 1.5 ? "within" : "BEYOND",
                ci.contains(nominal) ? "inside" : "OUTSIDE");
  return buf;
}

double quantile(const std::vector<long long>& v, double p) {
  if (v.empty()) return NAN;
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5));
  return static_cast<double>(v[i]);
}

double mean(const std::vector<long long>& v) {
  double s = 0;
  for (auto x : v) s += static_cast<double>(x);
  return v.empty() ? NAN : s / static_cast<double>(v.size());
}

}  // namespace

int main(int argc, char** argv) {
  int campaigns = 1000, block = 50, threads = 2, full = 0;
  std::uint64_t seed = 20261122;
  double alpha = 0.05, power = 0.8;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "sequential_calibration: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--campaigns")
      campaigns = std::atoi(value());
    else if (a == "--block")
      block = std::atoi(value());
    else if (a == "--threads")
      threads = std::atoi(value());
    else if (a == "--seed")
      seed = std::strtoull(value(), nullptr, 10);
    else if (a == "--alpha")
      alpha = std::atof(value());
    else if (a == "--power")
      power = std::atof(value());
    else if (a == "--full")
      full = std::atoi(value());
    else {
      std::fprintf(stderr,
                   "usage: sequential_calibration [--campaigns N] [--block R] [--threads T] "
                   "[--seed S] [--alpha A] [--power P] [--full N]\nunknown argument \"%s\"\n",
                   a.c_str());
      return 2;
    }
  }
  if (campaigns < 1 || block < 1 || threads < 1) {
    std::fprintf(stderr,
                 "sequential_calibration: --campaigns, --block and --threads must be >= 1\n");
    return 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto d = stats::design_sequential_test(kBaselineRate, kMargin, alpha, power);
  const long long fixed_n = fixed_sample_per_version(kBaselineRate, kMargin, alpha, power);
  const long long cap = 3 * 2 * fixed_n;
  const double plan_gate_n = std::ceil(
      stats::sample_size_non_inferiority(kBaselineRate, kBaselineRate, kMargin, alpha, power));
  const double plan_drop_n = std::ceil(
      stats::sample_size_two_proportions(kBaselineRate, kBaselineRate - kMargin, alpha, power));
  const auto scenarios = parse_scenarios(kScenario, "<calibration>");
  const UnlockStep& step = scenarios.front().steps.front().unlock;

  std::printf(
      "sequential calibration on the simulated rig: sim lock driver + run_session (retries "
      "as door-materials), no journal\n");
  std::printf(
      "design: matched-pair SPRT, baseline %.1f%%, margin %.1f pts, alpha %.3f, power %.3f"
      " -> q1 %.4f, LLR boundaries [%.4f, %.4f] (Wald [%.4f, %.4f])\n",
      100 * kBaselineRate, 100 * kMargin, alpha, power, d.q1, d.lower, d.upper, d.wald_lower,
      d.wald_upper);
  std::printf(
      "        exact alpha %.4f, exact power %.4f; 8 locks, blocks of %d sessions per lock, "
      "cap %lld sessions, %d campaigns each, seed %llu\n",
      d.exact_alpha, 1 - d.exact_beta, block, cap, campaigns,
      static_cast<unsigned long long>(seed));
  std::printf(
      "errors: FAIL under A/A = false-fail (nominal alpha); PASS under A/B = false-pass "
      "(nominal beta = 1 - power); detection = FAIL under A/B\n\n");

  const Summary aa =
      run_many("2.4.0-rebuild", d, campaigns, block, cap, threads, seed, step);
  const Summary ab = run_many("2.4.1", d, campaigns, block, cap, threads, seed, step);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const auto pred_aa = stats::sessions_to_decision(d, 1 - kBaselineRate, 1 - kBaselineRate);
  const auto pred_ab =
      stats::sessions_to_decision(d, 1 - kBaselineRate, 1 - kBaselineRate + kMargin);
  const double fixed_total = 2.0 * static_cast<double>(fixed_n);
  auto report = [&](const char* name, const Summary& s, const stats::SessionsToDecision& pred,
                    bool aa_case) {
    const long long n = s.fail + s.pass + s.undecided;
    if (s.n[0] > 0)
      std::printf("%s  true session failure: baseline %.3f%%, candidate %.3f%% (sessions used)\n",
                  name, 100.0 * s.failures[0] / s.n[0],
                  100.0 * s.failures[1] / std::max(1LL, s.n[1]));
    else
      std::printf("%s\n", name);
    if (aa_case) {
      std::printf("  false-fail (FAIL)     %s   nominal alpha %.2f%%: %s\n",
                  rate_ci(s.fail, n).c_str(), 100 * alpha, verdict(s.fail, n, alpha).c_str());
      std::printf("  PASS                  %s\n", rate_ci(s.pass, n).c_str());
    } else {
      std::printf("  detection (FAIL)      %s   planned power %.2f%%: %s\n",
                  rate_ci(s.fail, n).c_str(), 100 * power, verdict(s.fail, n, power).c_str());
      std::printf("  false-pass (PASS)     %s   nominal beta %.2f%%\n", rate_ci(s.pass, n).c_str(),
                  100 * (1 - power));
    }
    std::printf("  undecided at the cap  %s\n", rate_ci(s.undecided, n).c_str());
    const double med = quantile(s.sessions_decided, 0.5);
    std::printf(
        "  sessions to a verdict: median %.0f (%.0f%% of fixed-sample %.0f: %s), mean %.0f, "
        "p90 %.0f; predicted median %.0f, mean %.0f\n\n",
        med, 100 * med / fixed_total, fixed_total,
        med <= 0.6 * fixed_total ? "<= 60%" : "ABOVE 60%", mean(s.sessions_decided),
        quantile(s.sessions_decided, 0.9), pred.median_sessions, pred.mean_sessions);
  };
  report("A/A (2.4.0 vs 2.4.0-rebuild, both 99.5%)", aa, pred_aa, true);
  report("A/B (2.4.0 99.5% vs 2.4.1 99.0%)", ab, pred_ab, false);
  const double gate_total = 2 * plan_gate_n, drop_total = 2 * plan_drop_n;
  std::printf(
      "median sessions against the other planner figures (both versions): A/A %.0f%% of "
      "plan --margin (%.0f), %.0f%% of plan --drop (%.0f); A/B %.0f%%, %.0f%%\n\n",
      100 * quantile(aa.sessions_decided, 0.5) / gate_total, gate_total,
      100 * quantile(aa.sessions_decided, 0.5) / drop_total, drop_total,
      100 * quantile(ab.sessions_decided, 0.5) / gate_total,
      100 * quantile(ab.sessions_decided, 0.5) / drop_total);
  if (full > 0) {
    const auto tf = std::chrono::steady_clock::now();
    const Summary faa = run_full("2.4.0-rebuild", full, block, seed, alpha, power);
    const Summary fab = run_full("2.4.1", full, block, seed, alpha, power);
    std::printf(
        "full path (run_until_decided: runner + stop hook + sim drivers + SQLite journal), "
        "%d campaigns each, %.1f s:\n",
        full, std::chrono::duration<double>(std::chrono::steady_clock::now() - tf).count());
    report("A/A full path", faa, pred_aa, true);
    report("A/B full path", fab, pred_ab, false);
  }
  std::printf("fixed-sample comparators for alpha %.3f / power %.3f (sessions per version):\n",
              alpha, power);
  std::printf(
      "  one-sided two-proportion test of no difference, power at 99.5%% vs 99.0%% "
      "(power.prop.test, sig.level = 2 alpha): %lld  <- the comparator above (x2 = %.0f)\n",
      fixed_n, fixed_total);
  std::printf(
      "  lockrig plan --margin (Farrington-Manning non-inferiority, both at 99.5%%): %.0f\n",
      plan_gate_n);
  std::printf("  lockrig plan --drop (two-sided two-proportion test): %.0f\n", plan_drop_n);
  std::printf("\n%d campaigns in %.1f s\n", 2 * campaigns, secs);
  return 0;
}
