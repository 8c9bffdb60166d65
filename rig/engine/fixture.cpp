#include "rig/engine/fixture.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "rig/base/embedded.hpp"
#include "rig/engine/attenuators.hpp"
#include "rig/base/sha256.hpp"
#include "rig/base/text.hpp"
#include "rig/base/yaml_util.hpp"

namespace lockrig {

using drivers::ChannelSpec;
using drivers::LockSpec;
using drivers::SupplySpec;
using drivers::SwitchBoardSpec;

const std::vector<std::string>& known_materials() {
  static const std::vector<std::string> m = {"wood",     "steel",      "glass", "aluminium",
                                             "pvc",      "composite",  "fiberglass", "stone"};
  return m;
}

const LockSpec* Fixture::find_lock(const std::string& id) const {
  for (const auto& l : locks)
    if (l.id == id) return &l;
  return nullptr;
}

std::vector<std::string> Fixture::lock_ids() const {
  std::vector<std::string> ids;
  for (const auto& l : locks) ids.push_back(l.id);
  return ids;
}

std::vector<std::string> Fixture::channel_names() const {
  std::vector<std::string> names;
  for (const auto& b : switches)
    for (const auto& c : b.channels)
      if (std::find(names.begin(), names.end(), c.name) == names.end()) names.push_back(c.name);
  return names;
}

std::vector<std::string> Fixture::supply_names() const {
  std::vector<std::string> names;
  for (const auto& s : supplies)
    if (std::find(names.begin(), names.end(), s.name) == names.end()) names.push_back(s.name);
  return names;
}

bool Fixture::lock_has_channel(const std::string& lock_id, const std::string& name) const {
  for (const auto& b : switches)
    for (const auto& c : b.channels)
      if (c.name == name && std::count(c.locks.begin(), c.locks.end(), lock_id)) return true;
  return false;
}

const SupplySpec* Fixture::supply_for(const std::string& lock_id, const std::string& name) const {
  for (const auto& s : supplies)
    if ((name.empty() || s.name == name) && std::count(s.locks.begin(), s.locks.end(), lock_id))
      return &s;
  return nullptr;
}

const drivers::AttenuatorSpec* Fixture::attenuator_for(const std::string& lock_id,
                                                       const std::string& name) const {
  for (const auto& a : attenuators)
    if (a.name == name && std::find(a.locks.begin(), a.locks.end(), lock_id) != a.locks.end())
      return &a;
  return nullptr;
}

namespace {

const std::vector<std::string> kBuildPlaceholders = {"{lock}", "{slot}", "{build}"};

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

}  // namespace

std::vector<std::string> BuildSelectHook::argv(const drivers::LockSpec& lock,
                                               const std::string& build) const {
  std::vector<std::string> out;
  for (const auto& a : command)
    out.push_back(replace_all(replace_all(replace_all(a, "{lock}", lock.id), "{slot}", lock.slot),
                              "{build}", build));
  return out;
}

namespace {

struct Parser {
  const std::string& file;

  SourceLocation at(const YAML::Node& n) const { return yaml::location(n, file); }
  std::string str(const YAML::Node& n, const std::string& what) const {
    return yaml::as_string(n, file, what);
  }

  // Identifiers show up in SQL, file names and reports: keep them simple.
  // Free text that every report reads back is bounded where it enters (issue 17 item 8).
  std::string name(const YAML::Node& n, const std::string& what) const {
    return yaml::as_bounded_string(n, file, what, kMaxNameLength);
  }

  std::string ident(const YAML::Node& n, const std::string& what) const {
    std::string s = name(n, what);
    if (!is_identifier(s))
      throw ConfigError(at(n), what + " " + quote(s) +
                                   " may only contain letters, digits, '-', '_' and '.'");
    return s;
  }

  Settings settings_of(const YAML::Node& parent) const {
    return Settings(parent["settings"], file);
  }

  std::vector<std::string> lock_refs(const YAML::Node& n, const std::string& what,
                                     const std::vector<std::string>& lock_ids) const {
    if (!n) throw ConfigError(at(n), what + " must list the locks it acts on (locks: [...])");
    std::vector<std::string> refs = yaml::as_string_list(n, file, what);
    std::size_t i = 0;
    for (const auto& r : refs) {
      if (std::find(lock_ids.begin(), lock_ids.end(), r) == lock_ids.end()) {
        YAML::Node item = n.IsSequence() ? n[i] : n;
        throw ConfigError(at(item), what + " names unknown lock " + quote(r) +
                                        did_you_mean(r, lock_ids));
      }
      ++i;
    }
    return refs;
  }
};

}  // namespace

Fixture parse_fixture(const std::string& text, const std::string& source) {
  const YAML::Node root = yaml::parse(text, source);
  Parser p{source};
  yaml::check_mapping(root, source,
                      {"rig", "description", "on_rig_fault", "drivers", "locks", "switches",
                       "supplies", "attenuators", "select_build"},
                      "the fixture");
  yaml::require_keys(root, source, {"rig", "locks"}, "the fixture");

  Fixture f;
  f.source = source;
  f.sha256 = sha256_hex(text);
  f.rig = p.ident(root["rig"], "rig name");
  if (root["description"])
    f.description =
        yaml::as_bounded_string(root["description"], source, "description", kMaxDescriptionLength);
  if (root["on_rig_fault"]) {
    static constexpr NameTable<RigFaultPolicy, 3> kPolicies{{{RigFaultPolicy::abort, "abort"},
                                                             {RigFaultPolicy::quarantine, "quarantine"},
                                                             {RigFaultPolicy::carry_on, "continue"}}};
    f.on_rig_fault = yaml::as_choice(root["on_rig_fault"], source, "on_rig_fault", kPolicies);
  }

  // Fixture-wide settings per driver name, handed to every part using that driver.
  std::map<std::string, YAML::Node> shared;
  if (const YAML::Node d = root["drivers"]) {
    if (!d.IsMap()) throw ConfigError(p.at(d), "drivers must map driver names to their settings");
    for (const auto& kv : d) shared[kv.first.Scalar()] = kv.second;
  }
  auto shared_for = [&](const std::string& driver) {
    auto it = shared.find(driver);
    return Settings(it == shared.end() ? YAML::Node(YAML::NodeType::Undefined) : it->second, source);
  };

  const YAML::Node locks = root["locks"];
  if (!locks.IsSequence() || locks.size() == 0)
    throw ConfigError(p.at(locks), "locks must be a non-empty list of locks");
  std::set<std::string> ids;
  for (const auto& n : locks) {
    yaml::check_mapping(n, source, {"id", "model", "material", "slot", "driver", "settings"},
                        "a lock");
    yaml::require_keys(n, source, {"id", "material", "driver"}, "a lock");
    LockSpec l;
    l.where = p.at(n);
    l.id = p.ident(n["id"], "lock id");
    if (!ids.insert(l.id).second)
      throw ConfigError(p.at(n["id"]), "duplicate lock id " + quote(l.id));
    if (n["model"]) l.model = p.name(n["model"], "model");
    l.material = p.str(n["material"], "material");
    const auto& mats = known_materials();
    if (std::find(mats.begin(), mats.end(), l.material) == mats.end())
      throw ConfigError(p.at(n["material"]), "unknown door material " + quote(l.material) +
                                                 did_you_mean(l.material, mats) +
                                                 "; known: " + join(mats, ", "));
    if (n["slot"]) l.slot = p.name(n["slot"], "slot");
    l.driver = p.str(n["driver"], "driver");
    l.settings = p.settings_of(n);
    l.shared = shared_for(l.driver);
    f.locks.push_back(std::move(l));
  }
  const std::vector<std::string> lock_ids = f.lock_ids();

  std::set<std::string> part_ids;
  if (const YAML::Node sw = root["switches"]) {
    if (!sw.IsSequence()) throw ConfigError(p.at(sw), "switches must be a list of relay boards");
    // (lock, channel name) pairs must be unique, or "battery off" would be ambiguous.
    std::map<std::pair<std::string, std::string>, SourceLocation> wired;
    for (const auto& n : sw) {
      yaml::check_mapping(n, source, {"id", "driver", "settings", "channels"}, "a switch board");
      yaml::require_keys(n, source, {"id", "driver", "channels"}, "a switch board");
      SwitchBoardSpec b;
      b.where = p.at(n);
      b.id = p.ident(n["id"], "switch board id");
      if (!part_ids.insert(b.id).second)
        throw ConfigError(p.at(n["id"]), "duplicate switch/supply id " + quote(b.id));
      b.driver = p.str(n["driver"], "driver");
      b.settings = p.settings_of(n);
      b.shared = shared_for(b.driver);
      const YAML::Node chans = n["channels"];
      if (!chans.IsSequence() || chans.size() == 0)
        throw ConfigError(p.at(chans), "channels must be a non-empty list");
      std::set<long long> numbers;
      for (const auto& c : chans) {
        yaml::check_mapping(c, source, {"name", "channel", "locks", "safe", "invert"},
                            "a switch channel");
        yaml::require_keys(c, source, {"name", "channel", "locks", "safe"}, "a switch channel");
        ChannelSpec ch;
        ch.where = p.at(c);
        ch.name = p.ident(c["name"], "channel name");
        long long num = yaml::as_int(c["channel"], source, "channel");
        if (num < 1 || num > 64)
          throw ConfigError(p.at(c["channel"]),
                            "channel must be between 1 and 64, got " + quote(c["channel"].Scalar()));
        if (!numbers.insert(num).second)
          throw ConfigError(p.at(c["channel"]), "channel " + std::to_string(num) +
                                                    " is used twice on board " + quote(b.id));
        ch.channel = static_cast<int>(num);
        ch.locks = p.lock_refs(c["locks"], "channel " + quote(ch.name), lock_ids);
        ch.safe_on = yaml::as_on_off(c["safe"], source, "safe");
        if (c["invert"]) ch.invert = yaml::as_bool(c["invert"], source, "invert");
        for (const auto& l : ch.locks) {
          auto [it, fresh] = wired.emplace(std::make_pair(l, ch.name), ch.where);
          if (!fresh)
            throw ConfigError(ch.where, "lock " + quote(l) + " already has a channel named " +
                                            quote(ch.name) + " at " + it->second.str());
        }
        b.channels.push_back(std::move(ch));
      }
      f.switches.push_back(std::move(b));
    }
  }

  if (const YAML::Node sup = root["supplies"]) {
    if (!sup.IsSequence()) throw ConfigError(p.at(sup), "supplies must be a list of power supplies");
    for (const auto& n : sup) {
      yaml::check_mapping(n, source,
                          {"id", "name", "driver", "output", "nominal", "limits", "locks", "settings"},
                          "a power supply");
      yaml::require_keys(n, source, {"id", "name", "driver", "nominal", "limits", "locks"},
                         "a power supply");
      SupplySpec s;
      s.where = p.at(n);
      s.id = p.ident(n["id"], "supply id");
      if (!part_ids.insert(s.id).second)
        throw ConfigError(p.at(n["id"]), "duplicate switch/supply id " + quote(s.id));
      s.name = p.ident(n["name"], "supply name");
      s.driver = p.str(n["driver"], "driver");
      if (n["output"]) s.output = static_cast<int>(yaml::as_int(n["output"], source, "output"));
      auto va = [&](const YAML::Node& m, const std::string& what, double& v, double& a) {
        yaml::check_mapping(m, source, {"volts", "amps"}, what);
        yaml::require_keys(m, source, {"volts", "amps"}, what);
        v = yaml::as_double(m["volts"], source, what + " volts");
        a = yaml::as_double(m["amps"], source, what + " amps");
        if (v < 0 || a < 0) throw ConfigError(p.at(m), what + " must not be negative");
      };
      va(n["nominal"], "nominal", s.nominal_volts, s.nominal_amps);
      va(n["limits"], "limits", s.max_volts, s.max_amps);
      if (s.nominal_volts > s.max_volts || s.nominal_amps > s.max_amps)
        throw ConfigError(p.at(n["nominal"]), "nominal setting of supply " + quote(s.id) +
                                                  " exceeds its limits");
      s.locks = p.lock_refs(n["locks"], "supply " + quote(s.id), lock_ids);
      s.settings = p.settings_of(n);
      s.shared = shared_for(s.driver);
      f.supplies.push_back(std::move(s));
    }
  }
  if (const YAML::Node att = root["attenuators"])
    f.attenuators = parse_attenuators(att, source, lock_ids, part_ids, shared_for);
  if (const YAML::Node sb = root["select_build"]) {
    yaml::check_mapping(sb, source, {"command", "timeout"}, "select_build");
    yaml::require_keys(sb, source, {"command"}, "select_build");
    BuildSelectHook h;
    h.where = p.at(sb);
    const YAML::Node cmd = sb["command"];
    if (!cmd.IsSequence() || cmd.size() == 0)
      throw ConfigError(p.at(cmd),
                        "select_build command must be a non-empty list of arguments (exec'd "
                        "without a shell), e.g. [/usr/local/bin/flash, \"{lock}\", \"{build}\"]");
    h.command = yaml::as_string_list(cmd, source, "select_build command");
    if (h.command.front().empty())
      throw ConfigError(p.at(cmd[0]), "select_build command[0] (the program) is empty");
    bool has_build = false;
    for (std::size_t i = 0; i < h.command.size(); ++i) {
      const std::string& a = h.command[i];
      has_build = has_build || a.find("{build}") != std::string::npos;
      // A brace word that is not a placeholder is most likely a typo ({bulid}).
      for (std::size_t open = a.find('{'); open != std::string::npos;
           open = a.find('{', open + 1)) {
        const std::size_t close = a.find('}', open);
        if (close == std::string::npos) break;
        const std::string word = a.substr(open, close - open + 1);
        if (std::find(kBuildPlaceholders.begin(), kBuildPlaceholders.end(), word) ==
                kBuildPlaceholders.end() &&
            word.find_first_of(" \t") == std::string::npos)
          throw ConfigError(p.at(cmd[i]), "unknown placeholder " + quote(word) +
                                              " in select_build command" +
                                              did_you_mean(word, kBuildPlaceholders) +
                                              "; known: {lock}, {slot}, {build}");
      }
    }
    if (!has_build)
      throw ConfigError(p.at(cmd),
                        "select_build command never passes {build}: the program could not know "
                        "which build to select");
    if (sb["timeout"]) {
      h.timeout = yaml::as_duration(sb["timeout"], source, "select_build timeout");
      if (h.timeout.count() <= 0)
        throw ConfigError(p.at(sb["timeout"]), "select_build timeout must be positive");
    }
    f.select_build = std::move(h);
  }
  return f;
}

Fixture load_fixture(const std::string& path) { return parse_fixture(read_source_file(path), path); }

void validate_fixture_drivers(const Fixture& fixture, const drivers::DriverRegistry& registry) {
  for (const auto& l : fixture.locks) {
    const auto& d = registry.lock_driver(l.driver, l.where);
    if (d.validate) d.validate(l);
  }
  for (const auto& b : fixture.switches) {
    const auto& d = registry.switch_driver(b.driver, b.where);
    if (d.validate) d.validate(b);
  }
  for (const auto& s : fixture.supplies) {
    const auto& d = registry.supply_driver(s.driver, s.where);
    if (d.validate) d.validate(s);
  }
  for (const auto& a : fixture.attenuators) {
    const auto& d = registry.attenuator_driver(a.driver, a.where);
    if (d.validate) d.validate(a);
  }
}

}  // namespace lockrig
