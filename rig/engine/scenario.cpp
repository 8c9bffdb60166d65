#include "rig/engine/scenario.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include "rig/base/embedded.hpp"
#include "rig/base/sha256.hpp"
#include "rig/base/text.hpp"
#include "rig/base/yaml_util.hpp"

namespace lockrig {

using drivers::LockOutcome;

std::string Expectation::name() const {
  return outcome ? std::string(drivers::outcome_name(*outcome)) : "failure";
}

std::string Step::describe() const {
  std::ostringstream os;
  switch (kind) {
    case Kind::set_switch: os << "switch " << target << (on ? " on" : " off"); break;
    case Kind::set_supply:
      os << "supply " << target;
      if (volts) os << " " << *volts << "V";
      if (amps) os << " " << *amps << "A";
      if (output) os << (*output ? " output on" : " output off");
      if (ramp_to) os << " ramp to " << *ramp_to << "V over " << format_duration(duration);
      break;
    case Kind::wait: os << "wait " << format_duration(duration); break;
    case Kind::wait_until:
      os << "wait until " << (condition == Condition::advertising ? "advertising" : "not advertising")
         << " (timeout " << format_duration(duration) << ")";
      break;
    case Kind::unlock:
      os << "unlock expect " << unlock.expect.name() << " within " << format_duration(unlock.within);
      break;
    case Kind::disconnect: os << "disconnect"; break;
  }
  return os.str();
}

std::vector<std::string> Scenario::channels_used() const {
  std::vector<std::string> out;
  for (const auto& s : steps)
    if (s.kind == Step::Kind::set_switch && std::find(out.begin(), out.end(), s.target) == out.end())
      out.push_back(s.target);
  return out;
}

std::vector<std::string> Scenario::supplies_used() const {
  std::vector<std::string> out;
  for (const auto& s : steps)
    if (s.kind == Step::Kind::set_supply && std::find(out.begin(), out.end(), s.target) == out.end())
      out.push_back(s.target);
  return out;
}

int Scenario::unlock_steps() const {
  return static_cast<int>(std::count_if(steps.begin(), steps.end(), [](const Step& s) {
    return s.kind == Step::Kind::unlock;
  }));
}

namespace {

const std::vector<std::string> kStepKinds = {"switch", "supply", "wait", "wait_until", "unlock",
                                             "disconnect"};

struct ScenarioParser {
  const std::string& file;

  SourceLocation at(const YAML::Node& n) const { return yaml::location(n, file); }

  Step parse_switch(const YAML::Node& v) const {
    Step s;
    s.kind = Step::Kind::set_switch;
    if (v.IsScalar()) {  // shorthand: "battery off"
      std::istringstream words(v.Scalar());
      std::string name, state, extra;
      words >> name >> state >> extra;
      if (name.empty() || state.empty() || !extra.empty())
        throw ConfigError(at(v), "switch must be \"<channel> on|off\", got " + quote(v.Scalar()));
      s.target = name;
      if (state == "on") s.on = true;
      else if (state == "off") s.on = false;
      else
        throw ConfigError(at(v), "switch state must be on or off, got " + quote(state));
      return s;
    }
    yaml::check_mapping(v, file, {"channel", "state"}, "a switch step");
    yaml::require_keys(v, file, {"channel", "state"}, "a switch step");
    s.target = yaml::as_string(v["channel"], file, "channel");
    s.on = yaml::as_on_off(v["state"], file, "state");
    return s;
  }

  Step parse_supply(const YAML::Node& v) const {
    Step s;
    s.kind = Step::Kind::set_supply;
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
          throw ConfigError(at(v["steps"]), "steps must be between 1 and 10000, got " + quote(v["steps"].Scalar()));
        s.ramp_steps = static_cast<int>(n);
      }
    } else if (v["over"] || v["steps"]) {
      throw ConfigError(at(v), "over and steps belong to a ramp (ramp_to)");
    }
    if (!s.volts && !s.amps && !s.output && !s.ramp_to)
      throw ConfigError(at(v), "a supply step must set volts, amps, output or ramp_to");
    if ((s.volts && *s.volts < 0) || (s.amps && *s.amps < 0) || (s.ramp_to && *s.ramp_to < 0))
      throw ConfigError(at(v), "supply volts and amps must not be negative");
    return s;
  }

  Step parse_wait_until(const YAML::Node& v) const {
    Step s;
    s.kind = Step::Kind::wait_until;
    yaml::check_mapping(v, file, {"condition", "timeout", "poll"}, "a wait_until step");
    yaml::require_keys(v, file, {"condition", "timeout"}, "a wait_until step");
    const std::string c = yaml::as_string(v["condition"], file, "condition");
    if (c == "advertising") s.condition = Condition::advertising;
    else if (c == "not_advertising") s.condition = Condition::not_advertising;
    else
      throw ConfigError(at(v["condition"]),
                        "unknown condition " + quote(c) +
                            did_you_mean(c, {"advertising", "not_advertising"}) +
                            "; known: advertising, not_advertising");
    s.duration = yaml::as_duration(v["timeout"], file, "timeout");
    if (v["poll"]) s.poll = yaml::as_duration(v["poll"], file, "poll");
    if (s.poll.count() <= 0) throw ConfigError(at(v["poll"]), "poll must be longer than zero");
    return s;
  }

  Step parse_unlock(const YAML::Node& v) const {
    Step s;
    s.kind = Step::Kind::unlock;
    UnlockStep& u = s.unlock;
    if (v.IsNull()) return s;  // "- unlock:" alone: expect success with the defaults
    yaml::check_mapping(v, file, {"expect", "within", "retry", "sli", "connection"}, "an unlock step");
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
                                               did_you_mean(e, names) + "; known: " + join(names, ", "));
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
          throw ConfigError(at(r["attempts"]),
                            "attempts must be between 1 and 100, got " + quote(r["attempts"].Scalar()));
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
      const std::string c = yaml::as_string(v["connection"], file, "connection");
      if (c == "per_session") u.connection = ConnectionPolicy::per_session;
      else if (c == "keep") u.connection = ConnectionPolicy::keep;
      else
        throw ConfigError(at(v["connection"]), "connection must be per_session or keep, got " +
                                                   quote(c) + did_you_mean(c, {"per_session", "keep"}));
    }
    return s;
  }

  Step parse_step(const YAML::Node& n) const {
    if (!n.IsMap() || n.size() != 1)
      throw ConfigError(at(n), "a step must be a mapping with exactly one of: " + join(kStepKinds, ", "));
    yaml::check_mapping(n, file, kStepKinds, "a step");
    const auto kv = *n.begin();
    const std::string kind = kv.first.Scalar();
    const YAML::Node v = kv.second;
    Step s;
    if (kind == "switch") s = parse_switch(v);
    else if (kind == "supply") s = parse_supply(v);
    else if (kind == "wait") {
      s.kind = Step::Kind::wait;
      s.duration = yaml::as_duration(v, file, "wait");
    } else if (kind == "wait_until") s = parse_wait_until(v);
    else if (kind == "unlock") s = parse_unlock(v);
    else {
      s.kind = Step::Kind::disconnect;
      if (!v.IsNull()) throw ConfigError(at(v), "disconnect takes no value");
    }
    s.where = at(n);
    return s;
  }

  Scenario parse_one(const YAML::Node& n, const std::string& sha, bool top_level) const {
    std::vector<std::string> keys = {"name", "description", "repeat", "steps"};
    yaml::check_mapping(n, file, keys, top_level ? "the scenario file" : "a scenario");
    yaml::require_keys(n, file, {"name", "steps"}, "a scenario");
    Scenario sc;
    sc.where = at(n);
    sc.source = file;
    sc.sha256 = sha;
    sc.name = yaml::as_string(n["name"], file, "scenario name");
    if (!is_identifier(sc.name))
      throw ConfigError(at(n["name"]), "scenario name " + quote(sc.name) +
                                           " may only contain letters, digits, '-', '_' and '.'");
    if (n["description"]) sc.description = yaml::as_string(n["description"], file, "description");
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
    for (const auto& st : steps) sc.steps.push_back(parse_step(st));
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
  for (const auto& s : scenario.steps) {
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
  }
}

}  // namespace lockrig
