// `unlock`: one unlock session as the app does it (retries inside it), journaled as a session.
//   - unlock:                                         (expect success within 10s)
//   - unlock: {expect: not_found, within: 5s, retry: {attempts: 3, backoff: 1s}, sli: false,
//              connection: keep}
// Step fields: unlock.
#include "rig/base/text.hpp"
#include "rig/base/yaml_util.hpp"
#include "rig/engine/session.hpp"
#include "rig/engine/steps/step_kind.hpp"

namespace lockrig::steps {

namespace {

void parse(const YAML::Node& v, const std::string& file, Step& s) {
  auto at = [&](const YAML::Node& n) { return yaml::location(n, file); };
  UnlockStep& u = s.unlock;
  if (v.IsNull()) return;  // "- unlock:" alone: expect success with the defaults
  yaml::check_mapping(v, file, {"expect", "within", "retry", "sli", "connection"},
                      "an unlock step");
  if (v["expect"]) {
    const std::string e = yaml::as_string(v["expect"], file, "expect");
    if (e == "failure") {
      u.expect.outcome.reset();
    } else if (auto o = drivers::parse_outcome(e)) {
      u.expect.outcome = *o;
    } else {
      std::vector<std::string> names = drivers::outcome_names();
      names.push_back("failure");
      throw ConfigError(at(v["expect"]), "unknown expected outcome " + quote(e) +
                                             did_you_mean(e, names) +
                                             "; known: " + join(names, ", "));
    }
  }
  if (v["within"]) u.within = yaml::as_duration(v["within"], file, "within");
  if (u.within.count() <= 0) throw ConfigError(at(v["within"]), "within must be longer than zero");
  if (const YAML::Node r = v["retry"]) {
    yaml::check_mapping(r, file, {"attempts", "backoff", "backoff_factor", "attempt_timeout"},
                        "a retry policy");
    if (r["attempts"]) {
      long long a = yaml::as_int(r["attempts"], file, "attempts");
      if (a < 1 || a > 100)
        throw ConfigError(at(r["attempts"]), "attempts must be between 1 and 100, got " +
                                                 quote(r["attempts"].Scalar()));
      u.retry.max_attempts = static_cast<int>(a);
    }
    if (r["backoff"]) u.retry.backoff = yaml::as_duration(r["backoff"], file, "backoff");
    if (r["attempt_timeout"]) {
      u.retry.attempt_timeout = yaml::as_duration(r["attempt_timeout"], file, "attempt_timeout");
      if (u.retry.attempt_timeout->count() <= 0)
        throw ConfigError(at(r["attempt_timeout"]), "attempt_timeout must be longer than zero");
    }
    if (r["backoff_factor"]) {
      u.retry.backoff_factor = yaml::as_double(r["backoff_factor"], file, "backoff_factor");
      if (u.retry.backoff_factor < 1 || u.retry.backoff_factor > 10)
        throw ConfigError(at(r["backoff_factor"]), "backoff_factor must be between 1 and 10, got " +
                                                       quote(r["backoff_factor"].Scalar()));
    }
  }
  u.sli = u.expect.expects_success();
  if (v["sli"]) {
    u.sli = yaml::as_bool(v["sli"], file, "sli");
    if (u.sli && !u.expect.expects_success())
      throw ConfigError(at(v["sli"]),
                        "a session expecting " + u.expect.name() +
                            " cannot count toward the SLI: physically certain failures are "
                            "assertions, not SLI events");
  }
  if (v["connection"]) {
    static constexpr NameTable<ConnectionPolicy, 2> kPolicies{
        {{ConnectionPolicy::per_session, "per_session"}, {ConnectionPolicy::keep, "keep"}}};
    u.connection = yaml::as_choice(v["connection"], file, "connection", kPolicies);
  }
}

std::string describe(const Step& s) {
  return "unlock expect " + s.unlock.expect.name() + " within " + format_duration(s.unlock.within);
}

StepEnd execute(const Step& s, StepContext& ctx) {
  for (int stalls = 0;; ++stalls) {
    auto session = run_session(ctx.link, ctx.clock, s.unlock, ctx.halt);
    if (!session) return StepEnd::end_item;  // interrupted: the session in flight is discarded
    // A session the controller stalled in is the rig's doing, never the lock's (issue 17 item
    // 1): noted and run again; one that keeps stalling is journaled as a rig fault.
    if (auto gap = session_stall(*session, ctx.clock)) {
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*gap).count();
      if (stalls < kStallReruns) {
        ctx.sink.event(EventKind::controller_stall, "session", std::to_string(ms),
                       stall_detail(*session, *gap) + "; session run again");
        continue;
      }
      ctx.sink.event(EventKind::controller_stall, "session", std::to_string(ms),
                     stall_detail(*session, *gap) + "; journaled as a rig fault");
      mark_stalled(*session, *gap);
    }
    return ctx.sink.session(std::move(*session)) ? StepEnd::next : StepEnd::end_item;
  }
}

}  // namespace

extern const StepKind kUnlockStep;  // a row of the step table (step_table.cpp)
const StepKind kUnlockStep{"unlock", parse, describe, execute};

}  // namespace lockrig::steps
