#include "drivers/bluez/adapter_gate.hpp"

#include <map>

namespace lockrig::drivers::bluez {

std::shared_ptr<AdapterGate> AdapterGate::for_adapter(const std::string& key) {
  static std::mutex registry_mu;
  static std::map<std::string, std::shared_ptr<AdapterGate>> registry;
  std::lock_guard<std::mutex> lock(registry_mu);
  auto& gate = registry[key];
  if (!gate) gate = std::make_shared<AdapterGate>();
  return gate;
}

bool AdapterGate::take_radio(Time deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_until(lock, deadline, [this] { return !radio_busy_; })) return false;
  radio_busy_ = true;
  return true;
}

void AdapterGate::give_radio() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    radio_busy_ = false;
  }
  cv_.notify_all();
}

bool AdapterGate::take_slot(int max, Time deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  if (max > 0 && !cv_.wait_until(lock, deadline, [this, max] {
        return connected_ < static_cast<std::size_t>(max);
      }))
    return false;
  ++connected_;
  return true;
}

void AdapterGate::give_slot() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (connected_ > 0) --connected_;
  }
  cv_.notify_all();
}

std::size_t AdapterGate::connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connected_;
}

}  // namespace lockrig::drivers::bluez
