// The simulated RF attenuator (issue 14). The simulated locks do not read it directly: the bench
// records what it set and the locks' link budget subtracts it (BenchView::attenuation_db), so a
// real attenuator in front of simulated locks would act the same way.
#include <atomic>
#include <cmath>

#include "drivers/rig_fault.hpp"
#include "drivers/sim/sim_parts.hpp"
#include "rig/base/text.hpp"

namespace lockrig::drivers::sim {

namespace {

// Fault knobs: `stop_answering_after` (commands, like the relay board) and `readback_offset_db`
// (the device reports a level off by this much, as a stuck step or a second controller would).
class SimAttenuator final : public Attenuator {
 public:
  SimAttenuator(std::string id, AttenuatorLimits limits, long long stop_after, double offset)
      : id_(std::move(id)), limits_(limits), stop_after_(stop_after), offset_(offset) {}

  AttenuatorLimits limits() const override { return limits_; }

  void set_db(double db) override {
    answer();
    db_ = db;
  }

  std::optional<double> read_db() override {
    answer();
    return db_ + offset_;
  }

 private:
  void answer() {
    if (stop_after_ >= 0 && commands_++ >= stop_after_)
      throw RigFault("attenuator " + id_, "no reply within 500ms (simulated: stopped answering)");
  }
  std::string id_;
  AttenuatorLimits limits_;
  long long stop_after_;
  double offset_;
  std::atomic<long long> commands_{0};
  double db_ = 0;
};

AttenuatorLimits sim_limits(const AttenuatorSpec& spec) {
  // A 0-120 dB, 0.25 dB step part (the range of the common programmable attenuators).
  return {spec.settings.get_double_in("device_min_db", 0, 0, 200),
          spec.settings.get_double_in("device_max_db", 120, 0, 200),
          spec.settings.get_double_in("device_step_db", 0.25, 0.01, 100)};
}

}  // namespace

void validate_sim_attenuator(const AttenuatorSpec& spec) {
  spec.settings.require_known_keys({"device_min_db", "device_max_db", "device_step_db",
                                    "stop_answering_after", "readback_offset_db"},
                                   "sim attenuator settings");
  const AttenuatorLimits lim = sim_limits(spec);
  if (spec.min_db < lim.min_db || spec.max_db > lim.max_db)
    throw ConfigError(spec.where, "attenuator " + quote(spec.id) + " range " +
                                      format_number(spec.min_db) + "dB.." +
                                      format_number(spec.max_db) + "dB exceeds the device's " +
                                      format_number(lim.min_db) + "dB.." +
                                      format_number(lim.max_db) + "dB");
  (void)spec.settings.get_double_in("readback_offset_db", 0, -200, 200);
}

std::unique_ptr<Attenuator> make_sim_attenuator(const AttenuatorSpec& spec, const DriverContext&) {
  validate_sim_attenuator(spec);
  return std::make_unique<SimAttenuator>(spec.id, sim_limits(spec),
                                         spec.settings.get_int("stop_answering_after", -1),
                                         spec.settings.get_double_in("readback_offset_db", 0, -200, 200));
}

}  // namespace lockrig::drivers::sim
