// Issue 15, session evidence: the bounded transcript recorder and its redaction
// (drivers/transcript.*), the stored encoding and the journal's session_evidence table
// (rig/journal/evidence.*, schema version 3), and the --keep-evidence policy (rig/engine/evidence.*).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <vector>

#include "drivers/transcript.hpp"
#include "rig/engine/evidence.hpp"
#include "rig/journal/evidence.hpp"
#include "rig/journal/export_reader.hpp"
#include "rig/journal/journal.hpp"
#include "rig/journal/open_guard.hpp"
#include "tests/support/journal_fixtures.hpp"

using namespace lockrig;
using namespace lockrig::drivers;

namespace {

long long count(Journal& j, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(journal_db(j), sql.c_str(), -1, &st, nullptr) != SQLITE_OK) return -1;
  const long long n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  return n;
}

SessionRecord failed_session(int repetition) {
  SessionRecord s;
  s.lock_id = "wood-1";
  s.scenario = "daily";
  s.repetition = repetition;
  s.expect = "success";
  s.within = std::chrono::seconds(8);
  s.started = Duration(std::int64_t{repetition} * 10'000'000'000);
  s.ended = s.started + std::chrono::milliseconds(900);
  s.result = SessionResult::fail;
  s.outcome = "rejected";
  s.sli_eligible = true;
  AttemptRecord a;
  a.started = s.started;
  a.ended = s.ended;
  a.outcome = "rejected";
  a.phase = "unlock";
  a.detail = "access denied";
  s.attempts.push_back(a);
  return s;
}

std::string joined(const std::vector<TranscriptEntry>& entries) {
  std::string out;
  for (const auto& e : entries) out += e.who + ":" + e.text + "\n";
  return out;
}

}  // namespace

TEST(Transcript, RecordsOnlyWhileARecorderIsInstalledOnTheThread) {
  VirtualClock clock(TimePoint(std::chrono::milliseconds(5)));
  TranscriptRecorder r(clock);
  transcript_text(TranscriptDirection::note, "before", "not recorded");
  {
    TranscriptScope scope(&r);
    EXPECT_EQ(current_transcript(), &r);
    const std::uint8_t bytes[] = {0xa0, 0x01, 0x01, 0xa2};
    transcript_bytes(TranscriptDirection::to_device, "relay-1", bytes);
    clock.sleep_for(std::chrono::milliseconds(7));
    transcript_text(TranscriptDirection::from_device, "phone-1 stdout", "ok");
  }
  EXPECT_EQ(current_transcript(), nullptr);
  transcript_text(TranscriptDirection::note, "after", "not recorded");
  const auto e = r.take();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].t, TimePoint(std::chrono::milliseconds(5)));
  EXPECT_EQ(e[0].direction, TranscriptDirection::to_device);
  EXPECT_EQ(e[0].text, "a0 01 01 a2 | ....");
  EXPECT_EQ(e[1].t, TimePoint(std::chrono::milliseconds(12)));
  EXPECT_EQ(e[1].who, "phone-1 stdout");
  EXPECT_EQ(r.size(), 0u);  // take() empties it
}

TEST(Transcript, IsBoundedKeepingTheNewestEntriesAndCountingWhatItDropped) {
  VirtualClock clock;
  TranscriptRecorder r(clock, TranscriptLimits{10, 16, 1 << 20});
  for (int i = 0; i < 25; ++i) r.add(TranscriptDirection::note, "n", std::to_string(i));
  r.add(TranscriptDirection::note, "long", std::string(40, 'x'));
  std::size_t dropped = 0;
  const auto e = r.take(&dropped);
  ASSERT_EQ(e.size(), 10u);
  EXPECT_EQ(dropped, 16u);
  EXPECT_EQ(e.front().text, "16");  // the oldest kept
  EXPECT_EQ(e.back().text, std::string(16, 'x') + " [24 more bytes not kept]");
  // The byte bound as well: 3 entries of 100 bytes fit in 350, the oldest goes.
  TranscriptRecorder small(clock, TranscriptLimits{100, 1000, 350});
  for (int i = 0; i < 4; ++i) small.add(TranscriptDirection::note, "", std::string(100, 'a' + i));
  const auto kept = small.take(&dropped);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept.front().text[0], 'b');
  EXPECT_EQ(dropped, 1u);
}

// A lock key must never reach the journal: the recorder redacts it before storing, as text (in
// every hex spelling a tool prints it: plain, upper case, spaced) and as raw bytes on the wire.
TEST(Transcript, RedactsRegisteredSecretsInTextAndBytesBeforeStoringThem) {
  register_secret("5ec12e7a9b");
  register_secret("abc");  // too short to redact safely: ignored
  VirtualClock clock;
  TranscriptRecorder r(clock);
  r.add(TranscriptDirection::from_device, "h", "key=5ec12e7a9b");
  r.add(TranscriptDirection::from_device, "h", "KEY 5EC12E7A9B");
  r.add(TranscriptDirection::from_device, "h", "frame 01 5e c1 2e 7a 9b 02");
  const std::uint8_t wire[] = {0x01, 0x5e, 0xc1, 0x2e, 0x7a, 0x9b, 0x55};
  r.add_bytes(TranscriptDirection::to_device, "lock", wire);
  r.add(TranscriptDirection::note, "h", "abc stays");
  const std::string all = joined(r.take());
  EXPECT_EQ(all,
            "h:key=[redacted]\n"
            "h:KEY [redacted]\n"
            "h:frame 01 [redacted] 02\n"
            "lock:01 | . [redacted] 55 | U\n"
            "h:abc stays\n");
  EXPECT_EQ(redact("x 5ec12e7a9b y"), "x [redacted] y");
}

TEST(Evidence, EncodingRoundTripsEveryCharacterAndRefusesADamagedBlob) {
  const std::vector<TranscriptLine> lines{
      {-5'000'000, '-', "bench", "relay shield-a = closed"},
      {12'345, '<', "phone-1 stdout", "line 1\nline\t2 \\ back\r\n"},
      {99, '>', "who\twith tab", ""},
  };
  const EvidenceBlob blob = encode_evidence(lines, 7);
  EXPECT_EQ(blob.entries, 3);
  EXPECT_EQ(blob.dropped, 7);
  EXPECT_GT(blob.raw_bytes, 0);
  const auto back = decode_evidence(blob.data, blob.raw_bytes);
  ASSERT_EQ(back.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back[i].t_ns, lines[i].t_ns);
    EXPECT_EQ(back[i].mark, lines[i].mark);
    EXPECT_EQ(back[i].who, lines[i].who);
    EXPECT_EQ(back[i].text, lines[i].text);
  }
  std::string damaged = blob.data;
  damaged[damaged.size() / 2] ^= 0x55;
  EXPECT_THROW(decode_evidence(damaged, blob.raw_bytes), JournalError);
  EXPECT_THROW(decode_evidence(blob.data, -1), JournalError);
}

TEST(Evidence, IsWrittenInTheSessionsTransactionAndReadBackWithItsAttempts) {
  lockrig::testing::ScratchDir d;
  Journal j = Journal::open(d.file("j.db"));
  EXPECT_TRUE(j.has_evidence());
  const auto run = j.begin_run(lockrig::testing::sample_run());
  j.record_locks(run, {LockRow{"wood-1", "m", "wood", "A1", "command", "", "", ""}});
  SessionRecord s = failed_session(1);
  s.evidence = encode_evidence({{s.started.count() + 1'000'000, '>', "wood-1 exec", "app unlock"},
                                {s.started.count() + 2'000'000, '<', "wood-1 stdout", "denied"}},
                               0);
  j.commit(run, JournalBatch{{EventRow{"wood-1", s.started - std::chrono::milliseconds(3),
                                       EventKind::set_switch, "power", "on", ""}},
                             s});
  // The same session again violates the sessions' uniqueness: the whole batch is rolled back,
  // its evidence with it.
  EXPECT_THROW(j.commit(run, JournalBatch{{}, s}), JournalError);
  EXPECT_EQ(count(j, "SELECT count(*) FROM session_evidence"), 1);
  // A passing session without evidence.
  SessionRecord ok = failed_session(2);
  ok.result = SessionResult::pass;
  ok.outcome = "success";
  j.commit(run, JournalBatch{{}, ok});

  const auto failed = failed_sessions(j, run);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_TRUE(failed[0].has_transcript);
  const SessionEvidence e = read_session_evidence(j, run, failed[0].session_id);
  EXPECT_EQ(e.lock_id, "wood-1");
  EXPECT_EQ(e.outcome, "rejected");
  ASSERT_EQ(e.attempts.size(), 1u);
  EXPECT_EQ(e.attempts[0].detail, "access denied");
  ASSERT_EQ(e.events.size(), 1u);  // the relay event before the session, in its window
  ASSERT_EQ(e.transcript.size(), 2u);
  EXPECT_EQ(e.transcript[1].text, "denied");
  EXPECT_EQ(run_sessions(j, run).size(), 2u);
  EXPECT_THROW(read_session_evidence(j, run, 999), UsageError);
  EXPECT_THROW(find_run(j, "12345678-nope"), UsageError);
  EXPECT_EQ(find_run(j, "00000000-0000-4000").id, run);
}

// Every journal connection refuses values over kJournalMaxValueBytes (64 KiB, issue 17), and
// the recorder keeps up to 256 KiB a session: a transcript of incompressible bytes (a serial
// board's noise as hex) must still commit with its session, keeping its newest lines. Before the
// encoder bounded its blob this commit failed with "string or blob too big".
TEST(Evidence, AnIncompressibleFullTranscriptStillCommitsWithItsSession) {
  lockrig::testing::ScratchDir d;
  Journal j = Journal::open(d.file("j.db"));
  const auto run = j.begin_run(lockrig::testing::sample_run());
  j.record_locks(run, {LockRow{"wood-1", "m", "wood", "A1", "command", "", "", ""}});
  SessionRecord s = failed_session(1);
  std::vector<TranscriptLine> lines;
  std::uint64_t x = 88172645463325252ULL;  // xorshift64: bytes zlib cannot shrink
  std::size_t raw = 0;
  for (int i = 0; raw < 256 * 1024; ++i) {
    std::string hex;
    for (int k = 0; k < 64; ++k) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      static const char* digits = "0123456789abcdef";
      hex += digits[x & 15];
      hex += digits[(x >> 4) & 15];
    }
    raw += hex.size();
    lines.push_back({s.started.count() + i, '<', "board", hex});
  }
  s.evidence = encode_evidence(lines, 3);
  EXPECT_LE(s.evidence->data.size(), static_cast<std::size_t>(kJournalMaxValueBytes));
  EXPECT_GT(s.evidence->dropped, 3);
  EXPECT_EQ(s.evidence->entries + s.evidence->dropped, static_cast<long long>(lines.size()) + 3);
  ASSERT_NO_THROW(j.commit(run, JournalBatch{{}, s}));
  const auto failed = failed_sessions(j, run);
  ASSERT_EQ(failed.size(), 1u);
  const SessionEvidence e = read_session_evidence(j, run, failed[0].session_id);
  ASSERT_FALSE(e.transcript.empty());
  EXPECT_EQ(e.transcript.back().text, lines.back().text);  // the newest line is kept
}

TEST(Evidence, AVersion2JournalIsUpgradedToVersion3WithAnEmptyEvidenceTable) {
  lockrig::testing::ScratchDir d;
  const std::string path = d.file("v2.db");
  {
    Journal j = Journal::open(path);
    const auto run = j.begin_run(lockrig::testing::sample_run());
    j.record_locks(run, {LockRow{"wood-1", "m", "wood", "A1", "sim", "", "", ""}});
    j.commit(run, JournalBatch{{}, failed_session(1)});
    // What lockrig with schema version 2 wrote: no session_evidence.
    ASSERT_EQ(sqlite3_exec(journal_db(j), lockrig::testing::back_to_version2_sql().c_str(),
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
  }
  {
    Journal ro = Journal::open_readonly(path);
    EXPECT_EQ(ro.schema_version(), 2);
    EXPECT_FALSE(ro.has_evidence());
    // Readers still work: the session is there, without a transcript.
    const auto failed = failed_sessions(ro, 1);
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_FALSE(read_session_evidence(ro, 1, failed[0].session_id).has_transcript);
    // The export's evidence columns read as none kept (NULL), without a session_evidence table.
    ReportScope scope;
    scope.runs = std::vector<std::int64_t>{1};
    const auto& cols = export_columns(ExportTable::sessions);
    ASSERT_EQ(std::string(cols.back().name), "transcript");
    const int last = static_cast<int>(cols.size()) - 1;
    int rows = 0;
    read_export_rows(ro, ExportTable::sessions, scope, [&](const ExportRow& r) {
      ++rows;
      for (int c = last - 2; c <= last; ++c) EXPECT_TRUE(r.null(c)) << cols[c].name;
    });
    EXPECT_EQ(rows, 1);
  }
  Journal j = Journal::open(path);
  EXPECT_EQ(j.schema_version(), kJournalSchemaVersion);
  EXPECT_EQ(count(j, "PRAGMA user_version"), kJournalSchemaVersion);
  EXPECT_EQ(count(j, "SELECT count(*) FROM session_evidence"), 0);
  EXPECT_EQ(count(j, "SELECT count(*) FROM sessions"), 1);
  EXPECT_TRUE(j.check_aggregates().empty());
}

TEST(EvidencePolicy, KeepsFailedRigFaultedAndExpectedFailureSessionsByDefault) {
  SessionRecord pass = failed_session(1);
  pass.result = SessionResult::pass;
  SessionRecord fail = failed_session(1);
  SessionRecord fault = failed_session(1);
  fault.result = SessionResult::rig_fault;
  SessionRecord expected = pass;
  expected.expect = "not_found";
  EXPECT_FALSE(keeps_evidence(EvidencePolicy::failures, pass));
  EXPECT_TRUE(keeps_evidence(EvidencePolicy::failures, fail));
  EXPECT_TRUE(keeps_evidence(EvidencePolicy::failures, fault));
  EXPECT_TRUE(keeps_evidence(EvidencePolicy::failures, expected));
  EXPECT_TRUE(keeps_evidence(EvidencePolicy::all, pass));
  EXPECT_FALSE(keeps_evidence(EvidencePolicy::none, fail));
  EXPECT_EQ(parse_evidence_policy("all"), EvidencePolicy::all);
  try {
    parse_evidence_policy("some");
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("\"some\""), std::string::npos) << e.what();
  }
}

TEST(EvidencePolicy, TakesTheWorkersTranscriptOnlyForTheSessionsItKeeps) {
  VirtualClock clock;
  SessionRecord pass = failed_session(1);
  pass.result = SessionResult::pass;
  {
    WorkerEvidence w(EvidencePolicy::failures, clock);
    transcript_text(TranscriptDirection::note, "bench", "power on");
    EXPECT_FALSE(take_session_evidence(EvidencePolicy::failures, pass));  // emptied, not kept
    transcript_text(TranscriptDirection::note, "bench", "power off");
    const auto blob = take_session_evidence(EvidencePolicy::failures, failed_session(1));
    ASSERT_TRUE(blob);
    const auto lines = decode_evidence(blob->data, blob->raw_bytes);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].text, "power off");
  }
  WorkerEvidence none(EvidencePolicy::none, clock);
  EXPECT_EQ(current_transcript(), nullptr);
  EXPECT_FALSE(take_session_evidence(EvidencePolicy::all, failed_session(1)));
}
