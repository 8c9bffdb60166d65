// Issue 15 item 4 (reports link to evidence) and item 5 (JUnit attachments, --summary), through
// the report command: the text and Markdown reports name every failed session, flagged lock and
// failed assertion by RUN/SESSION id (what `lockrig show` takes) and say in their header which
// rig(s), hosts, nights and runs they cover; JUnit names a run's --capture files as
// [[ATTACHMENT|/abs/path]] lines in the failed cases' system-out; `--summary` is the Markdown
// merge-request summary. The expected ids are read from the journal with SQL, not from the report.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "reports/commands.hpp"
#include "tests/reports/report_test_support.hpp"

using namespace lockrig;
using namespace lockrig::reports;
using namespace lockrig::reports::testing;
namespace fs = std::filesystem;

namespace {

using lockrig::reports::testing::report;
using lockrig::reports::testing::Result;

// Session ids the SQL selects, in order (an independent read of the journal).
std::vector<std::string> ids(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  std::vector<std::string> out;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << db;
    sqlite3_close(h);
    return out;
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sqlite3_errmsg(h) << "\n" << sql;
  } else {
    while (sqlite3_step(st) == SQLITE_ROW)
      out.push_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

// Two nights of one rig: wood-3 fails far more than its peers (flagged WORSE), wood-1 fails twice
// (listed, not flagged), and wood-1's battery-pull assertion fails once.
struct Nights {
  TestJournal tj;
  std::string capture_dir;
  explicit Nights(const std::map<std::string, std::string>& labels = {}) {
    const std::vector<LockSpec> locks = {
        {"wood-1", "wood", "2.4.0"}, {"wood-2", "wood", "2.4.0"}, {"wood-3", "wood", "2.4.0"}};
    const auto r1 = tj.run(locks, labels);
    tj.sli(r1, "wood-1", 498, 2);
    tj.sli(r1, "wood-2", 500, 0);
    tj.sli(r1, "wood-3", 440, 60);
    tj.assertion(r1, "wood-1", "battery-pull", "not_found", "success");
    tj.assertion(r1, "wood-2", "battery-pull", "not_found", "not_found");
    tj.finish(r1);
    const auto r2 = tj.run(locks);
    tj.sli(r2, "wood-1", 500, 0);
    tj.sli(r2, "wood-2", 500, 0);
    tj.sli(r2, "wood-3", 480, 20);
    tj.finish(r2);
  }
  std::vector<std::string> args(std::vector<std::string> extra) const {
    std::vector<std::string> a = {"--db", tj.path()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::vector<std::string> failed(const std::string& where) const {
    std::vector<std::string> out;
    for (const auto& row :
         ids(tj.path(), "SELECT run_id || '/' || id FROM sessions WHERE result = 'fail' AND " +
                            where + " ORDER BY run_id, id"))
      out.push_back(row);
    return out;
  }
};

std::string joined(const std::vector<std::string>& v, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < v.size() && i < n; ++i) s += (i ? ", " : "") + v[i];
  return s;
}

TEST(ReportEvidenceIds, TextAndMarkdownNameFailedSessionsFlaggedLocksAndAssertionsByIdAndCoverage) {
  Nights lab;
  const auto wood3 = lab.failed("lock_id = 'wood-3' AND sli_eligible = 1");
  const auto wood1 = lab.failed("lock_id = 'wood-1' AND sli_eligible = 1");
  const auto assertion = lab.failed("scenario = 'battery-pull'");
  ASSERT_EQ(wood3.size(), 80u);
  ASSERT_EQ(wood1.size(), 2u);
  ASSERT_EQ(assertion.size(), 1u);
  for (const std::string format : {"text", "markdown", "html"}) {
    const Result r = report(lab.args({"--format", format}));
    ASSERT_EQ(r.code, 0) << r.error;
    // The header: the rig and its host, the two nights, the runs.
    EXPECT_NE(r.out.find("rig test-rig on test-host; 2 nights 2026-11-02 to 2026-11-03; 2 runs 1-2"),
              std::string::npos)
        << format << "\n" << r.out.substr(0, 600);
    // The flagged lock with its failed sessions, the first five ids then how many more.
    EXPECT_NE(r.out.find("wood-3 (WORSE): 80 failed SLI session(s): " + joined(wood3, 5) +
                         " (+75 more)"),
              std::string::npos)
        << format << "\n" << r.out;
    // A lock with failures that is not flagged is listed too.
    EXPECT_NE(r.out.find("wood-1: 2 failed SLI session(s): " + joined(wood1, 5)), std::string::npos)
        << format;
    if (format != "html") {  // (the HTML lock chart's labels name every lock)
      EXPECT_EQ(r.out.find("wood-2: "), std::string::npos) << format;  // no failed session
    }
    // The failed assertion's row (battery-pull: wood-1 unlocked) names its session.
    bool named = false;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.find("battery-pull") == std::string::npos ||
          line.find("wood-1: success") == std::string::npos)  // the failures cell
        continue;
      const auto at = line.find(assertion[0]);
      const auto after = at == std::string::npos ? at : at + assertion[0].size();
      named = named || (at != std::string::npos &&
                        (after == line.size() || !std::isdigit(static_cast<unsigned char>(line[after]))));
    }
    EXPECT_TRUE(named) << format << ": no assertion row names " << assertion[0] << "\n" << r.out;
  }
}

// One run: the header names the run's uuid.
TEST(ReportEvidenceIds, OneRunsHeaderNamesItsUuid) {
  Nights lab;
  const Result r = report(lab.args({"--run", "00000000-0000-4000-8000-000000000001"}));
  ASSERT_EQ(r.code, 0) << r.error;
  EXPECT_NE(r.out.find("night 2026-11-02; run 1 (00000000-0000-4000-8000-000000000001)"),
            std::string::npos)
      << r.out.substr(0, 400);
}

// [[ATTACHMENT|path]] (Jenkins junit-attachments plugin, https://github.com/jenkinsci/
// junit-attachments-plugin README: "Each ATTACHMENT should be on its own line, without any text
// before or after"): a run's capture files go into the system-out of the cases with failed
// sessions in that run, never into a passing case, and the file stays valid against
// tests/reports/junit-10.xsd.
TEST(ReportEvidenceIds, JunitNamesTheRunsCaptureFilesAsAttachmentsOfItsFailedCases) {
  TempDir files;
  const std::string dir = files.file("evidence/run-1");
  fs::create_directories(dir);
  std::ofstream(dir + "/capture-1.log") << "btmon output\n";
  std::ofstream(dir + "/hci.log") << "hci\n";
  Nights lab({{"capture.1", "btmon -w " + dir + "/hci.log; log " + dir +
                                "/capture-1.log; started 2026-11-02T08:00:00.000Z; stopped "
                                "2026-11-02T09:00:00.000Z; stopped: exit code 0"}});
  const Result r = report(lab.args({"--format", "junit"}));
  ASSERT_EQ(r.code, 0) << r.error;
  TempDir d;
  const std::string file = write_temp(d, "j.xml", r.out);
  const std::string xsd = std::string(LOCKRIG_REPORT_TEST_DIR) + "/junit-10.xsd";
  const std::string cmd =
      "xmllint --noout --schema '" + xsd + "' '" + file + "' > '" + file + ".log' 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << read_file(file + ".log");
  const std::string abs = fs::absolute(dir).lexically_normal().string();
  const auto [status, out] = run_python(R"py(
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
def attachments(case):
    so = case.find("system-out")
    text = so.text if so is not None and so.text else ""
    return [l for l in text.split("\n") if l.startswith("[[ATTACHMENT|")]
cases = {c.get("name"): c for c in root.iter("testcase")}
for name in ["battery-pull/wood-1", "daily-unlock/wood-3", "daily-unlock/wood-1",
             "wood-3 not worse than its peers"]:
    print(name, "|".join(attachments(cases[name])))
for name in ["battery-pull/wood-2", "daily-unlock/wood-2"]:
    print(name, "none" if not attachments(cases[name]) else "SOME")
)py",
                                        file);
  ASSERT_EQ(status, 0) << out;
  const std::string want =
      "[[ATTACHMENT|" + abs + "/capture-1.log]]|[[ATTACHMENT|" + abs + "/hci.log]]";
  for (const std::string name : {"battery-pull/wood-1", "daily-unlock/wood-3",
                                 "daily-unlock/wood-1", "wood-3 not worse than its peers"})
    EXPECT_NE(out.find(name + " " + want + "\n"), std::string::npos) << name << "\n" << out;
  EXPECT_NE(out.find("battery-pull/wood-2 none"), std::string::npos) << out;
  EXPECT_NE(out.find("daily-unlock/wood-2 none"), std::string::npos) << out;
}

// `--summary` is the documented spelling of --format markdown-summary; it cannot be combined with
// another format.
TEST(ReportEvidenceIds, SummaryIsTheMarkdownSummary) {
  Nights lab;
  const Result summary = report(lab.args({"--summary"}));
  const Result format = report(lab.args({"--format", "markdown-summary"}));
  ASSERT_EQ(summary.code, 0) << summary.error;
  ASSERT_EQ(format.code, 0) << format.error;
  EXPECT_EQ(summary.out, format.out);
  EXPECT_EQ(summary.out.rfind("### lockrig ", 0), 0u) << summary.out;
  EXPECT_EQ(report(lab.args({"--summary", "--format", "markdown-summary"})).out, format.out);
  const Result clash = report(lab.args({"--summary", "--format", "html"}));
  EXPECT_EQ(clash.code, 2);
  EXPECT_NE(clash.error.find("\"html\""), std::string::npos) << clash.error;
}

}  // namespace
