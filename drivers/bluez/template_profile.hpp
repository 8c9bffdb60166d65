// The `template` lock profile: the unlock command is a hex template with placeholders, and status
// notifications are matched against hex patterns, each naming the lock outcome it means.
//
//   unlock:   "01 {seq} {key} 55"      bytes, {seq}/{seq16le}/{seq16be} = command number,
//                                      {key} = the profile's secret
//   success:  "81 {seq} 00"            ?? = any byte, * (last) = any further bytes
//   failures: {"81 {seq} 01": rejected, "81 {seq} *": protocol_error}
//
// A notification that fits a pattern only with a different sequence number answers an earlier
// command (a late reply) and is skipped; one that fits nothing is a protocol_error.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/bluez/lock_profile.hpp"
#include "drivers/bluez/secret.hpp"

namespace lockrig::drivers::bluez {

class ByteTemplate {
 public:
  enum class Use { command, pattern };

  // nullopt with *error set (a sentence naming the offending token) when `text` is invalid for
  // `use`: wildcards only in patterns, {key} only in commands.
  static std::optional<ByteTemplate> parse(std::string_view text, Use use, std::string* error);

  // Command bytes. `key` must be given when uses_key().
  Bytes encode(std::uint32_t sequence, const Bytes* key) const;
  // Whether `value` fits the pattern; a sequence of nullopt lets sequence placeholders match any
  // value.
  bool matches(const Bytes& value, std::optional<std::uint32_t> sequence) const;

  bool uses_key() const;
  bool uses_sequence() const;
  const std::string& text() const { return text_; }

 private:
  enum class Kind { byte, any_byte, seq8, seq16le, seq16be, key, rest };
  struct Token {
    Kind kind;
    std::uint8_t value = 0;
  };
  std::vector<Token> tokens_;
  std::string text_;
};

class TemplateProfile final : public LockProfile {
 public:
  struct StatusRule {
    ByteTemplate pattern;
    LockOutcome outcome;
  };
  struct Definition {
    std::string service_uuid;
    std::string command_uuid;
    std::string status_uuid;
    ByteTemplate unlock;
    std::vector<StatusRule> rules;  // tried in order; success patterns first
    bool write_with_response = true;
  };

  TemplateProfile(Definition definition, std::optional<Secret> key);
  // ConfigError with file:line:col for any invalid key or value of the `profile:` block.
  static std::unique_ptr<TemplateProfile> from_settings(const Settings& block);

  std::string kind() const override { return "template"; }
  const std::string& service_uuid() const override { return def_.service_uuid; }
  const std::string& command_uuid() const override { return def_.command_uuid; }
  const std::string& status_uuid() const override { return def_.status_uuid; }
  bool write_with_response() const override { return def_.write_with_response; }
  Bytes unlock_command(std::uint32_t sequence) const override;
  std::optional<StatusVerdict> decode_status(const Bytes& value,
                                             std::uint32_t sequence) const override;

 private:
  Definition def_;
  std::optional<Secret> key_;
};

}  // namespace lockrig::drivers::bluez
