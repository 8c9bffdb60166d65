#include "rig/app/merge_command.hpp"

#include <boost/program_options.hpp>
#include <cstdio>

#include "rig/base/errors.hpp"
#include "rig/base/options.hpp"
#include "rig/journal/merge.hpp"

namespace po = boost::program_options;

namespace lockrig {

int cmd_merge(const std::vector<std::string>& args, std::ostream& out) {
  std::vector<std::string> inputs;
  std::string output;
  po::options_description desc("Options");
  desc.add_options()("help,h", "explain the options")(
      "output,o", po::value(&output), "the merged journal (created if missing, else merged into)")(
      "input", po::value(&inputs)->composing(), "input journals (positional)");
  po::positional_options_description pos;
  pos.add("input", -1);
  const po::variables_map vm = parse_options("merge", args, desc, &pos);
  if (vm.count("help")) {
    out << "Usage: lockrig merge A.db B.db ... -o lab.db\n\n"
           "Combines the journals of several rigs into one. Runs keep their UUIDs (rows get new\n"
           "integer ids) and their rig and host names, so `lockrig report --strata rig` compares\n"
           "rigs. Idempotent: a run already in the output with the same content is left alone,\n"
           "so merging the same journals again (or lab.db with A.db again) changes nothing.\n"
           "A run that continued since an earlier merge (more sessions, or finished since) is\n"
           "replaced by its longer state; copies that disagree are refused. Runs still running\n"
           "are copied as they are and noted. Inputs are opened read-only; every run is compared\n"
           "before anything is written, so a conflict leaves the output as it was. Rows are\n"
           "copied in bulk in transactions of about 50 ms, so a run writing the output journal\n"
           "meanwhile keeps going (a new output is built in a temporary file renamed into\n"
           "place). Details: docs/merge.md.\n\n"
        << "  -o [ --output ] FILE  the merged journal (created if missing, else merged into)\n"
        << "  -h [ --help ]         explain the options\n"
        << "\nExit codes: 0 merged, 2 usage error, not a journal, or conflicting runs (nothing "
           "written).\n";
    return 0;
  }
  if (inputs.empty())
    throw UsageError("lockrig merge needs input journals: lockrig merge A.db B.db -o lab.db");
  if (output.empty()) throw UsageError("lockrig merge needs -o OUTPUT (the merged journal)");
  const MergeSummary s = merge_journals(inputs, output);
  for (const auto& n : s.notes) out << "note: " << n << "\n";
  out << output << ": " << s.runs_added << " run(s) added, " << s.runs_replaced
      << " replaced by a longer state, " << s.runs_unchanged << " unchanged, " << s.runs_kept
      << " kept (the output's state was longer); " << s.sessions_copied << " sessions, "
      << s.attempts_copied << " attempts, " << s.events_copied << " events copied\n";
  if (s.annotations_copied > 0)  // issue 16
    out << output << ": " << s.annotations_copied << " note(s) copied\n";
  if (s.runs_with_input_aggregates + s.runs_aggregates_recomputed > 0)  // a new output (issue 18)
    out << output << ": aggregates of " << s.runs_with_input_aggregates
        << " run(s) taken from their input (checked against the copied rows), "
        << s.runs_aggregates_recomputed << " recomputed from the rows\n";
  // What a run writing the same journal may have waited for at most (issue 18).
  char longest[32];
  std::snprintf(longest, sizeof longest, "%.0f", s.longest_transaction_ms);
  out << output << ": " << s.transactions << " write transaction(s), the longest " << longest
      << " ms\n";
  return 0;
}

}  // namespace lockrig
