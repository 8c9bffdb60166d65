#include "rig/base/yaml_util.hpp"

#include <charconv>
#include <cmath>
#include <set>

#include "rig/base/text.hpp"

namespace lockrig::yaml {

SourceLocation location(const YAML::Node& node, const std::string& file) {
  SourceLocation loc{file, 0, 0};
  if (node.IsDefined()) {
    const YAML::Mark m = node.Mark();
    if (!m.is_null()) {
      loc.line = m.line + 1;
      loc.column = m.column + 1;
    }
  }
  return loc;
}

YAML::Node parse(const std::string& text, const std::string& file) {
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsDefined() || root.IsNull())
      throw ConfigError(SourceLocation{file, 1, 1}, "the file is empty");
    return root;
  } catch (const YAML::ParserException& e) {
    throw ConfigError(SourceLocation{file, e.mark.line + 1, e.mark.column + 1},
                      "YAML syntax error: " + e.msg);
  }
}

namespace {
const char* kind_name(const YAML::Node& n) {
  if (!n.IsDefined()) return "missing";
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Null: return "empty";
    default: return "undefined";
  }
}

std::string scalar_text(const YAML::Node& node, const std::string& file, const std::string& what) {
  if (!node.IsDefined() || !node.IsScalar())
    throw ConfigError(location(node, file), what + " must be a single value, not " + kind_name(node));
  return node.Scalar();
}
}  // namespace

void check_mapping(const YAML::Node& node, const std::string& file,
                   const std::vector<std::string>& known, const std::string& what) {
  if (!node.IsDefined() || !node.IsMap())
    throw ConfigError(location(node, file), what + " must be a mapping of keys to values, not " +
                                                kind_name(node));
  std::set<std::string> seen;
  for (const auto& kv : node) {
    const std::string key = scalar_text(kv.first, file, "a key in " + what);
    bool ok = false;
    for (const auto& k : known) ok = ok || k == key;
    if (!ok)
      throw ConfigError(location(kv.first, file),
                        "unknown key " + quote(key) + " in " + what + did_you_mean(key, known) +
                            "; allowed: " + join(known, ", "));
    if (!seen.insert(key).second)
      throw ConfigError(location(kv.first, file), "duplicate key " + quote(key) + " in " + what);
  }
}

void require_keys(const YAML::Node& node, const std::string& file,
                  const std::vector<std::string>& required, const std::string& what) {
  for (const auto& k : required)
    if (!node[k]) throw ConfigError(location(node, file), what + " is missing required key " + quote(k));
}

std::string as_string(const YAML::Node& node, const std::string& file, const std::string& what) {
  std::string s = scalar_text(node, file, what);
  if (s.empty()) throw ConfigError(location(node, file), what + " must not be empty");
  return s;
}

double as_double(const YAML::Node& node, const std::string& file, const std::string& what) {
  std::string s = scalar_text(node, file, what);
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v))
    throw ConfigError(location(node, file), what + " must be a number, got " + quote(s));
  return v;
}

long long as_int(const YAML::Node& node, const std::string& file, const std::string& what) {
  std::string s = scalar_text(node, file, what);
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size())
    throw ConfigError(location(node, file), what + " must be a whole number, got " + quote(s));
  return v;
}

bool as_bool(const YAML::Node& node, const std::string& file, const std::string& what) {
  std::string s = scalar_text(node, file, what);
  if (s == "true" || s == "yes") return true;
  if (s == "false" || s == "no") return false;
  throw ConfigError(location(node, file), what + " must be true or false, got " + quote(s));
}

bool as_on_off(const YAML::Node& node, const std::string& file, const std::string& what) {
  std::string s = scalar_text(node, file, what);
  if (s == "on" || s == "true" || s == "yes") return true;
  if (s == "off" || s == "false" || s == "no") return false;
  throw ConfigError(location(node, file), what + " must be on or off, got " + quote(s));
}

Duration as_duration(const YAML::Node& node, const std::string& file, const std::string& what) {
  std::string s = scalar_text(node, file, what);
  auto d = parse_duration(s);
  if (!d && !duration_too_long(s))
    throw ConfigError(location(node, file),
                      what + " must be a duration such as 500ms, 2s, 1.5m or 1h, got " + quote(s));
  if (!d || *d > kMaxDuration)
    throw ConfigError(
        location(node, file),
        what + " must be at most " + format_duration(kMaxDuration) + " (30 days), got " + quote(s));
  return *d;
}

std::string as_bounded_string(const YAML::Node& node, const std::string& file,
                              const std::string& what, std::size_t max) {
  std::string s = as_string(node, file, what);
  if (s.size() > max)
    throw ConfigError(location(node, file), what + " must be at most " + std::to_string(max) +
                                                " bytes, got " + std::to_string(s.size()) +
                                                " bytes starting " + quote(s.substr(0, 40)));
  return s;
}

std::vector<std::string> as_string_list(const YAML::Node& node, const std::string& file,
                                        const std::string& what) {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(as_string(node, file, what));
    return out;
  }
  if (!node.IsDefined() || !node.IsSequence())
    throw ConfigError(location(node, file), what + " must be a list, not " + kind_name(node));
  for (const auto& item : node) out.push_back(as_string(item, file, what + " entry"));
  return out;
}

}  // namespace lockrig::yaml
