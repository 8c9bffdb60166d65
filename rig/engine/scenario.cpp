#include "rig/engine/scenario.hpp"

#include <algorithm>
#include <set>

#include "rig/base/embedded.hpp"
#include "rig/base/sha256.hpp"
#include "rig/base/text.hpp"
#include "rig/engine/attenuators.hpp"
#include "rig/base/yaml_util.hpp"
#include "rig/engine/steps/step_kind.hpp"

namespace lockrig {

std::string Expectation::name() const {
  return outcome ? std::string(drivers::outcome_name(*outcome)) : "failure";
}

std::string Step::describe() const {
  return kind->describe(*this);
}

namespace {

// Every step of the scenario, the blocks of its sweeps included.
template <typename F>
void for_each_step(const std::vector<Step>& steps, F&& f) {
  for (const auto& s : steps) {
    f(s);
    if (s.sweep) for_each_step(s.sweep->steps, f);
  }
}

std::vector<std::string> targets_of(const std::vector<Step>& steps,
                                    std::initializer_list<const StepKind*> kinds) {
  std::vector<std::string> out;
  for_each_step(steps, [&](const Step& s) {
    if (std::find(kinds.begin(), kinds.end(), s.kind) != kinds.end() &&
        std::find(out.begin(), out.end(), s.target) == out.end())
      out.push_back(s.target);
  });
  return out;
}

}  // namespace

std::vector<std::string> Scenario::channels_used() const {
  return targets_of(steps, {Step::Kind::set_switch});
}

std::vector<std::string> Scenario::supplies_used() const {
  return targets_of(steps, {Step::Kind::set_supply});
}

std::vector<std::string> Scenario::attenuators_used() const {
  return targets_of(steps, {Step::Kind::attenuate, Step::Kind::sweep});
}

int Scenario::unlock_steps() const {
  long long n = 0;
  for (const auto& s : steps) {
    if (s.kind == Step::Kind::unlock) ++n;
    if (s.sweep) n += s.sweep->max_sessions();
  }
  return static_cast<int>(n);
}

long long SweepSpec::max_sessions() const {
  return design == SweepDesign::grid ? static_cast<long long>(levels.size()) * sessions : sessions;
}

// The step's kind is its one key; the kind parses the key's value (rig/engine/steps/).
Step parse_step(const YAML::Node& n, const std::string& file) {
  const std::vector<std::string> kinds = step_kind_names();
  if (!n.IsMap() || n.size() != 1)
    throw ConfigError(yaml::location(n, file),
                      "a step must be a mapping with exactly one of: " + join(kinds, ", "));
  yaml::check_mapping(n, file, kinds, "a step");
  const auto kv = *n.begin();
  const StepKind* kind = find_step_kind(kv.first.Scalar());
  if (!kind)  // check_mapping refused every other key
    throw ConfigError(yaml::location(n, file), "unknown step " + quote(kv.first.Scalar()));
  Step s;
  s.kind = kind;
  s.where = yaml::location(n, file);  // known while the kind parses (a sweep's errors use it)
  kind->parse(kv.second, file, s);
  return s;
}

namespace {

struct ScenarioParser {
  const std::string& file;

  SourceLocation at(const YAML::Node& n) const { return yaml::location(n, file); }

  Scenario parse_one(const YAML::Node& n, const std::string& sha, bool top_level) const {
    std::vector<std::string> keys = {"name", "description", "repeat", "steps"};
    yaml::check_mapping(n, file, keys, top_level ? "the scenario file" : "a scenario");
    yaml::require_keys(n, file, {"name", "steps"}, "a scenario");
    Scenario sc;
    sc.where = at(n);
    sc.source = file;
    sc.sha256 = sha;
    sc.name = yaml::as_bounded_string(n["name"], file, "scenario name", kMaxNameLength);
    if (!is_identifier(sc.name))
      throw ConfigError(at(n["name"]), "scenario name " + quote(sc.name) +
                                           " may only contain letters, digits, '-', '_' and '.'");
    if (n["description"])
      sc.description =
          yaml::as_bounded_string(n["description"], file, "description", kMaxDescriptionLength);
    if (n["repeat"]) {
      long long r = yaml::as_int(n["repeat"], file, "repeat");
      if (r < 1 || r > 10'000'000)
        throw ConfigError(at(n["repeat"]),
                          "repeat must be between 1 and 10000000, got " + quote(n["repeat"].Scalar()));
      sc.repeat = static_cast<int>(r);
    }
    const YAML::Node steps = n["steps"];
    if (!steps.IsSequence() || steps.size() == 0)
      throw ConfigError(at(steps), "steps must be a non-empty list");
    for (const auto& st : steps) sc.steps.push_back(parse_step(st, file));
    if (sc.unlock_steps() == 0)
      throw ConfigError(at(steps), "scenario " + quote(sc.name) + " has no unlock step");
    return sc;
  }
};

}  // namespace

std::vector<Scenario> parse_scenarios(const std::string& text, const std::string& source) {
  const YAML::Node root = yaml::parse(text, source);
  const std::string sha = sha256_hex(text);
  ScenarioParser p{source};
  std::vector<Scenario> out;
  if (root.IsMap() && root["suite"]) {
    yaml::check_mapping(root, source, {"suite", "description", "scenarios"}, "the suite file");
    yaml::require_keys(root, source, {"scenarios"}, "the suite file");
    const YAML::Node list = root["scenarios"];
    if (!list.IsSequence() || list.size() == 0)
      throw ConfigError(p.at(list), "scenarios must be a non-empty list");
    for (const auto& n : list) out.push_back(p.parse_one(n, sha, false));
  } else {
    out.push_back(p.parse_one(root, sha, true));
  }
  std::set<std::string> names;
  for (const auto& s : out)
    if (!names.insert(s.name).second)
      throw ConfigError(s.where, "duplicate scenario name " + quote(s.name));
  return out;
}

std::vector<Scenario> load_scenarios(const std::string& path) {
  return parse_scenarios(read_source_file(path), path);
}

void validate_against_fixture(const Scenario& scenario, const Fixture& fixture) {
  const auto channels = fixture.channel_names();
  const auto supplies = fixture.supply_names();
  for_each_step(scenario.steps, [&](const Step& s) {
    if (s.kind == Step::Kind::set_switch &&
        std::find(channels.begin(), channels.end(), s.target) == channels.end())
      throw ConfigError(s.where, "unknown channel " + quote(s.target) + did_you_mean(s.target, channels) +
                                     "; rig " + quote(fixture.rig) + " has: " +
                                     (channels.empty() ? "(no channels)" : join(channels, ", ")));
    if (s.kind == Step::Kind::set_supply &&
        std::find(supplies.begin(), supplies.end(), s.target) == supplies.end())
      throw ConfigError(s.where, "unknown supply " + quote(s.target) + did_you_mean(s.target, supplies) +
                                     "; rig " + quote(fixture.rig) + " has: " +
                                     (supplies.empty() ? "(no supplies)" : join(supplies, ", ")));
    if (s.kind == Step::Kind::attenuate) validate_attenuate_step(s, fixture);
    if (s.kind == Step::Kind::sweep) validate_sweep_step(s, fixture);
    if (s.kind == Step::Kind::set_supply) {
      for (const auto& sup : fixture.supplies) {
        if (sup.name != s.target) continue;
        // Points at the refused value: "volts 3.7 exceeds the limit 3.6 V of supply "psu"".
        auto refuse = [&](const SourceLocation& where, const char* key, double value,
                          double limit, const char* unit) {
          throw ConfigError(where, std::string(key) + " " + format_number(value) +
                                       " exceeds the limit " + format_number(limit) + " " + unit +
                                       " of supply " + quote(sup.id));
        };
        if (s.volts && *s.volts > sup.max_volts)
          refuse(s.volts_where, "volts", *s.volts, sup.max_volts, "V");
        if (s.ramp_to && *s.ramp_to > sup.max_volts)
          refuse(s.ramp_to_where, "ramp_to", *s.ramp_to, sup.max_volts, "V");
        if (s.amps && *s.amps > sup.max_amps)
          refuse(s.amps_where, "amps", *s.amps, sup.max_amps, "A");
      }
    }
  });
}

}  // namespace lockrig
