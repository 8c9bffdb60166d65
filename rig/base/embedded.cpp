#include "rig/base/embedded.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"

namespace lockrig {

std::string read_source_file(const std::string& path) {
  const std::string prefix = kEmbeddedPrefix;
  if (path.rfind(prefix, 0) == 0) {
    const std::string rel = path.substr(prefix.size());
    std::vector<std::string> known;
    for (const auto& f : embedded_files()) {
      if (rel == f.path) return f.content;
      known.push_back(prefix + f.path);
    }
    throw ConfigError("no embedded file " + quote(path) + did_you_mean(path, known) +
                      "; embedded: " + join(known, ", "));
  }
  std::string why;
  auto text = read_text_file(path, why);
  if (!text) throw ConfigError("cannot read " + quote(path) + ": " + why);
  return std::move(*text);
}

std::optional<std::string> read_text_file(const std::string& path, std::string& why) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  if (S_ISDIR(st.st_mode)) {
    why = std::strerror(EISDIR);
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace lockrig
