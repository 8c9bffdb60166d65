#include "rig/base/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace lockrig {

namespace {
std::atomic<LogFormat> g_format{LogFormat::plain};
}

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (!stream || !*stream) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev &&
         static_cast<unsigned long long>(st.st_ino) == ino;
}

void set_log_format(LogFormat format) {
  g_format = format;
}
LogFormat log_format() {
  return g_format;
}

const char* log_prefix(int level) {
  if (g_format != LogFormat::journal) return "";
  static const char* const prefixes[] = {"<0>", "<1>", "<2>", "<3>", "<4>", "<5>", "<6>", "<7>"};
  return prefixes[level < 0 ? 0 : (level > 7 ? 7 : level)];
}

}  // namespace lockrig
