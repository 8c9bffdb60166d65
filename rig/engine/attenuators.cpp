#include "rig/engine/attenuators.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "rig/base/text.hpp"
#include "rig/base/yaml_util.hpp"
#include "rig/engine/scenario.hpp"

namespace lockrig {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// Parses "42", "42dB", "42 dB", "-3.5dB"; nullopt when the text is anything else.
std::optional<double> db_of(std::string text) {
  text = trim(text);
  if (text.size() >= 2) {
    const std::string tail = text.substr(text.size() - 2);
    if (tail == "dB" || tail == "db" || tail == "DB") text = trim(text.substr(0, text.size() - 2));
  }
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

double parse_db(const YAML::Node& node, const std::string& file, const std::string& what) {
  if (!node || !node.IsScalar())
    throw ConfigError(yaml::location(node, file), what + " must be a level in dB such as 42dB");
  const auto v = db_of(node.Scalar());
  if (!v)
    throw ConfigError(yaml::location(node, file),
                      what + " must be a level in dB such as 42dB, got " + quote(node.Scalar()));
  return *v;
}

std::vector<double> parse_db_levels(const YAML::Node& node, const std::string& file,
                                    const std::string& what) {
  const SourceLocation at = yaml::location(node, file);
  std::vector<double> levels;
  if (node && node.IsSequence()) {
    for (const auto& n : node) levels.push_back(parse_db(n, file, what + " level"));
  } else if (node && node.IsScalar()) {
    // "20dB..80dB step 2dB"
    const std::string text = node.Scalar();
    const auto dots = text.find("..");
    const auto step_at = text.find("step");
    if (dots == std::string::npos || step_at == std::string::npos || step_at < dots)
      throw ConfigError(at, what + " must be a list of levels or a range such as "
                                   "\"20dB..80dB step 2dB\", got " + quote(text));
    const auto from = db_of(text.substr(0, dots));
    const auto to = db_of(text.substr(dots + 2, step_at - dots - 2));
    const auto step = db_of(text.substr(step_at + 4));
    if (!from || !to || !step)
      throw ConfigError(at, what + " range " + quote(text) +
                                " must read FROMdB..TOdB step STEPdB, e.g. \"20dB..80dB step 2dB\"");
    if (!(*step > 0))
      throw ConfigError(at, what + " step must be positive, got " + format_number(*step) + "dB");
    if (*to < *from)
      throw ConfigError(at, what + " range " + quote(text) + " runs backwards (" +
                                format_number(*from) + "dB > " + format_number(*to) + "dB)");
    const double count = std::floor((*to - *from) / *step + 1e-9);
    if (count > 10000)
      throw ConfigError(at, what + " range " + quote(text) + " has more than 10000 levels");
    for (long k = 0; k <= static_cast<long>(count); ++k) levels.push_back(*from + k * *step);
  } else {
    throw ConfigError(at, what + " must be a list of levels or a range such as "
                              "\"20dB..80dB step 2dB\"");
  }
  if (levels.empty()) throw ConfigError(at, what + " has no levels");
  return levels;
}

bool attenuation_level_allowed(const drivers::AttenuatorSpec& spec, double db) {
  if (db < spec.min_db - 1e-9 || db > spec.max_db + 1e-9) return false;
  if (spec.step_db <= 0) return true;
  const double k = (db - spec.min_db) / spec.step_db;
  return std::abs(k - std::round(k)) < 1e-6;
}

std::string attenuation_range_text(const drivers::AttenuatorSpec& spec) {
  return format_number(spec.min_db) + "dB.." + format_number(spec.max_db) + "dB step " +
         format_number(spec.step_db) + "dB";
}

namespace {

void require_attenuator(const Step& step, const Fixture& fixture) {
  std::vector<std::string> names;
  for (const auto& a : fixture.attenuators)
    if (std::find(names.begin(), names.end(), a.name) == names.end()) names.push_back(a.name);
  if (std::find(names.begin(), names.end(), step.target) == names.end())
    throw ConfigError(step.where, "unknown attenuator " + quote(step.target) +
                                      did_you_mean(step.target, names) + "; rig " +
                                      quote(fixture.rig) + " has: " +
                                      (names.empty() ? "(no attenuators)" : join(names, ", ")));
}

void require_level(const std::string& name, double db, const SourceLocation& where,
                   const Fixture& fixture, const char* what) {
  for (const auto& a : fixture.attenuators) {
    if (a.name != name || attenuation_level_allowed(a, db)) continue;
    throw ConfigError(where, std::string(what) + " " + format_number(db) +
                                 "dB is not one attenuator " + quote(a.id) + " (" + a.name +
                                 ") can take: allowed " + attenuation_range_text(a));
  }
}

}  // namespace

void validate_attenuate_step(const Step& step, const Fixture& fixture) {
  require_attenuator(step, fixture);
  require_level(step.target, step.db.value_or(0), step.db_where, fixture, "level");
}

void validate_sweep_step(const Step& step, const Fixture& fixture) {
  require_attenuator(step, fixture);
  const SweepSpec& sw = *step.sweep;
  for (std::size_t i = 0; i < sw.levels.size(); ++i)
    require_level(step.target, sw.levels[i], sw.level_where[i], fixture, "sweep level");
}

std::vector<drivers::AttenuatorSpec> parse_attenuators(
    const YAML::Node& node, const std::string& file, const std::vector<std::string>& lock_ids,
    std::set<std::string>& part_ids, const std::function<Settings(const std::string&)>& shared_for) {
  auto at = [&](const YAML::Node& n) { return yaml::location(n, file); };
  if (!node.IsSequence())
    throw ConfigError(at(node), "attenuators must be a list of RF attenuators");
  std::vector<drivers::AttenuatorSpec> out;
  std::set<std::pair<std::string, std::string>> wired;  // (lock, name)
  for (const auto& n : node) {
    yaml::check_mapping(n, file, {"id", "name", "driver", "range", "step", "safe", "locks", "settings"},
                        "an attenuator");
    yaml::require_keys(n, file, {"id", "name", "driver", "range", "step", "safe", "locks"},
                       "an attenuator");
    drivers::AttenuatorSpec a;
    a.where = at(n);
    a.id = yaml::as_string(n["id"], file, "attenuator id");
    a.name = yaml::as_string(n["name"], file, "attenuator name");
    for (const auto* w : {&a.id, &a.name})
      if (!is_identifier(*w))
        throw ConfigError(at(w == &a.id ? n["id"] : n["name"]),
                          "attenuator " + std::string(w == &a.id ? "id " : "name ") + quote(*w) +
                              " may only contain letters, digits, '-', '_' and '.'");
    if (!part_ids.insert(a.id).second)
      throw ConfigError(at(n["id"]), "duplicate switch/supply/attenuator id " + quote(a.id));
    a.driver = yaml::as_string(n["driver"], file, "driver");
    // range: "0dB..90dB"
    const std::string range = yaml::as_string(n["range"], file, "attenuator range");
    const auto dots = range.find("..");
    const auto lo = dots == std::string::npos ? std::nullopt : db_of(range.substr(0, dots));
    const auto hi = dots == std::string::npos ? std::nullopt : db_of(range.substr(dots + 2));
    if (!lo || !hi || *lo < 0 || *hi <= *lo)
      throw ConfigError(at(n["range"]), "attenuator range must read MINdB..MAXdB with 0 <= MIN < "
                                        "MAX, e.g. \"0dB..90dB\", got " + quote(range));
    a.min_db = *lo;
    a.max_db = *hi;
    a.step_db = parse_db(n["step"], file, "attenuator step");
    if (!(a.step_db > 0))
      throw ConfigError(at(n["step"]), "attenuator step must be positive, got " +
                                           quote(n["step"].Scalar()));
    a.safe_db = parse_db(n["safe"], file, "attenuator safe level");
    if (!attenuation_level_allowed(a, a.safe_db))
      throw ConfigError(at(n["safe"]), "safe level " + format_number(a.safe_db) +
                                           "dB of attenuator " + quote(a.id) +
                                           " is not one it can take: allowed " +
                                           attenuation_range_text(a));
    const YAML::Node locks = n["locks"];
    a.locks = yaml::as_string_list(locks, file, "attenuator " + quote(a.id) + " locks");
    if (a.locks.empty())
      throw ConfigError(at(locks), "attenuator " + quote(a.id) + " must list the locks it sits in front of");
    for (std::size_t i = 0; i < a.locks.size(); ++i) {
      const auto& l = a.locks[i];
      const YAML::Node item = locks.IsSequence() ? locks[i] : locks;
      if (std::find(lock_ids.begin(), lock_ids.end(), l) == lock_ids.end())
        throw ConfigError(at(item), "attenuator " + quote(a.id) + " names unknown lock " + quote(l) +
                                        did_you_mean(l, lock_ids));
      if (!wired.emplace(l, a.name).second)
        throw ConfigError(at(item), "lock " + quote(l) + " already has an attenuator named " +
                                        quote(a.name));
    }
    a.settings = Settings(n["settings"], file);
    a.shared = shared_for(a.driver);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace lockrig
