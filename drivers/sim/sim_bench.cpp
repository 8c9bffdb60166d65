#include <atomic>
#include <vector>

#include "drivers/rig_fault.hpp"
#include "drivers/sim/sim_parts.hpp"

namespace lockrig::drivers::sim {

namespace {

// A relay board that can be told to go silent after N commands, like a CH340 that browned out,
// or to miss one command (the Nth, counted from 1), like a glitch on the line.
class SimSwitch final : public SwitchBoard {
 public:
  SimSwitch(std::string id, int channels, long long stop_after, long long miss)
      : id_(std::move(id)),
        state_(static_cast<std::size_t>(channels), false),
        stop_after_(stop_after),
        miss_(miss) {}

  int channel_count() const override { return static_cast<int>(state_.size()); }

  void set(int channel, bool energized) override {
    answer();
    state_.at(static_cast<std::size_t>(channel - 1)) = energized;
  }

  std::optional<bool> get(int channel) override {
    answer();
    return state_.at(static_cast<std::size_t>(channel - 1));
  }

 private:
  void answer() {
    const long long n = commands_++;
    if (stop_after_ >= 0 && n >= stop_after_)
      throw RigFault("relay board " + id_, "no reply within 500ms (simulated: stopped answering)");
    if (n + 1 == miss_)
      throw RigFault("relay board " + id_, "garbled reply (simulated: missed command " +
                                               std::to_string(miss_) + ")");
  }

  std::string id_;
  std::vector<bool> state_;
  long long stop_after_, miss_;
  std::atomic<long long> commands_{0};
};

class SimSupply final : public PowerSupply {
 public:
  SimSupply(std::string id, long long stop_after) : id_(std::move(id)), stop_after_(stop_after) {}
  void set_voltage(double v) override { answer(), r_.volts = v; }
  void set_current_limit(double a) override { answer(), r_.amps = a; }
  void set_output(bool on) override { answer(), r_.output_on = on; }
  SupplyReading measure() override {
    answer();
    // An idle lock draws a few milliamps; the output reads zero when off.
    return r_.output_on ? SupplyReading{r_.volts, 0.004, true} : SupplyReading{0, 0, false};
  }

 private:
  void answer() {
    if (stop_after_ >= 0 && commands_++ >= stop_after_)
      throw RigFault("supply " + id_, "no reply within 500ms (simulated: stopped answering)");
  }
  std::string id_;
  long long stop_after_;
  std::atomic<long long> commands_{0};
  SupplyReading r_{};
};

}  // namespace

void validate_sim_switch(const SwitchBoardSpec& spec) {
  spec.settings.require_known_keys({"channels", "stop_answering_after", "miss_command"},
                                   "sim switch settings");
  long long n = spec.settings.get_int("channels", 8);
  if (n < 1 || n > 64)
    throw ConfigError(spec.settings.where("channels"), "channels must be between 1 and 64");
  for (const auto& c : spec.channels)
    if (c.channel > n)
      throw ConfigError(c.where, "channel " + std::to_string(c.channel) + " does not exist on " +
                                     std::to_string(n) + "-channel board " + spec.id);
}

void validate_sim_supply(const SupplySpec& spec) {
  spec.settings.require_known_keys({"stop_answering_after"}, "sim supply settings");
}

std::unique_ptr<SwitchBoard> make_sim_switch(const SwitchBoardSpec& spec, const DriverContext&) {
  validate_sim_switch(spec);
  return std::make_unique<SimSwitch>(spec.id, static_cast<int>(spec.settings.get_int("channels", 8)),
                                     spec.settings.get_int("stop_answering_after", -1),
                                     spec.settings.get_int("miss_command", 0));
}

std::unique_ptr<PowerSupply> make_sim_supply(const SupplySpec& spec, const DriverContext&) {
  validate_sim_supply(spec);
  return std::make_unique<SimSupply>(spec.id, spec.settings.get_int("stop_answering_after", -1));
}

}  // namespace lockrig::drivers::sim
