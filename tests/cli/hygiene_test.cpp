// Issue 17 item 7: journal strings (labels, firmware as a lock reports it) reach terminals,
// spreadsheets and browsers. None may carry a terminal escape, a C1 control or a bidi override
// into `runs`, the run summary or any report format, and no CSV cell may start a formula.
#include <gtest/gtest.h>

#include "cli_support.hpp"

namespace lockrig::cli_test {

namespace {

// ESC ] 0 ; ... BEL retitles an xterm; ESC [ 2 J clears it; U+009B is an 8-bit CSI; U+202E
// (RIGHT-TO-LEFT OVERRIDE) shows "5.3.0" reversed after it.
const std::string kEsc = "\x1b";
const std::string kC1Csi = "\xC2\x9B";
const std::string kRlo = "\xE2\x80\xAE";
const std::string kHostileApp = "=2+5|cmd " + kEsc + "]0;owned\x07" + kRlo + "0.3.5";
const std::string kHostileFirmware = "2.4.0" + kEsc + "[2J" + kC1Csi + "31m" + kRlo + "evil";

void expect_clean(const std::string& what, const std::string& out) {
  EXPECT_EQ(out.find(kEsc), std::string::npos) << what << " passes ESC through:\n" << out;
  EXPECT_EQ(out.find(kC1Csi), std::string::npos) << what << " passes a C1 CSI through";
  EXPECT_EQ(out.find(kRlo), std::string::npos) << what << " passes U+202E through";
  EXPECT_EQ(out.find('\x07'), std::string::npos) << what << " passes BEL through";
}

struct HostileRun {
  TempDir tmp;
  std::string db;
  Result run;
  HostileRun() {
    std::string fixture = read_file(source_path("fixtures/sim-lab.yaml"));
    // The lock reports this firmware (DIS 0x2A26 on a real lock: whatever the lock says).
    fixture = replace_once(fixture, "slot: A1, driver: sim, settings: {firmware: 2.4.0}",
                           "slot: A1, driver: sim, settings: {firmware: "
                           "\"2.4.0\\e[2J\\u009B31m\\u202Eevil\"}");
    const std::string fx = tmp.write("hostile.yaml", fixture);
    db = tmp.file("j.db");
    run = lockrig({"run", "--fixture", fx, "--locks", "wood-1,wood-2", "--repeat", "1", "--seed",
                   "3", "--label", "app=" + kHostileApp, "--db", db, "--progress", "off"});
  }
};

}  // namespace

TEST(OutputHygiene, TheRunSummaryAndRunsShowHostileStringsDefused) {
  HostileRun h;
  ASSERT_TRUE(h.run.exited && (h.run.exit_code == 0 || h.run.exit_code == 1)) << h.run.describe();
  // The journal keeps what the lock said, exactly: only the outputs defuse it.
  EXPECT_EQ(Db(h.db).text("SELECT firmware FROM run_locks WHERE lock_id = 'wood-1'"),
            kHostileFirmware);
  expect_clean("the run summary", h.run.out + h.run.err);
  EXPECT_NE(h.run.out.find("2.4.0"), std::string::npos) << h.run.out;
  EXPECT_NE(h.run.out.find("[U+202E]evil"), std::string::npos) << "the override is not marked";

  const Result runs = lockrig({"runs", "--db", h.db});
  ASSERT_EQ(runs.exit_code, 0) << runs.describe();
  expect_clean("runs", runs.out);
  EXPECT_NE(runs.out.find("[U+202E]0.3.5"), std::string::npos) << runs.out;
}

TEST(OutputHygiene, EveryReportFormatDefusesThemAndHtmlMarksTheOverride) {
  HostileRun h;
  ASSERT_TRUE(h.run.exited && (h.run.exit_code == 0 || h.run.exit_code == 1)) << h.run.describe();
  for (const std::string format : {"text", "markdown", "html", "json", "junit"}) {
    const Result r = lockrig({"report", "--db", h.db, "--format", format});
    ASSERT_TRUE(r.exited && r.exit_code <= 1) << format << "\n" << r.describe();
    expect_clean("report --format " + format, r.out);
    if (format != "json" && format != "junit") {
      // Markdown escapes the brackets: \[U+202E\] renders as [U+202E].
      EXPECT_NE(r.out.find("U+202E"), std::string::npos) << format << " hides the override";
    }
  }
}

// OWASP CSV injection: "=2+5|cmd" in a cell is a formula to Excel and LibreOffice. It must
// arrive as text: quoted, with a leading apostrophe.
TEST(OutputHygiene, CsvExportNeutralisesFormulaCells) {
  HostileRun h;
  ASSERT_TRUE(h.run.exited && (h.run.exit_code == 0 || h.run.exit_code == 1)) << h.run.describe();
  const std::string out = h.tmp.file("s.csv");
  const Result r = lockrig({"export", "--db", h.db, "--format", "csv", "-o", out});
  ASSERT_TRUE(r.exited && r.exit_code == 0) << r.describe();
  const std::string csv = read_file(out);
  expect_clean("export --format csv", csv);
  EXPECT_EQ(csv.find(",=2+5"), std::string::npos) << "a cell starts with '='";
  EXPECT_NE(csv.find(",\"'=2+5|cmd "), std::string::npos) << csv.substr(0, 600);
}

}  // namespace lockrig::cli_test
