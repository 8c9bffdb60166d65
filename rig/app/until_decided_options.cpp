#include "rig/app/until_decided_options.hpp"

#include <vector>

#include "reports/commands.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"

namespace lockrig {

namespace po = boost::program_options;

void add_until_decided_options(po::options_description& desc, UntilDecidedArgs& a) {
  desc.add_options()(
      "until-decided",
      "run blocks alternating --baseline and --candidate builds (in randomized order; default "
      "scenario: the door-materials unlock) until the "
      "sequential test decides, or --max-sessions; exit 0 pass, 1 fail, 4 undecided at the cap "
      "(docs/sequential.md)")("baseline", po::value(&a.baseline),
                              "with --until-decided: the baseline build, firmware=X")(
      "candidate", po::value(&a.candidate),
      "with --until-decided: the candidate build, firmware=Y")(
      "margin", po::value(&a.margin)->default_value(a.margin),
      "with --until-decided: the regression to detect, a difference of rates: 0.5pp (or "
      "0.5pts) or the fraction 0.005; a bare number >= 0.1 is refused")("alpha", po::value(&a.alpha)->default_value(a.alpha),
                        "with --until-decided: false-fail rate, P(FAIL | no regression)")(
      "power", po::value(&a.power)->default_value(a.power),
      "with --until-decided: detection rate, P(FAIL | regression of the margin)")(
      "baseline-rate", po::value(&a.baseline_rate)->default_value(a.baseline_rate),
      "with --until-decided: planned baseline session success rate (0.995 or 99.5%), which "
      "turns the margin into the odds ratio the test looks for")(
      "max-sessions", po::value(&a.max_sessions),
      "with --until-decided: cap on SLI sessions of both versions together (default: 3 x the "
      "fixed-sample size for the same alpha/power)")(
      "block", po::value(&a.block)->default_value(a.block),
      "with --until-decided: repetitions of each scenario per lock in one block (one run)");
}

namespace {

double parse_share(const std::string& text, const std::string& option) {
  const double v = reports::parse_fraction(text, option);
  if (!(v > 0) || !(v < 1))
    throw UsageError(option + " wants a number in (0, 1) such as 0.05, 0.5pts or 99.5%, got " +
                     quote(text));
  return v;
}

std::string firmware_of(const std::string& text, const char* option) {
  const std::string key = "firmware=";
  if (text.rfind(key, 0) != 0 || text.size() == key.size())
    throw UsageError(std::string("--until-decided switches firmware builds: ") + option +
                     " must be firmware=VERSION, got " + quote(text));
  return text.substr(key.size());
}

}  // namespace

std::optional<UntilDecidedOptions> parse_until_decided(const UntilDecidedArgs& a,
                                                       const po::variables_map& vm) {
  if (!vm.count("until-decided")) {
    for (const char* o : {"baseline", "candidate", "max-sessions"})
      if (vm.count(o))
        throw UsageError(std::string("--") + o + " is only meaningful with --until-decided");
    for (const char* o : {"margin", "alpha", "power", "baseline-rate", "block"})
      if (vm.count(o) && !vm[o].defaulted())
        throw UsageError(std::string("--") + o + " is only meaningful with --until-decided");
    return std::nullopt;
  }
  if (vm.count("repeat"))
    throw UsageError(
        "--repeat does not apply with --until-decided: each block runs every scenario "
        "--block times per lock");
  if (vm.count("label"))
    for (const auto& l : vm["label"].as<std::vector<std::string>>())
      for (const char* key : {"campaign=", "arm=", "block="})
        if (l.rfind(key, 0) == 0)
          throw UsageError("--label " + quote(l) +
                           ": --until-decided sets the campaign, arm and "
                           "block labels of its runs itself");
  if (!vm.count("baseline") || !vm.count("candidate"))
    throw UsageError("--until-decided needs --baseline firmware=X and --candidate firmware=Y");
  UntilDecidedOptions o;
  o.baseline_build = firmware_of(a.baseline, "--baseline");
  o.candidate_build = firmware_of(a.candidate, "--candidate");
  o.margin = reports::parse_difference(a.margin, "--margin");
  o.alpha = parse_share(a.alpha, "--alpha");
  o.power = parse_share(a.power, "--power");
  o.baseline_rate = reports::parse_rate(a.baseline_rate, "--baseline-rate");
  if (!(o.baseline_rate < 1.0))
    throw UsageError("--baseline-rate must be below 1 (100%), got " + quote(a.baseline_rate));
  if (vm.count("max-sessions")) {
    if (a.max_sessions < 2)
      throw UsageError("--max-sessions must be at least 2, got " + std::to_string(a.max_sessions));
    o.max_sessions = a.max_sessions;
  }
  if (a.block < 1) throw UsageError("--block must be at least 1, got " + std::to_string(a.block));
  o.block_repeat = a.block;
  return o;
}

}  // namespace lockrig
