// lockrig annotate (issue 16 item 6, docs/annotate.md): triage notes on a run, a lock or a
// session, a lock's mute, and the list of notes. Notes are append-only: --unmute is a later note
// that ends the mute, nothing is edited in place. A note is one short write transaction, so a
// run writing the same journal waits for one insert at most (rig/journal/annotations.hpp).
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "rig/app/commands.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/options.hpp"
#include "rig/base/text.hpp"
#include "rig/engine/runner.hpp"  // make_uuid_v4, utc_now_iso8601
#include "rig/journal/annotations.hpp"
#include "rig/journal/evidence.hpp"  // find_run

namespace po = boost::program_options;

namespace lockrig {

namespace {

// 'YYYY-MM-DD' of today + `days`, UTC.
std::string utc_date(int days = 0) {
  std::time_t t = std::time(nullptr) + static_cast<std::time_t>(days) * 86400;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

// A calendar date 'YYYY-MM-DD' (a day that exists: no 2026-02-30), today or later.
std::string parse_mute_until(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return UsageError("--mute-until " + quote(text) + ": " + why);
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' ||
      text.find_first_not_of("0123456789-") != std::string::npos ||
      text.substr(0, 4).find('-') != std::string::npos ||
      text.substr(5, 2).find('-') != std::string::npos ||
      text.substr(8, 2).find('-') != std::string::npos)
    throw bad("not a date; give YYYY-MM-DD, e.g. 2026-12-31");
  const int y = std::stoi(text.substr(0, 4)), m = std::stoi(text.substr(5, 2)),
            d = std::stoi(text.substr(8, 2));
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (m < 1 || m > 12 || d < 1 || d > days[m - 1] + (m == 2 && leap ? 1 : 0))
    throw bad("no such day");
  const std::string today = utc_date();
  if (text < today)
    throw bad("is in the past (today is " + today + ", UTC); a mute runs up to and including "
              "its date");
  return text;
}

std::string default_author() {
  const char* user = std::getenv("USER");
  return user && *user ? user : "unknown";
}

void print_notes(const std::vector<AnnotationRecord>& notes) {
  if (notes.empty()) {
    std::puts("no notes");
    return;
  }
  for (const auto& n : notes) {
    std::string line = printable(n.created_at.substr(0, 19)) + "  " + printable(n.author) + "  " +
                       printable(n.subject());
    if (!n.mute_until.empty()) line += "  [muted until " + printable(n.mute_until) + "]";
    line += ": " + printable(n.text);
    std::puts(line.c_str());
  }
}

}  // namespace

int annotate_command(const CommandLine& cl) {
  std::string db_path, run_sel, lock_id, session_sel, mute_until, author, text;
  po::options_description desc("Options");
  desc.add_options()("help,h", "explain the options")(
      "db", po::value(&db_path)->default_value("lockrig.db"), "journal to annotate")(
      "run", po::value(&run_sel), "the run (id or uuid, as lockrig runs lists them)")(
      "lock", po::value(&lock_id), "the lock (as the fixture names it); with --run: in that run")(
      "session", po::value(&session_sel),
      "the session, RUN/SESSION as lockrig show and the reports name it (or SESSION with --run)")(
      "mute-until", po::value(&mute_until),
      "with --lock (no --run): mute the lock up to and including YYYY-MM-DD (UTC): still "
      "measured, listed apart from the verdict, the gate does not fail on it alone")(
      "unmute", "with --lock: end the lock's mute (a later note; the earlier one stays)")(
      "author", po::value(&author), "who writes the note (default: $USER, else \"unknown\")")(
      "list", "list the notes (with --run and/or --lock: about those)")(
      "text", po::value(&text), "the note");
  po::positional_options_description pos;
  pos.add("text", 1);
  po::variables_map vm = parse_options("annotate", cl.args, desc, &pos);
  if (vm.count("help")) {
    print_help(
        "Usage: lockrig annotate [--db FILE] (--run R | --lock L | --run R --lock L |\n"
        "                        --session RUN/SESSION) [--author A] TEXT\n"
        "       lockrig annotate [--db FILE] --lock L --mute-until YYYY-MM-DD [TEXT]\n"
        "       lockrig annotate [--db FILE] --lock L --unmute [TEXT]\n"
        "       lockrig annotate [--db FILE] --list [--run R] [--lock L]\n\n"
        "Records a triage note (a bug id, \"relay replaced\", \"known flaky\") on a run, a lock\n"
        "(in every run, or in one with --run) or a session. lockrig report, gate and serve show\n"
        "the notes on what they select. Notes are append-only: a later note supersedes an\n"
        "earlier one (--unmute ends a mute), none is edited. A muted lock is still measured\n"
        "but listed apart from the verdict; the gate's verdict leaves it out (docs/annotate.md).\n"
        "Exit codes: 0 written or listed, 2 usage error (nothing written).\n",
        desc);
    return exit_code::ok;
  }
  if (vm.count("list")) {
    if (!text.empty() || vm.count("mute-until") || vm.count("unmute") || vm.count("session") ||
        vm.count("author"))
      throw UsageError("--list takes only --run and --lock (got a note to write as well)");
    Journal j = Journal::open_readonly(db_path);
    AnnotationQuery q;
    if (vm.count("run")) q.run_uuids.push_back(find_run(j, run_sel).uuid);
    if (vm.count("lock")) {
      if (!lock_known(j, lock_id)) throw UsageError("journal " + quote(db_path) + " has no lock " + quote(lock_id));
      q.lock_ids.push_back(lock_id);
    }
    print_notes(read_annotations(j, q));
    return exit_code::ok;
  }
  // Everything is checked before the journal is opened for writing: a bad note writes nothing.
  const bool unmute = vm.count("unmute") > 0;
  if (vm.count("mute-until") && unmute)
    throw UsageError("--mute-until and --unmute contradict each other; give one");
  if ((vm.count("mute-until") || unmute) && (!vm.count("lock") || vm.count("run") ||
                                              vm.count("session")))
    throw UsageError(std::string(unmute ? "--unmute" : "--mute-until") +
                     " is about a lock in every run: give --lock L without --run or --session");
  if (vm.count("mute-until")) mute_until = parse_mute_until(mute_until);
  // The mute ends yesterday: today's runs count again. The model is Prometheus Alertmanager's
  // silences (prometheus/alertmanager, silence/silence.go, Silences.expire): expiring one sets
  // its end to now and keeps it, and a silence cannot be created to end in the past.
  if (unmute) mute_until = utc_date(-1);
  if (text.empty() && mute_until.empty())
    throw UsageError("lockrig annotate wants the note's text (lockrig annotate --lock L \"relay "
                     "replaced\"), or --list");
  if (text.empty()) text = unmute ? "unmuted" : "muted until " + mute_until;
  if (vm.count("session") && vm.count("lock"))
    throw UsageError("--session names its lock already; leave out --lock " + quote(lock_id));
  if (!vm.count("run") && !vm.count("lock") && !vm.count("session"))
    throw UsageError("say what the note is about: --run R, --lock L or --session RUN/SESSION");
  if (vm.count("author") && author.empty()) throw UsageError("--author is empty");
  if (!vm.count("author")) author = default_author();

  if (!std::filesystem::exists(db_path))
    throw UsageError("no journal " + quote(db_path) + " (give --db FILE)");
  Journal j = Journal::open(db_path);  // upgrades an older journal to the annotations table
  AnnotationRecord note;
  if (vm.count("session")) {
    std::string rs = run_sel, ss = session_sel;
    if (const auto slash = session_sel.find('/'); slash != std::string::npos) {
      if (vm.count("run"))
        throw UsageError("--session " + quote(session_sel) + " names its run; leave out --run");
      rs = session_sel.substr(0, slash);
      ss = session_sel.substr(slash + 1);
    } else if (!vm.count("run")) {
      throw UsageError("--session " + quote(session_sel) +
                       ": give RUN/SESSION (as lockrig show lists them) or --run R");
    }
    if (ss.empty() || ss.size() > 18 || ss.find_first_not_of("0123456789") != std::string::npos)
      throw UsageError("--session " + quote(session_sel) + ": " + quote(ss) +
                       " is not a session id (a number, as lockrig show RUN lists them)");
    const RunRecord run = find_run(j, rs);
    const auto key = session_key(j, run.id, std::stoll(ss));
    if (!key)
      throw UsageError("--session " + quote(session_sel) + ": run " + std::to_string(run.id) +
                       " has no session " + quote(ss) + " (see lockrig show " +
                       std::to_string(run.id) + ")");
    note.run_uuid = key->run_uuid;
    note.lock_id = key->lock_id;
    note.scenario = key->scenario;
    note.repetition = key->repetition;
    note.step = key->step;
  } else {
    std::optional<std::int64_t> run_id;
    if (vm.count("run")) {
      const RunRecord run = find_run(j, run_sel);
      note.run_uuid = run.uuid;
      run_id = run.id;
    }
    if (vm.count("lock")) {
      if (!lock_known(j, lock_id, run_id))
        throw UsageError("journal " + quote(db_path) + " has no lock " + quote(lock_id) +
                         (run_id ? " in run " + std::to_string(*run_id) : std::string()) +
                         " (lockrig report lists the locks)");
      note.lock_id = lock_id;
    }
  }
  note.uuid = make_uuid_v4();
  note.created_at = utc_now_iso8601();
  note.author = author;
  note.mute_until = mute_until;
  note.text = text;
  add_annotation(j, note);
  std::printf("note %s on %s%s\n", note.uuid.c_str(), printable(note.subject()).c_str(),
              mute_until.empty() ? ""
              : unmute           ? " (mute ended)"
                                 : (" (muted until " + mute_until + ")").c_str());
  return exit_code::ok;
}

}  // namespace lockrig
