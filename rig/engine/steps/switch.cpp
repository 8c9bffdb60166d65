// `switch`: turns a relay channel acting on the lock on or off.
//   - switch: battery off                        (shorthand)
//   - switch: {channel: rf_shield, state: on}
// Step fields: target (the channel's name), on.
#include <sstream>

#include "rig/base/text.hpp"
#include "rig/base/yaml_util.hpp"
#include "rig/engine/bench.hpp"
#include "rig/engine/steps/step_kind.hpp"

namespace lockrig::steps {

namespace {

void parse(const YAML::Node& v, const std::string& file, Step& s) {
  if (v.IsScalar()) {  // shorthand: "battery off"
    std::istringstream words(v.Scalar());
    std::string name, state, extra;
    words >> name >> state >> extra;
    if (name.empty() || state.empty() || !extra.empty())
      throw ConfigError(yaml::location(v, file),
                        "switch must be \"<channel> on|off\", got " + quote(v.Scalar()));
    s.target = name;
    if (state == "on")
      s.on = true;
    else if (state == "off")
      s.on = false;
    else
      throw ConfigError(yaml::location(v, file),
                        "switch state must be on or off, got " + quote(state));
    return;
  }
  yaml::check_mapping(v, file, {"channel", "state"}, "a switch step");
  yaml::require_keys(v, file, {"channel", "state"}, "a switch step");
  s.target = yaml::as_string(v["channel"], file, "channel");
  s.on = yaml::as_on_off(v["state"], file, "state");
}

std::string describe(const Step& s) {
  std::ostringstream os;
  os << "switch " << s.target << (s.on ? " on" : " off");
  return os.str();
}

StepEnd execute(const Step& s, StepContext& ctx) {
  BenchEvent e = ctx.bench.set_channel(ctx.lock_id, s.target, s.on);
  ctx.sink.event(e.kind, e.target, e.value, e.detail);
  return StepEnd::next;
}

}  // namespace

extern const StepKind kSwitchStep;  // a row of the step table (step_table.cpp)
const StepKind kSwitchStep{"switch", parse, describe, execute};

}  // namespace lockrig::steps
