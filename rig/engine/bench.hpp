// The bench: the rig's relay boards and supplies, addressed by purpose. Maps a lock's named
// channel (`battery`, `rf_shield`) onto a board channel (with inversion), enforces supply limits,
// tracks what was commanded (the BenchView the simulated world reads) and puts everything back
// into its declared safe state.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "drivers/bench_view.hpp"
#include "drivers/registry.hpp"
#include "rig/engine/fixture.hpp"
#include "rig/journal/events.hpp"

namespace lockrig {

// One line of the event log produced by a bench action.
struct BenchEvent {
  EventKind kind;      // set_switch, set_supply or safe_state
  std::string target;  // "relays/ch1 battery", "psu/out1 vbat"
  std::string value;   // "on", "2.40V 0.50A output on"
  std::string detail;  // measured values, errors while restoring
};

class Bench final : public drivers::BenchView {
 public:
  // Opens every board and supply through the registry. Throws RigFault if hardware is missing.
  // If opening fails part-way, the boards and supplies already opened are put into their safe
  // state before the error goes up, and its message says which were (and which could not be).
  Bench(const Fixture& fixture, const drivers::DriverRegistry& registry, Clock& clock,
        std::uint64_t seed);
  ~Bench() override;

  // Sets the channel named `name` acting on `lock_id`. Throws RigFault from the board.
  BenchEvent set_channel(const std::string& lock_id, const std::string& name, bool on);
  // Changes the supply named `name` feeding `lock_id`; limits are checked before anything is sent.
  BenchEvent set_supply(const std::string& lock_id, const std::string& name,
                        std::optional<double> volts, std::optional<double> amps,
                        std::optional<bool> output);
  // Sets the attenuator named `name` in front of `lock_id` to `db` (issue 14). The level must be
  // in the fixture's range and on its step (ConfigError otherwise, nothing sent); a read-back
  // that differs from the level set is a RigFault naming the part.
  BenchEvent set_attenuation(const std::string& lock_id, const std::string& name, double db);
  // The safe level of that attenuator (a sweep returns to it when it ends).
  double safe_attenuation(const std::string& lock_id, const std::string& name) const;
  // Every channel to its safe state, every supply to nominal with output on, every attenuator to
  // its safe level. Keeps going past
  // failures (each reported in its event) so one dead board does not leave the others unsafe.
  std::vector<BenchEvent> restore_safe_state();
  // The same for the channels and supplies wired to any of `lock_ids` only (a quarantined
  // group's hardware). Does not change safe(): the rest of the bench is untouched.
  std::vector<BenchEvent> restore_safe_state_of(const std::vector<std::string>& lock_ids);
  // True once a restore has been attempted and every part answered.
  bool safe() const;

  std::optional<bool> channel_state(std::string_view lock_id, std::string_view name) const override;
  std::optional<drivers::SupplyReading> supply_state(std::string_view lock_id) const override;
  std::optional<double> attenuation_db(std::string_view lock_id) const override;

 private:
  struct Channel {
    const drivers::ChannelSpec* spec;
    std::size_t board;
    std::optional<bool> logical;  // last commanded, nullopt before the first command
  };
  struct Board {
    const drivers::SwitchBoardSpec* spec;
    std::unique_ptr<drivers::SwitchBoard> driver;
    std::mutex io;  // one command at a time on a board, whichever worker sends it
  };
  struct Supply {
    const drivers::SupplySpec* spec;
    std::unique_ptr<drivers::PowerSupply> driver;
    std::mutex io;
    drivers::SupplyReading commanded;
  };

  struct Atten {
    const drivers::AttenuatorSpec* spec;
    std::unique_ptr<drivers::Attenuator> driver;
    std::mutex io;
    double tolerance_db = 0;  // read-back may differ by this much (half the device's step)
    double commanded_db = 0;  // starts at the safe level: what the bench assumes before a command
  };

  BenchEvent switch_channel(Channel& ch, bool on);
  BenchEvent apply_attenuation(Atten& a, double db);
  // Restores the channels and supplies `wanted` accepts; false if any of them failed.
  template <typename Pred>
  bool restore(Pred wanted, std::vector<BenchEvent>& events);
  // Called when opening failed part-way: makes the parts opened so far safe, and says so.
  std::string make_opened_parts_safe();

  std::vector<std::unique_ptr<Board>> boards_;
  std::vector<Channel> channels_;
  std::vector<std::unique_ptr<Supply>> supplies_;
  std::map<std::string, std::size_t, std::less<>> channel_index_;  // "lock\0name" → channels_
  std::map<std::string, std::size_t, std::less<>> supply_by_lock_;
  std::vector<std::unique_ptr<Atten>> attenuators_;
  mutable std::mutex state_;
  bool safe_ = false;
};

}  // namespace lockrig
