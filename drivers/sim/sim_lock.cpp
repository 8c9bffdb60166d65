#include <sys/resource.h>

#include <cstdlib>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "drivers/rig_fault.hpp"
#include "drivers/sim/sim.hpp"
#include "drivers/sim/sim_parts.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::sim {

Rng::Rng(std::uint64_t seed) {
  for (auto& s : s_) {  // splitmix64
    seed += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    s = z ^ (z >> 31);
  }
}

std::uint64_t Rng::next() {
  auto rotl = [](std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  double u1 = uniform();
  while (u1 <= 0) u1 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * uniform());
}

std::uint64_t stable_hash(std::string_view text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
  return h;
}

namespace {

// Radio loss through each door material, dB; the fixture's `drivers: {sim: {materials:}}` overrides.
double default_material_loss(const std::string& material) {
  static const std::pair<const char*, double> table[] = {
      {"wood", 3},        {"pvc", 3},       {"fiberglass", 4}, {"glass", 5},
      {"composite", 6},   {"stone", 10},    {"aluminium", 12}, {"steel", 17}};
  for (const auto& [name, loss] : table)
    if (material == name) return loss;
  return 6;
}

const std::initializer_list<const char*> kKnobKeys = {
    "tx_dbm", "path_loss_db", "shield_loss_db", "rssi_sigma_db", "sensitivity_dbm", "link_fade_db",
    "connect_ms", "command_ms", "motor_ms", "slow_motor", "scan_timeout_ms", "adv_interval_ms",
    "drop_rate", "disconnect_rate", "reject_rate", "protocol_error_rate", "adapter_fault_rate",
    "brownout_volts", "weak_volts", "weak_stall_rate", "jam_rate"};

void apply_knobs(LockModel& m, const Settings& s) {
  auto prob = [&](const char* k, double& v) { v = s.get_double_in(k, v, 0, 1); };
  auto pos = [&](const char* k, double& v) { v = s.get_double_in(k, v, 0, 1e7); };
  m.tx_dbm = s.get_double_in("tx_dbm", m.tx_dbm, -120, 20);
  pos("path_loss_db", m.path_loss_db);
  pos("shield_loss_db", m.shield_loss_db);
  pos("rssi_sigma_db", m.rssi_sigma_db);
  m.sensitivity_dbm = s.get_double_in("sensitivity_dbm", m.sensitivity_dbm, -130, 0);
  m.link_fade_db = s.get_double_in("link_fade_db", m.link_fade_db, 0.1, 100);
  pos("connect_ms", m.connect_ms);
  pos("command_ms", m.command_ms);
  pos("motor_ms", m.motor_ms);
  m.slow_motor = s.get_double_in("slow_motor", m.slow_motor, 0.1, 100);
  pos("scan_timeout_ms", m.scan_timeout_ms);
  pos("adv_interval_ms", m.adv_interval_ms);
  prob("drop_rate", m.drop_rate);
  prob("disconnect_rate", m.disconnect_rate);
  prob("reject_rate", m.reject_rate);
  prob("protocol_error_rate", m.protocol_error_rate);
  prob("adapter_fault_rate", m.adapter_fault_rate);
  prob("jam_rate", m.jam_rate);
  pos("brownout_volts", m.brownout_volts);
  pos("weak_volts", m.weak_volts);
  prob("weak_stall_rate", m.weak_stall_rate);
}

std::vector<std::string> keys_of(const Settings& s) {
  std::vector<std::string> k;
  if (s.node().IsMap())
    for (const auto& kv : s.node()) k.push_back(kv.first.Scalar());
  return k;
}

}  // namespace

LockModel resolve_lock_model(const LockSpec& spec, const std::optional<std::string>& build) {
  LockModel m;
  m.hardware_model = spec.model.empty() ? m.hardware_model : spec.model;
  m.material_loss_db = default_material_loss(spec.material);

  // Fixture-wide: default knobs, then the material table, then the firmware build's profile.
  std::vector<const char*> shared_keys(kKnobKeys);
  shared_keys.push_back("materials");
  shared_keys.push_back("firmware_profiles");
  if (!spec.shared.empty()) {
    std::vector<std::string> allowed(shared_keys.begin(), shared_keys.end());
    for (const auto& k : keys_of(spec.shared))
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
        throw ConfigError(spec.shared.where(k), "unknown key " + quote(k) + " in drivers.sim" +
                                                    did_you_mean(k, allowed));
    apply_knobs(m, spec.shared);
    Settings mats = spec.shared.child("materials");
    if (!mats.empty()) {
      Settings mine = mats.child(spec.material);
      if (!mine.empty()) {
        mine.require_known_keys({"loss_db"}, "drivers.sim.materials." + spec.material);
        m.material_loss_db = mine.get_double_in("loss_db", m.material_loss_db, 0, 200);
      }
    }
  }

  spec.settings.require_known_keys(
      {"firmware", "manufacturer", "tx_dbm", "path_loss_db", "shield_loss_db", "rssi_sigma_db",
       "sensitivity_dbm", "link_fade_db", "connect_ms", "command_ms", "motor_ms", "slow_motor",
       "scan_timeout_ms", "adv_interval_ms", "drop_rate", "disconnect_rate", "reject_rate",
       "protocol_error_rate", "adapter_fault_rate", "brownout_volts", "weak_volts",
       "weak_stall_rate", "crash_controller_on", "jam_rate"},
      "sim lock settings");
  m.firmware = spec.settings.get_string("firmware", m.firmware);
  if (build) m.firmware = *build;
  m.crash_controller_on = spec.settings.get_string("crash_controller_on", "");
  if (!m.crash_controller_on.empty()) {
    const auto hash = m.crash_controller_on.find('#');
    const std::string rep = hash == std::string::npos ? "" : m.crash_controller_on.substr(hash + 1);
    if (hash == 0 || rep.empty() || rep.find_first_not_of("0123456789") != std::string::npos)
      throw ConfigError(
          spec.settings.where("crash_controller_on"),
          "crash_controller_on wants \"scenario#repetition\" (e.g. \"daily-unlock#3\"), got " +
              quote(m.crash_controller_on));
  }
  m.manufacturer = spec.settings.get_string("manufacturer", m.manufacturer);
  Settings profiles = spec.shared.child("firmware_profiles");
  if (!profiles.empty()) {
    Settings fw = profiles.child(m.firmware);
    if (!fw.empty()) {
      std::vector<std::string> allowed(kKnobKeys.begin(), kKnobKeys.end());
      for (const auto& k : keys_of(fw))
        if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
          throw ConfigError(fw.where(k), "unknown key " + quote(k) + " in firmware profile " +
                                             quote(m.firmware) + did_you_mean(k, allowed));
      apply_knobs(m, fw);
    }
  }
  apply_knobs(m, spec.settings);  // the lock's own knobs win
  if (m.weak_volts < m.brownout_volts)
    throw ConfigError(spec.settings.where(), "weak_volts must not be below brownout_volts");
  return m;
}

namespace {

// The test knob: the controller dies as a crashing driver would make it (SIGABRT), without
// leaving a core file behind in the test's directory.
[[noreturn]] void crash_controller() {
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  std::abort();
}

class SimLock final : public LockLink {
 public:
  SimLock(const LockSpec& spec, const DriverContext& ctx)
      : id_(spec.id),
        model_(resolve_lock_model(spec, ctx.builds ? ctx.builds->build_of(spec.id) : std::nullopt)),
        clock_(ctx.clock),
        bench_(ctx.bench),
        seed_(ctx.seed),
        rng_(ctx.seed ^ stable_hash(spec.id)) {}

  // Each plan item gets its own stream, derived from (seed, lock, scenario, repetition) and not
  // from a position in one long per-lock stream, so a resumed run reproduces an uninterrupted one.
  void begin_item(std::string_view scenario, int repetition) override {
    if (!model_.crash_controller_on.empty() &&
        model_.crash_controller_on == std::string(scenario) + "#" + std::to_string(repetition))
      crash_controller();
    const std::uint64_t item =
        stable_hash(scenario) * 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(repetition);
    rng_ = Rng(seed_ ^ stable_hash(id_) ^ (item * 0xbf58476d1ce4e5b9ULL));
  }

  ConnectResult connect(Duration timeout) override {
    ConnectResult r;
    if (model_.adapter_fault_rate > 0 && rng_.uniform() < model_.adapter_fault_rate) {
      spend(std::min(timeout, from_ms(25)));
      throw RigFault("BLE adapter (sim)", "adapter stopped responding during connect");
    }
    const Radio radio = sense();
    r.rssi_dbm = radio.visible ? std::optional<int>(radio.rssi) : std::nullopt;
    if (!radio.visible) {
      r.outcome = LockOutcome::not_found;
      r.elapsed = spend(std::min(timeout, from_ms(model_.scan_timeout_ms)));
      r.detail = radio.why;
      return r;
    }
    double ms = rng_.uniform() * model_.adv_interval_ms + rng_.lognormal(model_.connect_ms, 0.35);
    if (rng_.uniform() < 0.5 * radio.link_failure) {
      r.outcome = LockOutcome::timeout;
      r.elapsed = spend(std::min(timeout, from_ms(3 * model_.connect_ms)));
      r.detail = "connection attempt failed to complete (weak link)";
      return r;
    }
    if (from_ms(ms) > timeout) {
      r.outcome = LockOutcome::timeout;
      r.elapsed = spend(timeout);
      r.detail = "connection not established before the deadline";
      return r;
    }
    r.elapsed = spend(from_ms(ms));
    connected_ = true;
    // Drawn only when the knob is set, so other fixtures keep their random streams.
    jammed_ = model_.jam_rate > 0 && rng_.uniform() < model_.jam_rate;
    return r;
  }

  bool connected() const override { return connected_; }

  UnlockResult unlock(Duration timeout) override {
    UnlockResult r;
    const Radio radio = sense();
    r.rssi_dbm = radio.visible ? std::optional<int>(radio.rssi) : std::nullopt;
    if (!radio.powered || !radio.visible) {
      // BLE supervision timeout: the central notices the link is gone only after a while.
      connected_ = false;
      r.outcome = LockOutcome::disconnected;
      r.latency = spend(std::min(timeout, from_ms(2000)));
      r.detail = radio.why + "; link supervision timeout";
      return r;
    }
    const double command = rng_.lognormal(model_.command_ms, 0.4);
    if (jammed_) {
      r.outcome = LockOutcome::rejected;
      r.latency = spend(std::min(timeout, from_ms(command)));
      r.detail = "bolt jammed (sim jam_rate): rejected until the link is dropped";
      return r;
    }
    const double motor = std::max(0.0, model_.motor_ms * model_.slow_motor *
                                           (radio.weak ? 1.5 : 1.0) * (1 + 0.15 * rng_.normal()));
    const double p_disconnect = model_.disconnect_rate + 0.3 * radio.link_failure;
    const double p_drop = model_.drop_rate + 0.7 * radio.link_failure;
    const double p_reject = model_.reject_rate + (radio.weak ? model_.weak_stall_rate : 0);
    double u = rng_.uniform();
    if ((u -= p_disconnect) < 0) {
      connected_ = false;
      r.outcome = LockOutcome::disconnected;
      r.latency = spend(std::min(timeout, from_ms(rng_.uniform() * (command + motor))));
      r.detail = "link lost mid-command";
    } else if ((u -= p_drop) < 0) {
      r.outcome = LockOutcome::timeout;
      r.latency = spend(timeout);
      r.detail = "no confirmation (command or notification lost)";
    } else if ((u -= p_reject) < 0) {
      r.outcome = LockOutcome::rejected;
      r.latency = spend(std::min(timeout, from_ms(command + (radio.weak ? motor : 0))));
      r.detail = radio.weak ? "motor stalled at low supply voltage" : "lock refused the command";
    } else if ((u -= model_.protocol_error_rate) < 0) {
      r.outcome = LockOutcome::protocol_error;
      r.latency = spend(std::min(timeout, from_ms(command)));
      r.detail = "status frame did not match the profile";
    } else if (from_ms(command + motor) > timeout) {
      r.outcome = LockOutcome::timeout;
      r.latency = spend(timeout);
      r.detail = "confirmation would arrive after the deadline";
    } else {
      r.outcome = LockOutcome::success;
      r.latency = spend(from_ms(command + motor));
    }
    return r;
  }

  void disconnect() override {
    connected_ = false;
    jammed_ = false;
  }

  std::optional<LockIdentity> identity(Duration timeout) override {
    const Radio radio = sense();
    if (!radio.visible) {
      spend(std::min(timeout, from_ms(model_.scan_timeout_ms)));
      return std::nullopt;
    }
    spend(std::min(timeout, from_ms(model_.connect_ms)));
    return LockIdentity{model_.firmware, model_.hardware_model, model_.manufacturer, ""};
  }

  bool advertising(Duration window) override {
    const Radio radio = sense();
    if (!radio.visible) {
      spend(window);
      return false;
    }
    spend(std::min(window, from_ms(rng_.uniform() * model_.adv_interval_ms)));
    return true;
  }

 private:
  struct Radio {
    bool powered = true;
    bool weak = false;
    bool visible = true;
    int rssi = 0;
    double link_failure = 0;
    std::string why;
  };

  // The lock's physical situation right now, from the bench's relays and supply.
  Radio sense() {
    Radio r;
    const bool battery = bench_->channel_state(id_, "battery").value_or(true);
    const bool shielded = bench_->channel_state(id_, "rf_shield").value_or(false);
    if (auto s = bench_->supply_state(id_)) {
      r.powered = s->output_on && s->volts >= model_.brownout_volts;
      r.weak = s->volts < model_.weak_volts;
    }
    r.powered = r.powered && battery;
    // An RF attenuator in front of the lock (issue 14) adds its loss to the path.
    const double attenuation = bench_->attenuation_db(id_).value_or(0.0);
    const double mean = model_.tx_dbm - model_.path_loss_db - model_.material_loss_db -
                        (shielded ? model_.shield_loss_db : 0) - attenuation;
    const double rssi = mean + model_.rssi_sigma_db * rng_.normal();
    r.rssi = static_cast<int>(std::lround(rssi));
    const double margin = rssi - model_.sensitivity_dbm;
    r.visible = r.powered && margin >= 0;
    r.link_failure = std::min(1.0, 0.5 * std::exp(-std::max(0.0, margin) / model_.link_fade_db));
    if (!r.powered) {
      r.why = battery ? "not advertising (supply below brown-out or output off)"
                      : "not advertising (battery disconnected)";
    } else if (!r.visible) {
      char buf[128];
      std::snprintf(buf, sizeof buf, "not found: RSSI %d dBm below sensitivity%s%s", r.rssi,
                    shielded ? " (RF shield closed)" : "",
                    attenuation > 0 ? " (RF attenuator in the path)" : "");
      r.why = buf;
    }
    return r;
  }

  Duration spend(Duration d) {
    clock_.sleep_for(d);
    return d;
  }

  std::string id_;
  LockModel model_;
  Clock& clock_;
  const BenchView* bench_;
  std::uint64_t seed_;
  Rng rng_;
  bool connected_ = false;
  bool jammed_ = false;
};

}  // namespace

std::unique_ptr<LockLink> make_sim_lock(const LockSpec& spec, const DriverContext& ctx) {
  return std::make_unique<SimLock>(spec, ctx);
}

}  // namespace lockrig::drivers::sim
