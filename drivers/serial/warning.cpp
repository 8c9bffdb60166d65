// Driver warnings on stderr (see warning.hpp).
#include "drivers/serial/warning.hpp"

#include <cstdio>

#include "rig/base/log.hpp"

namespace lockrig::drivers::serial {

void warn(const std::string& component, const std::string& message) {
  std::fprintf(stderr, "%slockrig: warning: %s: %s\n", log_prefix(log_level::warning),
               component.c_str(), message.c_str());
}

}  // namespace lockrig::drivers::serial
