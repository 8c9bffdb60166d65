// lockrig probe: asks each driver family that registered a probe (drivers/registry.hpp) what a
// new rig can reach, and with --fixture F has each family contact the parts of F it reaches and
// print their identities (the "doctor": `lockrig check` reads files only and never touches
// hardware). The families bring their options and their part of the help.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "drivers/registry.hpp"
#include "drivers/rig_fault.hpp"
#include "rig/app/commands.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/options.hpp"
#include "rig/engine/fixture.hpp"

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

// The families' texts, for the help: "A", "A, and B", "A, B, and C"; empty ones left out.
std::string listing(const std::vector<drivers::ProbeEntry>& probes,
                    std::string drivers::ProbeEntry::*text) {
  std::vector<std::string> parts;
  for (const auto& p : probes)
    if (!(p.*text).empty()) parts.push_back(p.*text);
  std::string s;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) s += i + 1 == parts.size() ? (parts.size() == 2 ? " and " : ", and ") : ", ";
    s += parts[i];
  }
  return s;
}

// `text` with its line breaks and runs of spaces made single spaces, broken into lines of at
// most `width` columns (a longer word stays whole).
std::string wrapped(const std::string& text, std::size_t width = 90) {
  std::string out, line, word;
  auto flush_word = [&] {
    if (word.empty()) return;
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    word.clear();
  };
  for (char c : text) {
    if (c == ' ' || c == '\n')
      flush_word();
    else
      word += c;
  }
  flush_word();
  return out + line + "\n";
}

}  // namespace

int probe_command(const CommandLine& cl) {
  const auto& probes = drivers::builtin_drivers().probes();
  std::string fixture_path;
  po::options_description desc("Options");
  desc.add_options()("help,h", "explain the options")(
      "fixture,f", po::value(&fixture_path),
      "also contact the parts this fixture configures and print their identities");
  for (const auto& p : probes) {
    for (const auto& o : p.options) add_option(desc, o);
    add_option(desc, p.skip);
  }
  po::variables_map vm = parse_options("probe", cl.args, desc);
  if (vm.count("help")) {
    const std::string usage =
        "Usage: lockrig probe [--fixture F] [options]\n\n" +
        wrapped("Lists what a new rig can reach: " +
                listing(probes, &drivers::ProbeEntry::lists) + ".") +
        "\n" +
        wrapped("With --fixture F, then contacts " +
                listing(probes, &drivers::ProbeEntry::contacts) +
                ", and prints each part's identity or the rig fault that names the part and its "
                "address. The fixture is validated first, as `lockrig check` does; unlike check, "
                "which only reads files, this opens the hardware (the rig's doctor). "
                "--no-<family> leaves a family out of both. Exit status 3 when a family is "
                "unavailable or a part fails.");
    print_help(usage.c_str(), desc);
    return exit_code::ok;
  }
  std::vector<drivers::ProbeArgs> args(probes.size());
  for (std::size_t i = 0; i < probes.size(); ++i) {
    for (const auto& o : probes[i].options)
      if (vm.count(o.name)) args[i][o.name] = o.takes_value ? vm[o.name].as<std::string>() : "";
    if (probes[i].check) probes[i].check(args[i]);
  }
  // A fixture with a mistake is a usage error before anything is scanned or opened.
  std::optional<drivers::ConfiguredParts> parts;
  if (vm.count("fixture")) {
    const Fixture fixture = load_fixture(fixture_path);
    validate_fixture_drivers(fixture, drivers::builtin_drivers());
    parts = drivers::ConfiguredParts{fixture_path, fixture.locks, fixture.switches,
                                     fixture.supplies};
  }
  bool failed = false;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    if (vm.count(probes[i].skip.name) || !probes[i].scan) continue;
    try {
      probes[i].scan(args[i]);
    } catch (const drivers::RigFault& e) {
      failed = true;
      std::fprintf(stderr, "%s: unavailable: %s\n", probes[i].family.c_str(), e.what());
    }
  }
  if (parts) {
    std::printf("\nparts of %s:\n", parts->fixture.c_str());
    for (std::size_t i = 0; i < probes.size(); ++i) {
      if (vm.count(probes[i].skip.name) || !probes[i].contact) continue;
      try {
        if (probes[i].contact(*parts, args[i]) > 0) failed = true;
      } catch (const drivers::RigFault& e) {
        failed = true;
        std::fprintf(stderr, "%s: unavailable: %s\n", probes[i].family.c_str(), e.what());
      }
    }
  }
  std::fflush(stdout);
  return failed ? exit_code::rig_fault : exit_code::ok;
}

}  // namespace lockrig
