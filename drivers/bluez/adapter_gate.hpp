// Adapters as shared resources (issue 12, item 3). BlueZ runs one discovery procedure per adapter
// for all its clients (src/adapter.c:2474-2537: sessions per sender, one procedure), keeps RSSI
// while any client discovers, and the host suspends scanning while it makes a connection; a
// controller has only a few connection slots (bleak-retry-connector src/bleak_retry_connector/
// bluez.py, the slot manager). So the links of one process that share an adapter take turns:
// one of them at a time discovers and connects (the "radio"), and at most `max_connections` of
// them hold a connection.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>

namespace lockrig::drivers::bluez {

class AdapterGate {
 public:
  using Time = std::chrono::steady_clock::time_point;

  // One gate per adapter key (the adapter's object path), for the life of the process.
  static std::shared_ptr<AdapterGate> for_adapter(const std::string& key);

  // The discover + connect turn. False if another link kept it past the deadline.
  bool take_radio(Time deadline);
  void give_radio();

  // A connection slot; max 0 = unlimited. False if none was free before the deadline.
  bool take_slot(int max, Time deadline);
  void give_slot();

  // For tests and diagnostics.
  std::size_t connections() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool radio_busy_ = false;
  std::size_t connected_ = 0;
};

}  // namespace lockrig::drivers::bluez
