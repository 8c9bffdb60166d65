// lockrig probe: asks each driver family that registered a probe (drivers/registry.hpp) what a
// new rig can reach. The families bring their options and their part of the help.
#include <cstdio>

#include "drivers/registry.hpp"
#include "drivers/rig_fault.hpp"
#include "rig/app/commands.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/options.hpp"

namespace po = boost::program_options;

namespace lockrig {

namespace {

void add_option(po::options_description& desc, const drivers::ProbeOption& o) {
  if (!o.takes_value)
    desc.add_options()(o.name.c_str(), o.help.c_str());
  else if (o.default_value)
    desc.add_options()(o.name.c_str(), po::value<std::string>()->default_value(*o.default_value),
                       o.help.c_str());
  else
    desc.add_options()(o.name.c_str(), po::value<std::string>(), o.help.c_str());
}

// What the families list, for the help: "A", "A, and B", "A, B, and C".
std::string listing(const std::vector<drivers::ProbeEntry>& probes) {
  std::string s;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    if (i) s += i + 1 == probes.size() ? ", and " : ", ";
    s += probes[i].lists;
  }
  return s;
}

}  // namespace

int probe_command(const CommandLine& cl) {
  const auto& probes = drivers::builtin_drivers().probes();
  po::options_description desc("Options");
  desc.add_options()("help,h", "explain the options");
  for (const auto& p : probes) {
    for (const auto& o : p.options) add_option(desc, o);
    add_option(desc, p.skip);
  }
  po::variables_map vm = parse_options("probe", cl.args, desc);
  if (vm.count("help")) {
    const std::string usage =
        "Usage: lockrig probe [options]\n\nLists what a new rig can reach: " + listing(probes) +
        ".\n";
    print_help(usage.c_str(), desc);
    return exit_code::ok;
  }
  std::vector<drivers::ProbeArgs> args(probes.size());
  for (std::size_t i = 0; i < probes.size(); ++i) {
    for (const auto& o : probes[i].options)
      if (vm.count(o.name)) args[i][o.name] = o.takes_value ? vm[o.name].as<std::string>() : "";
    if (probes[i].check) probes[i].check(args[i]);
  }
  bool failed = false;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    if (vm.count(probes[i].skip.name)) continue;
    try {
      probes[i].scan(args[i]);
    } catch (const drivers::RigFault& e) {
      failed = true;
      std::fprintf(stderr, "%s: unavailable: %s\n", probes[i].family.c_str(), e.what());
    }
  }
  return failed ? exit_code::rig_fault : exit_code::ok;
}

}  // namespace lockrig
