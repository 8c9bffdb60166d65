// Factories for the simulated parts (internal to drivers/sim).
#pragma once

#include <memory>

#include "drivers/registry.hpp"

namespace lockrig::drivers::sim {

std::unique_ptr<LockLink> make_sim_lock(const LockSpec& spec, const DriverContext& ctx);
std::unique_ptr<SwitchBoard> make_sim_switch(const SwitchBoardSpec& spec, const DriverContext& ctx);
std::unique_ptr<PowerSupply> make_sim_supply(const SupplySpec& spec, const DriverContext& ctx);
void validate_sim_switch(const SwitchBoardSpec& spec);
void validate_sim_supply(const SupplySpec& spec);
std::unique_ptr<Attenuator> make_sim_attenuator(const AttenuatorSpec& spec, const DriverContext& ctx);
void validate_sim_attenuator(const AttenuatorSpec& spec);

}  // namespace lockrig::drivers::sim
