// `lockrig slo`: the session SLI per night against a target SLO, the error budget over a window
// counted in sessions, multi-window burn rates, per rig / lock / material (docs/slo.md).
// In stages: the journal's rows (rig/journal/slo_reader.hpp), the figures
// (reports/slo_compute.hpp), the document (slo_document.cpp) and the shared renderers.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "reports/slo_compute.hpp"

namespace lockrig::reports {

// Exit 0 when written; 2 usage or journal error.
int cmd_slo(const std::vector<std::string>& args);
int cmd_slo(const std::vector<std::string>& args, std::ostream& out);

}  // namespace lockrig::reports
