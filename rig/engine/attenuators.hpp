// RF attenuators in fixtures and scenarios (issue 14): the fixture's `attenuators:` list, dB
// levels as written ("42dB", 42, "20dB..80dB step 2dB") and the check that a level is one the
// part can take (inside its range, on its step). See docs/range.md.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "drivers/specs.hpp"

namespace lockrig {

// Parses the fixture's `attenuators:` list. `part_ids` are the switch and supply ids already
// taken; `shared_for(driver)` gives the fixture's `drivers: {<driver>: ...}` block.
std::vector<drivers::AttenuatorSpec> parse_attenuators(
    const YAML::Node& node, const std::string& file, const std::vector<std::string>& lock_ids,
    std::set<std::string>& part_ids, const std::function<Settings(const std::string&)>& shared_for);

// A level in dB: a number or a number followed by "dB" ("42dB", "42.5 dB"). Errors at the node.
double parse_db(const YAML::Node& node, const std::string& file, const std::string& what);

// Levels: a list of levels, or a range "20dB..80dB step 2dB" (both ends included). An empty
// list, a step that is not positive or a range that runs backwards is an error at the node.
std::vector<double> parse_db_levels(const YAML::Node& node, const std::string& file,
                                    const std::string& what);

// True when `db` is within the part's range and on its step grid (min_db + k * step_db).
bool attenuation_level_allowed(const drivers::AttenuatorSpec& spec, double db);
// "0dB..90dB step 0.5dB", for messages.
std::string attenuation_range_text(const drivers::AttenuatorSpec& spec);

struct Step;
struct Fixture;
// An `attenuate` step against the fixture: the part must exist and every attenuator of that name
// must be able to take the level. ConfigError at the step (unknown part) or at the level.
void validate_attenuate_step(const Step& step, const Fixture& fixture);
// A `sweep` step against the fixture: the part must exist and every attenuator of that name must
// be able to take every level of the sweep. ConfigError at the step or at the level refused.
void validate_sweep_step(const Step& step, const Fixture& fixture);

}  // namespace lockrig
