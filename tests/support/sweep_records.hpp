// Journal records for sweep sessions (issue 14), shared by the range gate's black-box tests
// (tests/cli/range_gate_test.cpp) and its operating-characteristics bench
// (bench/range_gate_oc.cpp): the rows `lockrig run` writes for one unlock session of a grid
// sweep (expect 'range', not SLI-eligible, a sweep_sessions level) or, without a level, of an
// ordinary SLI session; and a finished-run record begin_run accepts. Header-only, so the bench
// needs no test library; it includes nothing below rig/journal's plain records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "rig/journal/records.hpp"

namespace lockrig::testing {

struct SweepSessionShape {
  std::string fail_outcome = "not_found";             // the outcome of a failed session
  Duration spacing = Duration(2'000'000'000);         // started = repetition x spacing
  Duration duration = Duration(700'000'000);          // ended - started
  std::string sweep = "range-sweep", part = "rf_path";
};

// One session of `lock` in `scenario`: a sweep session at `level` (dB) when given, else an SLI
// session; one unlock attempt that succeeded (`ok`) or ended in shape.fail_outcome.
inline SessionRecord sweep_test_session(const std::string& lock, const std::string& scenario,
                                        int repetition, bool ok, std::optional<double> level,
                                        const SweepSessionShape& shape = {}) {
  SessionRecord s;
  s.lock_id = lock;
  s.scenario = scenario;
  s.repetition = repetition;
  s.expect = level ? std::string(kSweepExpect) : "success";
  s.within = Duration(10'000'000'000);
  s.started = shape.spacing * repetition;
  s.ended = s.started + shape.duration;
  s.sli_eligible = !level;
  s.sli_success = !level && ok;
  s.first_attempt_success = ok;
  s.result = ok ? SessionResult::pass : SessionResult::fail;
  s.outcome = ok ? "success" : shape.fail_outcome;
  AttemptRecord at;
  at.number = 1;
  at.outcome = s.outcome;
  at.phase = "unlock";
  s.attempts.push_back(at);
  if (level) s.sweep = SweepLevel{shape.sweep, shape.part, *level, "grid"};
  return s;
}

// A run as begin_run takes it, on the virtual clock, started 2026-12-01T08:00Z.
inline RunRecord sweep_test_run(const std::string& host = "h", const std::string& rig = "r",
                                const std::string& version = "test",
                                std::string uuid = "00000000-0000-4000-8000-000000000001") {
  RunRecord info;
  info.uuid = std::move(uuid);
  info.host = host;
  info.rig = rig;
  info.started_at = "2026-12-01T08:00:00.000Z";
  info.clock = "virtual";
  info.fixture_source = "fixture.yaml";
  info.fixture_sha256 = info.scenarios_sha256 = "0";
  info.controller_version = version;
  info.command_line = "lockrig run";
  return info;
}

}  // namespace lockrig::testing
