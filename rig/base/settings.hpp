// A read-only view of a YAML mapping from a fixture or scenario, with typed getters whose errors
// carry file:line:col. Drivers receive their `settings:` block as a Settings and never open files.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "rig/base/clock.hpp"
#include "rig/base/errors.hpp"

namespace lockrig {

class Settings {
 public:
  Settings() = default;
  Settings(YAML::Node node, std::string file);

  bool empty() const;
  bool has(const std::string& key) const;
  const std::string& file() const { return file_; }
  SourceLocation where() const;                       // of the mapping itself
  SourceLocation where(const std::string& key) const;  // of a key's value (mapping if absent)

  // Rejects keys not in `known`, naming the closest known one.
  void require_known_keys(std::initializer_list<const char*> known, const std::string& what) const;

  std::string get_string(const std::string& key, const std::string& fallback) const;
  std::string require_string(const std::string& key) const;
  double get_double(const std::string& key, double fallback) const;
  std::optional<double> get_optional_double(const std::string& key) const;
  // Range-checked: values outside [lo, hi] are an error quoting the value.
  double get_double_in(const std::string& key, double fallback, double lo, double hi) const;
  long long get_int(const std::string& key, long long fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  Duration get_duration(const std::string& key, Duration fallback) const;
  std::vector<std::string> get_string_list(const std::string& key) const;
  Settings child(const std::string& key) const;  // empty Settings if absent
  const YAML::Node& node() const { return node_; }

 private:
  YAML::Node value(const std::string& key) const;
  YAML::Node node_;
  std::string file_;
};

}  // namespace lockrig
