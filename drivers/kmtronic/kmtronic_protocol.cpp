// KMTronic wire protocol (see kmtronic_protocol.hpp).
#include "drivers/kmtronic/kmtronic_protocol.hpp"

#include <stdexcept>
#include <string>

#include "drivers/serial/bytes.hpp"
#include "drivers/serial/protocol_error.hpp"

namespace lockrig::drivers::kmtronic {

namespace {

constexpr serial::Framing k9600{9600, 8, serial::Parity::none, 1};

constexpr Duration kSettle = std::chrono::milliseconds(100);  // KMTronicLibrary.py:78

constexpr KmtronicModel kModels[] = {
    {"kmtronic-1", "KMTronic USB one-relay board", 1, StatusRequest::per_relay, kSettle, 2, k9600},
    {"kmtronic-2", "KMTronic USB two-relay board", 2, StatusRequest::per_relay, kSettle, 2, k9600},
    {"kmtronic-4", "KMTronic USB four-relay board", 4, StatusRequest::whole_board, kSettle, 2,
     k9600},
    {"kmtronic-8", "KMTronic USB eight-relay board", 8, StatusRequest::whole_board, kSettle, 2,
     k9600},
};

constexpr std::uint8_t kOff = 0x00;
constexpr std::uint8_t kOn = 0x01;
constexpr std::uint8_t kQuery = 0x03;
constexpr std::uint8_t kBoardStatus = 0x09;

void require_channel(const KmtronicModel& model, int channel) {
  if (channel < 1 || channel > model.channels)
    throw std::invalid_argument("KMTronic channel out of range: " + std::to_string(channel));
}

bool state_byte(std::uint8_t b, std::span<const std::uint8_t> reply) {
  if (b == kOn) return true;
  if (b == kOff) return false;
  throw serial::ProtocolError("relay state byte is neither 00 nor 01 in " + serial::to_hex(reply));
}

}  // namespace

std::span<const KmtronicModel> models() {
  return kModels;
}

Frame encode_switch(const KmtronicModel& model, int channel, bool energized) {
  require_channel(model, channel);
  return {kStart, static_cast<std::uint8_t>(channel), energized ? kOn : kOff};
}

Frame encode_status_request(const KmtronicModel& model, int channel) {
  require_channel(model, channel);
  if (model.status == StatusRequest::whole_board) return {kStart, kBoardStatus, kOff};
  return {kStart, static_cast<std::uint8_t>(channel), kQuery};
}

std::size_t status_reply_size(const KmtronicModel& model) {
  return model.status == StatusRequest::whole_board ? static_cast<std::size_t>(model.channels) : 3;
}

bool decode_status(const KmtronicModel& model, int channel, std::span<const std::uint8_t> reply) {
  require_channel(model, channel);
  if (reply.size() != status_reply_size(model))
    throw serial::ProtocolError("status reply " + serial::to_hex(reply) + " should be " +
                                std::to_string(status_reply_size(model)) + " bytes");
  if (model.status == StatusRequest::whole_board) {
    // Every byte must be a state, or the reply is not the board's.
    for (std::uint8_t b : reply) state_byte(b, reply);
    return state_byte(reply[static_cast<std::size_t>(channel - 1)], reply);
  }
  if (reply[0] != kStart || reply[1] != channel)
    throw serial::ProtocolError("status reply " + serial::to_hex(reply) + " is not FF " +
                                serial::to_hex(std::array{static_cast<std::uint8_t>(channel)}) +
                                " xx");
  return state_byte(reply[2], reply);
}

}  // namespace lockrig::drivers::kmtronic
