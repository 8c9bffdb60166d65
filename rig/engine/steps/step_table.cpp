// The step table: every kind of scenario step, one row each, in the order messages list them
// ("a step must be a mapping with exactly one of: switch, supply, ...").
//
// To add a step kind:
//   1. write rig/engine/steps/<kind>.cpp defining `const StepKind k<Kind>Step` in
//      namespace lockrig::steps, with its parse, describe and execute (wait.cpp is the smallest
//      example; per-kind settings go in Step's fields, see scenario.hpp);
//   2. declare it below and add its row to kTable.
// Nothing else: parsing, describing and running a step all go through this table. (A name in
// Step::Kind is only needed if code outside the step's own file asks about that kind.)
#include "rig/engine/steps/step_kind.hpp"

namespace lockrig {

namespace steps {
extern const StepKind kSwitchStep, kSupplyStep, kWaitStep, kWaitUntilStep, kUnlockStep,
    kDisconnectStep, kAttenuateStep, kSweepStep;
}  // namespace steps

namespace {

const StepKind* const kTable[] = {
    &steps::kSwitchStep,      // switch: a relay channel on or off      (switch.cpp)
    &steps::kSupplyStep,      // supply: volts, amps, output, a ramp    (supply.cpp)
    &steps::kWaitStep,        // wait: a fixed pause                    (wait.cpp)
    &steps::kWaitUntilStep,   // wait_until: the lock (not) advertising (wait_until.cpp)
    &steps::kUnlockStep,      // unlock: one unlock session             (unlock.cpp)
    &steps::kDisconnectStep,  // disconnect: drop the lock's link       (disconnect.cpp)
    &steps::kAttenuateStep,   // attenuate: an RF attenuator's level    (attenuate.cpp)
    &steps::kSweepStep,       // sweep: a block over attenuation levels (sweep.cpp)
};

}  // namespace

const StepKind* const Step::Kind::set_switch = &steps::kSwitchStep;
const StepKind* const Step::Kind::set_supply = &steps::kSupplyStep;
const StepKind* const Step::Kind::wait = &steps::kWaitStep;
const StepKind* const Step::Kind::wait_until = &steps::kWaitUntilStep;
const StepKind* const Step::Kind::unlock = &steps::kUnlockStep;
const StepKind* const Step::Kind::disconnect = &steps::kDisconnectStep;
const StepKind* const Step::Kind::attenuate = &steps::kAttenuateStep;
const StepKind* const Step::Kind::sweep = &steps::kSweepStep;

std::span<const StepKind* const> step_kinds() {
  return kTable;
}

std::vector<std::string> step_kind_names() {
  std::vector<std::string> names;
  for (const StepKind* k : kTable) names.emplace_back(k->name);
  return names;
}

const StepKind* find_step_kind(std::string_view name) {
  for (const StepKind* k : kTable)
    if (k->name == name) return k;
  return nullptr;
}

}  // namespace lockrig
