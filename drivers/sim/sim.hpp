// The simulated world, registered as driver `sim` for locks, switch boards and supplies.
// Simulated locks read the bench's physical state (battery relay, RF shield, supply voltage)
// through BenchView, so a scenario that cuts power really makes a simulated lock unreachable,
// whether the relay is simulated or a real/emulated board. Randomness is seeded per lock from
// the run seed, so the same seed gives the same journal.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "drivers/registry.hpp"

namespace lockrig::drivers::sim {

// xoshiro256** seeded through splitmix64: small, fast, and identical on every platform
// (std:: distributions are not specified bit-for-bit, which would break seed reproducibility).
class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  std::uint64_t next();
  double uniform();  // [0, 1)
  double normal();   // standard normal (Box–Muller)
  double lognormal(double median, double sigma) { return median * std::exp(sigma * normal()); }

 private:
  std::uint64_t s_[4];
};

std::uint64_t stable_hash(std::string_view text);  // FNV-1a 64

// Behaviour of one simulated lock, resolved from its settings, the fixture's `drivers: {sim:}`
// block (firmware and material tables) and defaults. Documented in README.md.
struct LockModel {
  std::string firmware = "1.0.0";
  std::string hardware_model = "SimLock";
  std::string manufacturer = "lockrig sim";
  // Radio: RSSI = tx - path_loss - material_loss - shield_loss + N(0, rssi_sigma)
  double tx_dbm = -40;
  double path_loss_db = 20;
  double material_loss_db = 0;
  double shield_loss_db = 60;
  double rssi_sigma_db = 3;
  double sensitivity_dbm = -92;
  double link_fade_db = 5;  // link-failure odds grow e-fold per this many dB of lost margin
  // Timing
  double connect_ms = 350;  // median, lognormal
  double command_ms = 90;   // radio round trip, median, lognormal
  double motor_ms = 450;    // mean bolt travel, normal ±15%
  double slow_motor = 1.0;  // fault knob: motor time multiplier
  double scan_timeout_ms = 4000;
  double adv_interval_ms = 300;
  // Fault knobs (probabilities per attempt)
  double drop_rate = 0.002;           // command lost: no confirmation
  double disconnect_rate = 0.001;     // link drops mid-command
  double reject_rate = 0.0005;        // lock refuses
  double protocol_error_rate = 0.0002;
  double adapter_fault_rate = 0;      // the rig's BLE adapter fails (rig fault)
  // Per fresh connection: the bolt jams and every unlock is rejected until the link is dropped.
  // Under the per_session connection policy a jam fails the whole session whatever the retries,
  // so this sets the session-level failure rate directly (calibration of --until-decided).
  double jam_rate = 0;
  // Power
  double brownout_volts = 2.2;  // below: the lock is off
  double weak_volts = 2.7;      // below: motor struggles
  double weak_stall_rate = 0.05;
  // Test knob: "scenario#repetition" -- the controller process aborts (SIGABRT) when it
  // starts that plan item on this lock, to test crash-safe resume and the quarantine of an item
  // that keeps crashing the controller. Only the sim driver has it.
  std::string crash_controller_on;
};

// Throws ConfigError on bad settings. `build`: the build selected for the lock (the simulated
// flash of `lockrig run --until-decided`, handed over in DriverContext::builds, which makes the
// sim lock driver `selects_build`): the lock reports it as its firmware and behaves per its
// firmware profile, in place of its `firmware` setting.
LockModel resolve_lock_model(const LockSpec& spec,
                             const std::optional<std::string>& build = std::nullopt);

void register_sim_drivers(DriverRegistry& registry);

}  // namespace lockrig::drivers::sim
