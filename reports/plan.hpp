// `lockrig plan`: sessions per version needed to detect a drop of the session SLI and, with a
// margin, for the release gate to pass (docs/reports.md). Rendered as text and JSON
// (schema lockrig.plan/1) from the format table (reports/format.hpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace lockrig::reports {

struct PlanFigures {
  double baseline_rate = 0.0, candidate_rate = 0.0, drop = 0.0, alpha = 0.0, power = 0.0;
  long sessions = 0;             // per version, to detect the drop (rounded up)
  double sessions_exact = 0.0;   // before rounding
  std::optional<double> margin;  // with --margin: the release gate's plan below
  long gate_sessions = 0;        // per version at the last look
  double gate_sessions_exact = 0.0;
  // The gate's design (reports/stats/gate_plan.hpp): its strata (--stratum; one at the baseline
  // rate without) and looks (--looks, as `gate --looks`).
  struct Stratum {
    std::string name;
    double share = 1.0, rate = 0.0;
  };
  std::vector<Stratum> strata;
  int looks = 1;
  std::vector<long> look_sessions;      // per version at each look (rounded up)
  double expected_sessions = 0.0;       // per version, stopping at the first PASS
  long fixed_sessions = 0;              // per version for one look, the same strata
  // How the gate's power at gate_sessions was computed (issue 11 item 8; stats::to_string of
  // stats::PowerMethod: "exact-enumeration", "simulated" or "normal-approximation"), that power,
  // and for "simulated" its Monte Carlo standard error and replicates.
  std::string gate_power_method;
  double gate_power = 0.0;
  double gate_power_se = 0.0;
  long gate_replicates = 0;
};

}  // namespace lockrig::reports
