#include "rig/journal/evidence.hpp"

#include <zlib.h>

#include <algorithm>

#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/open_guard.hpp"
#include "rig/journal/run_records.hpp"
#include "rig/journal/sql.hpp"

namespace lockrig {

namespace {

void append_escaped(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char c = s[++i];
    out += c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c;
  }
  return out;
}

}  // namespace

namespace {

EvidenceBlob encode_lines(const std::vector<TranscriptLine>& all, std::size_t first,
                          long long dropped) {
  std::string raw;
  for (std::size_t i = first; i < all.size(); ++i) {
    const auto& l = all[i];
    raw += std::to_string(l.t_ns);
    raw += '\t';
    raw += l.mark;
    raw += '\t';
    append_escaped(raw, l.who);
    raw += '\t';
    append_escaped(raw, l.text);
    raw += '\n';
  }
  EvidenceBlob blob;
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  blob.data.resize(size);
  const int rc = compress2(reinterpret_cast<Bytef*>(blob.data.data()), &size,
                           reinterpret_cast<const Bytef*>(raw.data()),
                           static_cast<uLong>(raw.size()), Z_BEST_SPEED);
  if (rc != Z_OK) throw JournalError("cannot compress a session transcript (zlib error " +
                                     std::to_string(rc) + ")");
  blob.data.resize(size);
  blob.entries = static_cast<long long>(all.size() - first);
  blob.dropped = dropped + static_cast<long long>(first);
  blob.raw_bytes = static_cast<long long>(raw.size());
  return blob;
}

}  // namespace

EvidenceBlob encode_evidence(const std::vector<TranscriptLine>& lines, long long dropped) {
  // Every journal connection refuses values over kJournalMaxValueBytes (issue 17's limit on
  // hostile files), so a blob above it would fail the session's whole transaction. An
  // incompressible transcript drops its oldest lines (counted in `dropped`, like the recorder's
  // own bound) until it fits, keeping the newest: those nearest the failure.
  constexpr std::size_t kMaxBlob = kJournalMaxValueBytes - 4096;
  std::size_t first = 0;
  for (;;) {
    EvidenceBlob blob = encode_lines(lines, first, dropped);
    if (blob.data.size() <= kMaxBlob || first == lines.size()) return blob;
    first += std::max<std::size_t>(1, (lines.size() - first) / 4);
  }
}

std::vector<TranscriptLine> decode_evidence(const std::string& data, long long raw_bytes) {
  // The recorder keeps at most 256 KiB a session (drivers/transcript.hpp); 4 MiB leaves room
  // and keeps a hostile raw_bytes from allocating gigabytes.
  if (raw_bytes < 0 || raw_bytes > (4LL << 20))
    throw JournalError("session transcript claims " + std::to_string(raw_bytes) +
                       " bytes; the journal is damaged");
  std::string raw(static_cast<std::size_t>(raw_bytes), '\0');
  uLongf size = static_cast<uLongf>(raw.size());
  const int rc = uncompress(reinterpret_cast<Bytef*>(raw.data()), &size,
                            reinterpret_cast<const Bytef*>(data.data()),
                            static_cast<uLong>(data.size()));
  if (rc != Z_OK || size != raw.size())
    throw JournalError("session transcript cannot be decompressed (zlib error " +
                       std::to_string(rc) + "); the journal is damaged");
  std::vector<TranscriptLine> out;
  std::size_t at = 0;
  while (at < raw.size()) {
    std::size_t end = raw.find('\n', at);
    if (end == std::string::npos) end = raw.size();
    const std::string_view line(raw.data() + at, end - at);
    const auto t1 = line.find('\t');
    const auto t2 = t1 == std::string_view::npos ? t1 : line.find('\t', t1 + 1);
    const auto t3 = t2 == std::string_view::npos ? t2 : line.find('\t', t2 + 1);
    if (t3 == std::string_view::npos || t2 != t1 + 2)
      throw JournalError("session transcript line " + std::to_string(out.size() + 1) +
                         " is malformed; the journal is damaged");
    TranscriptLine l;
    try {
      l.t_ns = std::stoll(std::string(line.substr(0, t1)));
    } catch (const std::exception&) {
      throw JournalError("session transcript line " + std::to_string(out.size() + 1) +
                         " has no time; the journal is damaged");
    }
    l.mark = line[t1 + 1];
    l.who = unescape(line.substr(t2 + 1, t3 - t2 - 1));
    l.text = unescape(line.substr(t3 + 1));
    out.push_back(std::move(l));
    at = end + 1;
  }
  return out;
}

RunRecord find_run(Journal& journal, const std::string& selector) {
  if (selector.empty()) throw UsageError("give a run id or uuid (see lockrig runs)");
  std::vector<RunRecord> runs = read_runs(journal);
  std::vector<RunRecord> hits;
  const bool numeric = selector.find_first_not_of("0123456789") == std::string::npos;
  for (auto& r : runs) {
    if (numeric ? std::to_string(r.id) == selector
                : (r.uuid == selector ||
                   (selector.size() >= 8 && r.uuid.compare(0, selector.size(), selector) == 0)))
      hits.push_back(r);
  }
  if (hits.empty())
    throw UsageError("journal " + quote(journal.path()) + " has no run " + quote(selector) +
                     (numeric || selector.size() >= 8
                          ? " (see lockrig runs)"
                          : " (give a run id, or at least 8 characters of its uuid)"));
  if (hits.size() > 1)
    throw UsageError(quote(selector) + " matches " + std::to_string(hits.size()) +
                     " runs; give more of the uuid");
  return hits.front();
}

namespace {

std::string session_columns(bool with_evidence) {
  return std::string(
             "SELECT s.id, s.run_id, r.uuid, s.lock_id, s.scenario, s.repetition, s.step, "
             "s.expect, s.within_ms, s.started_ns, s.ended_ns, s.result, s.outcome, "
             "s.sli_eligible, ") +
         (with_evidence
              ? "(SELECT count(*) FROM session_evidence e WHERE e.session_id = s.id), "
              : "0, ") +
         "COALESCE((SELECT detail FROM attempts a WHERE a.session_id = s.id ORDER BY attempt "
         "DESC LIMIT 1), '') FROM sessions s JOIN runs r ON r.id = s.run_id ";
}

SessionEvidence session_row(SqlStatement& q) {
  SessionEvidence s;
  s.session_id = q.integer(0);
  s.run_id = q.integer(1);
  s.run_uuid = q.text(2);
  s.lock_id = q.text(3);
  s.scenario = q.text(4);
  s.repetition = static_cast<int>(q.integer(5));
  s.step = static_cast<int>(q.integer(6));
  s.expect = q.text(7);
  s.within_ms = q.real(8);
  s.started_ns = q.integer(9);
  s.ended_ns = q.integer(10);
  s.result = q.text(11);
  s.outcome = q.text(12);
  s.sli_eligible = q.integer(13) != 0;
  s.has_transcript = q.integer(14) != 0;
  s.last_detail = q.text(15);
  return s;
}

// Every row of a session_columns() query, in its order.
std::vector<SessionEvidence> session_rows(SqlStatement& q) {
  std::vector<SessionEvidence> out;
  while (q.step()) out.push_back(session_row(q));
  return out;
}

}  // namespace

std::vector<SessionEvidence> failed_sessions(Journal& journal, std::int64_t run,
                                             bool with_expected) {
  sqlite3* db = journal_db(journal);
  SqlStatement q(db,
                 session_columns(journal.has_evidence()) +
                     "WHERE s.run_id = ?1 AND (s.result <> 'pass' OR (?2 AND s.expect <> "
                     "'success')) ORDER BY s.id",
                 "read failed sessions");
  q.bind(1, run).bind(2, with_expected ? 1 : 0);
  return session_rows(q);
}

std::vector<SessionEvidence> failed_sessions(Journal& journal, std::int64_t run,
                                             const std::string& lock_id,
                                             const std::string& scenario, bool sli,
                                             const std::string& result, const std::string& expect,
                                             std::size_t limit) {
  sqlite3* db = journal_db(journal);
  SqlStatement q(db,
                 session_columns(journal.has_evidence()) +
                     "WHERE s.run_id = ?1 AND s.lock_id = ?2 AND s.scenario = ?3 AND "
                     "s.sli_eligible = ?4 AND s.result = ?5 AND s.expect = ?6 ORDER BY s.id "
                     "LIMIT ?7",
                 "read failed sessions");
  q.bind(1, run).bind(2, lock_id).bind(3, scenario).bind(4, sli ? 1 : 0).bind(5, result);
  q.bind(6, expect).bind(7, static_cast<std::int64_t>(limit));
  return session_rows(q);
}

std::vector<FailedSessionCount> failed_session_counts(Journal& journal, std::int64_t run,
                                                      const std::string& lock_id,
                                                      const std::string& scenario) {
  sqlite3* db = journal_db(journal);
  SqlStatement q(db,
                 std::string("SELECT sli_eligible, result, expect, ") +
                     (journal.has_aggregates() ? "sum(sessions) FROM agg_sessions"
                                               : "count(*) FROM sessions") +
                     " WHERE run_id = ?1 AND lock_id = ?2 AND scenario = ?3 AND result <> 'pass' "
                     "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
                 "count failed sessions");
  q.bind(1, run).bind(2, lock_id).bind(3, scenario);
  std::vector<FailedSessionCount> out;
  while (q.step()) out.push_back({q.integer(0) != 0, q.text(1), q.text(2), q.integer(3)});
  return out;
}

std::vector<SessionEvidence> failed_assertion_sessions(Journal& journal, std::int64_t run) {
  sqlite3* db = journal_db(journal);
  SqlStatement q(db,
                 session_columns(journal.has_evidence()) +
                     "WHERE s.run_id = ?1 AND s.result = 'fail' AND s.sli_eligible = 0 "
                     "AND s.expect <> 'range' "  // a sweep session is no assertion (issue 14)
                     "ORDER BY s.id",
                 "read failed assertions");
  q.bind(1, run);
  return session_rows(q);
}

std::vector<SessionEvidence> run_sessions(Journal& journal, std::int64_t run) {
  sqlite3* db = journal_db(journal);
  SqlStatement q(db, session_columns(journal.has_evidence()) + "WHERE s.run_id = ?1 ORDER BY s.id",
                 "read sessions");
  q.bind(1, run);
  return session_rows(q);
}

SessionEvidence read_session_evidence(Journal& journal, std::int64_t run, std::int64_t session) {
  sqlite3* db = journal_db(journal);
  Transaction tx(db);  // one snapshot
  SessionEvidence s;
  {
    SqlStatement q(db,
                   session_columns(journal.has_evidence()) + "WHERE s.run_id = ?1 AND s.id = ?2",
                   "read session");
    q.bind(1, run).bind(2, session);
    if (!q.step())
      throw UsageError("run " + std::to_string(run) + " has no session " +
                       std::to_string(session) + " (lockrig runs " + std::to_string(run) +
                       " --failures lists its failed sessions)");
    s = session_row(q);
  }
  {
    SqlStatement q(db,
                   "SELECT attempt, started_ns, ended_ns, latency_ms, rssi_dbm, outcome, class, "
                   "phase, detail FROM attempts WHERE session_id = ?1 ORDER BY attempt",
                   "read attempts");
    q.bind(1, session);
    while (q.step()) {
      AttemptRecord a;
      a.number = static_cast<int>(q.integer(0));
      a.started = TimePoint(q.integer(1));
      a.ended = TimePoint(q.integer(2));
      if (!q.null(3))
        a.latency = Duration(static_cast<std::int64_t>(q.real(3) * 1e6));
      if (!q.null(4)) a.rssi_dbm = static_cast<int>(q.integer(4));
      a.outcome = q.text(5);
      const std::string cls = q.text(6);
      a.cls = cls == "expected"    ? AttemptClass::expected
              : cls == "rig_fault" ? AttemptClass::rig_fault
                                   : AttemptClass::lock;
      a.phase = q.text(7);
      a.detail = q.text(8);
      s.attempts.push_back(std::move(a));
    }
  }
  {
    // The window: from the end of the lock's previous session in the run (what led up to this
    // one: power cycles, shield moves) to the end of this one.
    SqlStatement q(db,
                   "SELECT COALESCE(MAX(ended_ns), 0) FROM sessions WHERE run_id = ?1 AND "
                   "lock_id = ?2 AND id < ?3",
                   "read session window");
    q.bind(1, run).bind(2, s.lock_id).bind(3, session);
    if (q.step()) s.window_start_ns = std::min<std::int64_t>(q.integer(0), s.started_ns);
  }
  {
    SqlStatement q(db,
                   "SELECT COALESCE(lock_id, ''), t_ns, kind, target, value, detail FROM events "
                   "WHERE run_id = ?1 AND (lock_id = ?2 OR lock_id IS NULL) AND t_ns >= ?3 AND "
                   "t_ns <= ?4 ORDER BY t_ns, id",
                   "read session events");
    q.bind(1, run).bind(2, s.lock_id).bind(3, s.window_start_ns).bind(4, s.ended_ns);
    while (q.step())
      s.events.emplace_back(q.text(0), TimePoint(q.integer(1)), q.text(2), q.text(3), q.text(4),
                            q.text(5));
  }
  if (journal.has_evidence()) {
    SqlStatement q(db,
                   "SELECT encoding, dropped, raw_bytes, transcript FROM session_evidence WHERE "
                   "session_id = ?1",
                   "read session evidence");
    q.bind(1, session);
    if (q.step()) {
      if (q.text(0) != "zlib-lines-1")
        throw JournalError("session " + std::to_string(session) + " has evidence in encoding " +
                           quote(q.text(0)) + ", which this lockrig cannot read");
      s.has_transcript = true;
      s.transcript_dropped = q.integer(1);
      const std::string data(q.blob(3));
      s.transcript = decode_evidence(data, q.integer(2));
    }
  }
  tx.commit();
  return s;
}

std::uint64_t run_seed(Journal& journal, std::int64_t run) {
  SqlStatement q(journal_db(journal), "SELECT seed FROM runs WHERE id = ?1", "read run seed");
  q.bind(1, run);
  return q.step() ? static_cast<std::uint64_t>(q.integer(0)) : 0;
}

}  // namespace lockrig
