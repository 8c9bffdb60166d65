// Builds journals with counts chosen by the test, through the real lockrig::Journal (the same
// writes `lockrig run` makes), in a temporary directory removed at the end of the test.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "reports/commands.hpp"
#include "rig/base/errors.hpp"
#include "rig/journal/journal.hpp"
#include "tests/support/journal_fixtures.hpp"
#include "rig/journal/sql.hpp"  // the raw handle, for VACUUM INTO

namespace lockrig::reports::testing {

using TempDir = lockrig::testing::ScratchDir;

struct LockSpec {
  std::string id, material, firmware;
  std::string model = "Acme Bolt 3";
};

class TestJournal {
 public:
  TestJournal() : journal_(Journal::open(dir_.file("journal.db"))) {}
  std::string path() const { return dir_.file("journal.db"); }
  const TempDir& dir() const { return dir_; }

  std::int64_t run(const std::vector<LockSpec>& locks,
                   const std::map<std::string, std::string>& labels = {},
                   const std::string& started_at = "") {
    RunRecord info;
    char uuid[64];
    std::snprintf(uuid, sizeof uuid, "00000000-0000-4000-8000-%012d", ++runs_);
    info.uuid = uuid;
    info.host = "test-host";
    info.rig = "test-rig";
    char when[64];
    std::snprintf(when, sizeof when, "2026-11-%02dT08:00:00.000Z", 1 + runs_ % 28);
    info.started_at = started_at.empty() ? when : started_at;
    info.clock = "virtual";
    info.fixture_source = "fixture.yaml";
    info.fixture_sha256 = info.scenarios_sha256 = "0";
    info.controller_version = "test";
    info.command_line = "lockrig run";
    info.labels = labels;
    const std::int64_t id = journal_.begin_run(info);
    std::vector<LockRow> rows;
    for (const auto& l : locks)
      rows.push_back(LockRow{l.id, l.model, l.material, "A1", "sim", l.firmware, l.model, "acme"});
    journal_.record_locks(id, rows);
    return id;
  }

  // `successes` successful and `failures` failed SLI sessions of `lock`. Durations cycle through
  // duration_ms + 0, 10, ..., 490 ms so latency figures have spread; `retried` of the successes
  // needed a second attempt.
  void sli(std::int64_t run, const std::string& lock, long successes, long failures,
           const std::string& scenario = "daily-unlock", double duration_ms = 800.0,
           long retried = 0, const std::string& failure_outcome = "timeout") {
    for (long i = 0; i < successes + failures; ++i) {
      const bool ok = i < successes;
      SessionRecord s = base(run, lock, scenario, "success");
      s.sli_eligible = true;
      s.sli_success = ok;
      s.result = ok ? SessionResult::pass : SessionResult::fail;
      s.outcome = ok ? "success" : failure_outcome;
      const bool retry = ok && i < retried;
      s.first_attempt_success = ok && !retry;
      const int attempts = ok ? (retry ? 2 : 1) : 3;
      const double ms = duration_ms + 10.0 * static_cast<double>(i % 50);
      s.ended = s.started + Duration(static_cast<std::int64_t>(ms * 1e6));
      for (int a = 1; a <= attempts; ++a) {
        AttemptRecord at;
        at.number = a;
        at.outcome = (a == attempts && ok) ? "success" : failure_outcome;
        at.phase = "unlock";
        s.attempts.push_back(at);
      }
      journal_.commit(run, JournalBatch{{}, s});
    }
  }

  // An assertion session (not SLI-eligible): expected `expect`, got `outcome`.
  void assertion(std::int64_t run, const std::string& lock, const std::string& scenario,
                 const std::string& expect, const std::string& outcome) {
    SessionRecord s = base(run, lock, scenario, expect);
    s.sli_eligible = false;
    s.outcome = outcome;
    s.result = outcome == expect ? SessionResult::pass : SessionResult::fail;
    s.ended = s.started + Duration(500'000'000);
    AttemptRecord at;
    at.outcome = outcome;
    at.cls = AttemptClass::expected;
    s.attempts.push_back(at);
    journal_.commit(run, JournalBatch{{}, s});
  }

  // A session the rig broke, with the rig_fault event that goes with it.
  void rig_fault(std::int64_t run, const std::string& lock, const std::string& scenario) {
    SessionRecord s = base(run, lock, scenario, "success");
    s.sli_eligible = false;
    s.result = SessionResult::rig_fault;
    s.outcome = "rig_fault";
    s.ended = s.started + Duration(100'000'000);
    AttemptRecord at;
    at.outcome = "rig_fault";
    at.cls = AttemptClass::rig_fault;
    s.attempts.push_back(at);
    journal_.commit(run,
                    JournalBatch{{lockrig::EventRow{lock, s.started, "rig_fault", "relay-board",
                                                    "no answer", "board stopped answering"}},
                                 s});
  }

  // Issue 14: sweep sessions of `lock` at `level_db` (expect 'range', not SLI-eligible, with
  // their sweep_sessions row): `successes` unlocked, `failures` not, `rig_faults` broken by the rig.
  void sweep(std::int64_t run, const std::string& lock, double level_db, long successes,
             long failures, long rig_faults = 0, const std::string& scenario = "range-sweep") {
    std::vector<JournalBatch> batch;
    for (long i = 0; i < successes + failures + rig_faults; ++i) {
      SessionRecord s = base(run, lock, scenario, std::string(kSweepExpect));
      s.sli_eligible = false;
      const bool fault = i >= successes + failures;
      const bool ok = i < successes;
      s.result = fault ? SessionResult::rig_fault : ok ? SessionResult::pass : SessionResult::fail;
      s.outcome = fault ? "rig_fault" : ok ? "success" : "not_found";
      s.first_attempt_success = ok;
      s.ended = s.started + Duration(700'000'000);
      AttemptRecord at;
      at.number = 1;
      at.outcome = s.outcome;
      at.phase = "unlock";
      if (fault) at.cls = AttemptClass::rig_fault;
      s.attempts.push_back(at);
      s.sweep = SweepLevel{scenario, "rf_path", level_db, "grid"};
      batch.push_back(JournalBatch{{}, s});
    }
    journal_.commit_group(run, batch);
  }

  // A consistent copy of the journal (WAL included), e.g. to look at a failing test's data.
  void snapshot(const std::string& path) {
    std::filesystem::remove(path);
    char* err = nullptr;
    const std::string sql = "VACUUM INTO '" + path + "'";
    if (sqlite3_exec(journal_db(journal_), sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error("snapshot: " + msg);
    }
  }

  void finish(std::int64_t run, const std::string& status = "completed") {
    journal_.finish_run(run, status, 0, "2026-11-30T00:00:00.000Z", 60.0);
  }

 private:
  SessionRecord base(std::int64_t run, const std::string& lock, const std::string& scenario,
                     const std::string& expect) {
    SessionRecord s;
    s.lock_id = lock;
    s.scenario = scenario;
    s.repetition = ++repetition_[{run, lock + "\n" + scenario}];
    s.expect = expect;
    s.within = Duration(10'000'000'000);
    s.started = Duration(static_cast<std::int64_t>(s.repetition) * 20'000'000'000);
    return s;
  }

  TempDir dir_;
  Journal journal_;
  int runs_ = 0;
  std::map<std::pair<std::int64_t, std::string>, int> repetition_;
};

// Runs the interpreter on a script with the file as argv[1]; returns (exit status, output).
inline std::pair<int, std::string> run_python(const std::string& script, const std::string& file) {
  TempDir d;
  const std::string script_path = d.file("check.py");
  std::ofstream(script_path) << script;
  const std::string cmd =
      std::string(LOCKRIG_REPORT_PYTHON) + " " + script_path + " " + file + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (p && std::fgets(buf, sizeof buf, p)) out += buf;
  const int status = p ? pclose(p) : -1;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string write_temp(const TempDir& d, const std::string& name, const std::string& text) {
  const std::string p = d.file(name);
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

// A command (cmd_report, cmd_gate, cmd_plan) run in-process as `lockrig` would: its exit code,
// what it wrote, and the message of a usage or journal error (exit 2, as main() maps them).
struct Result {
  int code = -1;
  std::string out;
  std::string error;  // what() of a UsageError / JournalError
};

template <class F>
Result call(F command, std::vector<std::string> args) {
  Result r;
  std::ostringstream out;
  try {
    r.code = command(args, out);
  } catch (const UsageError& e) {
    r.code = 2;
    r.error = e.what();
  } catch (const JournalError& e) {
    r.code = 2;
    r.error = e.what();
  }
  r.out = out.str();
  return r;
}

inline Result report(std::vector<std::string> args) {
  return call([](const auto& a, std::ostream& o) { return cmd_report(a, o); }, std::move(args));
}
inline Result gate(std::vector<std::string> args) {
  return call([](const auto& a, std::ostream& o) { return cmd_gate(a, o); }, std::move(args));
}
inline Result plan(std::vector<std::string> args) {
  return call([](const auto& a, std::ostream& o) { return cmd_plan(a, o); }, std::move(args));
}

// Steel regressed, three doors unchanged; `per` SLI sessions per material and version, and the
// gate's arguments comparing the two firmware versions.
struct RegressedSteel {
  TestJournal tj;
  std::vector<std::string> args;
  RegressedSteel(long per, long steel_base_fail, long steel_cand_fail, long other_fail) {
    const auto r = tj.run({{"wood-1", "wood", "2.4.0"},
                           {"glass-1", "glass", "2.4.0"},
                           {"alu-1", "aluminium", "2.4.0"},
                           {"steel-1", "steel", "2.4.0"},
                           {"wood-2", "wood", "2.4.1"},
                           {"glass-2", "glass", "2.4.1"},
                           {"alu-2", "aluminium", "2.4.1"},
                           {"steel-2", "steel", "2.4.1"}});
    for (const char* l : {"wood-1", "glass-1", "alu-1", "wood-2", "glass-2", "alu-2"})
      tj.sli(r, l, per - other_fail, other_fail);
    tj.sli(r, "steel-1", per - steel_base_fail, steel_base_fail);
    tj.sli(r, "steel-2", per - steel_cand_fail, steel_cand_fail);
    tj.finish(r);
    args = {"--db", tj.path(), "--baseline", "firmware=2.4.0", "--candidate", "firmware=2.4.1"};
  }
};

}  // namespace lockrig::reports::testing
