#include "drivers/sim/sim.hpp"
#include "drivers/sim/sim_parts.hpp"

namespace lockrig::drivers::sim {

void register_sim_drivers(DriverRegistry& registry) {
  registry.add(LockDriver{
      {"sim", "simulated lock (door material, firmware, power and RF state, fault knobs)", true,
       [](const LockSpec& spec) { (void)resolve_lock_model(spec); },
       [](const LockSpec& spec, const DriverContext& ctx) { return make_sim_lock(spec, ctx); }},
      /*selects_build=*/true});  // the simulated flash: DriverContext::builds
  registry.add(SwitchDriver{
      "sim", "simulated relay board (fault knob: stop_answering_after)", true,
      [](const SwitchBoardSpec& spec) { validate_sim_switch(spec); },
      [](const SwitchBoardSpec& spec, const DriverContext& ctx) { return make_sim_switch(spec, ctx); }});
  registry.add(SupplyDriver{
      "sim", "simulated bench supply (fault knob: stop_answering_after)", true,
      [](const SupplySpec& spec) { validate_sim_supply(spec); },
      [](const SupplySpec& spec, const DriverContext& ctx) { return make_sim_supply(spec, ctx); }});
  registry.add(AttenuatorDriver{
      "sim", "simulated RF attenuator (fault knobs: stop_answering_after, readback_offset_db)", true,
      [](const AttenuatorSpec& spec) { validate_sim_attenuator(spec); },
      [](const AttenuatorSpec& spec, const DriverContext& ctx) {
        return make_sim_attenuator(spec, ctx);
      }});
}

}  // namespace lockrig::drivers::sim
