// The commands that read journals: report, gate, plan (reports/commands.hpp), slo
// (reports/slo.hpp), export (reports/export.hpp) and merge (rig/app/merge_command.hpp).
#include <iostream>

#include "reports/commands.hpp"
#include "reports/export.hpp"
#include "reports/slo.hpp"
#include "rig/app/commands.hpp"
#include "rig/app/merge_command.hpp"

namespace lockrig {

int report_command(const CommandLine& cl) {
  return reports::cmd_report(cl.args);
}
int gate_command(const CommandLine& cl) {
  return reports::cmd_gate(cl.args);
}
int plan_command(const CommandLine& cl) {
  return reports::cmd_plan(cl.args);
}
int slo_command(const CommandLine& cl) {
  return reports::cmd_slo(cl.args);
}
int export_command(const CommandLine& cl) {
  return reports::cmd_export(cl.args);
}
int merge_command(const CommandLine& cl) {
  return cmd_merge(cl.args, std::cout);
}

}  // namespace lockrig
