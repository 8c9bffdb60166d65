// `attenuate` (issue 14): sets an RF attenuator in front of the lock to a level.
//   - attenuate: {part: rf_path, db: 42}
//   - attenuate: rf_path 42dB                    (shorthand)
// Step fields: target (the attenuator's name), db, db_where. The level is checked against the
// fixture's range and step before the run starts (validate_against_fixture); the bench checks
// it again and compares the part's read-back with it (a mismatch is a rig fault naming the part).
#include <sstream>

#include "rig/base/text.hpp"
#include "rig/base/yaml_util.hpp"
#include "rig/engine/attenuators.hpp"
#include "rig/engine/bench.hpp"
#include "rig/engine/steps/step_kind.hpp"

namespace lockrig::steps {

namespace {

void parse(const YAML::Node& v, const std::string& file, Step& s) {
  if (v.IsScalar()) {  // shorthand: "rf_path 42dB"
    std::istringstream words(v.Scalar());
    std::string name, level, extra;
    words >> name >> level >> extra;
    if (name.empty() || level.empty() || !extra.empty())
      throw ConfigError(yaml::location(v, file),
                        "attenuate must be \"<attenuator> <level>dB\" or {part: <attenuator>, db: "
                        "<level>}, got " + quote(v.Scalar()));
    s.target = name;
    s.db_where = yaml::location(v, file);
    try {
      s.db = parse_db(YAML::Node(level), file, "attenuate level");
    } catch (const ConfigError& e) {  // the word has no position of its own: point at the step
      throw ConfigError(s.db_where, e.message());
    }
    return;
  }
  yaml::check_mapping(v, file, {"part", "db"}, "an attenuate step");
  yaml::require_keys(v, file, {"part", "db"}, "an attenuate step");
  s.target = yaml::as_string(v["part"], file, "part");
  s.db = parse_db(v["db"], file, "attenuate db");
  s.db_where = yaml::location(v["db"], file);
}

std::string describe(const Step& s) {
  return "attenuate " + s.target + " " + format_number(s.db.value_or(0)) + "dB";
}

StepEnd execute(const Step& s, StepContext& ctx) {
  BenchEvent e = ctx.bench.set_attenuation(ctx.lock_id, s.target, s.db.value_or(0));
  ctx.sink.event(e.kind, e.target, e.value, e.detail);
  return StepEnd::next;
}

}  // namespace

extern const StepKind kAttenuateStep;  // a row of the step table (step_table.cpp)
const StepKind kAttenuateStep{"attenuate", parse, describe, execute};

}  // namespace lockrig::steps
