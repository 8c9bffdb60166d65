// Issue 18, readers at report speed however many runs: schema version 4 keeps a finished run's
// latency histograms packed, one row per (run, lock, scenario) in agg_latency_hist, and readers
// take them instead of agg_latency's row per bucket. These tests hold the packed rows to being an
// exact copy: whoever changes agg_latency (the writer, a hand edit, a merge), readers see what
// agg_latency says, and a packed row lockrig did not write is refused or reported.
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "rig/journal/journal.hpp"
#include "rig/journal/latency_hist.hpp"
#include "rig/journal/report_reader.hpp"
#include "rig/journal/sql.hpp"
#include "tests/support/journal_fixtures.hpp"

using namespace lockrig;

namespace {

using TempDir = lockrig::testing::ScratchDir;
using lockrig::testing::file_text;

long long count(sqlite3* db, const std::string& sql) {
  SqlStatement s(db, sql);
  return s.step() ? s.integer(0) : -1;
}

using lockrig::testing::exec_sql;

// A plain SQLite connection (triggers on, as the sqlite3 shell has them): what a hand edit uses.
struct Plain {
  sqlite3* db = nullptr;
  explicit Plain(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) throw std::runtime_error("open " + path);
  }
  ~Plain() { sqlite3_close(db); }
};

// A successful SLI session of `ms` milliseconds.
SessionRecord session(const std::string& lock, const std::string& scenario, int rep, double ms) {
  SessionRecord s;
  s.lock_id = lock;
  s.scenario = scenario;
  s.repetition = rep;
  s.expect = "success";
  s.result = SessionResult::pass;
  s.outcome = "success";
  s.sli_eligible = true;
  s.sli_success = true;
  s.first_attempt_success = true;
  s.started = Duration(std::int64_t{rep} * 10'000'000'000);
  s.ended = s.started + Duration(static_cast<std::int64_t>(ms * 1e6));
  AttemptRecord at;
  at.number = 1;
  at.outcome = "success";
  at.phase = "unlock";
  s.attempts.push_back(at);
  return s;
}

// Sessions of two locks in two scenarios with latencies spread over many buckets.
std::vector<JournalBatch> sessions(int first_rep, int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::lognormal_distribution<double> ms(std::log(800.0), 0.4);
  std::vector<JournalBatch> out;
  for (int rep = first_rep; rep < first_rep + n; ++rep)
    for (const char* lock : {"a", "b"})
      for (const char* scenario : {"daily", "battery"})
        out.push_back(JournalBatch{{}, session(lock, scenario, rep, ms(rng))});
  return out;
}

// Every (run, lock, scenario, bucket, sessions) the report reader hands out, as text.
std::string bins(Journal& j, std::optional<std::vector<std::int64_t>> runs = std::nullopt,
                 std::vector<std::string> scenarios = {}) {
  ReportScope scope;
  scope.runs = std::move(runs);
  scope.scenarios = std::move(scenarios);
  std::string out;
  long long pairs = 0;
  read_latency_groups(j, scope, [&](const LatencyHistRow& h) {
    for (const LatencyPair& p : h.pairs) {
      out += std::to_string(h.run_id) + "|" + std::string(h.lock_id) + "|" +
             std::string(h.scenario) + "|" + std::to_string(p.bucket_ns) + "|" +
             std::to_string(p.sessions) + "\n";
      ++pairs;
    }
  });
  // The size hint counts the packed runs' pairs (never more than are read with no scenario
  // restriction).
  if (scope.scenarios.empty()) {
    EXPECT_LE(latency_pair_hint(j, scope), pairs);
  }
  return out;
}

// The same from agg_latency by SQL: the reference the packed rows must reproduce.
std::string bins_sql(sqlite3* db, const std::string& where = "") {
  std::string out;
  SqlStatement q(db, "SELECT run_id, lock_id, scenario, bucket_ns, sessions FROM agg_latency" +
                         where + " ORDER BY run_id, lock_id, scenario, bucket_ns");
  while (q.step())
    out += q.text(0) + "|" + q.text(1) + "|" + q.text(2) + "|" + q.text(3) + "|" + q.text(4) + "\n";
  return out;
}

// Two runs of locks a and b: run 1 finished (packed), run 2 still running (not packed).
struct TwoRuns {
  TempDir d;
  std::string path = d.file("j.db");
  std::int64_t done = 0, live = 0;
  TwoRuns() {
    Journal j = Journal::open(path);
    for (auto* run : {&done, &live}) {
      *run = j.begin_run(lockrig::testing::sample_run(
          run == &done ? "00000000-0000-4000-8000-00000000000a"
                       : "00000000-0000-4000-8000-00000000000b"));
      j.record_locks(*run, {LockRow{"a", "m", "wood", "A1", "sim", "2.4.0", "m", "acme"},
                            LockRow{"b", "m", "steel", "B1", "sim", "2.4.0", "m", "acme"}});
      j.commit_group(*run, sessions(1, 150, run == &done ? 1 : 2));
    }
    j.finish_run(done, "completed", 0, "2026-12-03T01:00:00.000Z", 60);
  }
};

}  // namespace

TEST(LatencyHist, EncodesAndDecodesExactly) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<LatencyPair> pairs;
    std::int64_t d = std::uniform_int_distribution<std::int64_t>(0, 300)(rng);
    const int n = std::uniform_int_distribution<int>(1, 300)(rng);
    std::int64_t total = 0;
    for (int i = 0; i < n; ++i) {
      const std::int64_t b = latency_bucket_ns(d);
      if (pairs.empty() || pairs.back().bucket_ns < b) {
        const std::int64_t s = std::uniform_int_distribution<std::int64_t>(1, 1'000'000'000)(rng);
        pairs.push_back({b, s});
        total += s;
      }
      d = d + 1 + d / std::uniform_int_distribution<std::int64_t>(2, 200)(rng);
    }
    const std::string hist = encode_latency_hist(pairs);
    std::vector<LatencyPair> back;
    decode_latency_hist(hist, static_cast<std::int64_t>(pairs.size()), total, "test", back);
    ASSERT_EQ(back, pairs) << "round " << round;
  }
}

// Issue 18: the reader has a path of its own for well-formed histograms. The bytes are the DWARF 5
// standard's own examples of unsigned LEB128 (section 7.6, "Examples of unsigned LEB128
// encodings": 2, 127, 128, 129, 130, 12857) and Wikipedia's (624485 = E5 8E 26), written here by
// hand rather than by encode_latency_hist, then numbers of every length from 1 to 9 bytes, each
// decoded where it ends at every distance from the end of the histogram.
TEST(LatencyHist, DecodesNumbersOfEveryLengthWhereverTheyEnd) {
  // Pairs (bucket step, sessions): buckets 1, 2, 3, ... with the examples as session counts.
  const std::string bytes("\x01\x02"
                          "\x01\x7f"
                          "\x01\x80\x01"
                          "\x01\x81\x01"
                          "\x01\x82\x01"
                          "\x01\xb9\x64"
                          "\x01\xe5\x8e\x26",
                          20);
  const std::vector<LatencyPair> want{{1, 2},   {2, 127},   {3, 128},   {4, 129},
                                      {5, 130}, {6, 12857}, {7, 624485}};
  for (std::size_t n = 1; n <= want.size(); ++n) {
    // The first n pairs: the last number ends at the end, the earlier ones further in.
    constexpr std::size_t kEnds[] = {2, 4, 7, 10, 13, 16, 20};  // where each pair's bytes end
    const std::size_t size = kEnds[n - 1];
    const std::vector<LatencyPair> head(want.begin(), want.begin() + static_cast<long>(n));
    std::int64_t total = 0;
    for (const auto& p : head) total += p.sessions;
    std::vector<LatencyPair> out;
    decode_latency_hist(std::string_view(bytes).substr(0, size), static_cast<std::int64_t>(n),
                        total, "examples", out);
    EXPECT_EQ(out, head) << n << " pairs";
  }
  // Buckets 2^0 .. 2^61 (steps of 1 to 8 bytes) with 2^0 .. 2^56 - 1 sessions (1 to 9 bytes):
  // every length, and every prefix, so that each number ends at every distance from the end.
  std::vector<LatencyPair> pairs;
  std::int64_t total = 0;
  for (int k = 0; k <= 61; ++k) {
    const std::int64_t sessions = (std::int64_t{1} << (k % 57)) + (k % 3 == 0 ? -1 : 0);
    pairs.push_back({std::int64_t{1} << k, std::max<std::int64_t>(sessions, 1)});
  }
  for (std::size_t n = 1; n <= pairs.size(); ++n) {
    const std::vector<LatencyPair> head(pairs.begin(), pairs.begin() + static_cast<long>(n));
    total = 0;
    for (const auto& p : head) total += p.sessions;
    const std::string hist = encode_latency_hist(head);
    std::vector<LatencyPair> out;
    decode_latency_hist(hist, static_cast<std::int64_t>(n), total, "lengths", out);
    ASSERT_EQ(out, head) << n << " pairs";
    // Cut inside the last number: refused, whichever way the bytes are read.
    out.clear();
    EXPECT_FALSE(try_decode_latency_hist(std::string_view(hist).substr(0, hist.size() - 1),
                                         static_cast<std::int64_t>(n), total, out));
    EXPECT_TRUE(out.empty());
  }
}

// What a packed row must not be: each of these would hand a reader buckets that agg_latency
// cannot hold.
TEST(LatencyHist, RefusesHistogramsLockrigDoesNotWrite) {
  const std::vector<LatencyPair> good{{1000, 3}, {1024, 1}};
  const std::string hist = encode_latency_hist(good);
  std::vector<LatencyPair> out;
  auto fails = [&](std::string_view h, std::int64_t buckets, std::int64_t sessions,
                   const std::string& said) {
    out.clear();
    try {
      decode_latency_hist(h, buckets, sessions, "run_id=1", out);
      ADD_FAILURE() << "accepted: " << said;
    } catch (const JournalError& e) {
      EXPECT_NE(std::string(e.what()).find(said), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("run_id=1"), std::string::npos) << e.what();
    }
  };
  fails(hist.substr(0, hist.size() - 1), 2, 4, "ends inside a number");
  fails(hist, 2, 5, "where its columns say 2 and 5");
  fails(hist, 3, 4, "where its columns say 3 and 4");
  fails(encode_latency_hist(std::vector<LatencyPair>{{1001, 3}}), 1, 3, "not a latency bucket");
  fails(encode_latency_hist(std::vector<LatencyPair>{{1000, 0}}), 1, 0, "0 sessions");
  // The same bucket twice: a delta of 0 after the first pair.
  fails(encode_latency_hist(std::vector<LatencyPair>{{1000, 1}, {1000, 1}}), 2, 2, "out of order");
  fails(std::string(11, '\xff'), 1, 1, "ends inside a number");
  fails("", 0, 0, "buckets = 0");
}

// The writer packs a run when it ends, in the same transaction as its status; readers then see
// exactly agg_latency's buckets, packed for the finished run and row by row for the live one.
TEST(LatencyHist, AFinishedRunIsPackedAndReadsAsAggLatency) {
  TwoRuns t;
  Journal j = Journal::open_readonly(t.path);
  sqlite3* db = journal_db(j);
  EXPECT_EQ(j.schema_version(), kJournalSchemaVersion);
  EXPECT_EQ(count(db, "SELECT count(*) FROM agg_latency_hist WHERE run_id = " +
                          std::to_string(t.done)),
            4);  // two locks x two scenarios
  EXPECT_EQ(count(db, "SELECT count(*) FROM agg_latency_hist WHERE run_id = " +
                          std::to_string(t.live)),
            0);
  EXPECT_GT(count(db, "SELECT count(*) FROM agg_latency"), 100);  // many buckets per histogram
  EXPECT_EQ(count(db, "SELECT sum(buckets) FROM agg_latency_hist"),
            count(db, "SELECT count(*) FROM agg_latency WHERE run_id = " + std::to_string(t.done)));
  EXPECT_EQ(bins(j), bins_sql(db));
  EXPECT_EQ(bins(j, std::vector<std::int64_t>{t.done}, {"battery"}),
            bins_sql(db, " WHERE run_id = " + std::to_string(t.done) + " AND scenario = 'battery'"));
  EXPECT_TRUE(j.check_aggregates().empty());
}

// A session added by hand (sqlite3 shell, triggers on) to the finished run: the triggers update
// agg_latency and drop the run's packed rows, so readers see the new session.
TEST(LatencyHist, AHandEditDropsTheRunsPackedRows) {
  TwoRuns t;
  {
    Plain p(t.path);
    exec_sql(p.db,
             "INSERT INTO sessions (run_id, lock_id, scenario, repetition, step, expect, "
             "within_ms, started_ns, ended_ns, result, outcome, attempts, sli_eligible, "
             "sli_success, first_attempt_success) VALUES (" +
                 std::to_string(t.done) +
                 ", 'a', 'daily', 999, 0, 'success', 8000, 0, 123456789012, 'pass', 'success', "
                 "1, 1, 1, 1)");
  }
  Journal j = Journal::open_readonly(t.path);
  sqlite3* db = journal_db(j);
  EXPECT_EQ(count(db, "SELECT count(*) FROM agg_latency_hist"), 0);
  const std::string got = bins(j);
  EXPECT_EQ(got, bins_sql(db));
  EXPECT_NE(got.find("|a|daily|" + std::to_string(latency_bucket_ns(123456789012)) + "|1\n"),
            std::string::npos);
  EXPECT_TRUE(j.check_aggregates().empty());
}

// A run journaled again after it ended (e.g. resumed): the writer, whose connection runs without
// triggers, drops the packed rows itself in the transaction that adds sessions, and packs again
// when the run ends.
TEST(LatencyHist, TheWriterDropsThePackedRowsWhenItAddsSessions) {
  TwoRuns t;
  Journal j = Journal::open(t.path);
  sqlite3* db = journal_db(j);
  ASSERT_EQ(count(db, "SELECT count(*) FROM agg_latency_hist"), 4);
  j.commit_group(t.done, sessions(500, 20, 9));
  EXPECT_EQ(count(db, "SELECT count(*) FROM agg_latency_hist"), 0);
  EXPECT_EQ(bins(j), bins_sql(db));
  j.finish_run(t.done, "completed", 0, "2026-12-03T02:00:00.000Z", 60);
  EXPECT_EQ(count(db, "SELECT count(*) FROM agg_latency_hist"), 4);
  EXPECT_EQ(bins(j), bins_sql(db));
  EXPECT_TRUE(j.check_aggregates().empty());
}

// A packed row lockrig did not write: garbled bytes are refused when the journal is opened for
// writing, and by a reader when it reads the row (issue 18: read-only opens no longer decode every
// packed row up front), naming the row and the journal either way; well-formed buckets that
// disagree with agg_latency are listed by check.
TEST(LatencyHist, APackedRowLockrigDidNotWriteIsRefusedOrReported) {
  {
    TwoRuns t;
    {
      Plain p(t.path);
      exec_sql(p.db, "UPDATE agg_latency_hist SET hist = x'ff' WHERE lock_id = 'b' AND "
                     "scenario = 'daily'");
    }
    auto expect_named = [&](const JournalError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("agg_latency_hist row (run_id=1, lock_id=\"b\", scenario=\"daily\")"),
                std::string::npos)
          << m;
      EXPECT_NE(m.find(t.path), std::string::npos) << m;
      EXPECT_NE(m.find("refusing to read it"), std::string::npos) << m;
    };
    try {
      Journal::open(t.path);
      ADD_FAILURE() << "a garbled histogram was accepted by a writer";
    } catch (const JournalError& e) {
      expect_named(e);
    }
    Journal ro = Journal::open_readonly(t.path);
    try {
      int groups = 0;
      read_latency_groups(ro, ReportScope{}, [&](const LatencyHistRow&) { ++groups; });
      ADD_FAILURE() << "a garbled histogram was read (" << groups << " groups)";
    } catch (const JournalError& e) {
      expect_named(e);
    }
  }
  {
    TwoRuns t;
    {
      Plain p(t.path);
      // One session moved from the first bucket to a bucket agg_latency does not have.
      SqlStatement q(p.db, "SELECT buckets, sessions FROM agg_latency_hist WHERE lock_id = 'a' "
                           "AND scenario = 'daily'");
      ASSERT_TRUE(q.step());
      const std::string forged =
          encode_latency_hist(std::vector<LatencyPair>{{256, q.integer(1)}});
      SqlStatement u(p.db, "UPDATE agg_latency_hist SET buckets = 1, hist = ?1 WHERE lock_id = "
                           "'a' AND scenario = 'daily'");
      sqlite3_bind_blob(u.get(), 1, forged.data(), static_cast<int>(forged.size()),
                        SQLITE_TRANSIENT);
      u.step();
    }
    Journal j = Journal::open_readonly(t.path);
    const auto m = j.check_aggregates();
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].table, "agg_latency_hist");
    EXPECT_NE(m[0].detail.find("lock_id=\"a\", scenario=\"daily\": the packed buckets differ"),
              std::string::npos)
        << m[0].detail;
  }
}

// A version-3 journal (made from the version-3 DDL, tests/rig/journal_schema_v3.sql) is upgraded
// on its first open for writing: the runs that are over are packed, a running one is not, the
// events get their run index, and everything still agrees.
TEST(JournalSchemaV4, AVersion3JournalIsUpgradedInPlace) {
  TempDir d;
  const std::string path = d.file("v3.db");
  {
    Plain p(path);
    exec_sql(p.db, file_text(std::string(LOCKRIG_SOURCE_DIR) + "/tests/rig/journal_schema_v3.sql"));
    exec_sql(p.db, "PRAGMA application_id = " + std::to_string(kJournalApplicationId) +
                       "; PRAGMA user_version = 3; PRAGMA journal_mode = WAL");
    for (const char* status : {"completed", "running"})
      exec_sql(p.db,
               std::string("INSERT INTO runs (uuid, host, rig, started_at, status, clock, seed, "
                           "fixture_source, fixture_sha256, scenarios_sha256, "
                           "controller_version, command_line, sessions_planned) VALUES ('") +
                   status + "','h','r','t','" + status + "','virtual',1,'f','x','y','0','c',0)");
    for (int run = 1; run <= 2; ++run)
      for (int rep = 1; rep <= 30; ++rep)
        exec_sql(p.db, "INSERT INTO sessions (run_id, lock_id, scenario, repetition, step, "
                       "expect, within_ms, started_ns, ended_ns, result, outcome, attempts, "
                       "sli_eligible, sli_success, first_attempt_success) VALUES (" +
                           std::to_string(run) + ",'a','s'," + std::to_string(rep) +
                           ",0,'success',8000,0," + std::to_string(rep * 7'000'000) +
                           ",'pass','success',1,1,1,1)");
  }
  std::string before;
  {
    Journal ro = Journal::open_readonly(path);
    EXPECT_EQ(ro.schema_version(), 3);
    before = bins(ro);  // read row by row: version 3 has no packed rows
    ASSERT_EQ(before, bins_sql(journal_db(ro)));
  }
  Journal j = Journal::open(path);
  sqlite3* db = journal_db(j);
  EXPECT_EQ(j.schema_version(), kJournalSchemaVersion);  // through 4 to the current one
  EXPECT_EQ(count(db, "PRAGMA user_version"), kJournalSchemaVersion);
  EXPECT_EQ(count(db, "SELECT count(*) FROM agg_latency_hist WHERE run_id = 1"), 1);
  EXPECT_EQ(count(db, "SELECT count(*) FROM agg_latency_hist WHERE run_id = 2"), 0);
  EXPECT_EQ(count(db, "SELECT count(*) FROM sqlite_master WHERE name = 'events_run'"), 1);
  EXPECT_EQ(bins(j), before);
  EXPECT_TRUE(j.check_aggregates().empty());
}
