// The SQLite floor for journaling (issue 18): a plain program that inserts the rows `lockrig run`
// writes per session (one sessions row and its attempts rows, the same columns and keys as the
// journal's tables, no triggers, no CHECKs), WAL, synchronous=NORMAL, `--per-txn` sessions per
// transaction (1 = one transaction per session, what the floor of issue 18 was measured with).
// Prints attempts/s. bench/journal_speed.sh runs it interleaved with `lockrig run`.
// Usage: journal_floor [--attempts N] [--per-txn K] [--db PATH]
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

void check(int rc, sqlite3* db, const char* what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return;
  std::fprintf(stderr, "journal_floor: %s: %s\n", what, sqlite3_errmsg(db));
  std::exit(1);
}

void exec(sqlite3* db, const char* sql) {
  check(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), db, sql);
}

void step(sqlite3* db, sqlite3_stmt* s, const char* what) {
  check(sqlite3_step(s), db, what);
  sqlite3_reset(s);
}

}  // namespace

int main(int argc, char** argv) {
  long long attempts_target = 200'000;
  long long per_txn = 1;
  std::string path = "/tmp/journal-floor-" + std::to_string(getpid()) + ".db";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--attempts") attempts_target = std::atoll(argv[i + 1]);
    else if (a == "--per-txn") per_txn = std::atoll(argv[i + 1]);
    else if (a == "--db") path = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: journal_floor [--attempts N] [--per-txn K] [--db PATH]\n");
      return 2;
    }
  }
  if (attempts_target < 1 || per_txn < 1) {
    std::fprintf(stderr, "journal_floor: --attempts and --per-txn must be at least 1\n");
    return 2;
  }
  for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path + suffix).c_str());
  sqlite3* db = nullptr;
  check(sqlite3_open(path.c_str(), &db), db, "open");
  exec(db, "PRAGMA journal_mode = WAL");
  exec(db, "PRAGMA synchronous = NORMAL");
  exec(db, "PRAGMA wal_autocheckpoint = 10000");  // as the journal sets it
  exec(db,
       "CREATE TABLE sessions (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, lock_id TEXT NOT "
       "NULL, scenario TEXT NOT NULL, repetition INTEGER NOT NULL, step INTEGER NOT NULL, expect "
       "TEXT NOT NULL, within_ms REAL NOT NULL, started_ns INTEGER NOT NULL, ended_ns INTEGER NOT "
       "NULL, result TEXT NOT NULL, outcome TEXT NOT NULL, attempts INTEGER NOT NULL, "
       "sli_eligible INTEGER NOT NULL, sli_success INTEGER NOT NULL, first_attempt_success "
       "INTEGER NOT NULL, UNIQUE (run_id, lock_id, scenario, repetition, step));"
       "CREATE TABLE attempts (session_id INTEGER NOT NULL, attempt INTEGER NOT NULL, started_ns "
       "INTEGER NOT NULL, ended_ns INTEGER NOT NULL, latency_ms REAL, rssi_dbm INTEGER, outcome "
       "TEXT NOT NULL, class TEXT NOT NULL, phase TEXT NOT NULL, detail TEXT NOT NULL, PRIMARY "
       "KEY (session_id, attempt)) WITHOUT ROWID;");
  sqlite3_stmt *ins_s = nullptr, *ins_a = nullptr, *begin = nullptr, *commit = nullptr;
  check(sqlite3_prepare_v2(db,
                           "INSERT INTO sessions (run_id, lock_id, scenario, repetition, step, "
                           "expect, within_ms, started_ns, ended_ns, result, outcome, attempts, "
                           "sli_eligible, sli_success, first_attempt_success) VALUES "
                           "(1,?,'nightly-unlock',?,0,'success',8000,?,?,?,?,?,1,?,?)",
                           -1, &ins_s, nullptr),
        db, "prepare");
  check(sqlite3_prepare_v2(db,
                           "INSERT INTO attempts VALUES (?,?,?,?,?,-61,?,'lock','unlock','')", -1,
                           &ins_a, nullptr),
        db, "prepare");
  check(sqlite3_prepare_v2(db, "BEGIN", -1, &begin, nullptr), db, "prepare");
  check(sqlite3_prepare_v2(db, "COMMIT", -1, &commit, nullptr), db, "prepare");

  static const char* kLocks[] = {"wood-1", "wood-2", "glass-1", "glass-2",
                                 "alu-1",  "alu-2",  "steel-1", "steel-2"};
  const auto t0 = std::chrono::steady_clock::now();
  long long attempts = 0, sessions = 0, in_txn = 0;
  for (long long k = 0; attempts < attempts_target; ++k) {
    if (in_txn == 0) step(db, begin, "begin");
    // About 1.1 attempts per session, as the simulated rig gives: every tenth needs a retry.
    const int n = k % 10 == 9 ? 2 : 1;
    const long long started = k * 3'000'000'000LL;
    sqlite3_bind_text(ins_s, 1, kLocks[k % 8], -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins_s, 2, k / 8);
    sqlite3_bind_int64(ins_s, 3, started);
    sqlite3_bind_int64(ins_s, 4, started + 650'000'000LL * n);
    sqlite3_bind_text(ins_s, 5, "pass", -1, SQLITE_STATIC);
    sqlite3_bind_text(ins_s, 6, "success", -1, SQLITE_STATIC);
    sqlite3_bind_int(ins_s, 7, n);
    sqlite3_bind_int(ins_s, 8, 1);
    sqlite3_bind_int(ins_s, 9, n == 1);
    step(db, ins_s, "insert session");
    const long long id = sqlite3_last_insert_rowid(db);
    for (int a = 1; a <= n; ++a) {
      sqlite3_bind_int64(ins_a, 1, id);
      sqlite3_bind_int(ins_a, 2, a);
      sqlite3_bind_int64(ins_a, 3, started + 650'000'000LL * (a - 1));
      sqlite3_bind_int64(ins_a, 4, started + 650'000'000LL * a);
      sqlite3_bind_double(ins_a, 5, 612.5);
      sqlite3_bind_text(ins_a, 6, a == n ? "success" : "timeout", -1, SQLITE_STATIC);
      step(db, ins_a, "insert attempt");
    }
    attempts += n;
    ++sessions;
    if (++in_txn == per_txn) {
      step(db, commit, "commit");
      in_txn = 0;
    }
  }
  if (in_txn) step(db, commit, "commit");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (auto* s : {ins_s, ins_a, begin, commit}) sqlite3_finalize(s);
  sqlite3_close(db);
  for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path + suffix).c_str());
  std::printf("journal_floor: %lld attempts in %lld sessions, %lld per transaction, %.3f s, "
              "%.0f attempts/s\n",
              attempts, sessions, per_txn, secs, attempts / secs);
  return 0;
}
