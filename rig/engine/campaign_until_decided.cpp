#include "rig/engine/campaign_until_decided.hpp"

#include <sqlite3.h>

#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>

#include "drivers/command/process.hpp"
#include "drivers/rig_fault.hpp"
#include "drivers/sim/sim.hpp"
#include "reports/stats/power.hpp"
#include "rig/base/text.hpp"

namespace lockrig {

using stats::Arm;
using stats::SequentialVerdict;

long long fixed_sample_per_version(double baseline_rate, double margin, double alpha,
                                   double power) {
  return static_cast<long long>(std::ceil(
      stats::sample_size_two_proportions(baseline_rate, baseline_rate - margin, 2 * alpha, power)));
}

namespace {

const char* arm_name(Arm a) {
  return a == Arm::baseline ? "baseline" : "candidate";
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// Forwards to the caller's observer and remembers the uuid of the block's run.
class BlockObserver final : public RunObserver {
 public:
  explicit BlockObserver(RunObserver& inner) : inner_(inner) {}
  void started(const Plan& p, const std::string& uuid, bool virtual_clock) override {
    uuid_ = uuid;
    inner_.started(p, uuid, virtual_clock);
  }
  void progress(const RunCounters& c, long long planned) override { inner_.progress(c, planned); }
  void message(const std::string& m) override { inner_.message(m); }
  const std::string& uuid() const { return uuid_; }

 private:
  RunObserver& inner_;
  std::string uuid_;
};

// Firmware each lock reported in the run with this uuid (empty when unreadable).
std::map<std::string, std::string> reported_firmware(Journal& journal, const std::string& uuid) {
  sqlite3* db = journal.db();
  sqlite3_stmt* st = nullptr;
  sqlite_check(sqlite3_prepare_v2(db,
                                  "SELECT l.lock_id, COALESCE(l.firmware, '') FROM run_locks l "
                                  "JOIN runs r ON r.id = l.run_id WHERE r.uuid = ?",
                                  -1, &st, nullptr),
               db, "read the firmware of the block's locks");
  sqlite3_bind_text(st, 1, uuid.c_str(), -1, SQLITE_TRANSIENT);
  std::map<std::string, std::string> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    out[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] =
        reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) sqlite_check(rc, db, "read the firmware of the block's locks");
  return out;
}

// Runs the fixture's select_build program for one lock; a failure is a rig fault.
EventRow select_build_with_hook(const BuildSelectHook& hook, const drivers::LockSpec& lock,
                                const std::string& build) {
  const std::vector<std::string> argv = hook.argv(lock, build);
  drivers::command::ProcessOptions po;
  po.timeout = hook.timeout;
  const auto r = drivers::command::run_process(argv, po);
  const std::string what = "select_build " + quote(argv.front()) + " for lock " + quote(lock.id) +
                           " build " + quote(build);
  auto tail = [&] {
    std::string t = r.err_tail;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    return t.empty() ? std::string() : " (stderr: " + quote(t) + ")";
  };
  if (!r.started)
    throw drivers::RigFault("select_build",
                            what + ": could not start: " + std::strerror(r.exec_errno));
  if (r.timed_out)
    throw drivers::RigFault("select_build",
                            what + ": no answer within " + format_duration(hook.timeout) + tail());
  if (r.signaled)
    throw drivers::RigFault(
        "select_build", what + ": killed by " + drivers::command::signal_name(r.signal) + tail());
  if (!r.exited || r.exit_code != 0)
    throw drivers::RigFault("select_build",
                            what + ": exit code " + std::to_string(r.exit_code) + tail());
  return EventRow{
      lock.id, TimePoint{0}, "select_build",
      lock.id, build,        "exit 0 after " + format_duration(r.elapsed) + ": " + join(argv, " ")};
}

bool has_sli_step(const std::vector<Scenario>& scenarios) {
  for (const auto& s : scenarios)
    for (const auto& st : s.steps)
      if (st.kind == Step::Kind::unlock && st.unlock.sli) return true;
  return false;
}

std::uint64_t block_seed(std::uint64_t seed, int block) {
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(block);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return (z ^ (z >> 31)) & 0x7fffffffffffffffULL;  // the journal stores a signed 64-bit seed
}

}  // namespace

stats::SequentialDesign validate_until_decided(const Fixture& fixture,
                                               const std::vector<Scenario>& scenarios,
                                               const drivers::DriverRegistry& registry,
                                               const UntilDecidedOptions& options) {
  if (options.baseline_build.empty() || options.candidate_build.empty())
    throw UsageError("--until-decided needs --baseline firmware=X and --candidate firmware=Y");
  if (options.baseline_build == options.candidate_build)
    throw UsageError("--baseline and --candidate select the same build " +
                     quote(options.baseline_build) +
                     "; an A/A check needs two names for it "
                     "(e.g. a rebuild), or the versions cannot be told apart in the journal");
  if (options.block_repeat < 1)
    throw UsageError("--block must be at least 1, got " + std::to_string(options.block_repeat));
  if (!has_sli_step(scenarios))
    throw UsageError(
        "--until-decided needs a scenario with SLI unlock sessions (e.g. "
        "scenarios/door-materials.yaml); the given scenarios have none");
  for (const auto& l : fixture.locks)
    if (!fixture.select_build && !registry.lock_driver(l.driver, l.where).simulated)
      throw UsageError("--until-decided switches builds between blocks, but fixture " +
                       quote(fixture.source) + " has no select_build hook and lock " + quote(l.id) +
                       " (driver " + l.driver +
                       ") cannot be switched without one; see "
                       "docs/sequential.md");
  try {
    return stats::design_sequential_test(options.baseline_rate, options.margin, options.alpha,
                                         options.power);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--until-decided: ") + e.what());
  }
}

UntilDecidedOutcome run_until_decided(const Fixture& fixture,
                                      const std::vector<Scenario>& scenarios,
                                      const drivers::DriverRegistry& registry, Journal& journal,
                                      const RunOptions& base, const UntilDecidedOptions& options,
                                      RunObserver& observer, std::FILE* out,
                                      const std::atomic<bool>& stop) {
  // Everything is checked before the first run is journaled.
  const stats::SequentialDesign design =
      validate_until_decided(fixture, scenarios, registry, options);
  const long long fixed_n =
      fixed_sample_per_version(options.baseline_rate, options.margin, options.alpha, options.power);
  const long long cap = options.max_sessions > 0 ? options.max_sessions : 3 * 2 * fixed_n;
  (void)make_plan(fixture, scenarios, base.plan);

  UntilDecidedOutcome result;
  result.campaign = make_uuid_v4();
  stats::PairedSequentialTest test(design);
  std::mt19937_64 order_rng(base.seed ^ 0x5e9f00d5e9f00dULL);
  // The simulated flash must not leak into later runs in this process.
  struct ClearSim {
    ~ClearSim() { drivers::sim::clear_selected_builds(); }
  } clear_sim;

  const std::string design_text =
      "matched-pair SPRT: baseline=" + options.baseline_build +
      " candidate=" + options.candidate_build +
      " baseline_rate=" + fixed(options.baseline_rate, 6) + " margin=" + fixed(options.margin, 6) +
      " alpha=" + fixed(options.alpha, 4) + " power=" + fixed(options.power, 4) +
      " q1=" + fixed(design.q1, 6) + " step_up=" + fixed(design.up, 6) +
      " step_down=" + fixed(design.down, 6) + " upper=" + fixed(design.upper, 6) +
      " lower=" + fixed(design.lower, 6) + " exact_alpha=" + fixed(design.exact_alpha, 6) +
      " exact_beta=" + fixed(design.exact_beta, 6) + " max_sessions=" + std::to_string(cap) +
      " block_repeat=" + std::to_string(options.block_repeat) +
      " fixed_sample_per_version=" + std::to_string(fixed_n);
  if (out) {
    std::fprintf(out,
                 "until-decided campaign %s: baseline firmware %s vs candidate firmware %s\n"
                 "  FAIL if the candidate fails more (regression of %s pts at a planned baseline "
                 "of %s%%):\n"
                 "  false-fail alpha %s (exact %s), detection %s (exact %s), LLR boundaries "
                 "[%s, %s]\n"
                 "  cap %lld SLI sessions; fixed-sample design: %lld per version (%lld in all)\n",
                 result.campaign.c_str(), options.baseline_build.c_str(),
                 options.candidate_build.c_str(), fixed(100 * options.margin, 2).c_str(),
                 fixed(100 * options.baseline_rate, 2).c_str(), fixed(options.alpha, 3).c_str(),
                 fixed(design.exact_alpha, 4).c_str(), fixed(options.power, 3).c_str(),
                 fixed(1 - design.exact_beta, 4).c_str(), fixed(design.lower, 3).c_str(),
                 fixed(design.upper, 3).c_str(), cap, fixed_n, 2 * fixed_n);
    std::fflush(out);
  }

  long long mismatched = 0;
  Arm round[2] = {Arm::baseline, Arm::candidate};
  for (int block = 1;; ++block) {
    if ((block - 1) % 2 == 0) {
      // Each round of two blocks runs both versions, in an order drawn from the seed, so a drift
      // over the night (temperature, RF neighbours) falls on both versions alike.
      const bool candidate_first = (order_rng() & 1) != 0;
      round[0] = candidate_first ? Arm::candidate : Arm::baseline;
      round[1] = candidate_first ? Arm::baseline : Arm::candidate;
    }
    const Arm arm = round[(block - 1) % 2];
    const std::string build =
        arm == Arm::baseline ? options.baseline_build : options.candidate_build;

    RunOptions o = base;
    o.uuid.clear();          // every block is a new run with its own uuid
    o.run_lock = nullptr;    // a campaign is not resumable, so no crash bookkeeping
    o.resume = nullptr;
    o.labels["campaign"] = result.campaign;
    o.labels["arm"] = arm_name(arm);
    o.labels["block"] = std::to_string(block);
    o.seed = block_seed(base.seed, block);
    o.plan.repeat_override = options.block_repeat;
    const BuildSelectHook* hook = fixture.select_build ? &*fixture.select_build : nullptr;
    o.before_identity = [hook, build, &registry](const drivers::LockSpec& lock) {
      std::vector<EventRow> events;
      if (hook) events.push_back(select_build_with_hook(*hook, lock, build));
      if (registry.lock_driver(lock.driver, lock.where).simulated) {
        drivers::sim::select_build(lock.id, build);
        if (!hook)
          events.push_back(EventRow{lock.id, TimePoint{0}, "select_build", lock.id, build,
                                    "simulated flash (no select_build hook in the fixture)"});
      }
      return events;
    };
    BlockObserver block_observer(observer);
    std::map<std::string, std::string> firmware;
    bool firmware_loaded = false;
    long long block_sessions = 0, block_mismatched = 0;
    o.after_session = [&](const SessionRecord& s) {
      if (s.sli_eligible && s.result != SessionResult::rig_fault &&
          test.verdict() == SequentialVerdict::undecided && result.sli_sessions < cap) {
        if (!firmware_loaded) {
          firmware = reported_firmware(journal, block_observer.uuid());
          firmware_loaded = true;
        }
        // A lock that does not report the block's build (a flash that silently failed) says
        // nothing about either version: left out, counted and warned about.
        if (firmware[s.lock_id] != build) {
          ++block_mismatched;
        } else {
          test.add(s.lock_id + "/" + s.scenario + "/" + std::to_string(s.step_index), arm,
                   s.sli_success);
          ++result.sli_sessions;
          ++block_sessions;
        }
      }
      return test.verdict() != SequentialVerdict::undecided || result.sli_sessions >= cap;
    };

    const RunOutcome r =
        run_campaign(fixture, scenarios, registry, journal, o, block_observer, stop);
    result.blocks = block;
    mismatched += block_mismatched;
    const auto& w = test.walk();
    std::vector<EventRow> events;
    const TimePoint end{static_cast<std::int64_t>(r.campaign_seconds * 1e9)};
    if (block == 1)
      events.push_back(EventRow{"", TimePoint{0}, "sequential_design", result.campaign,
                                "matched-pair SPRT", design_text});
    const std::string evidence =
        "block=" + std::to_string(block) + " arm=" + arm_name(arm) + " build=" + build +
        " llr=" + fixed(w.llr(), 6) + " lower=" + fixed(design.lower, 6) +
        " upper=" + fixed(design.upper, 6) + " discordant=" + std::to_string(w.discordant()) +
        " candidate_failed=" + std::to_string(w.candidate_failed()) +
        " baseline_failed=" + std::to_string(w.baseline_failed()) +
        " pairs=" + std::to_string(test.pairs()) +
        " both_failed=" + std::to_string(test.concordant_failures()) +
        " sessions_baseline=" + std::to_string(test.sessions(Arm::baseline)) +
        " sessions_candidate=" + std::to_string(test.sessions(Arm::candidate)) +
        " block_sessions=" + std::to_string(block_sessions) +
        " firmware_mismatch=" + std::to_string(block_mismatched);
    events.push_back(EventRow{"", end, "sequential_evidence", arm_name(arm),
                              stats::verdict_name(test.verdict()), evidence});
    if (out) {
      std::fprintf(out,
                   "block %3d %-9s %-10s %5lld sessions (total %7lld)  discordant C %lld / B %lld  "
                   "LLR %+7.3f in [%.3f, %.3f]  %s\n",
                   block, arm_name(arm), build.c_str(), block_sessions, result.sli_sessions,
                   w.candidate_failed(), w.baseline_failed(), w.llr(), design.lower, design.upper,
                   stats::verdict_name(test.verdict()));
      if (block_mismatched > 0)
        std::fprintf(out,
                     "  warning: %lld session(s) left out: their lock did not report firmware %s "
                     "after select_build\n",
                     block_mismatched, build.c_str());
      std::fflush(out);
    }

    bool finished = false;
    if (test.verdict() != SequentialVerdict::undecided) {
      result.verdict = test.verdict();
      result.sessions_at_decision = test.sessions_at_decision();
      result.exit_code = result.verdict == SequentialVerdict::pass ? exit_code::ok : 1;
      result.stop_reason = "decided";
      finished = true;
    } else if (r.status != "completed" || r.exit_code == exit_code::rig_fault) {
      // A stop signal, a rig fault or an unsafe bench ends the campaign undecided.
      result.exit_code = r.exit_code;
      result.stop_reason = "block run " + r.uuid + " ended " + r.status +
                           (r.abort_reason.empty() ? "" : ": " + r.abort_reason);
      finished = true;
    } else if (result.sli_sessions >= cap) {
      result.cap_reached = true;
      result.exit_code = kExitUndecided;
      result.stop_reason = "session cap " + std::to_string(cap) + " reached";
      finished = true;
    } else if (block_sessions == 0 && block > 2) {
      // Two rounds without a usable session would loop for ever (every lock mismatched).
      result.exit_code = kExitUndecided;
      result.stop_reason = "block " + std::to_string(block) + " gave no usable session";
      finished = true;
    }
    if (finished) {
      events.push_back(EventRow{
          "", end, "sequential_verdict", result.campaign, stats::verdict_name(result.verdict),
          "reason=" + result.stop_reason + " sessions=" + std::to_string(result.sli_sessions) +
              " sessions_at_decision=" + std::to_string(result.sessions_at_decision) +
              " blocks=" + std::to_string(block) + " llr=" + fixed(w.llr(), 6) +
              " firmware_mismatch=" + std::to_string(mismatched) +
              " exit_code=" + std::to_string(result.exit_code)});
    }
    journal.commit(r.run_id, JournalBatch{std::move(events), std::nullopt});
    if (finished) break;
  }

  if (out) {
    const auto& w = test.walk();
    auto rate = [&](Arm a) {
      const long long n = test.sessions(a), f = test.failures(a);
      return n ? fixed(100.0 * static_cast<double>(n - f) / static_cast<double>(n), 3) + "% (" +
                     std::to_string(n - f) + "/" + std::to_string(n) + ")"
               : std::string("-");
    };
    const char* verdict = result.verdict == SequentialVerdict::pass   ? "PASS"
                          : result.verdict == SequentialVerdict::fail ? "FAIL"
                                                                      : "UNDECIDED";
    std::fprintf(out, "\n%s after %lld SLI sessions in %d blocks (%s)\n", verdict,
                 result.sli_sessions, result.blocks, result.stop_reason.c_str());
    if (result.verdict == SequentialVerdict::pass)
      std::fprintf(out,
                   "  no regression: the evidence favours \"no difference\" over a %s pts drop\n",
                   fixed(100 * options.margin, 2).c_str());
    else if (result.verdict == SequentialVerdict::fail)
      std::fprintf(out, "  regression: the evidence favours a %s pts drop over \"no difference\"\n",
                   fixed(100 * options.margin, 2).c_str());
    std::fprintf(out,
                 "  baseline %s SLI %s, candidate %s SLI %s\n"
                 "  %lld matched pairs, discordant: candidate failed %lld, baseline failed %lld; "
                 "LLR %+.3f, boundaries [%.3f, %.3f]\n",
                 options.baseline_build.c_str(), rate(Arm::baseline).c_str(),
                 options.candidate_build.c_str(), rate(Arm::candidate).c_str(), test.pairs(),
                 w.candidate_failed(), w.baseline_failed(), w.llr(), design.lower, design.upper);
    if (test.sessions(Arm::baseline) > 0) {
      // The alternative is an odds ratio planned at --baseline-rate; say when the data suggest a
      // different baseline, where the margin in points corresponds to another odds ratio.
      const double fb = static_cast<double>(test.failures(Arm::baseline)) /
                        static_cast<double>(test.sessions(Arm::baseline));
      if (test.sessions(Arm::baseline) >= 1000 &&
          (fb > 2 * (1 - options.baseline_rate) || fb < 0.5 * (1 - options.baseline_rate)))
        std::fprintf(out,
                     "  note: the baseline's observed failure rate %s%% is far from the planned "
                     "%s%% (--baseline-rate); the test's error rates hold for the planned rate\n",
                     fixed(100 * fb, 3).c_str(),
                     fixed(100 * (1 - options.baseline_rate), 3).c_str());
    }
    std::fprintf(out,
                 "  runs: label campaign=%s; e.g. lockrig report --where campaign=%s --baseline "
                 "firmware=%s --candidate firmware=%s\n",
                 result.campaign.c_str(), result.campaign.c_str(), options.baseline_build.c_str(),
                 options.candidate_build.c_str());
    std::fflush(out);
  }
  return result;
}

}  // namespace lockrig
