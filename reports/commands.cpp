#include "reports/commands.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <set>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>
#include <tuple>

#include "reports/comparison.hpp"
#include "reports/dataset.hpp"
#include "reports/evidence_links.hpp"
#include "reports/format.hpp"
#include "reports/history.hpp"
#include "reports/layout.hpp"
#include "reports/notes.hpp"
#include "reports/plan.hpp"
#include "reports/stats/gate_plan.hpp"
#include "reports/stats/power.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/options.hpp"
#include "rig/base/terminal.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/gate_looks.hpp"
#include "rig/journal/journal.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace lockrig::reports {

namespace {

const char* kExitCodes =
    "Exit codes: 0 pass, 1 fail (candidate shown worse than -margin), 4 inconclusive (not "
    "enough data),\n5 range fail (--range-margin; the SLI gate not failing), 2 usage or journal "
    "error.\nSee docs/reports.md.\n";

po::variables_map parse(const std::string& command, const std::vector<std::string>& args,
                        const po::options_description& desc) {
  return parse_options(command, args, desc);
}

void check_range(double v, double lo, double hi, bool lo_open, bool hi_open,
                 const std::string& option, const std::string& text) {
  const bool ok = (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
  if (!ok)
    throw UsageError(option + " must be in " + (lo_open ? "(" : "[") + num(lo) + ", " + num(hi) +
                     (hi_open ? ")" : "]") + ", got " + quote(text));
}

struct CommonOptions : SelectionOptions, TerminalOptions {
  std::vector<std::string> baseline, candidate;
  std::string strata = "material";
  std::string confidence = "0.95", alpha = "0.05", margin = "0.005", power = "0.8";
  std::string latency_slo = "1.5s";
  std::string range_target = "0.99", range_link = "logit", range_margin;  // issue 14
  std::string format = "text";
  std::string output;
};

void add_selection(po::options_description& desc, CommonOptions& o) {
  add_selection_options(desc, o);
}

void add_analysis(po::options_description& desc, CommonOptions& o, bool gate) {
  desc.add_options()(
      "baseline", po::value(&o.baseline)->composing(),
      gate ? "the baseline's sessions, key=value (firmware=2.4.0); repeat to require several"
           : "compare: the baseline's sessions, key=value (firmware=2.4.0); repeatable")(
      "candidate", po::value(&o.candidate)->composing(),
      "the candidate's sessions, key=value (firmware=2.4.1); repeatable")(
      "strata", po::value(&o.strata)->default_value(o.strata),
      "stratify by material | model | lock | rig | scenario | any attribute | none")(
      "margin", po::value(&o.margin)->default_value(o.margin),
      "non-inferiority margin, a difference of rates: 0.5pp (percentage points; also 0.5pts) "
      "or the fraction 0.005; a bare number >= 0.1 is refused")(
      "alpha", po::value(&o.alpha)->default_value(o.alpha),
      "significance level in (0, 0.5); one-sided for each of the gate's claims (PASS, FAIL)")(
      "power", po::value(&o.power)->default_value(o.power),
      "power for the detectable drop and the sessions still needed");
  desc.add_options()(
      "range-target", po::value(&o.range_target)->default_value(o.range_target),
      "Range section: the success rate the range margin is read at (0.99 or 99%)")(
      "range-link", po::value(&o.range_link)->default_value(o.range_link),
      "Range section: the link of the fit of success on attenuation, logit | cloglog");
  if (gate)
    desc.add_options()(
        "range-margin", po::value(&o.range_margin),
        "also gate on range: FAIL (exit 5) when the candidate is shown to lose more than this "
        "many dB of range margin against the baseline, PASS when shown to lose at most it "
        "(2dB or 2; needs sweep sessions of both versions)");
  if (!gate)
    desc.add_options()("confidence", po::value(&o.confidence)->default_value(o.confidence),
                       "confidence level of the two-sided intervals")(
        "latency-slo", po::value(&o.latency_slo)->default_value(o.latency_slo),
        "latency SLO threshold (250ms, 1.5s)");
}

void add_output(po::options_description& desc, CommonOptions& o, FormatCommand command) {
  desc.add_options()("format", po::value(&o.format)->default_value(o.format),
                     format_choices(command).c_str())(
      "output,o", po::value(&o.output),
      "write to FILE instead of stdout (atomically: a temporary file renamed into place)");
}

void add_output_layout(po::options_description& desc, CommonOptions& o, FormatCommand command) {
  add_output(desc, o, command);
  add_terminal_options(desc, o);
}

RunSelection selection_of(const CommonOptions& o, const po::variables_map& vm) {
  return run_selection_of(o, vm);
}

bool ends_with(const std::string& s, const std::string& suffix);
std::optional<double> plain_number(const std::string& text);

ReportOptions analysis_of(const CommonOptions& o) {
  ReportOptions r;
  for (const auto& b : o.baseline) r.baseline.push_back(parse_filter(b, "--baseline"));
  for (const auto& c : o.candidate) r.candidate.push_back(parse_filter(c, "--candidate"));
  r.strata = o.strata;
  r.confidence = parse_fraction(o.confidence, "--confidence");
  check_range(r.confidence, 0.0, 1.0, true, true, "--confidence", o.confidence);
  r.alpha = parse_fraction(o.alpha, "--alpha");
  check_range(r.alpha, 0.0, 0.5, true, true, "--alpha", o.alpha);
  r.margin = parse_difference(o.margin, "--margin");
  r.power = parse_fraction(o.power, "--power");
  check_range(r.power, 0.0, 1.0, true, true, "--power", o.power);
  if (r.power <= r.alpha)
    throw UsageError("--power " + quote(o.power) + " must be above --alpha " + quote(o.alpha));
  const auto slo = parse_duration(o.latency_slo);
  if (!slo || slo->count() <= 0)
    throw UsageError("--latency-slo wants a positive duration such as 1.5s or 800ms, got " +
                     quote(o.latency_slo));
  r.latency_slo_ms = static_cast<double>(slo->count()) / 1e6;
  // Issue 14: the Range section's options.
  r.range_target = parse_rate(o.range_target, "--range-target");
  if (!(r.range_target < 1.0))
    throw UsageError("--range-target must be below 1 (100%): no fitted curve reaches it, got " +
                     quote(o.range_target));
  if (o.range_link == "logit")
    r.range_link = stats::DoseLink::logit;
  else if (o.range_link == "cloglog")
    r.range_link = stats::DoseLink::cloglog;
  else
    throw UsageError("--range-link wants logit or cloglog, got " + quote(o.range_link));
  if (!o.range_margin.empty()) {
    std::string t = o.range_margin;
    if (ends_with(t, "dB") || ends_with(t, "db")) t.resize(t.size() - 2);
    const auto v = plain_number(t);
    if (!v || !(*v > 0.0) || *v > 200.0)
      throw UsageError("--range-margin wants a positive attenuation in dB such as 2dB, got " +
                       quote(o.range_margin));
    r.range_margin_db = *v;
  }
  return r;
}

void emit(const std::string& content, const std::string& output, std::ostream& out) {
  if (output.empty()) {
    out << content;
    out.flush();
    return;
  }
  write_file_atomically(output, content);
}

Report build(const CommonOptions& o, const po::variables_map& vm, const std::string& command) {
  check_output_is_not_journal(o.output, o.db);
  RunSelection sel = selection_of(o, vm);
  ReportOptions opts = analysis_of(o);
  Journal journal = Journal::open_readonly(o.db, Journal::CountChecks::when_read);
  const Dataset d =
      load_dataset(journal, sel, latency_keys_of(opts.baseline, opts.candidate),  // issue 18
                   tells_runs_apart(opts.baseline, opts.candidate, opts.strata));
  Report r = compute_report_with_notes(journal, d, opts);  // issue 16 item 6
  r.command = command;
  return r;
}

}  // namespace

double parse_fraction(const std::string& text, const std::string& option) {
  std::string s = text;
  double scale = 1.0;
  for (const char* suffix : {"pts", "pt", "pp", "%"}) {
    const std::string suf = suffix;
    if (s.size() > suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0) {
      s.resize(s.size() - suf.size());
      scale = 0.01;
      break;
    }
  }
  std::size_t used = 0;
  double v = 0.0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != s.size() || !std::isfinite(v))
    throw UsageError(option + " wants a number such as 0.995 or 99.5%, got " + quote(text));
  return v * scale;
}

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The number in `text` without its unit, or nullopt when it is not a finite number.
std::optional<double> plain_number(const std::string& text) {
  std::size_t used = 0;
  double v = 0.0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used == 0 || used != text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

double parse_difference(const std::string& text, const std::string& option) {
  const std::string want = " wants a difference of rates such as 0.5pp (percentage points) or "
                           "0.005 (a fraction), got " + quote(text);
  for (const char* suffix : {"pts", "pt", "pp", "%"}) {
    if (!ends_with(text, suffix)) continue;
    const auto v = plain_number(text.substr(0, text.size() - std::strlen(suffix)));
    if (!v) throw UsageError(option + want);
    const double d = *v / 100.0;
    if (!(d > 0.0 && d < 1.0))
      throw UsageError(option + " must be above 0pp and below 100pp, got " + quote(text));
    return d;
  }
  const auto v = plain_number(text);
  if (!v) throw UsageError(option + want);
  if (*v >= 0.1 && *v < 100.0)
    throw UsageError(option + " " + quote(text) +
                     " is ambiguous: a bare number is a fraction (0.005 = 0.5 points), so " +
                     text + " would be " + num(*v * 100.0) + " points; did you mean " + text +
                     "pp?");
  if (!(*v > 0.0 && *v < 1.0))
    throw UsageError(option + " must be above 0 and below 1 (0pp to 100pp), got " + quote(text));
  return *v;
}

double parse_rate(const std::string& text, const std::string& option) {
  const std::string want =
      " wants a rate such as 0.995 (a fraction) or 99.5% (a percentage), got " + quote(text);
  std::optional<double> v;
  if (ends_with(text, "%")) {
    v = plain_number(text.substr(0, text.size() - 1));
    if (!v) throw UsageError(option + want);
    *v /= 100.0;
  } else {
    v = plain_number(text);
    if (!v) throw UsageError(option + want);
    if (*v > 1.0 && *v < 100.0)
      throw UsageError(option + " " + quote(text) +
                       " is not a rate: a bare number is a fraction (0.995); did you mean " +
                       text + "%?");
  }
  if (!(*v > 0.0 && *v <= 1.0))
    throw UsageError(option + " must be above 0 and at most 1 (100%), got " + quote(text));
  return *v;
}

void add_selection_options(po::options_description& desc, SelectionOptions& o) {
  desc.add_options()("db", po::value(&o.db)->default_value(o.db), "journal (SQLite) to read")(
      "last", po::value(&o.last), "only the N most recent runs (after the other run filters)")(
      "since", po::value(&o.since),
      "only runs started at or after DATE (2026-11-20, 2026-11-20T08:00Z) or within an age "
      "(7d, 36h, 2w)")("run", po::value(&o.runs)->composing(),
                       "only this run (uuid or unique prefix); repeatable")(
      "where", po::value(&o.where)->composing(),
      "only runs with this label, key=value (e.g. build=nightly); repeatable, all must match")(
      "scenario", po::value(&o.scenarios)->composing(),
      "only sessions of these scenarios (comma-separated or repeated)");
}

RunSelection run_selection_of(const SelectionOptions& o, const po::variables_map& vm) {
  RunSelection sel;
  if (vm.count("last")) {
    if (o.last < 1) throw UsageError("--last must be at least 1, got " + std::to_string(o.last));
    sel.last = o.last;
  }
  if (vm.count("since")) sel.since = parse_since(o.since);
  sel.runs = o.runs;
  for (const auto& w : o.where) sel.where.push_back(parse_filter(w, "--where"));
  sel.scenarios = split_commas(o.scenarios);
  return sel;
}

void add_terminal_options(po::options_description& desc, TerminalOptions& o) {
  desc.add_options()(
      "width", po::value(&o.width),
      "text: fit tables and lines to N columns, leaving out optional columns (and saying which); "
      "default: $COLUMNS or the terminal's width on a terminal, unbounded otherwise")(
      "color", po::value(&o.color)->default_value(o.color),
      "never | auto | always: text verdicts and flagged rows in colour (auto: on a terminal, "
      "unless NO_COLOR is set); never in a file");
}

TextStyle text_style(const TerminalOptions& o, const std::string& output, const std::ostream& out) {
  const ColorMode color = parse_color_mode(o.color, "--color");
  std::optional<int> width;
  if (!o.width.empty()) width = parse_width(o.width, "--width");
  const bool terminal = output.empty() && &out == &std::cout && isatty(STDOUT_FILENO) != 0;
  TextStyle style;
  style.width = output_width(width, STDOUT_FILENO, terminal);
  style.color = output.empty() && use_color(color, terminal);
  return style;
}

// The output path is checked before the journal is read, so a typo costs nothing.
void check_output_path(const std::string& path) {
  if (path.empty()) return;
  std::error_code ec;
  if (fs::is_directory(path, ec))
    throw UsageError("--output " + quote(path) + " is a directory; give a file name");
  const fs::path dir = fs::path(path).parent_path();
  if (!dir.empty() && !fs::is_directory(dir, ec))
    throw UsageError("--output " + quote(path) + ": directory " + quote(dir.string()) +
                     " does not exist");
}

// A slip of the fingers (-o lockrig.db) must not replace the journal with a report.
void check_output_is_not_journal(const std::string& output, const std::string& db) {
  if (output.empty()) return;
  std::error_code ec;
  for (const std::string suffix : {"", "-wal", "-shm", "-journal"})
    if (fs::exists(output, ec) && fs::equivalent(output, db + suffix, ec))
      throw UsageError("--output " + quote(output) + " is the journal " +
                       (suffix.empty() ? "" : "(" + suffix.substr(1) + " file) ") +
                       "being read; choose another file");
}

namespace {

// The `.OUT.tmp-XXXXXX` files of writers that were killed (SIGKILL, power loss) before renaming
// or removing them: those nobody holds the flock of. Live writers' files are locked and stay.
void remove_stale_temp_files(const fs::path& dir, const std::string& prefix) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() != prefix.size() + 6 || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string file = it->path().string();
    const int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) continue;
    struct stat locked {}, named {};
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && ::fstat(fd, &locked) == 0 &&
        S_ISREG(locked.st_mode) && ::lstat(file.c_str(), &named) == 0 &&
        named.st_ino == locked.st_ino && named.st_dev == locked.st_dev)
      ::unlink(file.c_str());
    ::close(fd);
  }
}

}  // namespace

AtomicFile::AtomicFile(const std::string& path) : path_(path) {
  check_output_path(path);
  const fs::path target(path);
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  const std::string prefix = "." + target.filename().string() + ".tmp-";
  remove_stale_temp_files(dir, prefix);
  int fd = -1;
  // issue 17, item 8: the temporary file is flock()ed for as long as this writer lives, so a
  // later writer can tell a killed writer's leftover (unlocked) from a live one's (locked).
  for (int tries = 0; fd < 0; ++tries) {
    tmp_ = (dir / (prefix + "XXXXXX")).string();
    fd = mkstemp(tmp_.data());
    if (fd < 0) {
      const int err = errno;
      tmp_.clear();
      throw UsageError("cannot write --output " + quote(path) + ": " + std::strerror(err));
    }
    struct stat mine {}, named {};
    if (::flock(fd, LOCK_EX) == 0 && ::fstat(fd, &mine) == 0 &&
        ::stat(tmp_.c_str(), &named) == 0 && mine.st_ino == named.st_ino &&
        mine.st_dev == named.st_dev)
      break;
    // Another writer's sweep took it for a leftover between mkstemp and flock: take another.
    ::close(fd);
    fd = -1;
    if (tries == 10) {
      tmp_.clear();
      throw UsageError("cannot write --output " + quote(path) + ": cannot keep a temporary file");
    }
  }
  // mkstemp creates 0600; reports and exports are meant to be read by others (node_exporter
  // runs as its own user), so use what a plain create would, or the mode of the file replaced.
  struct stat st {};
  mode_t mode = 0;
  if (::stat(path.c_str(), &st) == 0) {
    mode = st.st_mode & 07777;
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  if (::fchmod(fd, mode) != 0) {
    const int err = errno;
    ::close(fd);
    fail("chmod", err);
  }
  f_ = ::fdopen(fd, "wb");
  if (!f_) {
    const int err = errno;
    ::close(fd);
    fail("fdopen", err);
  }
}

AtomicFile::~AtomicFile() {
  if (f_) std::fclose(f_);
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
}

void AtomicFile::fail(const std::string& what, int err) {
  if (f_) std::fclose(f_);
  f_ = nullptr;
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
  tmp_.clear();
  throw UsageError("cannot write --output " + quote(path_) + ": " + what + ": " +
                   std::strerror(err));
}

void AtomicFile::write(std::string_view bytes) {
  if (!f_) throw UsageError("cannot write --output " + quote(path_) + ": already closed");
  if (std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size()) fail("write", errno);
}

void AtomicFile::commit() {
  if (!f_) throw UsageError("cannot write --output " + quote(path_) + ": already closed");
  if (std::fflush(f_) != 0) fail("write", errno);
  if (::fsync(fileno(f_)) != 0) fail("fsync", errno);
  // Renamed while still locked, so no other writer's sweep takes it for a leftover.
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) fail("rename", errno);
  tmp_.clear();
  const int rc = std::fclose(f_);
  f_ = nullptr;
  if (rc != 0) fail("close", errno);
}

void write_file_atomically(const std::string& path, const std::string& content) {
  AtomicFile f(path);
  f.write(content);
  f.commit();
}

int cmd_report(const std::vector<std::string>& args) {
  return cmd_report(args, std::cout);
}
int cmd_gate(const std::vector<std::string>& args) {
  return cmd_gate(args, std::cout);
}
int cmd_plan(const std::vector<std::string>& args) {
  return cmd_plan(args, std::cout);
}

int cmd_report(const std::vector<std::string>& args, std::ostream& out) {
  CommonOptions o;
  std::string history;
  po::options_description desc("Options");
  desc.add_options()("help,h", "explain the options");
  add_selection(desc, o);
  add_analysis(desc, o, false);
  add_output_layout(desc, o, FormatCommand::report);
  desc.add_options()("evidence",
                     "html: embed the failed sessions' timelines in collapsed sections (issue 15)")(
      "summary",
      "the Markdown summary for a merge-request comment (verdict, key table, failures in "
      "<details>, under 40 lines): the same as --format markdown-summary")(
      "history", po::value(&history),
      "history across builds of this attribute (firmware, app, ...): the SLI per build in order "
      "of first appearance and the first build significantly below its predecessors (issue 16; "
      "text, markdown, html or json)");
  const po::variables_map vm = parse("report", args, desc);
  if (vm.count("help")) {
    out << "Usage: lockrig report [options]\n\n"
           "Reports unlock reliability from the journal: session SLI and first-attempt success\n"
           "with confidence intervals, per door material, scenario and lock, failure causes,\n"
           "latency, assertions and rig faults. With --baseline and --candidate it compares two\n"
           "versions stratified by door material and gives the release-gate verdict.\n\n"
        << desc
        << "\nAttributes for --baseline/--candidate/--strata: firmware, model, material, lock, "
           "slot\n"
           "(as seen in the run; firmware is read from the lock), rig, run, scenario, and any run\n"
           "label (app, build, ...).\n\n"
           "Examples:\n"
           "  lockrig report --last 1\n"
           "  lockrig report --baseline firmware=2.4.0 --candidate firmware=2.4.1 --format html -o "
           "r.html\n"
           "  lockrig report --where build=nightly --since 7d --format markdown\n"
           "  lockrig report --last 1 --summary -o comment.md   # merge-request comment\n"
           "  lockrig report --history firmware --format html -o history.html\n\n"
           "Exit codes: 0 report written, 2 usage or journal error. How to read a report:\n"
           "docs/reports.md.\n";
    return 0;
  }
  if (vm.count("summary")) {  // issue 15 item 5: the documented spelling of markdown-summary
    if (!vm["format"].defaulted() && o.format != "markdown-summary")
      throw UsageError("--summary is the markdown-summary format; it cannot be --format " +
                       quote(o.format));
    o.format = "markdown-summary";
  }
  if (vm.count("history")) {  // issue 16 item 2: reports/history.hpp
    if (!o.baseline.empty() || !o.candidate.empty() || vm.count("summary") || vm.count("evidence"))
      throw UsageError("--history " + quote(history) +
                       " is a report of its own; it cannot be combined with --baseline, "
                       "--candidate, --summary or --evidence");
    check_history_format(o.format);
    check_output_path(o.output);
    check_output_is_not_journal(o.output, o.db);
    const RunSelection sel = selection_of(o, vm);
    const ReportOptions ro = analysis_of(o);
    HistoryOptions ho;
    ho.key = history;
    ho.strata = ro.strata;
    ho.confidence = ro.confidence;
    ho.alpha = ro.alpha;
    Journal journal = Journal::open_readonly(o.db, Journal::CountChecks::when_read);
    const Dataset d = load_dataset(journal, sel);
    emit(render_history(compute_history(d, ho), o.format), o.output, out);
    return 0;
  }
  const OutputFormat& format = output_format(FormatCommand::report, o.format);
  const TextStyle style = text_style(o, o.output, out);
  check_output_path(o.output);
  Report r = build(o, vm, "report");
  if (vm.count("evidence") && o.format != "html")
    throw UsageError("--evidence embeds timelines in the html report; give --format html");
  if (o.format == "junit" || o.format == "markdown-summary" ||
      vm.count("evidence")) {  // issue 15: evidence links
    Journal journal = Journal::open_readonly(o.db, Journal::CountChecks::when_read);
    r.evidence = std::make_shared<const ReportEvidence>(load_report_evidence(journal, r.runs));
  } else if (o.format == "text" || o.format == "markdown" || o.format == "html") {
    // Issue 15 item 4: the failed sessions' ids beside each failure, read only for the scenario x
    // lock pairs the aggregates counted a failure for (a clean night reads no session row).
    std::set<std::pair<std::string, std::string>> failing;
    for (const auto& sl : r.scenario_locks)
      if (sl.sli.failures() > 0 || sl.assertions_failed > 0 || sl.rig_faults > 0)
        failing.insert({sl.scenario, sl.lock_id});
    Journal journal = Journal::open_readonly(o.db, Journal::CountChecks::when_read);
    r.evidence = std::make_shared<const ReportEvidence>(
        load_failed_session_refs(journal, r.runs, failing));
  }
  RenderInput in;
  in.document = [&r] { return report_document(r); };
  in.report = &r;
  in.text = style;
  emit(render(format, in), o.output, out);
  return 0;
}

namespace {

// Which looks belong together: the same versions, strata and session filters (not --last /
// --since / --run, which move as nights accumulate).
std::string look_selection(const ReportOptions& opts, const RunSelection& sel) {
  std::string key = "baseline=" + filters_text(opts.baseline) +
                    "; candidate=" + filters_text(opts.candidate) + "; strata=" + opts.strata;
  std::vector<std::string> where;
  for (const auto& w : sel.where) where.push_back(w.key + "=" + w.value);
  if (!where.empty()) key += "; where=" + join(where, ",");
  if (!sel.scenarios.empty()) key += "; scenario=" + join(sel.scenarios, ",");
  return key;
}

// The looks already journaled must be the same design and still open; their information
// becomes this look's history.
std::vector<double> previous_looks(const std::vector<GateLookRecord>& looks, int max_looks,
                                   const ReportOptions& opts, const std::string& key) {
  std::vector<double> info;
  for (const auto& l : looks) {
    if (l.max_looks != max_looks || std::fabs(l.margin - opts.margin) > 1e-12 ||
        std::fabs(l.alpha - opts.alpha) > 1e-12)
      throw UsageError("--looks " + std::to_string(max_looks) + " --margin " +
                       pts(opts.margin).substr(1) + " --alpha " + num(opts.alpha) +
                       " disagrees with the look plan already journaled for " + quote(key) +
                       ": look " + std::to_string(l.look) + " was --looks " +
                       std::to_string(l.max_looks) + " --margin " + pts(l.margin).substr(1) +
                       " --alpha " + num(l.alpha) + " (" + l.recorded_at +
                       "); a group-sequential design cannot change between looks");
    if (l.verdict != "inconclusive")
      throw UsageError("look " + std::to_string(l.look) + " of " + std::to_string(l.max_looks) +
                       " for " + quote(key) + " already decided " + l.verdict + " (" +
                       l.recorded_at + "); a group-sequential gate stops at its first decision");
    info.push_back(l.information);
  }
  if (static_cast<int>(info.size()) >= max_looks)
    throw UsageError("all " + std::to_string(max_looks) + " declared looks for " + quote(key) +
                     " are already journaled");
  return info;
}

}  // namespace

int cmd_gate(const std::vector<std::string>& args, std::ostream& out) {
  CommonOptions o;
  int looks = 0;
  po::options_description desc("Options");
  desc.add_options()("help,h", "explain the options");
  add_analysis(desc, o, true);
  desc.add_options()("looks", po::value(&looks),
                     "a group-sequential gate of at most N looks (O'Brien-Fleming-type alpha "
                     "spending): each run is one look, recorded in the journal; without it the "
                     "gate is a single look");
  add_selection(desc, o);
  add_output_layout(desc, o, FormatCommand::gate);
  const po::variables_map vm = parse("gate", args, desc);
  if (vm.count("help")) {
    out << "Usage: lockrig gate --baseline KEY=VALUE --candidate KEY=VALUE [options]\n\n"
           "The release gate: is the candidate's session SLI at most --margin below the\n"
           "baseline's, compared within each door material (stratified Miettinen-Nurminen\n"
           "score test; Chan's exact test for one stratum with few sessions)? --alpha is\n"
           "one-sided for each claim; the bounds printed are one-sided 1 - alpha bounds, i.e.\n"
           "the two-sided 1 - 2 alpha interval.\n"
           "  PASS          the test rejects H0: difference <= -margin and no stratum is worse\n"
           "  FAIL          the test rejects H0: difference >= -margin, or a stratum's own test\n"
           "                (Holm-adjusted) shows it worse than -margin; the FAIL names it\n"
           "  INCONCLUSIVE  neither; prints how many more SLI sessions per version would settle "
           "it\n"
           "With --looks N each run of the gate is one look of a group-sequential design,\n"
           "recorded in the journal (table gate_looks) for the same versions and strata.\n\n"
        << desc << "\n"
        << kExitCodes;
    return 0;
  }
  if (o.baseline.empty() || o.candidate.empty())
    throw UsageError(
        "lockrig gate needs --baseline and --candidate (e.g. --baseline "
        "firmware=2.4.0 --candidate firmware=2.4.1)");
  if (vm.count("looks") && (looks < 1 || looks > 100))
    throw UsageError("--looks must be between 1 and 100, got " + std::to_string(looks));
  const OutputFormat& format = output_format(FormatCommand::gate, o.format);
  const TextStyle style = text_style(o, o.output, out);
  check_output_path(o.output);
  check_output_is_not_journal(o.output, o.db);
  const RunSelection sel = selection_of(o, vm);
  ReportOptions opts = analysis_of(o);
  const std::string key = look_selection(opts, sel);
  Report r;
  {
    Journal journal = Journal::open_readonly(o.db, Journal::CountChecks::when_read);
    if (looks > 0) {
      opts.previous_looks = previous_looks(gate_looks(journal, key), looks, opts, key);
      opts.max_looks = looks;
    }
    const Dataset d =
        load_dataset(journal, sel, latency_keys_of(opts.baseline, opts.candidate),  // issue 18
                     tells_runs_apart(opts.baseline, opts.candidate, opts.strata));
    r = compute_report_with_notes(journal, d, opts);  // issue 16 item 6: the mute rule
    if (o.format == "junit" || o.format == "markdown-summary")  // issue 15
      r.evidence = std::make_shared<const ReportEvidence>(load_report_evidence(journal, r.runs));
  }
  r.command = "gate";
  // Issue 14: a range gate needs range data; asked for without any, it is a usage error (exit 2,
  // nothing written) rather than a verdict, so a CI job whose sweeps did not run cannot pass.
  if (opts.range_margin_db && !r.range)
    throw UsageError("--range-margin " + quote(o.range_margin) +
                     ": the selection holds no sweep sessions (expect 'range'), so there is no "
                     "range to gate on; run a sweep scenario for both versions, or leave "
                     "--range-margin out");
  // A version without sweep sessions is named, for the same reason: one version's sweeps alone
  // cannot pass (or fail) a range gate.
  if (opts.range_margin_db)
    for (const auto& [n, option, filters] :
         {std::tuple{r.range->baseline_sessions, "--baseline", &opts.baseline},
          std::tuple{r.range->candidate_sessions, "--candidate", &opts.candidate}})
      if (n == 0)
        throw UsageError("--range-margin " + quote(o.range_margin) + ": " + option + " " +
                         quote(filters_text(*filters)) +
                         " matches no sweep session in the selection (the other version has " +
                         std::to_string(r.range->baseline_sessions + r.range->candidate_sessions) +
                         "), so there is no range to compare; run the sweep scenario for it too");
  // Issue 14: sweep sessions alone (neither version has SLI sessions) are gated on range only.
  if (r.range && r.range->range_only && !opts.range_margin_db)
    throw UsageError(
        "neither --baseline " + quote(filters_text(opts.baseline)) + " nor --candidate " +
        quote(filters_text(opts.candidate)) +
        " has SLI sessions in the selection, only sweep sessions: there is no SLI to gate on; "
        "gate on range with --range-margin (e.g. --range-margin 2dB)");
  if (r.range && r.range->range_only && looks > 0)
    throw UsageError("--looks needs SLI sessions in both versions; the selection holds only "
                     "sweep sessions (gate on range with --range-margin, a single look)");
  if (looks > 0) {
    const Gate& g = *r.gate;
    GateLookRecord rec;
    rec.selection = key;
    rec.look = g.look->look;
    rec.max_looks = g.look->max_looks;
    rec.margin = g.margin;
    rec.alpha = g.alpha;
    rec.spending = g.look->spending;
    rec.information = g.look->information.back();
    rec.z = g.z;
    rec.critical = g.look->critical;
    rec.verdict = to_string(g.verdict);
    rec.candidate_sessions = r.arms[1].sli_counts.trials;
    rec.baseline_sessions = r.arms[0].sli_counts.trials;
    rec.recorded_at = utc_now_iso();
    Journal journal = Journal::open(o.db);
    record_gate_look(journal, rec);
  }
  RenderInput in;
  in.document = [&r] { return gate_document(r); };
  in.report = &r;
  in.text = style;
  emit(render(format, in), o.output, out);
  // With the report in a file, the log still shows the decision.
  if (!o.output.empty()) {
    out << r.verdict << "\n";
    for (const auto& m : r.notes.muted)  // issue 16 item 6: the log says a mute was applied
      out << "mute applied: lock " << printable(m.lock_id) << " (muted until "
          << printable(m.mute_until) << ") left out of the verdict; see the report's Muted locks\n";
  }
  if (r.range && r.range->gate) {
    if (!o.output.empty()) out << r.range->gate->sentence << "\n";
    return r.range->gate->exit_code;
  }
  return r.gate->exit_code;
}

int cmd_plan(const std::vector<std::string>& args, std::ostream& out) {
  std::string baseline_text, drop_text, alpha_text = "0.05", power_text = "0.8", margin_text,
                                        format_name = "text";
  int looks = 1;
  std::vector<std::string> stratum_texts;
  po::options_description desc("Options");
  desc.add_options()("help,h", "explain the options")(
      "baseline-rate", po::value(&baseline_text),
      "the baseline's session SLI, a rate (0.995 or 99.5%)")(
      "drop", po::value(&drop_text),
      "the drop to detect, a difference of rates: 0.5pp (or 0.5pts) or the fraction 0.005")(
      "alpha", po::value(&alpha_text)->default_value(alpha_text),
      "significance level (two-sided for detecting the drop, one-sided for the gate)")(
      "power", po::value(&power_text)->default_value(power_text), "power")(
      "margin", po::value(&margin_text),
      "also plan the release gate (non-inferiority) with this margin (0.5pp or 0.005)")(
      "looks", po::value(&looks)->default_value(1),
      "with --margin: the gate's maximum number of looks, as `gate --looks N` (sessions at the "
      "last look; each look at an equal share)")(
      "stratum", po::value(&stratum_texts),
      "with --margin: a door material of the gate's strata, NAME=RATE[:SHARE] (e.g. "
      "steel=99.0%:0.25; shares default to equal; repeat for each); without it one stratum at "
      "--baseline-rate")(
      "format", po::value(&format_name)->default_value(format_name),
      format_choices(FormatCommand::plan).c_str());
  const po::variables_map vm = parse("plan", args, desc);
  if (vm.count("help")) {
    out << "Usage: lockrig plan --baseline-rate R --drop D [--alpha A] [--power P] [--margin M]\n\n"
           "Sessions per version needed to detect a drop of the session SLI from R to R - D\n"
           "(two-sided test of two proportions, as R's power.prop.test) and, with --margin, for\n"
           "the release gate to pass when both versions are truly equally reliable.\n\n"
        << desc
        << "\nExample: lockrig plan --baseline-rate 99.5% --drop 0.5pts   (4,673 per version)\n"
           "Exit codes: 0 ok, 2 usage error.\n";
    return 0;
  }
  if (baseline_text.empty() || drop_text.empty())
    throw UsageError(
        "lockrig plan needs --baseline-rate and --drop (e.g. --baseline-rate 0.995 "
        "--drop 0.005)");
  const OutputFormat& format = output_format(FormatCommand::plan, format_name);
  const double p = parse_rate(baseline_text, "--baseline-rate");
  const double drop = parse_difference(drop_text, "--drop");
  if (!(drop > 0.0) || !(drop < p))
    throw UsageError("--drop must be above 0 and below the baseline rate " + pct(p) + ", got " +
                     quote(drop_text));
  const double alpha = parse_fraction(alpha_text, "--alpha");
  check_range(alpha, 0.0, 0.5, true, true, "--alpha", alpha_text);
  const double power = parse_fraction(power_text, "--power");
  check_range(power, 0.0, 1.0, true, true, "--power", power_text);
  if (power <= alpha)
    throw UsageError("--power " + quote(power_text) + " must be above --alpha " +
                     quote(alpha_text));
  std::optional<double> margin;
  if (vm.count("margin")) {
    margin = parse_difference(margin_text, "--margin");
  }
  PlanFigures plan;
  plan.baseline_rate = p;
  plan.candidate_rate = p - drop;
  plan.drop = drop;
  plan.alpha = alpha;
  plan.power = power;
  plan.sessions_exact = stats::sample_size_two_proportions(p, plan.candidate_rate, alpha, power);
  plan.sessions = static_cast<long>(std::ceil(plan.sessions_exact - 1e-9));
  if (!margin && (!vm["looks"].defaulted() || !stratum_texts.empty()))
    throw UsageError("--looks and --stratum plan the release gate: give --margin too");
  if (looks < 1 || looks > 20)
    throw UsageError("--looks must be 1 to 20, got " + std::to_string(looks));
  if (margin) {
    // The gate's own test and design (reports/stats/gate_plan.hpp): the stratified score test
    // over the strata, both versions truly at each stratum's rate, and its looks.
    plan.margin = margin;
    plan.looks = looks;
    stats::GateDesign design;
    design.margin = *margin;
    design.alpha = alpha;
    design.power = power;
    design.max_looks = looks;
    if (stratum_texts.empty()) {
      plan.strata.push_back({"all", 1.0, p});
    } else {
      double given = 0.0;
      int unshared = 0;
      for (const auto& t : stratum_texts) {
        const auto eq = t.find('=');
        if (eq == std::string::npos || eq == 0)
          throw UsageError("--stratum wants NAME=RATE[:SHARE] such as steel=99.0%:0.25, got " +
                           quote(t));
        const std::string rest = t.substr(eq + 1);
        const auto colon = rest.find(':');
        PlanFigures::Stratum st{t.substr(0, eq), 0.0,
                                parse_rate(rest.substr(0, colon), "--stratum " + t.substr(0, eq))};
        if (colon != std::string::npos) {
          st.share = parse_fraction(rest.substr(colon + 1), "--stratum share");
          check_range(st.share, 0.0, 1.0, true, false, "--stratum share", rest.substr(colon + 1));
          given += st.share;
        } else {
          ++unshared;
        }
        plan.strata.push_back(st);
      }
      if (given > 1.0 + 1e-9 || (unshared == 0 && std::fabs(given - 1.0) > 1e-9))
        throw UsageError("--stratum shares must add up to 1, they add up to " + num(given));
      for (auto& st : plan.strata)
        if (st.share == 0.0) st.share = (1.0 - given) / unshared;
    }
    for (const auto& st : plan.strata) {
      if (!(st.rate > *margin))
        throw UsageError("--stratum " + st.name + ": a rate of " + pct(st.rate) +
                         " leaves no room for the margin");
      design.strata.push_back({st.name, st.share, st.rate, st.rate});
    }
    stats::GatePlan g;
    try {
      g = stats::plan_gate(design);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("cannot plan the gate: ") + e.what());
    }
    plan.gate_sessions_exact = g.sessions;
    plan.gate_sessions = static_cast<long>(std::ceil(g.sessions - 1e-9));
    plan.fixed_sessions = static_cast<long>(std::ceil(g.fixed_sessions - 1e-9));
    for (double n : g.look_sessions) plan.look_sessions.push_back(static_cast<long>(std::ceil(n - 1e-9)));
    plan.expected_sessions = g.expected_sessions;
    plan.gate_power_method = stats::to_string(g.power_method);
    if (!g.cumulative_power.empty()) plan.gate_power = g.cumulative_power.back();
    plan.gate_power_se = g.power_se;
    plan.gate_replicates = g.replicates;
  }
  RenderInput in;
  in.plan = &plan;
  out << render(format, in);
  return 0;
}

}  // namespace lockrig::reports
