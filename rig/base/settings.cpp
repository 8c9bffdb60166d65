#include "rig/base/settings.hpp"

#include "rig/base/text.hpp"
#include "rig/base/yaml_util.hpp"

namespace lockrig {

Settings::Settings(YAML::Node node, std::string file) : file_(std::move(file)) {
  // A missing key yields an "invalid" yaml-cpp node that throws on most calls; keep a plain
  // undefined node instead.
  node_ = node.IsDefined() ? node : YAML::Node(YAML::NodeType::Undefined);
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap())
    throw ConfigError(yaml::location(node_, file_), "settings must be a mapping of keys to values");
}

bool Settings::empty() const { return !node_.IsDefined() || node_.IsNull() || node_.size() == 0; }

bool Settings::has(const std::string& key) const { return value(key).IsDefined(); }

YAML::Node Settings::value(const std::string& key) const {
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  return node_[key];
}

SourceLocation Settings::where() const { return yaml::location(node_, file_); }

SourceLocation Settings::where(const std::string& key) const {
  YAML::Node v = value(key);
  return v.IsDefined() ? yaml::location(v, file_) : where();
}

void Settings::require_known_keys(std::initializer_list<const char*> known,
                                  const std::string& what) const {
  if (empty()) return;
  yaml::check_mapping(node_, file_, std::vector<std::string>(known.begin(), known.end()), what);
}

std::string Settings::get_string(const std::string& key, const std::string& fallback) const {
  YAML::Node v = value(key);
  return v.IsDefined() ? yaml::as_string(v, file_, key) : fallback;
}

std::string Settings::require_string(const std::string& key) const {
  YAML::Node v = value(key);
  if (!v.IsDefined()) throw ConfigError(where(), "missing required setting " + quote(key));
  return yaml::as_string(v, file_, key);
}

double Settings::get_double(const std::string& key, double fallback) const {
  YAML::Node v = value(key);
  return v.IsDefined() ? yaml::as_double(v, file_, key) : fallback;
}

std::optional<double> Settings::get_optional_double(const std::string& key) const {
  YAML::Node v = value(key);
  if (!v.IsDefined()) return std::nullopt;
  return yaml::as_double(v, file_, key);
}

double Settings::get_double_in(const std::string& key, double fallback, double lo, double hi) const {
  double d = get_double(key, fallback);
  if (d < lo || d > hi)
    throw ConfigError(where(key), key + " must be between " + format_number(lo) + " and " +
                                      format_number(hi) + ", got " + quote(value(key).Scalar()));
  return d;
}

long long Settings::get_int(const std::string& key, long long fallback) const {
  YAML::Node v = value(key);
  return v.IsDefined() ? yaml::as_int(v, file_, key) : fallback;
}

bool Settings::get_bool(const std::string& key, bool fallback) const {
  YAML::Node v = value(key);
  return v.IsDefined() ? yaml::as_bool(v, file_, key) : fallback;
}

Duration Settings::get_duration(const std::string& key, Duration fallback) const {
  YAML::Node v = value(key);
  return v.IsDefined() ? yaml::as_duration(v, file_, key) : fallback;
}

std::vector<std::string> Settings::get_string_list(const std::string& key) const {
  YAML::Node v = value(key);
  if (!v.IsDefined()) return {};
  return yaml::as_string_list(v, file_, key);
}

Settings Settings::child(const std::string& key) const {
  YAML::Node v = value(key);
  if (!v.IsDefined()) return Settings(YAML::Node(YAML::NodeType::Undefined), file_);
  return Settings(v, file_);
}

}  // namespace lockrig
