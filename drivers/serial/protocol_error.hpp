// Thrown by the pure protocol parts when bytes from a device do not parse. The driver part turns
// it into a rig fault naming the port, since a garbled reply means the rig's hardware misbehaved.
#pragma once

#include <stdexcept>

namespace lockrig::drivers::serial {

class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace lockrig::drivers::serial
