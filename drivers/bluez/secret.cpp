// Loading of profile secrets; error messages name the source, never the value.
#include "drivers/bluez/secret.hpp"

#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "drivers/command/process.hpp"
#include "rig/base/embedded.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::bluez {

namespace {

bool blank(const std::string& text) {
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) return false;
  return true;
}

std::optional<std::vector<std::uint8_t>> decode_hex_text(const std::string& text) {
  std::string digits;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    digits += c;
  }
  if (digits.empty() || digits.size() % 2 != 0) return std::nullopt;
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < digits.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  return out;
}

}  // namespace

std::optional<Secret> Secret::from_settings(const Settings& block) {
  const bool has_file = block.has("key_file");
  const bool has_env = block.has("key_env");
  if (!has_file && !has_env) return std::nullopt;
  if (has_file && has_env)
    throw ConfigError(block.where("key_env"), "give either key_file or key_env, not both");

  std::string text;
  std::string source;
  SourceLocation where;
  if (has_file) {
    std::filesystem::path path = block.require_string("key_file");
    where = block.where("key_file");
    if (path.is_relative() && !block.file().empty())
      path = std::filesystem::path(block.file()).parent_path() / path;
    source = "file " + quote(path.string());
    std::string why;
    auto read = read_text_file(path.string(), why);
    if (!read) throw ConfigError(where, "cannot read the lock key from " + source + ": " + why);
    text = std::move(*read);
  } else {
    const std::string name = block.require_string("key_env");
    where = block.where("key_env");
    source = "environment variable " + name;
    // The secret stays with the rig: no harness or version command the rig starts inherits it.
    command::withhold_from_children(name);
    const char* value = std::getenv(name.c_str());
    if (value == nullptr)
      throw ConfigError(where, "the lock key is not set: " + source + " is unset");
    text = value;
  }
  if (blank(text)) throw ConfigError(where, "the lock key in " + source + " is empty");
  auto bytes = decode_hex_text(text);
  if (!bytes)
    throw ConfigError(where,
                      "the lock key in " + source +
                          " must be an even number of hex digits (spaces and colons allowed)");
  return Secret(std::move(*bytes), source);
}

}  // namespace lockrig::drivers::bluez
