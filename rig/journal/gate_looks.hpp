// The release gate's looks (`lockrig gate --looks N`, docs/gate-statistics.md): every decision of
// a group-sequential gate is recorded, so the next look spends alpha knowing the looks before it.
//
// Table `gate_looks`, created IF NOT EXISTS by the first recorded look: older journals have no
// such table and read as "no looks yet"; the schema version is unchanged (an added table that
// older lockrig versions never read). One row per look: the selection key (which versions and
// strata were compared), the design (max_looks, margin, alpha, spending), the statistic and the
// verdict.
#pragma once

#include <string>
#include <vector>

#include "rig/journal/journal.hpp"

namespace lockrig {

struct GateLookRecord {
  std::string selection;  // e.g. "baseline=firmware=2.4.0; candidate=firmware=2.4.1; ..."
  int look = 0, max_looks = 0;
  double margin = 0.0, alpha = 0.0;
  std::string spending;      // "obrien-fleming"
  double information = 0.0;  // sum of the Mantel-Haenszel weights (sessions)
  double z = 0.0, critical = 0.0;
  std::string verdict;  // "pass", "fail", "inconclusive"
  long long candidate_sessions = 0, baseline_sessions = 0;
  std::string recorded_at;  // UTC, ISO 8601
};

// The looks recorded for `selection`, in look order; none when the journal has no gate_looks
// table (written before it existed). Works on a read-only journal.
std::vector<GateLookRecord> gate_looks(Journal& journal, const std::string& selection);

// Appends one look (creating the table if needed), in one transaction.
void record_gate_look(Journal& journal, const GateLookRecord& look);

}  // namespace lockrig
