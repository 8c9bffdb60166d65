#include "rig/engine/runner.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <span>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "drivers/rig_fault.hpp"
#include "rig/base/sha256.hpp"
#include "rig/base/text.hpp"
#include "rig/engine/bench.hpp"
#include "rig/engine/evidence.hpp"
#include "rig/engine/resume_policy.hpp"
#include "rig/engine/steps/step_kind.hpp"
#include "rig/journal/resume.hpp"

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
  std::size_t index = 0;     // in plan.groups (the run lock's slot)
  long long resume_pos = 0;  // resume: items before this position were finished by earlier parts
  std::unique_ptr<Clock> clock;
  std::vector<std::unique_ptr<drivers::LockLink>> links;  // parallel to group->locks
  std::vector<LockRow> rows;
  std::vector<EventRow> events;  // identity-phase events
  bool quarantined = false;      // a rig fault stopped this group's remaining work
};

// One run of a plan: see the lifecycle at the top of runner.hpp. run() goes through the phases
// below in order; the workers run identify() and work() for their groups, this thread writes
// the journal (writer_loop).
class RunEngine {
 public:
  RunEngine(const Fixture& f, const std::vector<Scenario>& sc, const drivers::DriverRegistry& reg,
            Journal& j, const RunOptions& o, RunObserver& obs, const std::atomic<bool>& stop)
      : fixture_(f),
        scenarios_(sc),
        registry_(reg),
        journal_(j),
        options_(o),
        observer_(obs),
        external_stop_(stop) {}

  RunOutcome run();

 private:
  // The phases of run().
  bool use_virtual_clock() const;
  RunRecord run_info(bool virtual_clock) const;
  void open_run(RunRecord& info);
  std::vector<GroupState> make_groups() const;
  void prepare_resume(std::vector<GroupState>& groups, std::vector<EventRow>& events);
  void start_clocks(std::vector<GroupState>& groups, bool virtual_clock, TimePoint t0);
  int jobs(bool virtual_clock, std::size_t groups) const;
  void journal_start(TimePoint t0, const std::string& uuid, int part,
                     const std::vector<EventRow>& resume_events);
  void identify_all(std::vector<GroupState>& groups, TimePoint t0);
  void check_app_versions(const std::vector<EventRow>& events);
  void settle(RunOutcome& out) const;

  // The workers.
  template <class Fn>
  void in_parallel(std::vector<GroupState>& groups, Fn fn);
  void identify(GroupState& g);
  void work(GroupState& g);
  void restore_link(GroupState& g, const PlanItem& item, const std::optional<PlanItem>& previous,
                    drivers::LockLink& link);
  class ItemSink;
  void run_item(GroupState& g, const PlanItem& item, drivers::LockLink& link);
  void rig_fault(GroupState& g, const std::string& lock_id, const std::string& what,
                 std::vector<EventRow>& events, const std::string& value = "");
  void fail_worker(std::exception_ptr e);
  std::size_t link_index(const GroupState& g, std::size_t lock) const {
    return static_cast<std::size_t>(std::find(g.group->locks.begin(), g.group->locks.end(), lock) -
                                    g.group->locks.begin());
  }

  void writer_loop(std::vector<std::thread>& threads, std::atomic<int>& running);
  void safe_state_on_error() noexcept;
  std::vector<EventRow> restore_safe_state(TimePoint t);

  const Fixture& fixture_;
  const std::vector<Scenario>& scenarios_;
  const drivers::DriverRegistry& registry_;
  Journal& journal_;
  const RunOptions& options_;
  RunObserver& observer_;
  const std::atomic<bool>& external_stop_;

  Plan plan_;
  int jobs_ = 1;                   // parallel groups
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
  // Resume: what earlier parts of the run journaled and what this part makes of it.
  bool resuming_ = false;
  std::optional<ResumePolicy> resume_;
  std::vector<std::string> resume_notes_;
  std::vector<std::string> warnings_;  // guarded by fault_mu_
  TimePoint t0_{0};
};

bool RunEngine::use_virtual_clock() const {
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

void RunEngine::fail_worker(std::exception_ptr e) {
  std::lock_guard lk(fault_mu_);
  if (!worker_error_) worker_error_ = e;
  halt_ = true;
}

void RunEngine::rig_fault(GroupState& g, const std::string& lock_id, const std::string& what,
                          std::vector<EventRow>& events, const std::string& value) {
  const TimePoint t = g.clock->now();
  events.push_back(EventRow{lock_id, t, EventKind::rig_fault, lock_id, value, what});
  switch (fixture_.on_rig_fault) {
    case RigFaultPolicy::carry_on: {
      // The run goes on, but it did not run as planned: it ends as rig_fault (exit 3).
      rig_fault_stopped_ = true;
      std::lock_guard lk(fault_mu_);
      if (abort_reason_.empty()) abort_reason_ = "rig fault (on_rig_fault: continue): " + what;
      return;
    }
    case RigFaultPolicy::quarantine: {
      if (g.quarantined) return;  // a second lock of the group failing its identity read
      std::vector<std::string> ids;
      for (auto li : g.group->locks) ids.push_back(fixture_.locks[li].id);
      events.push_back(EventRow{lock_id, t, EventKind::quarantine, join(ids, ","), "",
                                "locks sharing hardware with the fault skip the rest of the run"});
      g.quarantined = true;
      rig_fault_stopped_ = true;
      // The group's channels and supplies go back to their safe state now, as far as they still
      // answer, not only when the other groups have finished.
      for (auto& e : bench_->restore_safe_state_of(ids))
        events.push_back(EventRow{lock_id, g.clock->now(), e.kind, e.target, e.value, e.detail});
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

void RunEngine::identify(GroupState& g) {
  drivers::DriverContext ctx{*g.clock, bench_.get(), options_.seed, options_.builds};
  for (std::size_t li : g.group->locks) {
    const auto& spec = fixture_.locks[li];
    bool build_selected = false;
    if (options_.before_identity) {
      try {
        for (auto& e : options_.before_identity(spec)) {
          build_selected = build_selected || e.kind == name(EventKind::select_build);
          g.events.push_back(std::move(e));
        }
      } catch (const drivers::RigFault& e) {
        rig_fault(g, spec.id, e.what(), g.events);
      }
    }
    g.links.push_back(registry_.lock_driver(spec.driver, spec.where).create(spec, ctx));
    // A build was just put on the lock: caches of the old build's layout (BlueZ's GATT cache)
    // are refreshed before the identity that labels the run is read (issue 12, item 4).
    if (build_selected) g.links.back()->build_changed();
    LockRow row{spec.id, spec.model, spec.material, spec.slot, spec.driver, "", "", ""};
    try {
      if (auto id = g.links.back()->identity(std::chrono::seconds(20))) {
        row.firmware = id->firmware;
        row.reported_model = id->model;
        row.manufacturer = id->manufacturer;
        if (!id->client_version.empty())
          g.events.push_back(EventRow{spec.id, g.clock->now(), EventKind::client_version, spec.id,
                                      id->client_version, ""});
      } else {
        g.events.push_back(EventRow{spec.id, g.clock->now(), EventKind::identity, spec.id, "unreadable",
                                    "lock did not answer; firmware unknown for this run"});
      }
    } catch (const drivers::RigFault& e) {
      // Handled per on_rig_fault like any other rig fault: a run must not pass silently without
      // the identity (firmware, app build) it is labelled and compared by.
      rig_fault(g, spec.id, e.what(), g.events, "identity");
      std::lock_guard lk(fault_mu_);
      warnings_.push_back("lock " + spec.id + ": its identity could not be read (" + e.what() +
                          "); firmware and app version from it are unknown for this run");
    }
    g.rows.push_back(std::move(row));
  }
}

// Where the steps of one item hand over what they produced (rig/engine/steps/step_kind.hpp):
// events gather here and go to the journal with the item's next session, or when the item ends.
class RunEngine::ItemSink final : public StepSink {
 public:
  ItemSink(RunEngine& engine, GroupState& g, const PlanItem& item)
      : engine_(engine),
        g_(g),
        item_(item),
        sc_(engine.scenarios_[item.scenario]),
        lock_id_(engine.fixture_.locks[item.lock].id) {}
  // Bench actions really happened even if the repetition is cut short: journaled on any exit
  // (the session in flight, if any, is what gets discarded).
  ~ItemSink() override {
    if (!events_.empty()) engine_.queue_.push(JournalBatch{std::move(events_), std::nullopt});
  }

  void at_step(std::size_t si) { si_ = si; }

  void event(EventKind kind, std::string target, std::string value, std::string detail) override {
    events_.push_back(EventRow{lock_id_, g_.clock->now(), kind, std::move(target),
                               std::move(value), std::move(detail)});
    note_bench_event(events_.back());  // issue 15
  }

  void assertion_failed() override { ++engine_.wait_failures_; }

  bool session(SessionRecord session) override {
    session.lock_id = lock_id_;
    session.scenario = sc_.name;
    session.repetition = item_.repetition;
    // A sweep's k-th session (issue 14) is numbered si + k x steps, so every session of the
    // item keeps its own (lock, scenario, repetition, step) key and the first is the step's index.
    const int ordinal = session.sweep ? session.step_index : 0;
    session.step_index = static_cast<int>(si_ + sc_.steps.size() * static_cast<std::size_t>(ordinal));
    if (session.sweep && session.sweep->sweep.empty()) session.sweep->sweep = sc_.name;
    const bool faulted = session.result == SessionResult::rig_fault;
    std::string fault_detail = faulted ? session.attempts.back().detail : "";
    if (faulted) rig_fault(fault_detail);
    // Resume: a session an earlier part journaled is kept as it was, never written twice.
    if (engine_.resume_ && engine_.resume_->journaled(SessionKey{
                               lock_id_, sc_.name, item_.repetition, session.step_index})) {
      take_session_evidence(EvidencePolicy::none, session);  // empties the recorder (issue 15)
      return !faulted;
    }
    if (faulted) abandon_rest();
    session.evidence = take_session_evidence(engine_.options_.keep_evidence, session);  // issue 15
    engine_.queue_.push(JournalBatch{std::move(events_), std::move(session)});
    events_.clear();
    return !faulted;
  }

  // A rig fault met by the current step, handled per on_rig_fault.
  void rig_fault(const std::string& what) { engine_.rig_fault(g_, lock_id_, what, events_); }

  // A rig fault ends the item whatever the policy: its later steps assume a bench that did what
  // it was told (an `expect: not_found` behind a shield that never closed would blame the lock).
  // Under `continue` the run goes on with the next item; say what was left out.
  void abandon_rest() {
    const std::size_t si = si_;
    if (engine_.fixture_.on_rig_fault != RigFaultPolicy::carry_on || si + 1 >= sc_.steps.size())
      return;
    int sessions = 0;
    for (std::size_t k = si + 1; k < sc_.steps.size(); ++k)
      sessions += sc_.steps[k].kind == Step::Kind::unlock;
    event(EventKind::item_abandoned, item_label(sc_.name, item_.repetition), "rig_fault",
          "on_rig_fault: continue: the remaining " + std::to_string(sc_.steps.size() - si - 1) +
              " step(s) of this repetition (" + std::to_string(sessions) +
              " unlock session(s)) were not run; the run goes on with the next item");
  }

 private:
  RunEngine& engine_;
  GroupState& g_;
  const PlanItem& item_;
  const Scenario& sc_;
  const std::string& lock_id_;
  std::size_t si_ = 0;
  std::vector<EventRow> events_;
};

// Runs the item's steps in order, each through its kind (the step table).
void RunEngine::run_item(GroupState& g, const PlanItem& item, drivers::LockLink& link) {
  const Scenario& sc = scenarios_[item.scenario];
  ItemSink sink(*this, g, item);
  StepContext ctx{*bench_, link, *g.clock, halt_, fixture_.locks[item.lock].id, sink};
  for (std::size_t si = 0; si < sc.steps.size(); ++si) {
    if (halt_) return;
    const Step& step = sc.steps[si];
    sink.at_step(si);
    try {
      if (step.kind->execute(step, ctx) == StepEnd::end_item) return;
    } catch (const drivers::RigFault& e) {
      sink.rig_fault(e.what());
      sink.abandon_rest();
      return;
    }
  }
}

void RunEngine::work(GroupState& g) {
  if (options_.items) options_.items->enter_group(static_cast<int>(g.index));
  WorkerEvidence evidence(options_.keep_evidence, *g.clock);  // issue 15: this thread's transcript
  try {
    std::size_t last_scenario = SIZE_MAX;
    long long pos = -1;
    // Resume: the item each lock finished last in an earlier part, and whether the lock has run
    // anything in this part yet.
    std::vector<std::optional<PlanItem>> previous(fixture_.locks.size());
    std::vector<bool> started(fixture_.locks.size(), false);
    plan_.for_each_item(*g.group, [&](const PlanItem& item) {
      ++pos;
      if (halt_ || g.quarantined) return false;
      const std::string& name = scenarios_[item.scenario].name;
      if (resuming_) {
        const ItemKey key{fixture_.locks[item.lock].id, name, item.repetition};
        if (resume_->skip(pos, g.resume_pos, key)) {
          if (!started[item.lock]) previous[item.lock] = item;
          return true;
        }
      }
      // A new scenario starts from a fresh connection even under the `keep` policy.
      if (item.scenario != last_scenario)
        for (auto& l : g.links)
          if (l->connected()) l->disconnect();
      last_scenario = item.scenario;
      drivers::LockLink& link = *g.links[link_index(g, item.lock)];
      // Noted before anything touches the lock, so a crash anywhere in the item is its crash.
      if (options_.items)
        options_.items->set_slot(
            g.index, ItemSlot{ItemSlot::running, static_cast<std::uint32_t>(item.scenario),
                              item.repetition, static_cast<std::uint32_t>(item.lock)});
      if (resuming_ && !started[item.lock]) restore_link(g, item, previous[item.lock], link);
      started[item.lock] = true;
      link.begin_item(name, item.repetition);
      evidence.begin_item();
      run_item(g, item, link);
      return true;
    });
    if (options_.items) options_.items->set_slot(g.index, ItemSlot{ItemSlot::finished, 0, 0, 0});
    for (auto& l : g.links)
      if (l->connected()) l->disconnect();
  } catch (...) {
    fail_worker(std::current_exception());
  }
  if (options_.items) options_.items->enter_group(-1);
}

// A lock's link carries over between items of one scenario (connection: keep). An uninterrupted
// run would start this item with the link the previous item left up; a resumed one starts with
// a fresh link (the crash dropped it), which would change what the item does. Reconnect first.
void RunEngine::restore_link(GroupState& g, const PlanItem& item,
                             const std::optional<PlanItem>& previous, drivers::LockLink& link) {
  if (!previous || previous->scenario != item.scenario || link.connected()) return;
  const Scenario& sc = scenarios_[previous->scenario];
  const std::string& lock_id = fixture_.locks[item.lock].id;
  if (!resume_->link_left_up(ItemKey{lock_id, sc.name, previous->repetition}, sc)) return;
  std::string result = "failed";
  int tries = 0;
  try {
    while (tries < 5 && !halt_) {
      ++tries;
      if (link.connect(std::chrono::seconds(20)).outcome == drivers::LockOutcome::success) {
        result = "connected";
        break;
      }
    }
  } catch (const drivers::RigFault& e) {
    result = std::string("failed: ") + e.what();
  }
  queue_.push(JournalBatch{
      {EventRow{lock_id, g.clock->now(), EventKind::reconnect, lock_id, result,
                "resume: the link " + item_label(sc.name, previous->repetition) +
                    " kept open, restored before " + item_label(sc.name, item.repetition) + " (" +
                    std::to_string(tries) + " attempt(s))"}},
      std::nullopt});
}

// Reads how far the run got and decides (per the resume policy) where each group continues and
// what happened to the items that were in flight when the previous part died; their events go
// to `events`.
void RunEngine::prepare_resume(std::vector<GroupState>& groups, std::vector<EventRow>& events) {
  resume_.emplace(fixture_, scenarios_, plan_, read_progress(journal_, run_id_));
  const JournaledProgress& progress = resume_->progress();
  counters_ = progress.counters;
  wait_failures_ = progress.wait_failures;

  for (auto& g : groups) {
    g.resume_pos = resume_->continue_at(*g.group);
    if (auto reason = resume_->earlier_quarantine(*g.group)) {
      // A rig fault quarantined these locks before the crash: they stay out of the run.
      g.quarantined = true;
      rig_fault_stopped_ = true;
      if (abort_reason_.empty())
        abort_reason_ = "rig fault in an earlier part of the run: " + *reason;
    }
  }

  // Under `continue` a rig fault does not stop the run but does decide how it ends (rig_fault,
  // exit 3), whichever part met it.
  if (fixture_.on_rig_fault == RigFaultPolicy::carry_on && !progress.first_rig_fault.empty()) {
    rig_fault_stopped_ = true;
    if (abort_reason_.empty())
      abort_reason_ = "rig fault in an earlier part of the run (on_rig_fault: continue): " +
                      progress.first_rig_fault;
  }

  // The items in flight when the previous part died, from its run lock.
  if (options_.items)
    resume_->judge_interrupted(*options_.items, groups.size(), options_.quarantine_after_crashes,
                               events, resume_notes_);
}

// The bench after an exception that did not let the run end normally: restored, and journaled
// if the journal still takes it (the exception itself goes up unchanged).
void RunEngine::safe_state_on_error() noexcept {
  try {
    auto events = restore_safe_state(t0_);
    if (run_id_ != 0) journal_.commit(run_id_, JournalBatch{std::move(events), std::nullopt});
  } catch (...) {
  }
}

std::vector<EventRow> RunEngine::restore_safe_state(TimePoint t) {
  std::vector<EventRow> events;
  for (auto& e : bench_->restore_safe_state())
    events.push_back(EventRow{"", t, e.kind, e.target, e.value, e.detail});
  return events;
}

// For the crash tests only (tests/cli/resume_test.cpp): LOCKRIG_TEST_KILL_BEFORE_COMMIT=N kills
// the process with SIGKILL inside the N-th group commit of two or more sessions, after its rows
// are written and before COMMIT, saying on stderr how many sessions were committed before it.
static void arm_kill_before_commit(Journal& journal, const RunCounters& committed) {
  const char* v = std::getenv("LOCKRIG_TEST_KILL_BEFORE_COMMIT");
  if (!v || !*v) return;
  const long long at = std::atoll(v);
  journal.set_before_commit_hook([at, &committed, seen = 0LL](std::size_t sessions) mutable {
    if (sessions < 2 || ++seen < at) return;
    std::fprintf(stderr, "lockrig: test hook: SIGKILL before committing %zu sessions after %lld\n",
                 sessions, committed.sessions);
    std::fflush(stderr);
    ::raise(SIGKILL);
  });
}

void RunEngine::writer_loop(std::vector<std::thread>& threads, std::atomic<int>& running) {
  arm_kill_before_commit(journal_, counters_);
  std::vector<JournalBatch> batches;
  std::exception_ptr journal_error;
  auto last_progress = std::chrono::steady_clock::now();
  for (;;) {
    if (external_stop_) halt_ = true;
    const bool done = running.load() == 0;
    batches.clear();
    queue_.drain(batches, std::chrono::milliseconds(done ? 0 : 50));
    // Group commit (issue 18): what was drained goes to the journal in transactions of at most
    // kMaxGroupSessions sessions; a crash loses only the group not yet committed, which --resume
    // runs again. The hook below sees each session once its group is committed.
    for (std::size_t first = 0; first < batches.size() && !journal_error;) {
      std::size_t end = first, sessions = 0;
      while (end < batches.size() && sessions < kMaxGroupSessions)
        sessions += batches[end++].session.has_value();
      try {
        journal_.commit_group(run_id_, std::span<const JournalBatch>(batches).subspan(first, end - first));
      } catch (...) {
        // Stop the workers and keep draining so none blocks on a full queue; the threads are
        // joined before the error goes up (a joinable std::thread would terminate the process).
        journal_error = std::current_exception();
        halt_ = true;
        break;
      }
      for (; first < end; ++first) {
        if (!batches[first].session) continue;
        const SessionRecord& s = *batches[first].session;
        ++counters_.sessions;
        counters_.attempts += static_cast<long long>(s.attempts.size());
        counters_.sli_sessions += s.sli_eligible;
        counters_.sli_successes += s.sli_success;
        counters_.rig_faults += s.result == SessionResult::rig_fault;
        counters_.failed_assertions += !s.sli_eligible && s.result == SessionResult::fail &&
                                       s.expect != kSweepExpect;  // issue 14: a measurement
        if (options_.after_session && options_.after_session(s)) halt_ = true;
      }
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
  if (journal_error) std::rethrow_exception(journal_error);
}

RunRecord RunEngine::run_info(bool virtual_clock) const {
  RunRecord info;
  info.uuid = options_.uuid.empty() ? make_uuid_v4() : options_.uuid;
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
  return info;
}

// Journals a new run with what --resume needs to rebuild its plan, or takes up the run being
// resumed (its uuid replaces the new one in `info`).
void RunEngine::open_run(RunRecord& info) {
  resuming_ = options_.resume != nullptr;
  if (resuming_) {
    run_id_ = options_.resume->id;
    info.uuid = options_.resume->uuid;
    if (options_.resume->status != name(RunStatus::running)) reopen_run(journal_, run_id_);
  } else {
    run_id_ = journal_.begin_run(info);
    // What --resume needs to rebuild the plan, committed before the bench is touched.
    std::vector<std::string> ids;
    for (std::size_t li : plan_.locks) ids.push_back(fixture_.locks[li].id);
    journal_.commit(run_id_, JournalBatch{plan_events(options_.scenario_files, ids), std::nullopt});
  }
}

std::vector<GroupState> RunEngine::make_groups() const {
  std::vector<GroupState> groups(plan_.groups.size());
  for (std::size_t i = 0; i < groups.size(); ++i) {
    groups[i].group = &plan_.groups[i];
    groups[i].index = i;
  }
  return groups;
}

void RunEngine::start_clocks(std::vector<GroupState>& groups, bool virtual_clock, TimePoint t0) {
  for (std::size_t i = 0; i < groups.size(); ++i) {
    if (virtual_clock)
      groups[i].clock = std::make_unique<VirtualClock>(t0);
    else
      groups[i].clock = std::make_unique<RealClock>(&halt_, t0);
  }
}

int RunEngine::jobs(bool virtual_clock, std::size_t groups) const {
  return options_.jobs > 0
             ? options_.jobs
             : (virtual_clock ? static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))
                              : static_cast<int>(groups));
}

// Runs fn over the groups on up to jobs_ threads, while this thread writes the journal.
template <class Fn>
void RunEngine::in_parallel(std::vector<GroupState>& groups, Fn fn) {
  std::atomic<std::size_t> next{0};
  std::atomic<int> running{0};
  std::vector<std::thread> threads;
  const int n = std::max(1, std::min<int>(jobs_, static_cast<int>(groups.size())));
  running = n;
  for (int t = 0; t < n; ++t)
    threads.emplace_back([&] {
      for (std::size_t i; (i = next++) < groups.size();) fn(groups[i]);
      --running;
    });
  writer_loop(threads, running);
}

// The hardware goes to its safe state first, whatever an earlier part left it in; a bench that
// cannot be made safe stops the run before it starts. A resume journals itself, the safe state
// and the fate of the items that were in flight in one transaction.
void RunEngine::journal_start(TimePoint t0, const std::string& uuid, int part,
                              const std::vector<EventRow>& resume_events) {
  std::vector<EventRow> start_events = restore_safe_state(t0);
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
    start_events.push_back(EventRow{"", t0, EventKind::rig_fault, "", "", abort_reason_});
  }
  if (resuming_) {
    std::vector<EventRow> first{EventRow{
        "", t0, EventKind::resumed, uuid, "part " + std::to_string(part),
        "resumed by pid " + std::to_string(::getpid()) + " on " + hostname() + " with lockrig " +
            LOCKRIG_VERSION + " (run started with " + options_.resume->controller_version + "); " +
            std::to_string(resume_->progress().counters.sessions) + " sessions already journaled"}};
    first.insert(first.end(), start_events.begin(), start_events.end());
    first.insert(first.end(), resume_events.begin(), resume_events.end());
    start_events = std::move(first);
  }
  journal_.commit(run_id_, JournalBatch{std::move(start_events), std::nullopt});
}

// Every lock's identity, read in parallel and journaled (run_locks, identity events) in lock
// order.
void RunEngine::identify_all(std::vector<GroupState>& groups, TimePoint t0) {
  in_parallel(groups, [&](GroupState& g) {
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
  std::sort(rows.begin(), rows.end(),
            [](const LockRow& a, const LockRow& b) { return a.lock_id < b.lock_id; });
  if (resuming_) {
    // The run keeps the identities read when it started; a lock that now reports other
    // firmware is worth knowing about.
    for (const auto& r : rows) {
      const auto& firmware = resume_->progress().firmware;
      auto it = firmware.find(r.lock_id);
      if (it != firmware.end() && !r.firmware.empty() && it->second != r.firmware)
        events.push_back(EventRow{
            r.lock_id, t0, EventKind::identity, r.lock_id, "firmware_changed",
            "firmware " + r.firmware + " read on resume, " + it->second + " when the run started"});
    }
    record_missing_locks(journal_, run_id_, rows);
  } else {
    journal_.record_locks(run_id_, rows);
  }
  journal_.commit(run_id_, JournalBatch{events, std::nullopt});
  check_app_versions(events);
}

// The app build the run compares is the one the app reports; a --label app=X that says
// otherwise, or app-driving locks that disagree, are worth a warning (the label still wins,
// and the first lock's version is the one labelled).
void RunEngine::check_app_versions(const std::vector<EventRow>& events) {
  std::vector<std::pair<std::string, std::string>> reported;  // lock, version
  for (const auto& e : events)
    if (e.is(EventKind::client_version)) reported.emplace_back(e.lock_id, e.value);
  const auto given = options_.labels.find("app");
  std::lock_guard warn_lock(fault_mu_);
  for (const auto& [lock, version] : reported) {
    if (given != options_.labels.end() && version != given->second)
      warnings_.push_back("lock " + lock + " reports app version " + quote(version) +
                          " but the run is labelled app=" + quote(given->second));
    else if (given == options_.labels.end() && version != reported.front().second)
      warnings_.push_back("lock " + lock + " reports app version " + quote(version) + ", lock " +
                          reported.front().first + " " + quote(reported.front().second) +
                          "; the run is labelled app=" + quote(reported.front().second));
  }
  if (given == options_.labels.end() && !(resume_ && resume_->progress().has_app_label) &&
      !reported.empty())
    journal_.set_label(run_id_, "app", reported.front().second);
}

// How the run ended: its counters, status and exit code.
void RunEngine::settle(RunOutcome& out) const {
  out.counters = counters_;
  out.counters.failed_assertions += wait_failures_;
  out.abort_reason = abort_reason_;
  if (external_stop_) {
    out.status = name(RunStatus::aborted);
    const int sig = options_.stop_signal ? options_.stop_signal->load() : 0;
    out.exit_code = sig > 0 ? 128 + sig : exit_code::sigint;
    out.abort_reason = sig > 0 ? "interrupted by signal " + std::to_string(sig) : "interrupted";
  } else if (rig_fault_stopped_) {
    out.status = name(RunStatus::rig_fault);
    out.exit_code = exit_code::rig_fault;
  } else {
    out.status = name(RunStatus::completed);
    out.exit_code =
        out.counters.failed_assertions > 0 ? exit_code::assertions_failed : exit_code::ok;
  }
  if (!out.safe_state_restored) {
    out.exit_code = exit_code::rig_fault;
    if (out.status != name(RunStatus::aborted)) out.status = name(RunStatus::rig_fault);
    if (out.abort_reason.empty())
      out.abort_reason = "the bench could not be returned to its safe state";
  }
}

RunOutcome RunEngine::run() {
  plan_ = make_plan(fixture_, scenarios_, options_.plan);
  const bool virtual_clock = use_virtual_clock();

  // Open the hardware before the run is journaled: a missing board is reported, not recorded
  // as a run that did nothing.
  bench_ = std::make_unique<Bench>(fixture_, registry_, bench_clock_, options_.seed);
  // From here on, every way out of the run leaves the bench safe: the normal end restores it
  // below; an exception on the way (journal, resume bookkeeping) restores it here.
  struct SafeOnExit {
    RunEngine& engine;
    bool done = false;
    ~SafeOnExit() {
      if (!done) engine.safe_state_on_error();
    }
  } safe_on_exit{*this};

  RunRecord info = run_info(virtual_clock);
  open_run(info);
  observer_.started(plan_, info.uuid, virtual_clock);
  for (const auto& n : plan_.notes) observer_.message(n);

  RunOutcome out;
  out.run_id = run_id_;
  out.uuid = info.uuid;

  std::vector<GroupState> groups = make_groups();
  std::vector<EventRow> resume_events;
  if (resuming_) prepare_resume(groups, resume_events);
  // A resumed run continues its time line after the latest moment the earlier parts journaled.
  const TimePoint t0 =
      resuming_ ? resume_->progress().last_t + std::chrono::seconds(1) : TimePoint{0};
  start_clocks(groups, virtual_clock, t0);
  for (auto& e : resume_events) e.t = t0;
  t0_ = t0;
  out.part = resuming_ ? resume_->progress().attempts + 1 : 1;
  out.sessions_before = resuming_ ? resume_->progress().counters.sessions : 0;
  out.resume_notes = resume_notes_;
  jobs_ = jobs(virtual_clock, groups.size());

  std::exception_ptr journal_error;
  try {
    journal_start(t0, info.uuid, out.part, resume_events);
    if (!halt_) identify_all(groups, t0);
    if (!halt_) in_parallel(groups, [&](GroupState& g) { work(g); });
  } catch (const JournalError&) {
    // The disk filled or the journal vanished: stop the workers, leave the bench safe, report.
    halt_ = true;
    journal_error = std::current_exception();
  }

  TimePoint end = t0;
  for (const auto& g : groups) end = std::max(end, g.clock->now());
  out.campaign_seconds = static_cast<double>(end.count()) / 1e9;
  auto safe_events = restore_safe_state(end);
  safe_on_exit.done = true;
  out.safe_state_restored = bench_->safe();
  out.warnings = warnings_;
  if (journal_error) {
    // The safe-state events cannot be journaled; say what happened to the bench instead.
    std::string what = "journal failed";
    try {
      std::rethrow_exception(journal_error);
    } catch (const std::exception& e) {
      what = e.what();
    }
    throw JournalError(what + (out.safe_state_restored
                                   ? "; every switch and supply was returned to its safe state"
                                   : "; the bench could NOT be returned to its safe state"));
  }
  if (worker_error_) {
    journal_.commit(run_id_, JournalBatch{safe_events, std::nullopt});
    journal_.finish_run(run_id_, RunStatus::aborted, exit_code::rig_fault, utc_now_iso8601(), out.campaign_seconds);
    std::rethrow_exception(worker_error_);
  }

  settle(out);
  journal_.commit(run_id_, JournalBatch{safe_events, std::nullopt});
  observer_.progress(out.counters, plan_.total_sessions);
  journal_.finish_run(run_id_, out.status, out.exit_code, utc_now_iso8601(), out.campaign_seconds);
  return out;
}

}  // namespace

RunOutcome run_plan(const Fixture& fixture, const std::vector<Scenario>& scenarios,
                    const drivers::DriverRegistry& registry, Journal& journal,
                    const RunOptions& options, RunObserver& observer,
                    const std::atomic<bool>& stop) {
  RunEngine engine(fixture, scenarios, registry, journal, options, observer, stop);
  return engine.run();
}

}  // namespace lockrig
