// Loading of profile secrets; error messages name the source, never the value.
#include "drivers/bluez/secret.hpp"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "drivers/command/process.hpp"
#include "drivers/transcript.hpp"
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

// Issue 17 item 6: a key read from the environment leaves it. unsetenv() only drops the
// pointer from environ[]; the "NAME=value" text the kernel placed at exec stays in the
// process's memory between env_start and env_end, which is what /proc/<pid>/environ shows
// (proc(5), /proc/[pid]/stat fields 50-51), so that copy is overwritten too. Keys read once
// are kept here for the next lock that names the same variable.
std::mutex env_keys_mutex;
std::map<std::string, std::string>& env_keys() {
  static std::map<std::string, std::string> keys;
  return keys;
}

// The start and end of the environment block the kernel shows as /proc/self/environ.
std::optional<std::pair<std::uintptr_t, std::uintptr_t>> environ_block() {
  std::ifstream in("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Field 2 (comm) may hold spaces and parentheses: count fields after the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));  // field 3 onwards
  std::string f;
  std::uintptr_t start = 0, end = 0;
  for (int n = 3; fields >> f; ++n) {
    if (n == 50) start = std::stoull(f);
    if (n == 51) {
      end = std::stoull(f);
      break;
    }
  }
  if (start == 0 || end <= start) return std::nullopt;
  return std::make_pair(start, end);
}

void scrub_from_environment(const std::string& name) {
  const std::string prefix = name + "=";
  // The live copy environ[] points at (the exec block, or setenv's heap copy).
  if (char* value = std::getenv(name.c_str())) std::memset(value, 0, std::strlen(value));
  // The exec block itself, whichever copy environ[] points at now.
  if (auto block = environ_block()) {
    char* p = reinterpret_cast<char*>(block->first);
    char* const end = reinterpret_cast<char*>(block->second);
    while (p < end) {
      const std::size_t len = ::strnlen(p, static_cast<std::size_t>(end - p));
      if (len > prefix.size() && std::strncmp(p, prefix.c_str(), prefix.size()) == 0)
        std::memset(p + prefix.size(), 0, len - prefix.size());
      p += len + 1;
    }
  }
  ::unsetenv(name.c_str());
}

// No core dump holds the key and no process of the same user may ptrace the rig or read its
// /proc/<pid>/environ and mem while a key is held (prctl(2), PR_SET_DUMPABLE). The rig holds a
// key until it exits, so this stays set.
void hold_key() {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

// A key file others can read is refused, as OpenSSH refuses a private key file
// (openssh-portable authfile.c, key_perm_ok(), now sshkey_perm_ok(): a key owned by the user
// with any of the 077 mode bits set is "too open" and ignored). A file owned by someone else
// (root:lockrig 0640 for a service user) is accepted unless anyone at all may read it.
void check_key_file_mode(const std::filesystem::path& path, const SourceLocation& where) {
  struct stat st {};
  // Missing, a directory, ...: reading it reports the error with the system's reason.
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
  const bool mine = st.st_uid == ::geteuid();
  if ((mine && (st.st_mode & 077) != 0) || (st.st_mode & 007) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw ConfigError(where, "the lock key file " + quote(path.string()) + " has permissions " +
                                 mode + ", too open: others may read it (chmod 600 " +
                                 quote(path.string()) + ")");
  }
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
    check_key_file_mode(path, where);
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
    std::lock_guard lk(env_keys_mutex);
    if (const char* value = std::getenv(name.c_str())) {
      text = value;
      env_keys()[name] = text;
      scrub_from_environment(name);
    } else if (auto known = env_keys().find(name); known != env_keys().end()) {
      text = known->second;  // read (and scrubbed) for an earlier lock
    } else {
      throw ConfigError(where, "the lock key is not set: " + source + " is unset");
    }
  }
  hold_key();
  if (blank(text)) throw ConfigError(where, "the lock key in " + source + " is empty");
  auto bytes = decode_hex_text(text);
  if (!bytes)
    throw ConfigError(where,
                      "the lock key in " + source +
                          " must be an even number of hex digits (spaces and colons allowed)");
  // Issue 15: the key never reaches a session transcript (drivers/transcript.hpp redacts every
  // registered secret, also as raw bytes and in upper-case and spaced hex). key_env keys are
  // registered by withhold_from_children; a key_file key is registered here.
  {
    static const char* hex = "0123456789abcdef";
    std::string canonical;
    for (const std::uint8_t b : *bytes) {
      canonical += hex[b >> 4];
      canonical += hex[b & 15];
    }
    register_secret(canonical);
  }
  return Secret(std::move(*bytes), source);
}

}  // namespace lockrig::drivers::bluez
