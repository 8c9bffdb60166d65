// Devantech USB-RLY wire protocol (see devantech_protocol.hpp).
#include "drivers/devantech/devantech_protocol.hpp"

#include <stdexcept>
#include <string>

#include "drivers/serial/bytes.hpp"
#include "drivers/serial/protocol_error.hpp"

namespace lockrig::drivers::devantech {

namespace {

// The CDC-ACM modules ignore line settings; the FTDI-based USB-RLY16 wants 19200 8N2, which is
// harmless for the others.
constexpr serial::Framing k19200n2{19200, 8, serial::Parity::none, 2};

// Module ids: 8 for the RLY08 is reported by several sources; q-depot/Cinder-USBRelay 78c15fe
// src/USBRelay.h:12,17 quotes the USB-RLY16L documentation: "the Module ID which is 9". 10 for
// the RLY02 and 15 for the RLY16L come from lockrig's first table with no source found; 15 is
// kept beside 9 so neither reading refuses a board.
constexpr DevantechModel kModels[] = {
    {"usb-rly02", "Devantech USB-RLY02", 2, {10, 0}, k19200n2},
    {"usb-rly08", "Devantech USB-RLY08", 8, {8, 0}, k19200n2},
    {"usb-rly16", "Devantech USB-RLY16", 8, {9, 0}, k19200n2},
    {"usb-rly16l", "Devantech USB-RLY16L", 8, {9, 15}, k19200n2},
};

}  // namespace

std::span<const DevantechModel> models() {
  return kModels;
}

std::uint8_t encode_switch(const DevantechModel& model, int channel, bool energized) {
  if (channel < 1 || channel > model.channels)
    throw std::invalid_argument("Devantech channel out of range: " + std::to_string(channel));
  return static_cast<std::uint8_t>((energized ? kFirstOn : kFirstOff) + channel - 1);
}

Version decode_version(std::span<const std::uint8_t> reply) {
  if (reply.size() != 2)
    throw serial::ProtocolError("version answer " + serial::to_hex(reply) + " should be 2 bytes");
  return {reply[0], reply[1]};
}

bool reports_module_id(const DevantechModel& model, std::uint8_t module_id) {
  for (std::uint8_t id : model.module_ids)
    if (id != 0 && id == module_id) return true;
  return false;
}

std::string module_id_list(const DevantechModel& model) {
  std::string out;
  for (std::uint8_t id : model.module_ids)
    if (id != 0) out += (out.empty() ? "" : " or ") + std::to_string(id);
  return out;
}

ModuleIdVerdict judge_module_id(const DevantechModel& model, std::uint8_t module_id) {
  if (reports_module_id(model, module_id)) return ModuleIdVerdict::expected;
  for (const auto& m : kModels)
    if (m.channels != model.channels && reports_module_id(m, module_id))
      return ModuleIdVerdict::other_model;
  return ModuleIdVerdict::unexpected;
}

const DevantechModel* model_for_module_id(std::uint8_t module_id) {
  for (const auto& m : kModels)
    if (reports_module_id(m, module_id)) return &m;
  return nullptr;
}

bool relay_state(std::uint8_t mask, int channel) {
  return (mask >> (channel - 1)) & 1u;
}

}  // namespace lockrig::drivers::devantech
