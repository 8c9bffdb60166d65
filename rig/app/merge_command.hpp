// `lockrig merge A.db B.db ... -o lab.db`: the command line of merge_journals
// (rig/journal/merge.hpp, docs/merge.md).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace lockrig {

// `lockrig merge` (args after the command word). Exit 0 when merged.
int cmd_merge(const std::vector<std::string>& args, std::ostream& out);

}  // namespace lockrig
