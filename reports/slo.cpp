#include "reports/slo.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <charconv>
#include <cmath>
#include <ctime>
#include <iostream>

#include "reports/commands.hpp"
#include "reports/dataset.hpp"
#include "reports/format.hpp"
#include "reports/layout.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/options.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/journal.hpp"
#include "rig/journal/slo_reader.hpp"

namespace po = boost::program_options;

namespace lockrig::reports {

namespace {

double parse_target(const std::string& text) {
  std::string s = text;
  double scale = 1.0;
  if (!s.empty() && s.back() == '%') {
    s.pop_back();
    scale = 0.01;
  }
  double v = 0.0;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || res.ec != std::errc() || res.ptr != s.data() + s.size() || !std::isfinite(v))
    throw UsageError("--target wants the SLO as 0.995 or 99.5%, got " + quote(text));
  if (scale == 1.0 && v > 1.0 && v < 100.0)  // the rates' syntax (docs/reports.md, Units)
    throw UsageError("--target " + quote(text) +
                     " is not a rate: a bare number is a fraction (0.995); did you mean " + text +
                     "%?");
  v *= scale;
  if (!(v > 0.0 && v < 1.0))
    throw UsageError("--target must be above 0% and below 100%, got " + quote(text));
  return v;
}

int parse_window(const std::string& text) {
  const std::string bad =
      "--window wants a number of nights such as 28d, 4w or 28, got " + quote(text);
  if (text.empty()) throw UsageError(bad);
  std::string digits = text;
  int scale = 1;
  if (text.back() == 'd' || text.back() == 'w') {
    scale = text.back() == 'w' ? 7 : 1;
    digits.pop_back();
  }
  int n = 0;
  const auto res = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || res.ec != std::errc() || res.ptr != digits.data() + digits.size() ||
      n < 1 || n > 3660 / scale)
    throw UsageError(bad);
  return n * scale;
}

// The selected runs and their rows, read in one snapshot of the journal, then the figures.
SloReport load_and_compute(Journal& journal, const RunSelection& selection,
                           const SloOptions& options) {
  const SloSnapshot snapshot(journal);
  const std::vector<RunRecord> runs = select_runs(journal, selection);
  std::vector<std::int64_t> ids;
  for (const auto& run : runs) ids.push_back(run.id);
  const std::vector<SloRow> rows = read_slo_rows(journal, ids, selection.scenarios);
  return compute_slo(journal.path(), runs.size(), rows, selection.scenarios, options);
}

}  // namespace

int cmd_slo(const std::vector<std::string>& args) {
  return cmd_slo(args, std::cout);
}

int cmd_slo(const std::vector<std::string>& args, std::ostream& out) {
  SelectionOptions sel_opts;
  std::string target = "99.5%", window = "28d", as_of, format_name = "text", output;
  std::vector<std::string> by_raw;
  po::options_description desc("Options");
  desc.add_options()("help,h", "explain the options")(
      "target", po::value(&target)->default_value(target),
      "the SLO: target session SLI (99.5% or 0.995)")(
      "window", po::value(&window)->default_value(window),
      "error-budget window in nights (28d, 4w, 28), ending at --as-of")(
      "as-of", po::value(&as_of),
      "last night of the window: YYYY-MM-DD or today (default: the latest night with runs)")(
      "by", po::value(&by_raw)->composing(),
      "per-stratum tables: rig, lock, material, model, firmware, scenario (comma-separated; "
      "default material,lock, plus rig when the journal has several rigs)");
  add_selection_options(desc, sel_opts);
  desc.add_options()("format", po::value(&format_name)->default_value(format_name),
                     format_choices(FormatCommand::slo).c_str())(
      "output,o", po::value(&output),
      "write to FILE instead of stdout (atomically: a temporary file renamed into place)");
  TerminalOptions terminal;
  add_terminal_options(desc, terminal);
  const po::variables_map vm = parse_options("slo", args, desc);
  if (vm.count("help")) {
    out << "Usage: lockrig slo [--target 99.5%] [--window 28d] [--by material,lock] [options]\n\n"
           "The session SLI per night (UTC date each run started) against a target SLO, the\n"
           "error budget over the window counted in SLI sessions (allowed failures = (1 - SLO)\n"
           "x SLI sessions; remaining = allowed - failures), and burn rates (failure ratio /\n"
           "(1 - SLO)) over the last night, the last 7 nights and the window; overall and per\n"
           "rig, lock or material. Rig faults and assertions are excluded, as in lockrig report.\n"
           "HTML adds trend charts of the nightly SLI with the SLO line and the budget "
           "burn-down.\n\n"
        << desc
        << "\nExamples:\n"
           "  lockrig slo --target 99.5% --window 28d\n"
           "  lockrig slo --where build=nightly --by material --format html -o slo.html\n"
           "  lockrig slo --db lab.db --by rig,lock --format json\n\n"
           "Status: ok; burning (the last night and the last 7 nights both burn above 1);\n"
           "exhausted (more failures than the window allows). Exit codes: 0 written, 2 usage\n"
           "or journal error. See docs/slo.md.\n";
    return 0;
  }
  const OutputFormat& format = output_format(FormatCommand::slo, format_name);
  const TextStyle style = text_style(terminal, output, out);
  SloOptions opts;
  opts.target = parse_target(target);
  opts.window_days = parse_window(window);
  if (vm.count("as-of")) {
    if (as_of == "today") {
      const std::time_t t = std::time(nullptr);
      opts.as_of = static_cast<int>(t / 86400);
    } else {
      opts.as_of = parse_night(as_of);
      if (!opts.as_of)
        throw UsageError("--as-of wants a date such as 2026-11-20 or today, got " + quote(as_of));
    }
  }
  if (!by_raw.empty()) {
    opts.by.clear();
    for (const auto& d : split_commas(by_raw)) {
      if (std::find(slo_dimensions().begin(), slo_dimensions().end(), d) == slo_dimensions().end())
        throw UsageError("--by " + quote(d) + " is not a dimension" +
                         did_you_mean(d, slo_dimensions()) + "; use " +
                         join(slo_dimensions(), ", "));
      if (std::find(opts.by.begin(), opts.by.end(), d) == opts.by.end()) opts.by.push_back(d);
    }
  }
  check_output_path(output);
  check_output_is_not_journal(output, sel_opts.db);
  const RunSelection sel = run_selection_of(sel_opts, vm);
  Journal journal = Journal::open_readonly(sel_opts.db, Journal::CountChecks::when_read);
  // A merged lab journal: show the rigs too.
  if (by_raw.empty() && journal_has_several_rigs(journal)) opts.by.insert(opts.by.begin(), "rig");
  const SloReport r = load_and_compute(journal, sel, opts);
  RenderInput in;
  in.document = [&r] { return slo_document(r); };
  in.slo = &r;
  in.text = style;
  const std::string content = render(format, in);
  if (output.empty())
    out << content;
  else
    write_file_atomically(output, content);
  return 0;
}

}  // namespace lockrig::reports
