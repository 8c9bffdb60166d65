// Step kinds: what a scenario step can be. Each kind lives in its own file in this folder
// (switch.cpp, supply.cpp, wait.cpp, ...) and is one row of the step table (step_table.cpp),
// the one list of kinds: how the step is written in a scenario file (parse), how it reads in
// messages (describe) and what it does during a run (execute).
#pragma once

#include <atomic>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rig/engine/scenario.hpp"
#include "rig/journal/events.hpp"

namespace YAML {
class Node;
}

namespace lockrig {

class Bench;
struct SessionRecord;
namespace drivers {
class LockLink;
}

// Where a step hands what it produced to the run.
class StepSink {
 public:
  virtual ~StepSink() = default;
  // Journals a bench action or notable event on the item's lock, time-stamped now.
  virtual void event(EventKind kind, std::string target, std::string value,
                     std::string detail) = 0;
  // A checked condition did not hold (a wait_until that timed out): the run ends with exit 1.
  virtual void assertion_failed() = 0;
  // A finished unlock session of this step. False: the item ends here (the session was voided
  // by a rig fault). A sweep's session (session.sweep set) carries its 0-based ordinal within the
  // sweep in step_index; the run turns it into the item's own numbering.
  virtual bool session(SessionRecord session) = 0;
};

// What a step sees of the run while it executes, and nothing else.
struct StepContext {
  Bench& bench;
  drivers::LockLink& link;        // the item's lock
  Clock& clock;                   // the worker's clock
  const std::atomic<bool>& halt;  // raised: stop at the next check
  const std::string& lock_id;     // the item's lock, as the fixture names it
  StepSink& sink;
};

enum class StepEnd {
  next,      // go on with the item's next step
  end_item,  // the item ends here (halted, interrupted, or a rig fault voided a session)
};

struct StepKind {
  std::string_view name;  // the key in a scenario file: `- wait: 5s`
  // Fills the kind's fields of `step` from the key's value; throws ConfigError pointing into
  // `file`. The dispatcher has already set step.kind and step.where.
  void (*parse)(const YAML::Node& value, const std::string& file, Step& step);
  // One line for messages and events: "switch battery off", "wait 5s".
  std::string (*describe)(const Step& step);
  // Runs the step. A RigFault it throws voids the rest of the item (the runner handles it).
  StepEnd (*execute)(const Step& step, StepContext& ctx);
};

// Every step kind, in the order messages list them (the table in step_table.cpp).
std::span<const StepKind* const> step_kinds();
std::vector<std::string> step_kind_names();
// The kind written as `name` in a scenario file; null if there is none.
const StepKind* find_step_kind(std::string_view name);

}  // namespace lockrig
