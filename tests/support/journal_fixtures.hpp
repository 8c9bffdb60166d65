// What unit tests that write journals share: a scratch directory, removed with everything in it
// (the black-box tests have their own, with more helpers: tests/cli/cli_support.hpp), and a run
// record with every field begin_run requires, and a file's text.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>

#include <sqlite3.h>

#include "rig/journal/records.hpp"

namespace lockrig::testing {

struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    char tmpl[] = "/tmp/lockrig-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string file(const std::string& name) const { return (path / name).string(); }
};

// The whole text of a file (empty when it cannot be read), e.g. a frozen schema fixture.
inline std::string file_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A run as begin_run takes it: fixed identity, host, rig, time and hashes, on the virtual clock.
inline RunRecord sample_run(std::string uuid = "00000000-0000-4000-8000-000000000001") {
  RunRecord r;
  r.uuid = std::move(uuid);
  r.host = "h";
  r.rig = "r";
  r.started_at = "2026-11-22T00:00:00.000Z";
  r.clock = "virtual";
  r.fixture_source = "f.yaml";
  r.fixture_sha256 = "x";
  r.scenarios_sha256 = "y";
  r.controller_version = "0";
  r.command_line = "lockrig run";
  return r;
}

// SQL that turns a journal this lockrig wrote into the version-5 journal an older lockrig wrote:
// without the cross-run rollup version 6 added (issue 18 item 3): its four tables and the
// triggers that mark it stale, named here rather than read from the schema under test.
inline std::string back_to_version5_sql() {
  std::string sql;
  for (const char* on : {"sessions", "latency", "hist", "runs", "labels", "locks", "sweeps"})
    for (const char* change : {"insert", "update", "delete"})
      sql += std::string("DROP TRIGGER IF EXISTS rollup_stale_") + on + "_" + change + "; ";
  return sql +
         "DROP TABLE IF EXISTS rollup_sessions; DROP TABLE IF EXISTS rollup_latency; "
         "DROP TABLE IF EXISTS rollup_runs; DROP TABLE IF EXISTS rollup_state; "
         "PRAGMA user_version = 5;";
}

// SQL that turns a journal this lockrig wrote into the version-4 journal an older lockrig wrote:
// without what version 5 added (sweep_sessions, issue 14; annotations, issue 16;
// events_wait_timeouts) and with v_run_summary and agg_latency_hist_stale_update as version 4 had
// them, read from the frozen version-4 DDL (tests/rig/journal_schema_v4.sql) rather than from the
// schema under test. Without `with_version4_triggers` the trigger is left out, for callers that
// go on to drop the aggregate tables it is on (the version-2 and version-1 forms).
inline std::string back_to_version4_sql(bool with_version4_triggers = true) {
  const std::string v4 =
      file_text(std::string(LOCKRIG_SOURCE_DIR) + "/tests/rig/journal_schema_v4.sql");
  auto statement = [&](const std::string& start, const std::string& stop) {
    const auto at = v4.find(start);
    const auto end = at == std::string::npos ? at : v4.find(stop, at);
    if (end == std::string::npos)
      throw std::runtime_error("tests/rig/journal_schema_v4.sql has no " + start);
    return v4.substr(at, end - at + stop.size());
  };
  return back_to_version5_sql() +
         "DROP TABLE IF EXISTS sweep_sessions; DROP TABLE IF EXISTS annotations; "
         "DROP INDEX IF EXISTS events_wait_timeouts; DROP VIEW IF EXISTS v_run_summary; "
         "DROP TRIGGER IF EXISTS agg_latency_hist_stale_update; " +
         statement("CREATE VIEW v_run_summary", ";") + " " +
         (with_version4_triggers ? statement("CREATE TRIGGER agg_latency_hist_stale_update", "END;")
                                 : std::string()) +
         " PRAGMA user_version = 4;";
}

// SQL that turns a journal this lockrig wrote into the version-2 journal an older lockrig wrote:
// version 4 as above, without what versions 3 and 4 added (session_evidence, issue 15;
// runs.host_id, issue 17; agg_latency_hist and events_run, issue 18). The CHECK constraints keep
// their version-3 text, which reads the same (issue 18).
inline std::string back_to_version2_sql() {
  return back_to_version4_sql(false) +
         " DROP TRIGGER IF EXISTS agg_latency_hist_stale_insert; "
         "DROP TRIGGER IF EXISTS agg_latency_hist_stale_update; "
         "DROP TRIGGER IF EXISTS agg_latency_hist_stale_delete; "
         "DROP TABLE IF EXISTS agg_latency_hist; DROP INDEX IF EXISTS events_run; "
         "DROP TABLE IF EXISTS session_evidence; ALTER TABLE runs DROP COLUMN host_id; "
         "PRAGMA user_version = 2;";
}

// Runs `sql` on a raw connection; throws with SQLite's message and the start of the SQL.
inline void exec_sql(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : "?";
    sqlite3_free(err);
    throw std::runtime_error(msg + " in: " + sql.substr(0, 200));
  }
}

}  // namespace lockrig::testing
