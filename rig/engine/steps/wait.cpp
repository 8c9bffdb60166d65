// `wait`: a fixed pause on the worker's clock.
//   - wait: 5s
// Step fields: duration.
#include "rig/base/text.hpp"
#include "rig/base/yaml_util.hpp"
#include "rig/engine/steps/step_kind.hpp"

namespace lockrig::steps {

namespace {

void parse(const YAML::Node& v, const std::string& file, Step& s) {
  s.duration = yaml::as_duration(v, file, "wait");
}

std::string describe(const Step& s) {
  return "wait " + format_duration(s.duration);
}

StepEnd execute(const Step& s, StepContext& ctx) {
  ctx.sink.event(EventKind::wait, ctx.lock_id, format_duration(s.duration), "");
  return ctx.clock.sleep_for(s.duration) ? StepEnd::next : StepEnd::end_item;
}

}  // namespace

extern const StepKind kWaitStep;  // a row of the step table (step_table.cpp)
const StepKind kWaitStep{"wait", parse, describe, execute};

}  // namespace lockrig::steps
