#include "rig/engine/decision_series.hpp"

#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>

#include "drivers/command/process.hpp"
#include "drivers/rig_fault.hpp"
#include "reports/stats/power.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/run_records.hpp"

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
  return run_lock_firmware(journal, uuid);
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
      lock.id, TimePoint{0}, EventKind::select_build,
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
    if (!fixture.select_build && !registry.lock_driver(l.driver, l.where).selects_build)
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

struct DecisionSeries::Block {
  Block(int n, Arm a, std::string b, RunObserver& outer)
      : number(n), arm(a), build(std::move(b)), observer(outer) {}

  int number;
  Arm arm;
  std::string build;
  BlockObserver observer;
  // Firmware each lock reported in the block's run, read when its first session is counted.
  std::map<std::string, std::string> firmware;
  bool firmware_loaded = false;
  long long sessions = 0;        // SLI sessions the test counted
  long long mismatched = 0;      // left out: the lock did not report the block's build
  std::vector<EventRow> events;  // journaled with the block's run once it has ended
};

DecisionSeries::DecisionSeries(const Fixture& fixture, const std::vector<Scenario>& scenarios,
                               const drivers::DriverRegistry& registry, Journal& journal,
                               const RunOptions& base, const UntilDecidedOptions& options,
                               RunObserver& observer, std::FILE* out, const std::atomic<bool>& stop)
    : fixture_(fixture),
      scenarios_(scenarios),
      registry_(registry),
      journal_(journal),
      base_(base),
      options_(options),
      observer_(observer),
      out_(out),
      stop_(stop),
      // Everything is checked before the first run is journaled.
      design_(validate_until_decided(fixture, scenarios, registry, options)),
      fixed_n_(fixed_sample_per_version(options.baseline_rate, options.margin, options.alpha,
                                        options.power)),
      cap_(options.max_sessions > 0 ? options.max_sessions : 3 * 2 * fixed_n_),
      test_(design_),
      order_rng_(base.seed ^ 0x5e9f00d5e9f00dULL) {
  (void)make_plan(fixture, scenarios, base.plan);
  result_.campaign = make_uuid_v4();
}

UntilDecidedOutcome DecisionSeries::run() {
  print_design();
  for (int number = 1;; ++number) {
    const Arm arm = arm_of(number);
    Block block(number, arm,
                arm == Arm::baseline ? options_.baseline_build : options_.candidate_build,
                observer_);
    const RunOutcome r = run_plan(fixture_, scenarios_, registry_, journal_, block_options(block),
                                  block.observer, stop_);
    record_block(block, r);
    const bool finished = decide(block, r);
    journal_.commit(r.run_id, JournalBatch{std::move(block.events), std::nullopt});
    if (finished) break;
  }
  print_verdict();
  return result_;
}

std::string DecisionSeries::design_text() const {
  const auto& options = options_;
  const auto& design = design_;
  return "matched-pair SPRT: baseline=" + options.baseline_build +
         " candidate=" + options.candidate_build +
         " baseline_rate=" + fixed(options.baseline_rate, 6) +
         " margin=" + fixed(options.margin, 6) + " alpha=" + fixed(options.alpha, 4) +
         " power=" + fixed(options.power, 4) + " q1=" + fixed(design.q1, 6) +
         " step_up=" + fixed(design.up, 6) + " step_down=" + fixed(design.down, 6) +
         " upper=" + fixed(design.upper, 6) + " lower=" + fixed(design.lower, 6) +
         " exact_alpha=" + fixed(design.exact_alpha, 6) +
         " exact_beta=" + fixed(design.exact_beta, 6) + " max_sessions=" + std::to_string(cap_) +
         " block_repeat=" + std::to_string(options.block_repeat) +
         " fixed_sample_per_version=" + std::to_string(fixed_n_);
}

void DecisionSeries::print_design() const {
  if (!out_) return;
  const auto& options = options_;
  const auto& design = design_;
  std::fprintf(out_,
               "until-decided campaign %s: baseline firmware %s vs candidate firmware %s\n"
               "  FAIL if the candidate fails more (regression of %s pts at a planned baseline "
               "of %s%%):\n"
               "  false-fail alpha %s (exact %s), detection %s (exact %s), LLR boundaries "
               "[%s, %s]\n"
               "  cap %lld SLI sessions; fixed-sample design: %lld per version (%lld in all)\n",
               result_.campaign.c_str(), options.baseline_build.c_str(),
               options.candidate_build.c_str(), fixed(100 * options.margin, 2).c_str(),
               fixed(100 * options.baseline_rate, 2).c_str(), fixed(options.alpha, 3).c_str(),
               fixed(design.exact_alpha, 4).c_str(), fixed(options.power, 3).c_str(),
               fixed(1 - design.exact_beta, 4).c_str(), fixed(design.lower, 3).c_str(),
               fixed(design.upper, 3).c_str(), cap_, fixed_n_, 2 * fixed_n_);
  std::fflush(out_);
}

Arm DecisionSeries::arm_of(int block) {
  if ((block - 1) % 2 == 0) {
    // Each round of two blocks runs both versions, in an order drawn from the seed, so a drift
    // over the night (temperature, RF neighbours) falls on both versions alike.
    const bool candidate_first = (order_rng_() & 1) != 0;
    round_[0] = candidate_first ? Arm::candidate : Arm::baseline;
    round_[1] = candidate_first ? Arm::baseline : Arm::candidate;
  }
  return round_[(block - 1) % 2];
}

// The block's run: a new run with its own uuid and seed, labelled with the series, that puts
// the block's build on every lock before reading its identity and stops once the test decides.
RunOptions DecisionSeries::block_options(Block& block) {
  RunOptions o = base_;
  o.uuid.clear();     // every block is a new run with its own uuid
  o.items = nullptr;  // a campaign is not resumable, so no crash bookkeeping
  o.resume = nullptr;
  o.labels["campaign"] = result_.campaign;
  o.labels["arm"] = arm_name(block.arm);
  o.labels["block"] = std::to_string(block.number);
  o.seed = block_seed(base_.seed, block.number);
  o.plan.repeat_override = options_.block_repeat;
  o.builds = &flashed_;
  o.before_identity = [this, build = block.build](const drivers::LockSpec& lock) {
    return select_build(lock, build);
  };
  o.after_session = [this, &block](const SessionRecord& s) { return count_session(block, s); };
  return o;
}

// Puts `build` on the lock: the fixture's select_build hook flashes it (a failure is a rig
// fault), and a lock driver that selects builds itself (the simulated flash) gets it through
// RunOptions::builds. Runs on the lock's worker thread, before its driver is created.
std::vector<EventRow> DecisionSeries::select_build(const drivers::LockSpec& lock,
                                                   const std::string& build) {
  const BuildSelectHook* hook = fixture_.select_build ? &*fixture_.select_build : nullptr;
  std::vector<EventRow> events;
  if (hook) events.push_back(select_build_with_hook(*hook, lock, build));
  if (registry_.lock_driver(lock.driver, lock.where).selects_build) {
    flashed_.select(lock.id, build);
    if (!hook)
      events.push_back(EventRow{lock.id, TimePoint{0}, EventKind::select_build, lock.id, build,
                                "simulated flash (no select_build hook in the fixture)"});
  }
  return events;
}

// Feeds a committed session to the test; true ends the block's run (decided, or the cap).
bool DecisionSeries::count_session(Block& block, const SessionRecord& s) {
  if (s.sli_eligible && s.result != SessionResult::rig_fault &&
      test_.verdict() == SequentialVerdict::undecided && result_.sli_sessions < cap_) {
    if (!block.firmware_loaded) {
      block.firmware = reported_firmware(journal_, block.observer.uuid());
      block.firmware_loaded = true;
    }
    // A lock that does not report the block's build (a flash that silently failed) says
    // nothing about either version: left out, counted and warned about.
    if (block.firmware[s.lock_id] != block.build) {
      ++block.mismatched;
    } else {
      test_.add(s.lock_id + "/" + s.scenario + "/" + std::to_string(s.step_index), block.arm,
                s.sli_success);
      ++result_.sli_sessions;
      ++block.sessions;
    }
  }
  return test_.verdict() != SequentialVerdict::undecided || result_.sli_sessions >= cap_;
}

// The block's evidence: the design (first block), where the walk stands, and the trajectory line.
void DecisionSeries::record_block(Block& block, const RunOutcome& r) {
  result_.blocks = block.number;
  mismatched_ += block.mismatched;
  const auto& w = test_.walk();
  const TimePoint end{static_cast<std::int64_t>(r.campaign_seconds * 1e9)};
  if (block.number == 1)
    block.events.push_back(EventRow{"", TimePoint{0}, EventKind::sequential_design, result_.campaign,
                                    "matched-pair SPRT", design_text()});
  const std::string evidence =
      "block=" + std::to_string(block.number) + " arm=" + arm_name(block.arm) +
      " build=" + block.build + " llr=" + fixed(w.llr(), 6) + " lower=" + fixed(design_.lower, 6) +
      " upper=" + fixed(design_.upper, 6) + " discordant=" + std::to_string(w.discordant()) +
      " candidate_failed=" + std::to_string(w.candidate_failed()) +
      " baseline_failed=" + std::to_string(w.baseline_failed()) +
      " pairs=" + std::to_string(test_.pairs()) +
      " both_failed=" + std::to_string(test_.concordant_failures()) +
      " sessions_baseline=" + std::to_string(test_.sessions(Arm::baseline)) +
      " sessions_candidate=" + std::to_string(test_.sessions(Arm::candidate)) +
      " block_sessions=" + std::to_string(block.sessions) +
      " firmware_mismatch=" + std::to_string(block.mismatched);
  block.events.push_back(EventRow{"", end, EventKind::sequential_evidence, arm_name(block.arm),
                                  stats::verdict_name(test_.verdict()), evidence});
  print_block(block);
}

void DecisionSeries::print_block(const Block& block) const {
  if (!out_) return;
  const auto& w = test_.walk();
  std::fprintf(out_,
               "block %3d %-9s %-10s %5lld sessions (total %7lld)  discordant C %lld / B %lld  "
               "LLR %+7.3f in [%.3f, %.3f]  %s\n",
               block.number, arm_name(block.arm), block.build.c_str(), block.sessions,
               result_.sli_sessions, w.candidate_failed(), w.baseline_failed(), w.llr(),
               design_.lower, design_.upper, stats::verdict_name(test_.verdict()));
  if (block.mismatched > 0)
    std::fprintf(out_,
                 "  warning: %lld session(s) left out: their lock did not report firmware %s "
                 "after select_build\n",
                 block.mismatched, block.build.c_str());
  std::fflush(out_);
}

// The stop rule after each block; when the series ends, its verdict event joins the block's.
bool DecisionSeries::decide(Block& block, const RunOutcome& r) {
  UntilDecidedOutcome& result = result_;
  bool finished = false;
  if (test_.verdict() != SequentialVerdict::undecided) {
    result.verdict = test_.verdict();
    result.sessions_at_decision = test_.sessions_at_decision();
    result.exit_code = result.verdict == SequentialVerdict::pass ? exit_code::ok : 1;
    result.stop_reason = "decided";
    finished = true;
  } else if (r.status != name(RunStatus::completed) || r.exit_code == exit_code::rig_fault) {
    // A stop signal, a rig fault or an unsafe bench ends the campaign undecided.
    result.exit_code = r.exit_code;
    result.stop_reason = "block run " + r.uuid + " ended " + r.status +
                         (r.abort_reason.empty() ? "" : ": " + r.abort_reason);
    finished = true;
  } else if (result.sli_sessions >= cap_) {
    result.cap_reached = true;
    result.exit_code = kExitUndecided;
    result.stop_reason = "session cap " + std::to_string(cap_) + " reached";
    finished = true;
  } else if (block.sessions == 0 && block.number > 2) {
    // Two rounds without a usable session would loop for ever (every lock mismatched).
    result.exit_code = kExitUndecided;
    result.stop_reason = "block " + std::to_string(block.number) + " gave no usable session";
    finished = true;
  }
  if (finished) {
    const TimePoint end{static_cast<std::int64_t>(r.campaign_seconds * 1e9)};
    block.events.push_back(EventRow{
        "", end, EventKind::sequential_verdict, result.campaign, stats::verdict_name(result.verdict),
        "reason=" + result.stop_reason + " sessions=" + std::to_string(result.sli_sessions) +
            " sessions_at_decision=" + std::to_string(result.sessions_at_decision) +
            " blocks=" + std::to_string(block.number) + " llr=" + fixed(test_.walk().llr(), 6) +
            " firmware_mismatch=" + std::to_string(mismatched_) +
            " exit_code=" + std::to_string(result.exit_code)});
  }
  return finished;
}

void DecisionSeries::print_verdict() const {
  if (!out_) return;
  const auto& options = options_;
  const auto& test = test_;
  const auto& design = design_;
  const auto& result = result_;
  std::FILE* out = out_;
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
                   fixed(100 * fb, 3).c_str(), fixed(100 * (1 - options.baseline_rate), 3).c_str());
  }
  std::fprintf(out,
               "  runs: label campaign=%s; e.g. lockrig report --where campaign=%s --baseline "
               "firmware=%s --candidate firmware=%s\n",
               result.campaign.c_str(), result.campaign.c_str(), options.baseline_build.c_str(),
               options.candidate_build.c_str());
  std::fflush(out);
}

UntilDecidedOutcome run_until_decided(const Fixture& fixture,
                                      const std::vector<Scenario>& scenarios,
                                      const drivers::DriverRegistry& registry, Journal& journal,
                                      const RunOptions& base, const UntilDecidedOptions& options,
                                      RunObserver& observer, std::FILE* out,
                                      const std::atomic<bool>& stop) {
  DecisionSeries series(fixture, scenarios, registry, journal, base, options, observer, out, stop);
  return series.run();
}

}  // namespace lockrig
