// Support for the black-box tests: run the real `lockrig` binary (fork/exec, output captured,
// optional timeout), make scratch directories, and read the journal it wrote with the sqlite3
// C API. Expectations are derived from the fixture and scenario files themselves (parsed with
// lockrig_core), never copied from an earlier run.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "rig/engine/fixture.hpp"
#include "rig/engine/scenario.hpp"

namespace lockrig::cli_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline std::string binary() {
  return LOCKRIG_BINARY;
}
inline std::string source_path(const std::string& rel) {
  return std::string(LOCKRIG_SOURCE_DIR) + "/" + rel;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

inline bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Replaces the one occurrence of `from` in `text`; throws if it is missing or ambiguous, so a
// change to a shipped file cannot silently turn a test into a no-op.
inline std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("text to replace not found: " + from);
  if (text.find(from, at + 1) != std::string::npos)
    throw std::runtime_error("text to replace occurs more than once: " + from);
  return text.replace(at, from.size(), to);
}

// 1-based line and column of the first occurrence of `token` in `text`.
inline std::pair<int, int> locate(const std::string& text, const std::string& token) {
  const auto at = text.find(token);
  if (at == std::string::npos) throw std::runtime_error("token not found: " + token);
  int line = 1, col = 1;
  for (std::size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

// "file:line:col" of `token` as lockrig should report it.
inline std::string where(const std::string& file, const std::string& text,
                         const std::string& token) {
  auto [line, col] = locate(text, token);
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

// A scratch directory, removed with everything in it (set LOCKRIG_KEEP_TMP=1 to keep it).
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/lockrig-cli-XXXXXX";
    if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~TempDir() {
    if (std::getenv("LOCKRIG_KEEP_TMP")) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::string write(const std::string& name, const std::string& text) const {
    write_file(file(name), text);
    return file(name);
  }

 private:
  std::string path_;
};

struct Result {
  bool exited = false;  // exited normally (rather than killed by a signal)
  int exit_code = -1;   // valid when exited
  int term_signal = 0;  // valid when !exited
  bool timed_out = false;
  std::string out, err;
  std::string command;

  // For assertion messages.
  std::string describe() const {
    std::ostringstream os;
    os << "command: " << command << "\n";
    if (timed_out) os << "TIMED OUT (killed)\n";
    if (exited)
      os << "exit code: " << exit_code << "\n";
    else
      os << "killed by signal " << term_signal << "\n";
    os << "--- stdout ---\n" << out.substr(0, 4000) << "\n--- stderr ---\n" << err.substr(0, 4000);
    return os.str();
  }
};

struct Spawn {
  std::string cwd;      // empty = inherit
  std::string program;  // empty = the lockrig binary; otherwise args follow this program
  std::chrono::milliseconds timeout = 60s;
};

// A running lockrig. Its stdout/stderr go to anonymous temporary files, so it never blocks on a
// full pipe while the test polls the journal.
class Process {
 public:
  explicit Process(const std::vector<std::string>& args, const Spawn& opt = {}) : opt_(opt) {
    std::vector<std::string> argv{opt.program.empty() ? binary() : opt.program};
    argv.insert(argv.end(), args.begin(), args.end());
    for (const auto& a : argv) command_ += (command_.empty() ? "" : " ") + a;
    out_ = std::tmpfile();
    err_ = std::tmpfile();
    if (!out_ || !err_) throw std::runtime_error("tmpfile failed");
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    std::fflush(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      // Child: default signal handling, no inherited mask, output to the capture files.
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      ::signal(SIGINT, SIG_DFL);
      ::signal(SIGTERM, SIG_DFL);
      ::signal(SIGPIPE, SIG_DFL);
      if (!opt_.cwd.empty() && ::chdir(opt_.cwd.c_str()) != 0) ::_exit(126);
      const int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull >= 0) ::dup2(devnull, 0);
      ::dup2(fileno(out_), 1);
      ::dup2(fileno(err_), 2);
      ::execv(cargv[0], cargv.data());
      ::_exit(127);
    }
  }
  ~Process() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
    if (out_) std::fclose(out_);
    if (err_) std::fclose(err_);
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running() {
    if (reaped_) return false;
    int st = 0;
    const pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      status_ = st;
      return false;
    }
    return true;
  }
  void signal(int sig) {
    if (!reaped_) ::kill(pid_, sig);
  }

  // Waits for the process (killing it once the spawn timeout passes) and collects its output.
  Result wait() {
    Result r;
    r.command = command_;
    const auto deadline = std::chrono::steady_clock::now() + opt_.timeout;
    while (running()) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        int st = 0;
        ::waitpid(pid_, &st, 0);
        reaped_ = true;
        status_ = st;
        r.timed_out = true;
        break;
      }
      std::this_thread::sleep_for(5ms);
    }
    if (WIFEXITED(status_)) {
      r.exited = true;
      r.exit_code = WEXITSTATUS(status_);
    } else if (WIFSIGNALED(status_)) {
      r.term_signal = WTERMSIG(status_);
    }
    r.out = slurp(out_);
    r.err = slurp(err_);
    return r;
  }

 private:
  static std::string slurp(std::FILE* f) {
    std::string s;
    std::rewind(f);
    char buf[8192];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) s.append(buf, n);
    return s;
  }

  Spawn opt_;
  std::string command_;
  std::FILE* out_ = nullptr;
  std::FILE* err_ = nullptr;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

// Runs lockrig to completion.
inline Result lockrig(const std::vector<std::string>& args, const Spawn& opt = {}) {
  Process p(args, opt);
  return p.wait();
}

// Runs `script` in bash with $0 = the lockrig binary and $1 = `db_path`, for what only a shell
// sets up around a run: resource limits, inherited signal dispositions, pipes.
inline Result lockrig_in_bash(const std::string& script, const std::string& db_path) {
  return lockrig({"-c", script, binary(), db_path}, Spawn{"", "/bin/bash", 120s});
}

// Polls `done` every 20 ms until it holds or `timeout` passes; returns whether it held.
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
}

// Runs `sql` (several statements allowed) on the journal at `db` read-write, as a test that
// forges or damages a journal must; std::runtime_error with SQLite's message and the SQL.
inline void exec_sql(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  if (sqlite3_open(db.c_str(), &h) != SQLITE_OK) throw std::runtime_error("open " + db);
  char* err = nullptr;
  const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
  const std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(h);
  if (rc != SQLITE_OK) throw std::runtime_error("sql failed: " + msg + "\n" + sql);
}

// A read-only connection to a journal. Query errors throw std::runtime_error with the SQL.
class Db {
 public:
  using Row = std::vector<std::optional<std::string>>;

  explicit Db(const std::string& path) : path_(path) {
    if (!exists(path)) throw std::runtime_error("no such journal: " + path);
    const int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr);
    if (rc != SQLITE_OK) {
      const std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      throw std::runtime_error("cannot open " + path + ": " + msg);
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  ~Db() {
    if (db_) sqlite3_close(db_);
  }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  std::vector<Row> rows(const std::string& sql) const {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
      throw std::runtime_error("prepare failed: " + std::string(sqlite3_errmsg(db_)) + "\n" + sql);
    std::vector<Row> out;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      Row r;
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        if (sqlite3_column_type(st, i) == SQLITE_NULL)
          r.emplace_back(std::nullopt);
        else
          r.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, i)));
      }
      out.push_back(std::move(r));
    }
    const std::string msg = sqlite3_errmsg(db_);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) throw std::runtime_error("query failed: " + msg + "\n" + sql);
    return out;
  }

  // Rows with NULL rendered as "NULL", for comparisons.
  std::vector<std::vector<std::string>> table(const std::string& sql) const {
    std::vector<std::vector<std::string>> out;
    for (auto& r : rows(sql)) {
      std::vector<std::string> t;
      for (auto& c : r) t.push_back(c.value_or("NULL"));
      out.push_back(std::move(t));
    }
    return out;
  }

  std::optional<std::string> value(const std::string& sql) const {
    auto r = rows(sql);
    if (r.empty() || r.front().empty()) throw std::runtime_error("no row from: " + sql);
    return r.front().front();
  }
  std::string text(const std::string& sql) const { return value(sql).value_or("NULL"); }
  long long integer(const std::string& sql) const {
    auto v = value(sql);
    if (!v) throw std::runtime_error("NULL from: " + sql);
    return std::stoll(*v);
  }
  std::vector<std::string> column(const std::string& sql) const {
    std::vector<std::string> out;
    for (auto& r : rows(sql)) out.push_back(r.at(0).value_or("NULL"));
    return out;
  }

  sqlite3* raw() const { return db_; }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

// Number of sessions journaled so far, 0 while the journal or its schema does not exist yet.
inline long long sessions_so_far(const std::string& path) {
  if (!exists(path)) return 0;
  try {
    Db db(path);
    return db.integer("SELECT count(*) FROM sessions");
  } catch (const std::exception&) {
    return 0;
  }
}

// Number of runs in a journal; a journal that does not exist (or is no file) holds none.
inline long long runs_in(const std::string& path) {
  if (!fs::is_regular_file(path)) return 0;
  Db db(path);
  return db.integer("SELECT count(*) FROM runs");
}

// ---- Expectations derived from the fixture and scenario files ----

inline bool lock_can_run(const Fixture& f, const std::string& lock, const Scenario& s) {
  for (const auto& ch : s.channels_used())
    if (!f.lock_has_channel(lock, ch)) return false;
  for (const auto& sup : s.supplies_used())
    if (!f.supply_for(lock, sup)) return false;
  return true;
}

// Locks of `f` (optionally restricted to `only`) that have every channel and supply `s` uses.
inline std::vector<std::string> eligible_locks(const Fixture& f, const Scenario& s,
                                               const std::set<std::string>& only = {}) {
  std::vector<std::string> out;
  for (const auto& l : f.locks)
    if ((only.empty() || only.count(l.id)) && lock_can_run(f, l.id, s)) out.push_back(l.id);
  return out;
}

// Indices (0-based, as journaled in sessions.step) of a scenario's unlock steps.
inline std::vector<int> unlock_step_indices(const Scenario& s) {
  std::vector<int> out;
  for (std::size_t i = 0; i < s.steps.size(); ++i)
    if (s.steps[i].kind == Step::Kind::unlock) out.push_back(static_cast<int>(i));
  return out;
}

// Sessions a run of `scenarios` on `f` should journal per scenario, with an optional repeat
// override: repeat × eligible locks × unlock steps.
inline std::map<std::string, long long> planned_sessions(const Fixture& f,
                                                         const std::vector<Scenario>& scenarios,
                                                         std::optional<int> repeat = std::nullopt,
                                                         const std::set<std::string>& only = {}) {
  std::map<std::string, long long> out;
  for (const auto& s : scenarios)
    out[s.name] = static_cast<long long>(repeat.value_or(s.repeat)) *
                  static_cast<long long>(eligible_locks(f, s, only).size()) * s.unlock_steps();
  return out;
}

inline long long total(const std::map<std::string, long long>& m) {
  long long t = 0;
  for (const auto& [k, v] : m) t += v;
  return t;
}

// "board/chN name" -> "on"/"off": the state every relay channel must be left in.
inline std::map<std::string, std::string> safe_channel_states(const Fixture& f) {
  std::map<std::string, std::string> out;
  for (const auto& b : f.switches)
    for (const auto& c : b.channels)
      out[b.id + "/ch" + std::to_string(c.channel) + " " + c.name] = c.safe_on ? "on" : "off";
  return out;
}

// Parts the bench restores: relay channels, supplies and RF attenuators (issue 14).
inline std::size_t safe_state_parts(const Fixture& f) {
  std::size_t n = f.supplies.size() + f.attenuators.size();
  for (const auto& b : f.switches) n += b.channels.size();
  return n;
}

inline std::string sql_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

}  // namespace lockrig::cli_test

namespace lockrig::cli_test {

// Checks that hold for every journal lockrig writes, whatever happened during the run.
// Each check is an SQL query counting the rows that break it; the first offending row is shown.
inline void expect_journal_invariants(const Db& db) {
  struct Check {
    const char* what;
    const char* offenders;
  };
  static const Check checks[] = {
      {"sessions.attempts equals the number of attempts rows",
       "SELECT s.id, s.attempts FROM sessions s WHERE s.attempts != "
       "(SELECT count(*) FROM attempts a WHERE a.session_id = s.id)"},
      {"every session has at least one attempt", "SELECT id FROM sessions WHERE attempts < 1"},
      {"attempts are numbered 1..n",
       "SELECT s.id FROM sessions s WHERE (SELECT min(attempt) FROM attempts a WHERE a.session_id "
       "= s.id) != 1 OR (SELECT max(attempt) FROM attempts a WHERE a.session_id = s.id) != "
       "s.attempts"},
      {"no attempt without its session",
       "SELECT a.session_id FROM attempts a LEFT JOIN sessions s ON s.id = a.session_id "
       "WHERE s.id IS NULL"},
      {"sli_success <= sli_eligible", "SELECT id FROM sessions WHERE sli_success > sli_eligible"},
      {"sli_success = eligible and passed",
       "SELECT id FROM sessions WHERE sli_success != (sli_eligible AND result = 'pass')"},
      {"expected-failure sessions are never SLI-eligible",
       "SELECT id, expect FROM sessions WHERE expect != 'success' AND sli_eligible != 0"},
      {"rig_fault sessions are never SLI-eligible",
       "SELECT id FROM sessions WHERE result = 'rig_fault' AND (sli_eligible != 0 OR sli_success "
       "!= 0)"},
      {"rig_fault sessions have a rig_fault attempt",
       "SELECT s.id FROM sessions s WHERE s.result = 'rig_fault' AND NOT EXISTS (SELECT 1 FROM "
       "attempts a WHERE a.session_id = s.id AND a.class = 'rig_fault')"},
      {"a rig_fault attempt makes its session a rig_fault",
       "SELECT s.id, s.result FROM sessions s JOIN attempts a ON a.session_id = s.id "
       "WHERE a.class = 'rig_fault' AND s.result != 'rig_fault'"},
      {"attempts of class expected only in expected-failure sessions, matching the expectation",
       "SELECT s.id, s.expect, a.outcome FROM sessions s JOIN attempts a ON a.session_id = s.id "
       "WHERE a.class = 'expected' AND NOT (s.expect != 'success' AND (a.outcome = s.expect OR "
       "(s.expect = 'failure' AND a.outcome NOT IN ('success', 'rig_fault'))))"},
      {"the session outcome is its last attempt's outcome",
       "SELECT s.id, s.outcome, a.outcome FROM sessions s JOIN attempts a ON a.session_id = s.id "
       "AND a.attempt = s.attempts WHERE s.outcome != a.outcome"},
      {"first_attempt_success iff attempt 1 succeeded",
       "SELECT s.id FROM sessions s JOIN attempts a ON a.session_id = s.id AND a.attempt = 1 "
       "WHERE s.first_attempt_success != (a.outcome = 'success')"},
      {"a passed session got the outcome it expected",
       "SELECT id, expect, outcome FROM sessions WHERE result = 'pass' AND NOT (outcome = expect "
       "OR (expect = 'failure' AND outcome NOT IN ('success', 'rig_fault')))"},
      {"sessions end after they start", "SELECT id FROM sessions WHERE ended_ns < started_ns"},
      {"attempts lie within their session",
       "SELECT s.id, a.attempt FROM sessions s JOIN attempts a ON a.session_id = s.id "
       "WHERE a.started_ns < s.started_ns OR a.ended_ns > s.ended_ns OR a.ended_ns < a.started_ns"},
      {"finished runs have an end time and an exit code",
       "SELECT id, status FROM runs WHERE status != 'running' AND (ended_at IS NULL OR exit_code "
       "IS "
       "NULL)"},
  };
  for (const auto& c : checks) {
    const auto bad = db.table(c.offenders);
    std::string sample;
    if (!bad.empty())
      for (const auto& v : bad.front()) sample += v + " ";
    EXPECT_TRUE(bad.empty()) << "invariant broken: " << c.what << " (" << bad.size()
                             << " offending rows, first: " << sample << ")";
  }
  EXPECT_EQ(db.text("PRAGMA integrity_check"), "ok");
}

// The last events of a run must put every relay channel and supply back in its safe state
// (parts on `boards_allowed_to_fail` may report that they could not be restored).
inline void expect_run_ends_in_safe_state(
    const Db& db, const Fixture& f, const std::set<std::string>& boards_allowed_to_fail = {}) {
  const std::size_t parts = safe_state_parts(f);
  const auto tail = db.table(
      "SELECT id, kind, target, value, detail, lock_id FROM events "
      "ORDER BY id DESC LIMIT " +
      std::to_string(parts));
  ASSERT_EQ(tail.size(), parts) << "fewer events than bench parts";
  const long long last_lock_event =
      db.integer("SELECT COALESCE(max(id), 0) FROM events WHERE lock_id IS NOT NULL");
  std::map<std::string, std::string> seen;
  for (const auto& e : tail) {
    EXPECT_EQ(e[1], "safe_state") << "event " << e[0] << " (" << e[1] << " " << e[2]
                                  << ") is not part of a final safe-state block";
    EXPECT_GT(std::stoll(e[0]), last_lock_event) << "safe-state event before a lock event";
    EXPECT_EQ(e[5], "NULL") << "safe-state events are rig-wide";
    seen[e[2]] = e[3];
    const std::string board = e[2].substr(0, e[2].find('/'));
    const bool failed = e[4].rfind("FAILED", 0) == 0;
    if (boards_allowed_to_fail.count(board)) continue;
    EXPECT_FALSE(failed) << "safe state of " << e[2] << " failed: " << e[4];
  }
  // Distinct from the run-start block: a start block and an end block, at least.
  EXPECT_GE(db.integer("SELECT count(*) FROM events WHERE kind = 'safe_state'"),
            static_cast<long long>(2 * parts))
      << "no safe-state block at the end of the run";
  // Restored at the end of the campaign: no bench event happened later.
  EXPECT_EQ(
      db.integer("SELECT count(*) FROM events WHERE t_ns > (SELECT min(t_ns) FROM (SELECT t_ns "
                 "FROM events ORDER BY id DESC LIMIT " +
                 std::to_string(parts) + "))"),
      0);
  for (const auto& [target, value] : safe_channel_states(f)) {
    ASSERT_TRUE(seen.count(target)) << "no final safe_state event for " << target;
    EXPECT_EQ(seen[target], value) << "channel " << target << " not returned to its safe state";
  }
}

}  // namespace lockrig::cli_test
