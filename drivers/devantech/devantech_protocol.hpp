// Devantech USB-RLY02/08/16/16L relay modules: the wire protocol. Single-byte commands:
// 0x65+n energizes relay n+1, 0x6F+n releases it, 0x5B answers one byte with bit n = relay n+1,
// and 0x5A answers two bytes: the module id and the firmware.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "drivers/serial/framing.hpp"

namespace lockrig::drivers::devantech {

struct DevantechModel {
  std::string_view name;
  std::string_view title;
  int channels;
  // Module ids (first byte of the 0x5A answer) the model is known to report; 0 ends the list.
  // Ids are documented for few firmwares, so an id outside the set is only a warning, unless it
  // is one another model with a different number of relays reports.
  std::array<std::uint8_t, 2> module_ids;
  serial::Framing framing;
};

std::span<const DevantechModel> models();

bool reports_module_id(const DevantechModel& model, std::uint8_t module_id);
// "8", "9 or 15"
std::string module_id_list(const DevantechModel& model);

// What the module id read at open says about the fixture's model.
enum class ModuleIdVerdict {
  expected,    // one the model reports
  unexpected,  // unknown, or one of a model with the same relays: warn and carry on
  other_model  // one only models with another number of relays report: a rig fault
};
ModuleIdVerdict judge_module_id(const DevantechModel& model, std::uint8_t module_id);

inline constexpr std::uint8_t kGetVersion = 0x5A;
inline constexpr std::uint8_t kGetStates = 0x5B;
inline constexpr std::uint8_t kFirstOn = 0x65;
inline constexpr std::uint8_t kFirstOff = 0x6F;

struct Version {
  std::uint8_t module_id = 0;
  std::uint8_t firmware = 0;
};

// Channel is 1-based; throws std::invalid_argument outside the model's relays.
std::uint8_t encode_switch(const DevantechModel& model, int channel, bool energized);
// Throws serial::ProtocolError unless exactly two bytes.
Version decode_version(std::span<const std::uint8_t> reply);
// The first model that reports a module id, or nullptr.
const DevantechModel* model_for_module_id(std::uint8_t module_id);
bool relay_state(std::uint8_t mask, int channel);

}  // namespace lockrig::drivers::devantech
