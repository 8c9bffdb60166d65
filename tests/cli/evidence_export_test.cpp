// Issue 15, "make merge and export carry them": `lockrig export` carries each session's evidence.
// The session rows gain transcript_entries, transcript_dropped and transcript (a JSON array text,
// docs/exports.md); a failed session's transcript read back from the export is the one the
// journal holds (read through the journal's own reader, the one `lockrig show` uses), in NDJSON
// and in CSV, and a redacted lock key is still absent from every exported byte.
#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <sstream>

#include "rig/journal/evidence.hpp"
#include "rig/journal/journal.hpp"
#include "tests/cli/cli_support.hpp"
#include "tests/cli/key_rig.hpp"

namespace lockrig::cli_test {
namespace {

using boost::property_tree::ptree;

const char* kKey = "5eed00c0ffee4242abcd";

// RFC 4180 records (a field may hold CRLF, commas and doubled quotes inside quotes).
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
      ++i;
    } else {
      field += c;
    }
  }
  if (!rows.back().empty() || !field.empty()) rows.back().push_back(field);
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

// The transcript the journal holds for `session`, through the reader `lockrig show` uses.
std::vector<TranscriptLine> journal_transcript(const std::string& db, std::int64_t session) {
  Journal j = Journal::open_readonly(db);
  const SessionEvidence ev = read_session_evidence(j, 1, session);
  EXPECT_TRUE(ev.has_transcript);
  return ev.transcript;
}

// Compares a JSON array text of {t_ns, mark, who, text} (parsed by Boost.PropertyTree's JSON
// parser, not ours) with the journal's lines.
void expect_same_transcript(const std::string& json, const std::vector<TranscriptLine>& want) {
  ptree tree;
  std::istringstream in("{\"t\":" + json + "}");
  ASSERT_NO_THROW(boost::property_tree::read_json(in, tree)) << json;
  const ptree& arr = tree.get_child("t");
  ASSERT_EQ(arr.size(), want.size()) << json;
  std::size_t i = 0;
  for (const auto& [unused, entry] : arr) {
    (void)unused;
    const TranscriptLine& w = want[i++];
    EXPECT_EQ(entry.get<long long>("t_ns"), w.t_ns) << i;
    EXPECT_EQ(entry.get<std::string>("mark"), std::string(1, w.mark)) << i;
    EXPECT_EQ(entry.get<std::string>("who"), w.who) << i;
    EXPECT_EQ(entry.get<std::string>("text"), w.text) << i;
  }
}

int column_of(const std::vector<std::string>& header, const std::string& name) {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  ADD_FAILURE() << "no column " << name;
  return -1;
}

TEST(LockrigEvidenceExport, AFailedSessionsTranscriptRoundTripsThroughNdjsonAndCsvWithoutTheKey) {
  TempDir tmp;
  const KeyRig k = key_rig(tmp, kKey, "LOCKRIG_TEST_EXPORT_KEY", "export-lab");
  const std::string db = tmp.file("keys.db");
  // Two failed sessions (the harness rejects): both keep their transcript by default.
  const Result r = lockrig({"run", "--fixture", k.fixture, "--scenario", k.scenario, "--locks",
                            "phone-1", "--db", db, "--progress", "off", "-q"});
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.describe();
  const auto ids = Db(db).column("SELECT session_id FROM session_evidence ORDER BY session_id");
  ASSERT_EQ(ids.size(), 2u);

  // NDJSON: one object per session, the evidence in the last three keys.
  const std::string nd_path = tmp.file("sessions.ndjson");
  const Result nd = lockrig({"export", "--db", db, "--format", "ndjson", "-o", nd_path});
  ASSERT_EQ(nd.exit_code, 0) << nd.describe();
  const std::string nd_text = read_file(nd_path);
  std::istringstream lines(nd_text);
  std::string line;
  std::size_t n = 0;
  while (std::getline(lines, line)) {
    ASSERT_LT(n, ids.size());
    ptree row;
    std::istringstream in(line);
    ASSERT_NO_THROW(boost::property_tree::read_json(in, row)) << line;
    const auto want = journal_transcript(db, std::stoll(ids[n]));
    EXPECT_EQ(row.get<std::string>("result"), "fail");
    EXPECT_EQ(row.get<long long>("transcript_entries"), static_cast<long long>(want.size()));
    EXPECT_EQ(row.get<long long>("transcript_dropped"), 0);
    // The transcript is what `show` prints: the argv, the leaked key redacted, the exit status.
    const std::string transcript = row.get<std::string>("transcript");
    expect_same_transcript(transcript, want);
    EXPECT_NE(transcript.find("leak-key"), std::string::npos) << transcript;
    EXPECT_NE(transcript.find("using session key [redacted]"), std::string::npos) << transcript;
    ++n;
  }
  EXPECT_EQ(n, ids.size());
  // Key order: the new columns are appended after every old one.
  EXPECT_LT(nd_text.find("\"first_attempt_success\""), nd_text.find("\"transcript_entries\""));

  // CSV: the same columns; the transcript field (commas, quotes, newlines) survives quoting.
  const std::string csv_path = tmp.file("sessions.csv");
  const Result csv = lockrig({"export", "--db", db, "--format", "csv", "-o", csv_path});
  ASSERT_EQ(csv.exit_code, 0) << csv.describe();
  const std::string csv_text = read_file(csv_path);
  const auto rows = parse_csv(csv_text);
  ASSERT_EQ(rows.size(), 3u) << csv_text;
  const int entries = column_of(rows[0], "transcript_entries");
  const int transcript = column_of(rows[0], "transcript");
  ASSERT_EQ(entries, static_cast<int>(rows[0].size()) - 3);
  ASSERT_EQ(transcript, static_cast<int>(rows[0].size()) - 1);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), rows[0].size());
    const auto want = journal_transcript(db, std::stoll(ids[i - 1]));
    EXPECT_EQ(rows[i][static_cast<std::size_t>(entries)], std::to_string(want.size()));
    expect_same_transcript(rows[i][static_cast<std::size_t>(transcript)], want);
  }

  // No spelling of the key in either export, nor on the exports' stdout.
  const Result to_stdout = lockrig({"export", "--db", db, "--format", "ndjson"});
  ASSERT_EQ(to_stdout.exit_code, 0) << to_stdout.describe();
  EXPECT_EQ(to_stdout.out, nd_text);
  for (const std::string& form : key_spellings(kKey))
    for (const std::string* text : {&nd_text, &csv_text})
      EXPECT_EQ(text->find(form), std::string::npos) << "the key is in an export";
}

TEST(LockrigEvidenceExport, SessionsWithoutEvidenceExportNullAndMergeKeepsTheTranscript) {
  TempDir tmp;
  const KeyRig k = key_rig(tmp, kKey, "LOCKRIG_TEST_EXPORT_KEY", "export-lab");
  const std::string db = tmp.file("none.db");
  const Result r = lockrig({"run", "--fixture", k.fixture, "--scenario", k.scenario, "--locks",
                            "phone-1", "--db", db, "--progress", "off", "-q", "--keep-evidence",
                            "none"});
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.describe();
  const Result nd = lockrig({"export", "--db", db, "--format", "ndjson"});
  ASSERT_EQ(nd.exit_code, 0) << nd.describe();
  EXPECT_NE(nd.out.find("\"transcript_entries\":null,\"transcript_dropped\":null,"
                        "\"transcript\":null}"),
            std::string::npos)
      << nd.out;
  const Result csv = lockrig({"export", "--db", db, "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.describe();
  const auto rows = parse_csv(csv.out);
  ASSERT_EQ(rows.size(), 3u);
  for (std::size_t i = 1; i < rows.size(); ++i)
    for (std::size_t c = rows[0].size() - 3; c < rows[0].size(); ++c) EXPECT_EQ(rows[i][c], "");

  // A merged journal exports the same transcripts as its input.
  const std::string kept = tmp.file("kept.db");
  ASSERT_TRUE(lockrig({"run", "--fixture", k.fixture, "--scenario", k.scenario, "--locks",
                       "phone-1", "--db", kept, "--progress", "off", "-q"})
                  .exited);
  const std::string lab = tmp.file("lab.db");
  ASSERT_EQ(lockrig({"merge", kept, "-o", lab}).exit_code, 0);
  const Result a = lockrig({"export", "--db", kept, "--format", "ndjson"});
  const Result b = lockrig({"export", "--db", lab, "--format", "ndjson"});
  ASSERT_EQ(a.exit_code, 0) << a.describe();
  ASSERT_EQ(b.exit_code, 0) << b.describe();
  auto transcripts = [](const std::string& text) {
    std::vector<std::string> out;
    for (std::size_t at = 0; (at = text.find("\"transcript\":", at)) != std::string::npos; ++at)
      out.push_back(text.substr(at, text.find('\n', at) - at));
    return out;
  };
  EXPECT_EQ(transcripts(a.out).size(), 2u);
  EXPECT_EQ(transcripts(a.out), transcripts(b.out));
}

// Bad input: a damaged transcript (here: its blob is not zlib) fails the export with exit 2 naming
// the problem, and `-o` leaves no file (nothing half-written).
TEST(LockrigEvidenceExport, ADamagedTranscriptFailsTheExportNamingItAndWritesNothing) {
  TempDir tmp;
  const KeyRig k = key_rig(tmp, kKey, "LOCKRIG_TEST_EXPORT_KEY", "export-lab");
  const std::string db = tmp.file("damaged.db");
  const Result r = lockrig({"run", "--fixture", k.fixture, "--scenario", k.scenario, "--locks",
                            "phone-1", "--db", db, "--progress", "off", "-q"});
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.describe();
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(h,
                           "UPDATE session_evidence SET transcript = x'00112233' WHERE session_id "
                           "= (SELECT max(session_id) FROM session_evidence)",
                           nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(h);
    sqlite3_close(h);
  }
  const std::string out = tmp.file("sessions.ndjson");
  const Result bad = lockrig({"export", "--db", db, "--format", "ndjson", "-o", out});
  EXPECT_EQ(bad.exit_code, 2) << bad.describe();
  EXPECT_NE(bad.err.find("session transcript cannot be decompressed"), std::string::npos)
      << bad.describe();
  EXPECT_FALSE(exists(out));
}

}  // namespace
}  // namespace lockrig::cli_test
