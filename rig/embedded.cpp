#include "rig/embedded.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "rig/errors.hpp"
#include "rig/text.hpp"

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
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw ConfigError("cannot read " + quote(path) + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw ConfigError("cannot read " + quote(path) + ": it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("cannot read " + quote(path) + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace lockrig
