// Resources: passive descriptions of the rig's parts, parsed from a fixture by rig/engine/fixture.cpp
// and handed to drivers. Drivers bind to these; they never read files themselves.
#pragma once

#include <string>
#include <vector>

#include "rig/base/errors.hpp"
#include "rig/base/settings.hpp"

namespace lockrig::drivers {

struct LockSpec {
  std::string id;        // unique within the fixture, e.g. "wood-1"
  std::string model;     // the model as labelled on the rig (the journal also keeps what the lock reports)
  std::string material;  // door material stratum: wood, steel, glass, ...
  std::string slot;      // mounting slot on the rig, e.g. "A1"
  std::string driver;    // registry name: sim, bluez, command, ...
  Settings settings;     // the lock's own `settings:` block
  Settings shared;       // the fixture's `drivers: {<driver>: ...}` block (may be empty)
  SourceLocation where;
};

// A relay channel named by purpose (`battery`, `rf_shield`). `on` is the logical state
// (battery connected, shield closed); `invert` maps it onto a released relay.
struct ChannelSpec {
  std::string name;
  int channel = 0;  // 1-based on the board
  bool invert = false;
  bool safe_on = false;  // the state the rig returns to at start, end and on any abort
  std::vector<std::string> locks;  // locks this channel acts on
  SourceLocation where;
};

struct SwitchBoardSpec {
  std::string id;
  std::string driver;
  Settings settings;
  Settings shared;
  std::vector<ChannelSpec> channels;
  SourceLocation where;
};

// A bench supply feeding one or more locks in place of their batteries.
struct SupplySpec {
  std::string id;
  std::string name;  // purpose name scenarios use, e.g. "vbat"
  std::string driver;
  int output = 1;  // channel on a multi-output supply
  double nominal_volts = 0;
  double nominal_amps = 0;
  double max_volts = 0;
  double max_amps = 0;
  std::vector<std::string> locks;
  Settings settings;
  Settings shared;
  SourceLocation where;
};

// A programmable RF attenuator named by purpose (`rf_path`) in front of one or more locks
// (issue 14). Levels must lie in [min_db, max_db] on the grid min_db + k * step_db; the rig
// returns it to safe_db at start, end, abort and SIGTERM, like relays.
struct AttenuatorSpec {
  std::string id;
  std::string name;  // purpose name scenarios use, e.g. "rf_path"
  std::string driver;
  double min_db = 0;
  double max_db = 0;
  double step_db = 0;
  double safe_db = 0;
  std::vector<std::string> locks;
  Settings settings;
  Settings shared;
  SourceLocation where;
};

}  // namespace lockrig::drivers
