#pragma once

#include <stdexcept>
#include <string>

namespace lockrig::drivers {

// The rig's own hardware or software stack failed (relay board silent, BLE adapter gone, bus
// down). Drivers throw it; the runner records it, excludes it from every SLI and applies the
// fixture's rig-fault policy. It never becomes a lock outcome.
class RigFault : public std::runtime_error {
 public:
  RigFault(std::string component, std::string message)
      : std::runtime_error(component + ": " + message),
        component_(std::move(component)),
        message_(std::move(message)) {}
  const std::string& component() const { return component_; }
  // What went wrong, without the component (what() is "component: message").
  const std::string& message() const { return message_; }

 private:
  std::string component_;
  std::string message_;
};

}  // namespace lockrig::drivers
