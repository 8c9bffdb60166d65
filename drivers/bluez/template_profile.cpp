// The `template` profile: parsing of hex templates and patterns, and the status decision.
#include "drivers/bluez/template_profile.hpp"

#include <cctype>

#include "drivers/bluez/gatt_uuid.hpp"
#include "rig/base/text.hpp"
#include "rig/base/yaml_util.hpp"

namespace lockrig::drivers::bluez {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool is_separator(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == ':' || c == ',';
}

}  // namespace

std::optional<ByteTemplate> ByteTemplate::parse(std::string_view text, Use use,
                                                std::string* error) {
  ByteTemplate t;
  t.text_ = std::string(text);
  auto fail = [&](const std::string& why) -> std::optional<ByteTemplate> {
    if (error) *error = why;
    return std::nullopt;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    if (is_separator(text[i])) {
      ++i;
      continue;
    }
    if (!t.tokens_.empty() && t.tokens_.back().kind == Kind::rest)
      return fail("\"*\" must be the last element of a pattern");
    if (text[i] == '{') {
      const std::size_t close = text.find('}', i);
      if (close == std::string_view::npos)
        return fail("unclosed \"{\" at position " + std::to_string(i + 1));
      const std::string_view name = text.substr(i + 1, close - i - 1);
      if (name == "seq")
        t.tokens_.push_back({Kind::seq8});
      else if (name == "seq16le")
        t.tokens_.push_back({Kind::seq16le});
      else if (name == "seq16be")
        t.tokens_.push_back({Kind::seq16be});
      else if (name == "key" && use == Use::command)
        t.tokens_.push_back({Kind::key});
      else if (name == "key")
        return fail("{key} belongs in the unlock command, not in a status pattern");
      else
        return fail("unknown placeholder " + quote("{" + std::string(name) + "}") +
                    "; known: {seq}, {seq16le}, {seq16be}" +
                    (use == Use::command ? ", {key}" : ""));
      i = close + 1;
      continue;
    }
    if (text.substr(i, 2) == "??" || text[i] == '*') {
      if (use == Use::command)
        return fail(quote(text.substr(i, text[i] == '*' ? 1 : 2)) +
                    " is a pattern wildcard; the unlock command needs exact bytes");
      t.tokens_.push_back({text[i] == '*' ? Kind::rest : Kind::any_byte});
      i += text[i] == '*' ? 1 : 2;
      continue;
    }
    if (i + 1 < text.size() && hex_value(text[i]) >= 0 && hex_value(text[i + 1]) >= 0) {
      t.tokens_.push_back({Kind::byte, static_cast<std::uint8_t>(hex_value(text[i]) * 16 +
                                                                 hex_value(text[i + 1]))});
      i += 2;
      continue;
    }
    return fail("cannot read " + quote(text.substr(i, 4)) + " at position " +
                std::to_string(i + 1) + ": expected hex byte pairs such as \"0a\"" +
                (use == Use::pattern ? ", \"??\", \"*\"" : "") + " or a placeholder");
  }
  if (t.tokens_.empty()) return fail("the template is empty");
  return t;
}

Bytes ByteTemplate::encode(std::uint32_t sequence, const Bytes* key) const {
  Bytes out;
  for (const Token& tok : tokens_) {
    switch (tok.kind) {
      case Kind::byte:
        out.push_back(tok.value);
        break;
      case Kind::seq8:
        out.push_back(static_cast<std::uint8_t>(sequence & 0xff));
        break;
      case Kind::seq16le:
        out.push_back(static_cast<std::uint8_t>(sequence & 0xff));
        out.push_back(static_cast<std::uint8_t>((sequence >> 8) & 0xff));
        break;
      case Kind::seq16be:
        out.push_back(static_cast<std::uint8_t>((sequence >> 8) & 0xff));
        out.push_back(static_cast<std::uint8_t>(sequence & 0xff));
        break;
      case Kind::key:
        if (key) out.insert(out.end(), key->begin(), key->end());
        break;
      case Kind::any_byte:
      case Kind::rest:
        break;  // parse() keeps wildcards out of commands
    }
  }
  return out;
}

bool ByteTemplate::matches(const Bytes& value, std::optional<std::uint32_t> sequence) const {
  std::size_t pos = 0;
  auto take = [&](std::optional<std::uint8_t> expected) {
    if (pos >= value.size()) return false;
    const bool ok = !expected || value[pos] == *expected;
    ++pos;
    return ok;
  };
  auto seq_byte = [&](int shift) -> std::optional<std::uint8_t> {
    if (!sequence) return std::nullopt;
    return static_cast<std::uint8_t>((*sequence >> shift) & 0xff);
  };
  for (const Token& tok : tokens_) {
    bool ok = true;
    switch (tok.kind) {
      case Kind::byte:
        ok = take(tok.value);
        break;
      case Kind::any_byte:
        ok = take(std::nullopt);
        break;
      case Kind::seq8:
        ok = take(seq_byte(0));
        break;
      case Kind::seq16le:
        ok = take(seq_byte(0)) && take(seq_byte(8));
        break;
      case Kind::seq16be:
        ok = take(seq_byte(8)) && take(seq_byte(0));
        break;
      case Kind::rest:
        return true;
      case Kind::key:
        return false;  // parse() keeps {key} out of patterns
    }
    if (!ok) return false;
  }
  return pos == value.size();
}

bool ByteTemplate::uses_key() const {
  for (const Token& t : tokens_)
    if (t.kind == Kind::key) return true;
  return false;
}

bool ByteTemplate::uses_sequence() const {
  for (const Token& t : tokens_)
    if (t.kind == Kind::seq8 || t.kind == Kind::seq16le || t.kind == Kind::seq16be) return true;
  return false;
}

TemplateProfile::TemplateProfile(Definition definition, std::optional<Secret> key)
    : def_(std::move(definition)), key_(std::move(key)) {}

Bytes TemplateProfile::unlock_command(std::uint32_t sequence) const {
  return def_.unlock.encode(sequence, key_ ? &key_->bytes() : nullptr);
}

std::optional<StatusVerdict> TemplateProfile::decode_status(const Bytes& value,
                                                            std::uint32_t sequence) const {
  for (const StatusRule& rule : def_.rules)
    if (rule.pattern.matches(value, sequence))
      return StatusVerdict{rule.outcome,
                           "status " + to_hex(value) + " matches " + quote(rule.pattern.text())};
  for (const StatusRule& rule : def_.rules)
    if (rule.pattern.uses_sequence() && rule.pattern.matches(value, std::nullopt))
      return std::nullopt;
  return StatusVerdict{LockOutcome::protocol_error,
                       "status " + to_hex(value) + " matches no pattern of the profile"};
}

namespace {

std::string require_uuid(const Settings& block, const std::string& key) {
  const std::string text = block.require_string(key);
  auto uuid = normalize_uuid(text);
  if (!uuid)
    throw ConfigError(block.where(key), "profile " + key +
                                            " must be a Bluetooth UUID such as \"fff0\" or "
                                            "\"0000fff0-0000-1000-8000-00805f9b34fb\", got " +
                                            quote(text));
  return *uuid;
}

ByteTemplate require_template(const std::string& text, ByteTemplate::Use use,
                              const SourceLocation& where, const std::string& what) {
  std::string why;
  auto t = ByteTemplate::parse(text, use, &why);
  if (!t) throw ConfigError(where, what + " " + quote(text) + ": " + why);
  return *t;
}

}  // namespace

std::unique_ptr<TemplateProfile> TemplateProfile::from_settings(const Settings& block) {
  block.require_known_keys({"kind", "service", "command", "status", "unlock", "success", "failures",
                            "write", "key_file", "key_env"},
                           "the template lock profile");
  Definition def;
  def.service_uuid = require_uuid(block, "service");
  def.command_uuid = require_uuid(block, "command");
  def.status_uuid = require_uuid(block, "status");
  def.unlock = require_template(block.require_string("unlock"), ByteTemplate::Use::command,
                                block.where("unlock"), "profile unlock command");

  const std::vector<std::string> success = block.get_string_list("success");
  if (success.empty())
    throw ConfigError(block.where(),
                      "the lock profile needs a success pattern (success: \"81 {seq} 00\")");
  for (const auto& text : success)
    def.rules.push_back({require_template(text, ByteTemplate::Use::pattern, block.where("success"),
                                          "profile success pattern"),
                         LockOutcome::success});

  if (block.has("failures")) {
    const YAML::Node failures = block.node()["failures"];
    const SourceLocation where = yaml::location(failures, block.file());
    if (!failures.IsMap())
      throw ConfigError(where,
                        "profile failures must map status patterns to outcomes, e.g. "
                        "failures: {\"81 {seq} 01\": rejected}");
    for (const auto& kv : failures) {
      const std::string pattern = yaml::as_string(kv.first, block.file(), "a failure pattern");
      const std::string name = yaml::as_string(kv.second, block.file(), "a failure outcome");
      const SourceLocation at = yaml::location(kv.second, block.file());
      auto outcome = parse_outcome(name);
      std::vector<std::string> allowed;
      for (const auto& n : outcome_names())
        if (n != "success") allowed.push_back(n);
      if (!outcome || *outcome == LockOutcome::success)
        throw ConfigError(
            at, "unknown failure outcome " + quote(name) + did_you_mean(name, allowed) +
                    "; allowed: " + join(allowed, ", ") + " (success patterns go under success:)");
      def.rules.push_back(
          {require_template(pattern, ByteTemplate::Use::pattern,
                            yaml::location(kv.first, block.file()), "profile failure pattern"),
           *outcome});
    }
  }

  const std::string write = block.get_string("write", "request");
  if (write != "request" && write != "command")
    throw ConfigError(
        block.where("write"),
        "profile write must be \"request\" (with response) or \"command\" (without), got " +
            quote(write));
  def.write_with_response = write == "request";

  std::optional<Secret> key = Secret::from_settings(block);
  if (def.unlock.uses_key() && !key)
    throw ConfigError(
        block.where("unlock"),
        "the unlock command uses {key}; reference the key with key_file: or key_env:");
  if (key && !def.unlock.uses_key())
    throw ConfigError(block.where(block.has("key_file") ? "key_file" : "key_env"),
                      "a key is referenced but the unlock command has no {key} placeholder");
  return std::make_unique<TemplateProfile>(std::move(def), std::move(key));
}

}  // namespace lockrig::drivers::bluez
