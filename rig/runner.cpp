#include "rig/runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "drivers/rig_fault.hpp"
#include "rig/bench.hpp"
#include "rig/sha256.hpp"
#include "rig/text.hpp"

namespace lockrig {

std::string make_uuid_v4() {
  std::random_device rd;
  unsigned char b[16];
  for (auto& x : b) x = static_cast<unsigned char>(rd());
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

std::string utc_now_iso8601() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count()));
  return buf;
}

namespace {

std::string hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

// Hands finished work from the workers to the single journal writer, bounded so a slow disk
// applies back-pressure instead of growing memory without limit.
class BatchQueue {
 public:
  void push(JournalBatch b) {
    std::unique_lock lk(mu_);
    not_full_.wait(lk, [&] { return q_.size() < kCapacity; });
    q_.push_back(std::move(b));
    not_empty_.notify_one();
  }
  // Moves everything queued into `out`; waits up to `wait` for something to arrive.
  void drain(std::vector<JournalBatch>& out, std::chrono::milliseconds wait) {
    std::unique_lock lk(mu_);
    not_empty_.wait_for(lk, wait, [&] { return !q_.empty(); });
    while (!q_.empty()) {
      out.push_back(std::move(q_.front()));
      q_.pop_front();
    }
    not_full_.notify_all();
  }

 private:
  static constexpr std::size_t kCapacity = 4096;
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<JournalBatch> q_;
};

struct GroupState {
  const LockGroup* group = nullptr;
  std::unique_ptr<Clock> clock;
  std::vector<std::unique_ptr<drivers::LockLink>> links;  // parallel to group->locks
  std::vector<LockRow> rows;
  std::vector<EventRow> events;  // identity-phase events
  bool quarantined = false;      // a rig fault stopped this group's remaining work
};

class Campaign {
 public:
  Campaign(const Fixture& f, const std::vector<Scenario>& sc, const drivers::DriverRegistry& reg,
           Journal& j, const RunOptions& o, RunObserver& obs, const std::atomic<bool>& stop)
      : fixture_(f), scenarios_(sc), registry_(reg), journal_(j), options_(o), observer_(obs),
        external_stop_(stop) {}

  RunOutcome run();

 private:
  bool use_virtual_clock() const;
  void identify(GroupState& g);
  void work(GroupState& g);
  void run_item(GroupState& g, const PlanItem& item, drivers::LockLink& link);
  void rig_fault(GroupState& g, const std::string& lock_id, const std::string& what,
                 std::vector<EventRow>& events);
  void writer_loop(std::vector<std::thread>& threads, std::atomic<int>& running);
  void fail_worker(std::exception_ptr e);
  std::vector<EventRow> restore_safe_state(TimePoint t);
  std::size_t link_index(const GroupState& g, std::size_t lock) const {
    return static_cast<std::size_t>(std::find(g.group->locks.begin(), g.group->locks.end(), lock) -
                                    g.group->locks.begin());
  }

  const Fixture& fixture_;
  const std::vector<Scenario>& scenarios_;
  const drivers::DriverRegistry& registry_;
  Journal& journal_;
  const RunOptions& options_;
  RunObserver& observer_;
  const std::atomic<bool>& external_stop_;

  Plan plan_;
  std::atomic<bool> halt_{false};  // every worker stops at its next check
  std::unique_ptr<Bench> bench_;
  RealClock bench_clock_{&halt_};
  std::int64_t run_id_ = 0;
  BatchQueue queue_;
  std::atomic<bool> rig_fault_stopped_{false};
  std::atomic<long long> wait_failures_{0};
  std::mutex fault_mu_;
  std::string abort_reason_;
  std::exception_ptr worker_error_;
  RunCounters counters_;
};

bool Campaign::use_virtual_clock() const {
  bool all_simulated = true;
  for (const auto& l : fixture_.locks)
    all_simulated = all_simulated && registry_.lock_driver(l.driver, l.where).simulated;
  switch (options_.clock) {
    case ClockMode::virtual_time:
      if (!all_simulated)
        throw UsageError("--clock virtual needs every lock on a simulated driver; rig " +
                         quote(fixture_.rig) + " has real locks");
      return true;
    case ClockMode::real_time: return false;
    case ClockMode::automatic: return all_simulated;
  }
  return false;
}

void Campaign::fail_worker(std::exception_ptr e) {
  std::lock_guard lk(fault_mu_);
  if (!worker_error_) worker_error_ = e;
  halt_ = true;
}

void Campaign::rig_fault(GroupState& g, const std::string& lock_id, const std::string& what,
                         std::vector<EventRow>& events) {
  const TimePoint t = g.clock->now();
  events.push_back(EventRow{lock_id, t, "rig_fault", lock_id, "", what});
  switch (fixture_.on_rig_fault) {
    case RigFaultPolicy::carry_on: return;
    case RigFaultPolicy::quarantine: {
      std::vector<std::string> ids;
      for (auto li : g.group->locks) ids.push_back(fixture_.locks[li].id);
      events.push_back(EventRow{lock_id, t, "quarantine", join(ids, ","), "",
                                "locks sharing hardware with the fault skip the rest of the run"});
      g.quarantined = true;
      rig_fault_stopped_ = true;
      std::lock_guard lk(fault_mu_);
      if (abort_reason_.empty())
        abort_reason_ = "rig fault (quarantined " + join(ids, ", ") + "): " + what;
      return;
    }
    case RigFaultPolicy::abort: {
      rig_fault_stopped_ = true;
      {
        std::lock_guard lk(fault_mu_);
        if (abort_reason_.empty()) abort_reason_ = "rig fault: " + what;
      }
      halt_ = true;
      return;
    }
  }
}

void Campaign::identify(GroupState& g) {
  drivers::DriverContext ctx{*g.clock, bench_.get(), options_.seed};
  for (std::size_t li : g.group->locks) {
    const auto& spec = fixture_.locks[li];
    if (options_.before_identity) {
      try {
        for (auto& e : options_.before_identity(spec)) g.events.push_back(std::move(e));
      } catch (const drivers::RigFault& e) {
        rig_fault(g, spec.id, e.what(), g.events);
      }
    }
    g.links.push_back(registry_.lock_driver(spec.driver, spec.where).create(spec, ctx));
    LockRow row{spec.id, spec.model, spec.material, spec.slot, spec.driver, "", "", ""};
    try {
      if (auto id = g.links.back()->identity(std::chrono::seconds(20))) {
        row.firmware = id->firmware;
        row.reported_model = id->model;
        row.manufacturer = id->manufacturer;
        if (!id->client_version.empty())
          g.events.push_back(EventRow{spec.id, g.clock->now(), "client_version", spec.id,
                                      id->client_version, ""});
      } else {
        g.events.push_back(EventRow{spec.id, g.clock->now(), "identity", spec.id, "unreadable",
                                    "lock did not answer; firmware unknown for this run"});
      }
    } catch (const drivers::RigFault& e) {
      g.events.push_back(EventRow{spec.id, g.clock->now(), "rig_fault", spec.id, "identity", e.what()});
    }
    g.rows.push_back(std::move(row));
  }
}

void Campaign::run_item(GroupState& g, const PlanItem& item, drivers::LockLink& link) {
  const Scenario& sc = scenarios_[item.scenario];
  const std::string& lock_id = fixture_.locks[item.lock].id;
  Clock& clock = *g.clock;
  std::vector<EventRow> events;
  auto event = [&](std::string kind, std::string target, std::string value, std::string detail) {
    events.push_back(EventRow{lock_id, clock.now(), std::move(kind), std::move(target),
                              std::move(value), std::move(detail)});
  };

  // Bench actions really happened even if the repetition is cut short: journal them on any exit
  // (the session in flight, if any, is what gets discarded).
  struct Flush {
    BatchQueue& queue;
    std::vector<EventRow>& events;
    ~Flush() {
      if (!events.empty()) queue.push(JournalBatch{std::move(events), std::nullopt});
    }
  } flush{queue_, events};

  for (std::size_t si = 0; si < sc.steps.size(); ++si) {
    if (halt_) return;
    const Step& step = sc.steps[si];
    try {
      switch (step.kind) {
        case Step::Kind::set_switch: {
          BenchEvent e = bench_->set_channel(lock_id, step.target, step.on);
          event(e.kind, e.target, e.value, e.detail);
          break;
        }
        case Step::Kind::set_supply: {
          if (step.amps || step.output || step.volts) {
            BenchEvent e = bench_->set_supply(lock_id, step.target, step.volts, step.amps, step.output);
            event(e.kind, e.target, e.value, e.detail);
          }
          if (step.ramp_to) {
            const double from = bench_->supply_state(lock_id)->volts;
            const Duration pause = step.duration / step.ramp_steps;
            for (int k = 1; k <= step.ramp_steps; ++k) {
              if (!clock.sleep_for(pause) || halt_) return;
              const double v = from + (*step.ramp_to - from) * k / step.ramp_steps;
              BenchEvent e = bench_->set_supply(lock_id, step.target, v, std::nullopt, std::nullopt);
              event(e.kind, e.target, e.value, e.detail + " (ramp " + std::to_string(k) + "/" +
                                                   std::to_string(step.ramp_steps) + ")");
            }
          }
          break;
        }
        case Step::Kind::wait:
          event("wait", lock_id, format_duration(step.duration), "");
          if (!clock.sleep_for(step.duration)) return;
          break;
        case Step::Kind::wait_until: {
          const bool want = step.condition == Condition::advertising;
          const TimePoint start = clock.now(), deadline = start + step.duration;
          bool met = false;
          while (!halt_) {
            const TimePoint poll_start = clock.now();
            const Duration window = std::min(step.poll, deadline - poll_start);
            if (window.count() <= 0) break;
            if (link.advertising(window) == want) {
              met = true;
              break;
            }
            // A driver may answer before the window ends (the lock was seen at once); look again
            // only every `poll`, not in a tight loop against the BLE stack.
            const Duration rest = std::min(step.poll, deadline - poll_start) - (clock.now() - poll_start);
            if (rest.count() > 0 && !clock.sleep_for(rest)) break;
          }
          if (halt_) return;
          event("wait_until", lock_id, met ? "met" : "timeout",
                step.describe() + " after " + format_duration(clock.now() - start));
          if (!met) ++wait_failures_;
          break;
        }
        case Step::Kind::disconnect:
          link.disconnect();
          event("disconnect", lock_id, "", "");
          break;
        case Step::Kind::unlock: {
          auto session = run_session(link, clock, step.unlock, halt_);
          if (!session) return;  // interrupted: the session in flight is discarded
          session->lock_id = lock_id;
          session->scenario = sc.name;
          session->repetition = item.repetition;
          session->step_index = static_cast<int>(si);
          const bool faulted = session->result == SessionResult::rig_fault;
          std::string fault_detail = faulted ? session->attempts.back().detail : "";
          if (faulted) rig_fault(g, lock_id, fault_detail, events);
          queue_.push(JournalBatch{std::move(events), std::move(session)});
          events.clear();
          if (faulted && fixture_.on_rig_fault != RigFaultPolicy::carry_on) return;
          break;
        }
      }
    } catch (const drivers::RigFault& e) {
      rig_fault(g, lock_id, e.what(), events);
      if (fixture_.on_rig_fault != RigFaultPolicy::carry_on) break;
    }
  }
}

void Campaign::work(GroupState& g) {
  try {
    std::size_t last_scenario = SIZE_MAX;
    plan_.for_each_item(*g.group, [&](const PlanItem& item) {
      if (halt_ || g.quarantined) return false;
      // A new scenario starts from a fresh connection even under the `keep` policy.
      if (item.scenario != last_scenario)
        for (auto& l : g.links)
          if (l->connected()) l->disconnect();
      last_scenario = item.scenario;
      run_item(g, item, *g.links[link_index(g, item.lock)]);
      return true;
    });
    for (auto& l : g.links)
      if (l->connected()) l->disconnect();
  } catch (...) {
    fail_worker(std::current_exception());
  }
}

std::vector<EventRow> Campaign::restore_safe_state(TimePoint t) {
  std::vector<EventRow> events;
  for (auto& e : bench_->restore_safe_state())
    events.push_back(EventRow{"", t, e.kind, e.target, e.value, e.detail});
  return events;
}

void Campaign::writer_loop(std::vector<std::thread>& threads, std::atomic<int>& running) {
  std::vector<JournalBatch> batches;
  auto last_progress = std::chrono::steady_clock::now();
  for (;;) {
    if (external_stop_) halt_ = true;
    const bool done = running.load() == 0;
    batches.clear();
    queue_.drain(batches, std::chrono::milliseconds(done ? 0 : 50));
    for (const auto& b : batches) {
      journal_.commit(run_id_, b);
      if (!b.session) continue;
      const SessionRecord& s = *b.session;
      ++counters_.sessions;
      counters_.attempts += static_cast<long long>(s.attempts.size());
      counters_.sli_sessions += s.sli_eligible;
      counters_.sli_successes += s.sli_success;
      counters_.rig_faults += s.result == SessionResult::rig_fault;
      counters_.failed_assertions += !s.sli_eligible && s.result == SessionResult::fail;
      if (options_.after_session && options_.after_session(s)) halt_ = true;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_progress > std::chrono::milliseconds(100)) {
      last_progress = now;
      RunCounters c = counters_;
      c.failed_assertions += wait_failures_;
      observer_.progress(c, plan_.total_sessions);
    }
    if (done && batches.empty()) break;
  }
  for (auto& t : threads) t.join();
}

RunOutcome Campaign::run() {
  plan_ = make_plan(fixture_, scenarios_, options_.plan);
  const bool virtual_clock = use_virtual_clock();

  // Open the hardware before the run is journaled: a missing board is reported, not recorded
  // as a run that did nothing.
  bench_ = std::make_unique<Bench>(fixture_, registry_, bench_clock_, options_.seed);

  RunInfo info;
  info.uuid = make_uuid_v4();
  info.host = hostname();
  info.rig = fixture_.rig;
  info.started_at = utc_now_iso8601();
  info.clock = virtual_clock ? "virtual" : "real";
  info.seed = options_.seed;
  info.fixture_source = fixture_.source;
  info.fixture_sha256 = fixture_.sha256;
  std::string all_hashes;
  for (const auto& s : scenarios_) all_hashes += s.sha256 + "\n";
  info.scenarios_sha256 = sha256_hex(all_hashes);
  info.controller_version = LOCKRIG_VERSION;
  info.command_line = options_.command_line;
  info.sessions_planned = plan_.total_sessions;
  info.labels = options_.labels;
  for (std::size_t i = 0; i < scenarios_.size(); ++i)
    info.scenarios.push_back(
        {scenarios_[i].name, scenarios_[i].source, scenarios_[i].sha256, plan_.repeats[i]});
  run_id_ = journal_.begin_run(info);
  observer_.started(plan_, info.uuid, virtual_clock);
  for (const auto& n : plan_.notes) observer_.message(n);

  RunOutcome out;
  out.run_id = run_id_;
  out.uuid = info.uuid;

  std::vector<GroupState> groups(plan_.groups.size());
  for (std::size_t i = 0; i < groups.size(); ++i) {
    groups[i].group = &plan_.groups[i];
    if (virtual_clock) groups[i].clock = std::make_unique<VirtualClock>();
    else groups[i].clock = std::make_unique<RealClock>(&halt_);
  }
  const int jobs = options_.jobs > 0
                       ? options_.jobs
                       : (virtual_clock ? static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))
                                        : static_cast<int>(groups.size()));

  // Runs fn over the groups on up to `jobs` threads, while this thread writes the journal.
  auto in_parallel = [&](auto fn) {
    std::atomic<std::size_t> next{0};
    std::atomic<int> running{0};
    std::vector<std::thread> threads;
    const int n = std::max(1, std::min<int>(jobs, static_cast<int>(groups.size())));
    running = n;
    for (int t = 0; t < n; ++t)
      threads.emplace_back([&] {
        for (std::size_t i; (i = next++) < groups.size();) fn(groups[i]);
        --running;
      });
    writer_loop(threads, running);
  };

  std::exception_ptr journal_error;
  try {
    std::vector<EventRow> start_events = restore_safe_state(TimePoint{0});
    if (!bench_->safe()) {
      // Name what failed: "relays/ch1 battery: FAILED: <the driver's error>" for the first failure.
      std::string first;
      for (const auto& e : start_events)
        if (e.detail.rfind("FAILED", 0) == 0) {
          first = e.target + ": " + e.detail;
          break;
        }
      halt_ = true;
      rig_fault_stopped_ = true;
      abort_reason_ = "the bench could not be put into its safe state at run start (" + first + ")";
      start_events.push_back(EventRow{"", TimePoint{0}, "rig_fault", "", "", abort_reason_});
    }
    journal_.commit(run_id_, JournalBatch{std::move(start_events), std::nullopt});
    if (!halt_) {
      in_parallel([&](GroupState& g) {
        try {
          identify(g);
        } catch (...) {
          fail_worker(std::current_exception());
        }
      });
      std::vector<LockRow> rows;
      std::vector<EventRow> events;
      for (auto& g : groups) {
        rows.insert(rows.end(), g.rows.begin(), g.rows.end());
        events.insert(events.end(), g.events.begin(), g.events.end());
      }
      std::sort(rows.begin(), rows.end(), [](const LockRow& a, const LockRow& b) { return a.lock_id < b.lock_id; });
      journal_.record_locks(run_id_, rows);
      journal_.commit(run_id_, JournalBatch{events, std::nullopt});
      if (!options_.labels.count("app"))
        for (const auto& e : events)
          if (e.kind == "client_version") {
            journal_.set_label(run_id_, "app", e.value);
            break;
          }
    }
    if (!halt_) in_parallel([&](GroupState& g) { work(g); });
  } catch (const JournalError&) {
    // The disk filled or the journal vanished: stop the workers, leave the bench safe, report.
    halt_ = true;
    journal_error = std::current_exception();
  }

  TimePoint end{0};
  for (const auto& g : groups) end = std::max(end, g.clock->now());
  out.campaign_seconds = static_cast<double>(end.count()) / 1e9;
  auto safe_events = restore_safe_state(end);
  out.safe_state_restored = bench_->safe();
  if (journal_error) std::rethrow_exception(journal_error);
  if (worker_error_) {
    journal_.commit(run_id_, JournalBatch{safe_events, std::nullopt});
    journal_.finish_run(run_id_, "aborted", exit_code::rig_fault, utc_now_iso8601(), out.campaign_seconds);
    std::rethrow_exception(worker_error_);
  }

  out.counters = counters_;
  out.counters.failed_assertions += wait_failures_;
  out.abort_reason = abort_reason_;
  if (external_stop_) {
    out.status = "aborted";
    const int sig = options_.stop_signal ? options_.stop_signal->load() : 0;
    out.exit_code = sig > 0 ? 128 + sig : exit_code::sigint;
    out.abort_reason = sig > 0 ? "interrupted by signal " + std::to_string(sig) : "interrupted";
  } else if (rig_fault_stopped_) {
    out.status = "rig_fault";
    out.exit_code = exit_code::rig_fault;
  } else {
    out.status = "completed";
    out.exit_code = out.counters.failed_assertions > 0 ? exit_code::assertions_failed : exit_code::ok;
  }
  if (!out.safe_state_restored) {
    out.exit_code = exit_code::rig_fault;
    out.status = out.status == "aborted" ? out.status : "rig_fault";
    if (out.abort_reason.empty()) out.abort_reason = "the bench could not be returned to its safe state";
  }
  journal_.commit(run_id_, JournalBatch{safe_events, std::nullopt});
  observer_.progress(out.counters, plan_.total_sessions);
  journal_.finish_run(run_id_, out.status, out.exit_code, utc_now_iso8601(), out.campaign_seconds);
  return out;
}

}  // namespace

RunOutcome run_campaign(const Fixture& fixture, const std::vector<Scenario>& scenarios,
                        const drivers::DriverRegistry& registry, Journal& journal,
                        const RunOptions& options, RunObserver& observer,
                        const std::atomic<bool>& stop) {
  Campaign c(fixture, scenarios, registry, journal, options, observer, stop);
  return c.run();
}

}  // namespace lockrig
