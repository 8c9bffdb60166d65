// `supply`: sets the bench supply feeding the lock, or ramps its voltage (a brown-out).
//   - supply: {name: vbat, volts: 3.0, amps: 0.5, output: on}
//   - supply: {name: vbat, ramp_to: 2.0, over: 30s, steps: 20}
// Step fields: target (the supply's name), volts, amps, output, ramp_to, ramp_steps, duration
// (the ramp's `over`), and volts_where, amps_where, ramp_to_where (checked against the supply's
// limits by validate_against_fixture).
#include <sstream>

#include "rig/base/text.hpp"
#include "rig/base/yaml_util.hpp"
#include "rig/engine/bench.hpp"
#include "rig/engine/steps/step_kind.hpp"

namespace lockrig::steps {

namespace {

void parse(const YAML::Node& v, const std::string& file, Step& s) {
  auto at = [&](const YAML::Node& n) { return yaml::location(n, file); };
  yaml::check_mapping(v, file, {"name", "volts", "amps", "output", "ramp_to", "over", "steps"},
                      "a supply step");
  yaml::require_keys(v, file, {"name"}, "a supply step");
  s.target = yaml::as_string(v["name"], file, "supply name");
  if (v["volts"]) {
    s.volts = yaml::as_double(v["volts"], file, "volts");
    s.volts_where = at(v["volts"]);
  }
  if (v["amps"]) {
    s.amps = yaml::as_double(v["amps"], file, "amps");
    s.amps_where = at(v["amps"]);
  }
  if (v["output"]) s.output = yaml::as_on_off(v["output"], file, "output");
  if (v["ramp_to"]) {
    // A brown-out: the voltage slides down (or back up) gradually, as a draining battery does.
    if (s.volts) throw ConfigError(at(v["ramp_to"]), "give either volts or ramp_to, not both");
    yaml::require_keys(v, file, {"over"}, "a supply ramp");
    s.ramp_to = yaml::as_double(v["ramp_to"], file, "ramp_to");
    s.ramp_to_where = at(v["ramp_to"]);
    s.duration = yaml::as_duration(v["over"], file, "over");
    if (v["steps"]) {
      long long n = yaml::as_int(v["steps"], file, "steps");
      if (n < 1 || n > 10000)
        throw ConfigError(at(v["steps"]),
                          "steps must be between 1 and 10000, got " + quote(v["steps"].Scalar()));
      s.ramp_steps = static_cast<int>(n);
    }
  } else if (v["over"] || v["steps"]) {
    throw ConfigError(at(v), "over and steps belong to a ramp (ramp_to)");
  }
  if (!s.volts && !s.amps && !s.output && !s.ramp_to)
    throw ConfigError(at(v), "a supply step must set volts, amps, output or ramp_to");
  if ((s.volts && *s.volts < 0) || (s.amps && *s.amps < 0) || (s.ramp_to && *s.ramp_to < 0))
    throw ConfigError(at(v), "supply volts and amps must not be negative");
}

std::string describe(const Step& s) {
  std::ostringstream os;
  os << "supply " << s.target;
  if (s.volts) os << " " << *s.volts << "V";
  if (s.amps) os << " " << *s.amps << "A";
  if (s.output) os << (*s.output ? " output on" : " output off");
  if (s.ramp_to) os << " ramp to " << *s.ramp_to << "V over " << format_duration(s.duration);
  return os.str();
}

StepEnd execute(const Step& s, StepContext& ctx) {
  if (s.amps || s.output || s.volts) {
    BenchEvent e = ctx.bench.set_supply(ctx.lock_id, s.target, s.volts, s.amps, s.output);
    ctx.sink.event(e.kind, e.target, e.value, e.detail);
  }
  if (s.ramp_to) {
    const double from = ctx.bench.supply_state(ctx.lock_id)->volts;
    const Duration pause = s.duration / s.ramp_steps;
    for (int k = 1; k <= s.ramp_steps; ++k) {
      if (!ctx.clock.sleep_for(pause) || ctx.halt) return StepEnd::end_item;
      const double v = from + (*s.ramp_to - from) * k / s.ramp_steps;
      BenchEvent e = ctx.bench.set_supply(ctx.lock_id, s.target, v, std::nullopt, std::nullopt);
      ctx.sink.event(
          e.kind, e.target, e.value,
          e.detail + " (ramp " + std::to_string(k) + "/" + std::to_string(s.ramp_steps) + ")");
    }
  }
  return StepEnd::next;
}

}  // namespace

extern const StepKind kSupplyStep;  // a row of the step table (step_table.cpp)
const StepKind kSupplyStep{"supply", parse, describe, execute};

}  // namespace lockrig::steps
