#include "web/routes.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <exception>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "reports/commands.hpp"
#include "reports/format.hpp"
#include "reports/json_writer.hpp"
#include "reports/slo.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/annotations.hpp"
#include "rig/journal/events.hpp"
#include "rig/journal/journal.hpp"
#include "rig/journal/serve_reader.hpp"
#include "web/static_assets.hpp"

namespace lockrig::web {

using reports::escape_html;
using reports::pct;
using reports::with_commas;

namespace {

// ---- request parsing ---------------------------------------------------------------------------

// A 400 (or 404) with its message, thrown while a route reads its parameters.
struct HttpError {
  int status;
  std::string message;
};

using Params = std::map<std::string, std::string>;

// The decoded query; a repeated or malformed parameter is a 400.
Params parse_query(std::string_view query) {
  Params out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    const auto key = url_decode(part.substr(0, eq));
    const auto value = url_decode(eq == std::string_view::npos ? "" : part.substr(eq + 1));
    if (!key || !value)
      throw HttpError{
          400, "malformed percent-escape in the query parameter " + quote(std::string(part))};
    if (!out.emplace(*key, *value).second)
      throw HttpError{400, "parameter " + quote(*key) + " given twice"};
  }
  return out;
}

// Refuses a parameter the route does not know (so a typo is not silently ignored).
void only(const Params& p, std::initializer_list<const char*> known) {
  for (const auto& [k, v] : p)
    if (std::none_of(known.begin(), known.end(), [&](const char* n) { return k == n; })) {
      std::string list;
      for (const char* n : known) list += (list.empty() ? "" : ", ") + std::string(n);
      throw HttpError{400, "unknown parameter " + quote(k) + " (this page takes " + list + ")"};
    }
}

// Free text that names something in the journal (a lock id, a firmware version, a run uuid):
// printable, at most 200 bytes, no path separator or '..' (path traversal is refused even though
// no parameter names a file), not starting with '-' (it is passed on as an option's value).
std::string text_param(const Params& p, const std::string& key) {
  const auto it = p.find(key);
  if (it == p.end()) throw HttpError{400, "missing parameter " + quote(key)};
  const std::string& v = it->second;
  if (v.empty() || v.size() > 200)
    throw HttpError{
        400, "parameter " + key + " must be 1 to 200 characters, got " + std::to_string(v.size())};
  if (v.find("..") != std::string::npos || v.find_first_of("/\\") != std::string::npos)
    throw HttpError{400,
                    "parameter " + key + " " + quote(v) + ": path separators and '..' are refused"};
  if (v.front() == '-')
    throw HttpError{400, "parameter " + key + " " + quote(v) + " starts with '-'"};
  for (unsigned char c : v)
    if (c < 0x20 || c == 0x7f)
      throw HttpError{400, "parameter " + key + " contains a control character"};
  return v;
}

std::optional<std::string> optional_text(const Params& p, const std::string& key) {
  if (!p.count(key)) return std::nullopt;
  return text_param(p, key);
}

long long int_param(const Params& p, const std::string& key, long long lo, long long hi) {
  const std::string v = text_param(p, key);
  long long n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n < lo || n > hi)
    throw HttpError{400, "parameter " + key + " must be a whole number from " + std::to_string(lo) +
                             " to " + std::to_string(hi) + ", got " + quote(v)};
  return n;
}

// An attribute name (firmware, app, material, ...): lower-case letters, digits and '_'.
std::string name_param(const Params& p, const std::string& key, const std::string& fallback) {
  if (!p.count(key)) return fallback;
  const std::string v = text_param(p, key);
  const bool ok = v.size() <= 40 && std::all_of(v.begin(), v.end(), [](unsigned char c) {
                    return std::islower(c) || std::isdigit(c) || c == '_' || c == ',';
                  });
  if (!ok)
    throw HttpError{
        400, "parameter " + key + " must be an attribute name such as firmware, got " + quote(v)};
  return v;
}

// The journal a page reads: db=N, an index into --db (never a path).
std::size_t db_param(const Journals& j, const Params& p) {
  if (!p.count("db")) return 0;
  return static_cast<std::size_t>(
      int_param(p, "db", 0, static_cast<long long>(j.paths.size()) - 1));
}

// ---- output helpers ----------------------------------------------------------------------------

std::string url_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string h(std::string_view s) {
  return escape_html(s);
}

std::string link(const std::string& href, std::string_view text) {
  return "<a href=\"" + h(href) + "\">" + h(text) + "</a>";
}

constexpr const char* kStyle =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1f2328}"
    "nav a{margin-right:1em}table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "th,td{border:1px solid #d0d7de;padding:.25em .6em;text-align:left;vertical-align:top}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f6f8fa}"
    "tr.bad td{background:#ffebe9}.st-running{color:#0969da;font-weight:bold}"
    ".st-interrupted,.st-aborted,.st-rig_fault{color:#cf222e;font-weight:bold}"
    "progress{width:10em}dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}"
    "dt{font-weight:bold}dd{margin:0}.err{color:#cf222e}footer{color:#57606a;margin-top:2em}"
    "@media print{nav,progress{display:none}table{font-size:10px}}";

std::string page(const std::string& title, const std::string& body, bool live = false) {
  std::string s =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>" +
      h(title) + " - lockrig</title><style>" + kStyle + "</style>";
  if (live) s += "<script src=\"/static/live.js\" defer></script>";
  s += "</head><body><nav><a href=\"/\">Runs</a><a href=\"/slo\">SLO</a>"
       "<a href=\"/report\">Report</a><a href=\"/history\">History</a></nav>\n<h1>" +
       h(title) + "</h1>\n" + body +
       "<footer>lockrig " LOCKRIG_VERSION
       " serve: read-only (docs/serve.md)</footer>"
       "</body></html>\n";
  return s;
}

std::string rate(long long ok, long long n) {
  return n > 0 ? pct(static_cast<double>(ok) / n) : "-";
}

// Seconds since the epoch of an ISO 8601 UTC time ("2026-11-22T08:00:00Z", fractions ignored).
std::optional<std::time_t> parse_utc(const std::string& iso) {
  std::tm tm{};
  int y = 0, mo = 0, d = 0, hh = 0, mi = 0, ss = 0;
  if (std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &hh, &mi, &ss) != 6)
    return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = hh;
  tm.tm_min = mi;
  tm.tm_sec = ss;
  return timegm(&tm);
}

// What the runs page shows of a run, computed once for the HTML and the JSON alike.
struct RunView {
  std::size_t db = 0;
  RunProgress p;
  std::string status;              // the journal's, or "interrupted"
  std::optional<long long> eta_s;  // running runs with sessions done
  long long sli_failures = 0;
};

RunView view_of(const Journals& j, std::size_t db, RunProgress p, std::time_t now) {
  RunView v;
  v.db = db;
  v.status = p.run.status;
  if (p.run.status == name(RunStatus::running) && j.run_alive &&
      !j.run_alive(j.paths[db], p.run.uuid))
    v.status = "interrupted";
  v.sli_failures = p.done.sli_sessions - p.done.sli_success;
  if (v.status == name(RunStatus::running) && p.done.sessions > 0 &&
      p.run.sessions_planned > p.done.sessions) {
    if (const auto t0 = parse_utc(p.run.started_at)) {
      const double elapsed = std::max<double>(0, static_cast<double>(now - *t0));
      v.eta_s = static_cast<long long>(
          elapsed * static_cast<double>(p.run.sessions_planned - p.done.sessions) /
          static_cast<double>(p.done.sessions));
    }
  }
  v.p = std::move(p);
  return v;
}

std::string eta_text(const std::optional<long long>& s) {
  if (!s) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", *s / 3600, *s / 60 % 60, *s % 60);
  return buf;
}

std::string labels_html(const std::map<std::string, std::string>& labels) {
  std::string s;
  for (const auto& [k, v] : labels) s += (s.empty() ? "" : " ") + h(k) + "=" + h(v);
  return s;
}

// What a journal file and its WAL look like from outside (size and modification time): a
// committed session changes it, so a page computed for one state is valid while it holds.
std::string journal_state(const std::string& path) {
  std::string state;
  for (const char* suffix : {"", "-wal"}) {
    struct stat st {};
    if (::stat((path + suffix).c_str(), &st) == 0)
      state += std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
               std::to_string(st.st_mtim.tv_nsec) + ";";
    else
      state += "-;";
  }
  return state;
}

// A value computed from one journal, kept while the journal is in the same state (journal_state);
// concurrent requests for the same key wait for one computation instead of each running it. An
// error is not kept: the next request tries again.
template <class T, class Compute>
T kept(const std::string& key, const std::string& db_path, Compute compute) {
  struct Entry {
    std::string state;
    std::shared_future<T> value;
  };
  static std::mutex mutex;
  static std::map<std::string, Entry> cache;
  const std::string state = journal_state(db_path);
  std::shared_future<T> value;
  std::promise<T> mine;
  bool compute_here = false;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(key);
    if (it != cache.end() && it->second.state == state) {
      value = it->second.value;
    } else {
      if (cache.size() >= 64) cache.clear();
      value = mine.get_future().share();
      cache[key] = {state, value};
      compute_here = true;
    }
  }
  if (compute_here) {
    try {
      mine.set_value(compute());
    } catch (...) {
      mine.set_exception(std::current_exception());
      std::lock_guard<std::mutex> lock(mutex);
      cache.erase(key);
    }
  }
  return value.get();
}

// Every journal's runs inside its own read snapshot. What the journal holds is kept while the
// journal is unchanged (a running night changes it with every commit, so its progress is read
// again on the next request); whether a run's process is alive and the ETA are worked out for
// every request. Before, each request opened the journal, whose open checks read the aggregate
// tables: about 0.1 s at 10 M attempts, and under 20 clients a p50 of 1.7 s for this page.
std::vector<RunView> all_runs(const Journals& j) {
  std::vector<RunView> out;
  const std::time_t now = std::time(nullptr);
  for (std::size_t db = 0; db < j.paths.size(); ++db) {
    auto progress = kept<std::vector<RunProgress>>("runs\n" + j.paths[db], j.paths[db], [&] {
      Journal journal = Journal::open_readonly(j.paths[db], Journal::CountChecks::when_read);
      Transaction snapshot(journal);
      return read_run_progress(journal);
    });
    for (auto& p : progress) out.push_back(view_of(j, db, std::move(p), now));
  }
  return out;
}

std::string run_href(std::size_t db, std::int64_t id) {
  return "/run?db=" + std::to_string(db) + "&id=" + std::to_string(id);
}
std::string lock_href(std::size_t db, const std::string& lock) {
  return "/lock?db=" + std::to_string(db) + "&id=" + url_encode(lock);
}
std::string session_href(std::size_t db, std::int64_t id) {
  return "/session?db=" + std::to_string(db) + "&id=" + std::to_string(id);
}

// The id prefix of a run's live cells: "r<db>-<run id>".
std::string cell_id(const RunView& v) {
  return "r" + std::to_string(v.db) + "-" + std::to_string(v.p.run.id);
}

std::string totals_cells(const SessionTotals& t, const std::string& id_prefix) {
  auto cell = [&](const std::string& name, const std::string& text) {
    return "<td class=\"n\"" + (id_prefix.empty() ? "" : " id=\"" + id_prefix + "-" + name + "\"") +
           ">" + h(text) + "</td>";
  };
  return cell("sli", rate(t.sli_success, t.sli_sessions)) +
         cell("slif", with_commas(t.sli_sessions - t.sli_success)) +
         cell("failed", with_commas(t.failed)) + cell("rigf", with_commas(t.rig_fault_sessions));
}

// ---- pages -------------------------------------------------------------------------------------

Response runs_page(const Journals& j, const Params& p) {
  only(p, {});
  const auto runs = all_runs(j);
  std::string b =
      "<p>Every run of " + std::to_string(j.paths.size()) +
      " journal(s), newest first. Running nights refresh every 2 s with JavaScript; without it, "
      "reload the page.</p>\n<table id=\"runs\"><tr><th>journal</th><th>run</th><th>rig</th>"
      "<th>started</th><th>status</th><th>progress</th><th>done / planned</th><th>SLI</th>"
      "<th>SLI failures</th><th>failed sessions</th><th>rig-fault sessions</th><th>ETA</th>"
      "<th>labels</th></tr>\n";
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    const RunView& v = *it;
    const auto& r = v.p.run;
    const std::string id = cell_id(v);
    b += std::string("<tr") + (v.status == "running" ? " class=\"live\"" : "") + " data-db=\"" +
         std::to_string(v.db) + "\" data-run=\"" + std::to_string(r.id) + "\"><td>" +
         h(j.paths[v.db]) + "</td><td>" + link(run_href(v.db, r.id), std::to_string(r.id)) +
         "</td><td>" + h(r.rig) + "</td><td>" + h(r.started_at) + "</td><td id=\"" + id +
         "-status\" class=\"st-" + h(v.status) + "\">" + h(v.status) + "</td><td><progress id=\"" +
         id + "-bar\" max=\"" + std::to_string(std::max<long long>(r.sessions_planned, 1)) +
         "\" value=\"" + std::to_string(v.p.done.sessions) +
         "\"></progress></td><td class=\"n\" id=\"" + id + "-done\">" +
         with_commas(v.p.done.sessions) + " / " + with_commas(r.sessions_planned) + "</td>" +
         totals_cells(v.p.done, id) + "<td class=\"n\" id=\"" + id + "-eta\">" + eta_text(v.eta_s) +
         "</td><td>" + labels_html(r.labels) + "</td></tr>\n";
  }
  b += "</table>\n";
  if (runs.empty()) b += "<p>No runs yet.</p>\n";
  return {200, "text/html; charset=utf-8", page("Runs", b, true), {{"Cache-Control", "no-store"}}};
}

Response runs_json(const Journals& j, const Params& p) {
  only(p, {});
  reports::JsonWriter w(true);
  w.begin_object().key("runs").begin_array();
  for (const auto& v : all_runs(j)) {
    const auto& r = v.p.run;
    w.begin_object(reports::JsonWriter::Layout::compact)
        .field("db", static_cast<long long>(v.db))
        .field("id", static_cast<long long>(r.id))
        .field("uuid", r.uuid)
        .field("rig", r.rig)
        .field("started_at", r.started_at)
        .field("status", v.status)
        .field("planned", r.sessions_planned)
        .field("done", v.p.done.sessions)
        .field("sli_sessions", v.p.done.sli_sessions)
        .field("sli_success", v.p.done.sli_success)
        .field("sli_failures", v.sli_failures)
        .field("failed", v.p.done.failed)
        .field("rig_fault_sessions", v.p.done.rig_fault_sessions)
        .field("eta_s", v.eta_s)
        .field("done_text",
               with_commas(v.p.done.sessions) + " / " + with_commas(r.sessions_planned))
        .field("sli_text", rate(v.p.done.sli_success, v.p.done.sli_sessions))
        .field("eta_text", eta_text(v.eta_s))
        .end_object();
  }
  w.end_array().end_object();
  return {200, "application/json", w.str(), {{"Cache-Control", "no-store"}}};
}

std::string lock_table(std::size_t db, const std::vector<LockTotals>& locks, bool by_run) {
  std::string b = std::string("<table><tr><th>") + (by_run ? "run" : "lock") +
                  "</th><th>model</th><th>material</th><th>firmware</th><th>sessions</th>"
                  "<th>SLI</th><th>SLI failures</th><th>failed</th><th>rig-fault sessions</th>"
                  "</tr>\n";
  for (const auto& l : locks) {
    const bool bad = l.done.sli_sessions > l.done.sli_success || l.done.failed > 0;
    b += std::string("<tr") + (bad ? " class=\"bad\"" : "") + "><td>" +
         (by_run ? link(run_href(db, l.run_id), std::to_string(l.run_id))
                 : link(lock_href(db, l.lock_id), l.lock_id)) +
         "</td><td>" + h(l.model) + "</td><td>" + h(l.material) + "</td><td>" + h(l.firmware) +
         "</td><td class=\"n\">" + with_commas(l.done.sessions) + "</td>" +
         totals_cells(l.done, "") + "</tr>\n";
  }
  return b + "</table>\n";
}

std::string session_table(std::size_t db, const std::vector<SessionRow>& rows) {
  if (rows.empty()) return "<p>None.</p>\n";
  std::string b =
      "<table><tr><th>session</th><th>run</th><th>lock</th><th>scenario</th><th>repetition</th>"
      "<th>expect</th><th>result</th><th>outcome</th><th>attempts</th><th>SLI</th></tr>\n";
  for (const auto& s : rows)
    b += "<tr class=\"bad\"><td>" + link(session_href(db, s.id), std::to_string(s.id)) +
         "</td><td>" + link(run_href(db, s.run_id), std::to_string(s.run_id)) + "</td><td>" +
         link(lock_href(db, s.lock_id), s.lock_id) + "</td><td>" + h(s.scenario) +
         "</td><td class=\"n\">" + std::to_string(s.repetition) + "</td><td>" + h(s.expect) +
         "</td><td>" + h(s.result) + "</td><td>" + h(s.outcome) + "</td><td class=\"n\">" +
         std::to_string(s.attempts) + "</td><td>" +
         (s.sli_eligible ? (s.sli_success ? "success" : "failure") : "not counted") +
         "</td></tr>\n";
  return b + "</table>\n";
}

// Issue 16 item 6 (docs/annotate.md): the triage notes on a page's run, lock or session, every
// journal string escaped; nothing when there are none (or the journal predates notes).
std::string notes_html(const std::vector<AnnotationRecord>& notes) {
  if (notes.empty()) return "";
  std::string b = "<h2>Notes</h2>\n<table class=\"notes\"><tr><th>written</th><th>by</th>"
                  "<th>about</th><th>mute</th><th>note</th></tr>\n";
  for (const auto& n : notes)
    b += "<tr><td>" + h(n.created_at.substr(0, 16)) + "</td><td>" + h(n.author) + "</td><td>" +
         h(n.subject()) + "</td><td>" + h(n.mute_until.empty() ? "-" : "until " + n.mute_until) +
         "</td><td>" + h(n.text) + "</td></tr>\n";
  return b + "</table>\n";
}

Response run_page(const Journals& j, const Params& p) {
  only(p, {"db", "id"});
  const std::size_t db = db_param(j, p);
  const auto id = int_param(p, "id", 1, INT64_MAX);
  Journal journal = Journal::open_readonly(j.paths[db], Journal::CountChecks::when_read);
  Transaction snapshot(journal);
  auto progress = read_one_run_progress(journal, id);
  if (!progress)
    throw HttpError{404, "journal " + j.paths[db] + " has no run " + std::to_string(id)};
  const RunView v = view_of(j, db, std::move(*progress), std::time(nullptr));
  const auto& r = v.p.run;
  std::string b =
      "<dl><dt>uuid</dt><dd>" + h(r.uuid) + "</dd><dt>journal</dt><dd>" + h(j.paths[db]) +
      "</dd><dt>rig</dt><dd>" + h(r.rig) + " on " + h(r.host) + "</dd><dt>started</dt><dd>" +
      h(r.started_at) + "</dd><dt>ended</dt><dd>" + h(r.ended_at.empty() ? "-" : r.ended_at) +
      "</dd><dt>status</dt><dd class=\"st-" + h(v.status) + "\">" + h(v.status) +
      "</dd><dt>clock</dt><dd>" + h(r.clock) + "</dd><dt>sessions</dt><dd>" +
      with_commas(v.p.done.sessions) + " of " + with_commas(r.sessions_planned) + " planned; ETA " +
      eta_text(v.eta_s) + "</dd><dt>SLI</dt><dd>" +
      rate(v.p.done.sli_success, v.p.done.sli_sessions) + " (" + with_commas(v.sli_failures) +
      " SLI failures, " + with_commas(v.p.done.failed) + " failed sessions, " +
      with_commas(v.p.done.rig_fault_sessions) + " voided by rig faults)</dd><dt>labels</dt><dd>" +
      labels_html(r.labels) + "</dd></dl>\n<p>" +
      link("/report?db=" + std::to_string(db) + "&run=" + url_encode(r.uuid),
           "The report of this night") +
      "</p>\n<h2>Locks</h2>\n" + lock_table(db, read_run_lock_totals(journal, id), false) +
      "<h2>Sessions that did not pass (latest 100)</h2>\n" +
      session_table(db, read_unpassed_sessions(journal, id, std::nullopt, 100));
  AnnotationQuery notes;  // about the run, its locks in it and its sessions
  notes.run_uuids = {r.uuid};
  notes.include_lock_wide = false;
  b += notes_html(read_annotations(journal, notes));
  return {200,
          "text/html; charset=utf-8",
          page("Run " + std::to_string(id) + " (" + r.rig + ")", b),
          {{"Cache-Control", "no-store"}}};
}

Response lock_page(const Journals& j, const Params& p) {
  only(p, {"db", "id"});
  const std::size_t db = db_param(j, p);
  const std::string lock = text_param(p, "id");
  Journal journal = Journal::open_readonly(j.paths[db], Journal::CountChecks::when_read);
  Transaction snapshot(journal);
  const auto history = read_lock_history(journal, lock);
  if (history.empty())
    throw HttpError{404, "journal " + j.paths[db] + " has no lock " + quote(lock)};
  AnnotationQuery q;
  q.lock_ids = {lock};
  const auto notes = read_annotations(journal, q);
  std::string b;
  if (const auto mute = latest_mute(notes, lock))  // the mute rule of docs/annotate.md
    b += "<p class=\"warning\">Muted until " + h(mute->mute_until) + " (inclusive) by " +
         h(mute->author) + ": " + h(mute->text) +
         ". A report or gate whose newest run with this lock is on or before that date leaves "
         "it out of the verdict and lists it apart.</p>\n";
  b += "<h2>Runs</h2>\n" + lock_table(db, history, true) +
       "<h2>Sessions that did not pass (latest 100)</h2>\n" +
       session_table(db, read_unpassed_sessions(journal, std::nullopt, lock, 100)) +
       notes_html(notes);
  return {200, "text/html; charset=utf-8", page("Lock " + lock, b), {}};
}

std::string ns_ms(std::int64_t ns) {
  return reports::num(static_cast<double>(ns) / 1e6, 6) + " ms";
}

Response session_page(const Journals& j, const Params& p) {
  only(p, {"db", "id"});
  const std::size_t db = db_param(j, p);
  const auto id = int_param(p, "id", 1, INT64_MAX);
  Journal journal = Journal::open_readonly(j.paths[db], Journal::CountChecks::when_read);
  Transaction snapshot(journal);
  const auto d = read_session_detail(journal, id);
  if (!d) throw HttpError{404, "journal " + j.paths[db] + " has no session " + std::to_string(id)};
  const auto& s = d->session;
  std::string b =
      "<dl><dt>run</dt><dd>" + link(run_href(db, s.run_id), std::to_string(s.run_id)) + " (" +
      h(d->run_uuid) + ", started " + h(d->run_started_at) + ")</dd><dt>lock</dt><dd>" +
      link(lock_href(db, s.lock_id), s.lock_id) + " (" + h(d->material) + ", firmware " +
      h(d->firmware) + ")</dd><dt>scenario</dt><dd>" + h(s.scenario) + " step " +
      std::to_string(s.step) + ", repetition " + std::to_string(s.repetition) +
      "</dd><dt>expect</dt><dd>" + h(s.expect) + "</dd><dt>result</dt><dd>" + h(s.result) + " (" +
      h(s.outcome) + ")</dd><dt>SLI</dt><dd>" +
      (s.sli_eligible ? (s.sli_success ? "success" : "failure") : "not counted") +
      "</dd><dt>time in run</dt><dd>" + ns_ms(s.started_ns) + " to " + ns_ms(s.ended_ns) +
      "</dd></dl>\n<h2>Attempts</h2>\n<table><tr><th>#</th><th>start</th><th>end</th>"
      "<th>latency</th><th>RSSI</th><th>outcome</th><th>class</th><th>phase</th><th>detail</th></"
      "tr>\n";
  for (const auto& a : d->attempts)
    b += std::string("<tr") + (a.outcome == "success" ? "" : " class=\"bad\"") +
         "><td class=\"n\">" + std::to_string(a.number) + "</td><td class=\"n\">" +
         ns_ms(a.started.count()) + "</td><td class=\"n\">" + ns_ms(a.ended.count()) +
         "</td><td class=\"n\">" +
         (a.latency ? reports::ms(static_cast<double>(a.latency->count()) / 1e6) : "-") +
         "</td><td class=\"n\">" + (a.rssi_dbm ? std::to_string(*a.rssi_dbm) + " dBm" : "-") +
         "</td><td>" + h(a.outcome) + "</td><td>" + h(class_name(a.cls)) + "</td><td>" +
         h(a.phase) + "</td><td>" + h(a.detail) + "</td></tr>\n";
  b += "</table>\n<h2>Events while it ran (the lock's and the rig's)</h2>\n";
  if (d->events.empty())
    b += "<p>None.</p>\n";
  else {
    b += "<table><tr><th>time in run</th><th>lock</th><th>kind</th><th>target</th><th>value</th>"
         "<th>detail</th></tr>\n";
    for (const auto& e : d->events)
      b += "<tr><td class=\"n\">" + ns_ms(e.t.count()) + "</td><td>" + h(e.lock_id) + "</td><td>" +
           h(e.kind) + "</td><td>" + h(e.target) + "</td><td>" + h(e.value) + "</td><td>" +
           h(e.detail) + "</td></tr>\n";
    b += "</table>\n";
  }
  AnnotationQuery q;
  q.run_uuids = {d->run_uuid};
  q.lock_ids = {s.lock_id};
  q.include_lock_wide = false;
  std::vector<AnnotationRecord> notes;
  for (auto& n : read_annotations(journal, q))  // this session's, and its lock's in this run
    if (!n.is_session() || (n.scenario == s.scenario && *n.repetition == s.repetition &&
                            *n.step == s.step))
      notes.push_back(std::move(n));
  b += notes_html(notes);
  return {200, "text/html; charset=utf-8", page("Session " + std::to_string(id), b), {}};
}

// A command of reports/ run in-process on the chosen journal, rendered as HTML: the same options,
// document model and renderer as on the command line, so the figures are the same. The page is
// kept while the journal is unchanged, and concurrent requests for the same page wait for one
// computation instead of each computing it (a report of a large journal takes a good fraction
// of a second of CPU; twenty viewers of a finished night need it once).
Response command_page(const char* name, int (*cmd)(const std::vector<std::string>&, std::ostream&),
                      const std::string& db_path, std::vector<std::string> args) {
  args.insert(args.begin(), {"--db=" + db_path, "--format=html"});
  std::string key = name;
  for (const auto& a : args) key += '\n' + a;
  try {
    std::string body = kept<std::string>(key, db_path, [&] {
      std::ostringstream out;
      cmd(args, out);
      return out.str();
    });
    return {200, "text/html; charset=utf-8", std::move(body), {{"Cache-Control", "no-store"}}};
  } catch (const UsageError& e) {
    throw HttpError{400, e.what()};
  }
}

// /report: `lockrig report` with by=ATTRIBUTE&baseline=X&candidate=Y (a version comparison),
// run=UUID, last=N, strata=ATTRIBUTE.
Response report_page(const Journals& j, const Params& p) {
  only(p, {"db", "by", "baseline", "candidate", "run", "last", "strata"});
  const std::size_t db = db_param(j, p);
  const std::string by = name_param(p, "by", "firmware");
  std::vector<std::string> args;
  const auto baseline = optional_text(p, "baseline"), candidate = optional_text(p, "candidate");
  if (baseline.has_value() != candidate.has_value())
    throw HttpError{400, "a comparison needs both baseline and candidate"};
  if (baseline) {
    args.push_back("--baseline=" + by + "=" + *baseline);
    args.push_back("--candidate=" + by + "=" + *candidate);
  }
  if (const auto run = optional_text(p, "run")) args.push_back("--run=" + *run);
  if (p.count("last")) args.push_back("--last=" + std::to_string(int_param(p, "last", 1, 100000)));
  if (p.count("strata")) args.push_back("--strata=" + name_param(p, "strata", ""));
  return command_page("report", &reports::cmd_report, j.paths[db], std::move(args));
}

// /history: `lockrig report --history BY` (issue 16 item 2): the SLI per build in order of first
// appearance and the change point, with by=ATTRIBUTE (firmware), strata=ATTRIBUTE, last=N.
Response history_page(const Journals& j, const Params& p) {
  only(p, {"db", "by", "strata", "last"});
  const std::size_t db = db_param(j, p);
  std::vector<std::string> args{"--history=" + name_param(p, "by", "firmware")};
  if (p.count("last")) args.push_back("--last=" + std::to_string(int_param(p, "last", 1, 100000)));
  if (p.count("strata")) args.push_back("--strata=" + name_param(p, "strata", ""));
  return command_page("report", &reports::cmd_report, j.paths[db], std::move(args));
}

// /slo: `lockrig slo` with target=99.5%, window=28d, by=material,lock, last=N.
Response slo_page(const Journals& j, const Params& p) {
  only(p, {"db", "target", "window", "by", "last"});
  const std::size_t db = db_param(j, p);
  std::vector<std::string> args;
  if (const auto t = optional_text(p, "target")) args.push_back("--target=" + *t);
  if (const auto w = optional_text(p, "window")) args.push_back("--window=" + *w);
  if (p.count("by")) args.push_back("--by=" + name_param(p, "by", ""));
  if (p.count("last")) args.push_back("--last=" + std::to_string(int_param(p, "last", 1, 100000)));
  return command_page("slo", &reports::cmd_slo, j.paths[db], std::move(args));
}

Response error_page(int status, const std::string& message) {
  const char* title = status == 404   ? "Not found"
                      : status == 405 ? "Method not allowed"
                      : status == 500 ? "Journal error"
                                      : "Bad request";
  return {status,
          "text/html; charset=utf-8",
          page(title, "<p class=\"err\">" + h(message) + "</p>\n"),
          {}};
}

}  // namespace

std::optional<std::string> url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
        return std::nullopt;
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

Response handle(const Journals& journals, const Request& request) {
  try {
    if (request.method != "GET" && request.method != "HEAD") {
      Response r = error_page(405, "lockrig serve is read-only: only GET and HEAD are answered");
      r.headers["Allow"] = "GET, HEAD";
      return r;
    }
    const std::string& target = request.target;
    const auto q = target.find('?');
    const std::string raw_path = target.substr(0, q);
    const auto path = url_decode(raw_path);
    if (!path || path->empty() || path->front() != '/')
      throw HttpError{400, "malformed request target " + quote(target)};
    if (path->find("..") != std::string::npos || path->find('\\') != std::string::npos ||
        path->find("//") != std::string::npos || path->find('\0') != std::string::npos)
      throw HttpError{400, "path traversal refused: " + quote(*path)};
    const Params params = parse_query(q == std::string::npos ? "" : target.substr(q + 1));
    if (*path == "/") return runs_page(journals, params);
    if (*path == "/api/runs") return runs_json(journals, params);
    if (*path == "/run") return run_page(journals, params);
    if (*path == "/lock") return lock_page(journals, params);
    if (*path == "/session") return session_page(journals, params);
    if (*path == "/report") return report_page(journals, params);
    if (*path == "/slo") return slo_page(journals, params);
    if (*path == "/history") return history_page(journals, params);
    if (*path == "/static/live.js") {
      only(params, {});
      return {200, "text/javascript; charset=utf-8", live_js(), {{"Cache-Control", "max-age=300"}}};
    }
    throw HttpError{404, "no page " + quote(*path) +
                             "; the pages are /, /run, /lock, /session, "
                             "/report, /history, /slo and /api/runs"};
  } catch (const HttpError& e) {
    return error_page(e.status, e.message);
  } catch (const JournalError& e) {
    return error_page(500, e.what());
  } catch (const std::exception& e) {
    return error_page(500, std::string("internal error: ") + e.what());
  }
}

}  // namespace lockrig::web
