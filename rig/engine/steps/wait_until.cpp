// `wait_until`: waits for the lock to (stop) advertising, looking every `poll`; a timeout is a
// failed assertion (the run ends with exit 1).
//   - wait_until: {condition: not_advertising, timeout: 10s, poll: 500ms}
// Step fields: condition, duration (the timeout), poll.
#include <algorithm>

#include "drivers/lock_link.hpp"
#include "rig/base/text.hpp"
#include "rig/base/yaml_util.hpp"
#include "rig/engine/steps/step_kind.hpp"

namespace lockrig::steps {

namespace {

void parse(const YAML::Node& v, const std::string& file, Step& s) {
  auto at = [&](const YAML::Node& n) { return yaml::location(n, file); };
  yaml::check_mapping(v, file, {"condition", "timeout", "poll"}, "a wait_until step");
  yaml::require_keys(v, file, {"condition", "timeout"}, "a wait_until step");
  static constexpr NameTable<Condition, 2> kConditions{
      {{Condition::advertising, "advertising"}, {Condition::not_advertising, "not_advertising"}}};
  s.condition = yaml::as_choice(v["condition"], file, "condition", kConditions);
  s.duration = yaml::as_duration(v["timeout"], file, "timeout");
  if (v["poll"]) s.poll = yaml::as_duration(v["poll"], file, "poll");
  if (s.poll.count() <= 0) throw ConfigError(at(v["poll"]), "poll must be longer than zero");
}

std::string describe(const Step& s) {
  return std::string("wait until ") +
         (s.condition == Condition::advertising ? "advertising" : "not advertising") +
         " (timeout " + format_duration(s.duration) + ")";
}

StepEnd execute(const Step& s, StepContext& ctx) {
  Clock& clock = ctx.clock;
  const bool want = s.condition == Condition::advertising;
  const TimePoint start = clock.now(), deadline = start + s.duration;
  bool met = false;
  while (!ctx.halt) {
    const TimePoint poll_start = clock.now();
    const Duration window = std::min(s.poll, deadline - poll_start);
    if (window.count() <= 0) break;
    if (ctx.link.advertising(window) == want) {
      met = true;
      break;
    }
    // A driver may answer before the window ends (the lock was seen at once); look again
    // only every `poll`, not in a tight loop against the BLE stack.
    const Duration rest = std::min(s.poll, deadline - poll_start) - (clock.now() - poll_start);
    if (rest.count() > 0 && !clock.sleep_for(rest)) break;
  }
  if (ctx.halt) return StepEnd::end_item;
  ctx.sink.event(EventKind::wait_until, ctx.lock_id, met ? "met" : "timeout",
                 s.describe() + " after " + format_duration(clock.now() - start));
  if (!met) ctx.sink.assertion_failed();
  return StepEnd::next;
}

}  // namespace

extern const StepKind kWaitUntilStep;  // a row of the step table (step_table.cpp)
const StepKind kWaitUntilStep{"wait_until", parse, describe, execute};

}  // namespace lockrig::steps
