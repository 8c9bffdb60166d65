// `disconnect`: drops the lock's link (under `connection: keep` the next session reconnects).
//   - disconnect:
// No step fields.
#include "drivers/lock_link.hpp"
#include "rig/base/yaml_util.hpp"
#include "rig/engine/steps/step_kind.hpp"

namespace lockrig::steps {

namespace {

void parse(const YAML::Node& v, const std::string& file, Step&) {
  if (!v.IsNull()) throw ConfigError(yaml::location(v, file), "disconnect takes no value");
}

std::string describe(const Step&) {
  return "disconnect";
}

StepEnd execute(const Step&, StepContext& ctx) {
  ctx.link.disconnect();
  ctx.sink.event(EventKind::disconnect, ctx.lock_id, "", "");
  return StepEnd::next;
}

}  // namespace

extern const StepKind kDisconnectStep;  // a row of the step table (step_table.cpp)
const StepKind kDisconnectStep{"disconnect", parse, describe, execute};

}  // namespace lockrig::steps
