// Command-line parsing shared by every `lockrig` command (Boost.Program_options): option errors
// and stray arguments become UsageError (exit 2) naming the command's --help.
#pragma once

#include <boost/program_options.hpp>

#include <string>
#include <vector>

#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"

namespace lockrig {

// Parses `args` of `lockrig <command>`. Without `positional`, the command takes no bare
// arguments and one is an error, not something to ignore: `lockrig run scenarios/x.yaml` must
// not quietly run the default suite.
inline boost::program_options::variables_map parse_options(
    const std::string& command, const std::vector<std::string>& args,
    const boost::program_options::options_description& desc,
    const boost::program_options::positional_options_description* positional = nullptr) {
  namespace po = boost::program_options;
  po::variables_map vm;
  try {
    auto parser = po::command_line_parser(args).options(desc);
    if (positional) parser.positional(*positional);
    const po::parsed_options parsed = parser.run();
    if (!positional)
      for (const auto& o : parsed.options)
        if (o.position_key >= 0) {
          const std::string arg =
              o.original_tokens.empty() ? o.value.front() : o.original_tokens.front();
          auto ends_with = [&](const char* suffix) {
            const std::string x(suffix);
            return arg.size() >= x.size() && arg.compare(arg.size() - x.size(), x.size(), x) == 0;
          };
          std::string hint = "options name every file";
          if (ends_with(".yaml") || ends_with(".yml"))
            hint = "scenario files go with --scenario FILE, fixtures with --fixture FILE";
          else if (ends_with(".db"))
            hint = "the journal goes with --db FILE";
          throw UsageError("unexpected argument " + quote(arg) + ": lockrig " + command +
                           " takes no bare arguments; " + hint + " (see lockrig " + command +
                           " --help)");
        }
    po::store(parsed, vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(std::string(e.what()) + " (see lockrig " + command + " --help)");
  }
  return vm;
}

}  // namespace lockrig
