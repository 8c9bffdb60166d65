// `lockrig plan`: sessions per version needed to detect a drop of the session SLI and, with a
// margin, for the release gate to pass (docs/reports.md). Rendered as text and JSON
// (schema lockrig.plan/1) from the format table (reports/format.hpp).
#pragma once

#include <optional>

namespace lockrig::reports {

struct PlanFigures {
  double baseline_rate = 0.0, candidate_rate = 0.0, drop = 0.0, alpha = 0.0, power = 0.0;
  long sessions = 0;             // per version, to detect the drop (rounded up)
  double sessions_exact = 0.0;   // before rounding
  std::optional<double> margin;  // with --margin: the release gate's plan below
  long gate_sessions = 0;
  double gate_sessions_exact = 0.0;
};

}  // namespace lockrig::reports
