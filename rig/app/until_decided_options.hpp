// The `lockrig run` options of --until-decided (rig/engine/decision_series.hpp runs the
// campaign they describe): registered with the other run options, read into
// UntilDecidedOptions.
#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <string>

#include "rig/engine/decision_series.hpp"

namespace lockrig {

struct UntilDecidedArgs {
  std::string baseline, candidate;
  std::string margin = "0.005", alpha = "0.05", power = "0.8", baseline_rate = "0.995";
  long long max_sessions = 0;
  int block = 50;
};
void add_until_decided_options(boost::program_options::options_description& desc,
                               UntilDecidedArgs& args);
// nullopt without --until-decided (then its options are refused); throws UsageError.
std::optional<UntilDecidedOptions> parse_until_decided(
    const UntilDecidedArgs& args, const boost::program_options::variables_map& vm);

}  // namespace lockrig
