// YAML helpers: every error names file:line:col and quotes the offending value.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "rig/base/clock.hpp"
#include "rig/base/errors.hpp"

namespace lockrig::yaml {

SourceLocation location(const YAML::Node& node, const std::string& file);
// Parses text; syntax errors become ConfigError at the parser's position.
YAML::Node parse(const std::string& text, const std::string& file);

// Requires a mapping whose keys are all in `known` and appear once.
void check_mapping(const YAML::Node& node, const std::string& file,
                   const std::vector<std::string>& known, const std::string& what);
void require_keys(const YAML::Node& node, const std::string& file,
                  const std::vector<std::string>& required, const std::string& what);

// Typed scalars; `what` names the field in messages ("lock id", "repeat").
std::string as_string(const YAML::Node& node, const std::string& file, const std::string& what);
double as_double(const YAML::Node& node, const std::string& file, const std::string& what);
long long as_int(const YAML::Node& node, const std::string& file, const std::string& what);
bool as_bool(const YAML::Node& node, const std::string& file, const std::string& what);
// on/off, true/false, yes/no
bool as_on_off(const YAML::Node& node, const std::string& file, const std::string& what);
Duration as_duration(const YAML::Node& node, const std::string& file, const std::string& what);
std::vector<std::string> as_string_list(const YAML::Node& node, const std::string& file,
                                        const std::string& what);

}  // namespace lockrig::yaml
