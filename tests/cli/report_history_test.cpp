// Issue 16 item 2: `lockrig report --history firmware|app` on simulated nights. Five nights on the
// sim-sequential rig (every session's only failure knob is the jam, so each build's true SLI is
// 1 - jam_rate), one firmware build per night, run in an order that is not the builds' name order;
// the fourth build jams a quarter of its unlocks and the fifth is healthy again. The history must
// list the builds in the order they were run, count what the journal holds, and name the fourth
// build as the change point; bad input is refused with exit 2, the value quoted.
#include "tests/cli/cli_support.hpp"

namespace lockrig::cli_test {
namespace {

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  std::size_t n = 0;
  for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size(), ++n)
    text.replace(at, from.size(), to);
  if (n == 0) throw std::runtime_error("no " + from + " in the fixture");
  return text;
}

// Run order; "fw-d" is the regression.
const std::vector<std::string> kBuilds = {"fw-c", "fw-e", "fw-a", "fw-d", "fw-b"};

struct Nights {
  TempDir tmp;
  std::string db;
  Nights() {
    db = tmp.file("nights.db");
    std::string base = read_file(source_path("fixtures/sim-sequential.yaml"));
    base = replace_once(base,
                        "      \"2.4.0\": {jam_rate: 0.005}\n"
                        "      \"2.4.0-rebuild\": {jam_rate: 0.005}\n"
                        "      \"2.4.1\": {jam_rate: 0.010}\n",
                        "      fw-a: {jam_rate: 0.005}\n      fw-b: {jam_rate: 0.005}\n"
                        "      fw-c: {jam_rate: 0.005}\n      fw-d: {jam_rate: 0.25}\n"
                        "      fw-e: {jam_rate: 0.005}\n");
    int seed = 11;
    for (const auto& b : kBuilds) {
      const std::string fixture =
          tmp.write(b + ".yaml", replace_all(base, "settings: {firmware: 2.4.0}",
                                             "settings: {firmware: " + b + "}"));
      const Result r = lockrig({"run", "--fixture", fixture, "--scenario",
                                source_path("scenarios/door-materials.yaml"), "--repeat", "25",
                                "--seed", std::to_string(seed++), "--label", "app=" + b + "-app",
                                "--db", db, "--progress", "off", "-q"},
                               Spawn{"", "", 300s});
      if (!r.exited || (r.exit_code != 0 && r.exit_code != 1))
        throw std::runtime_error("run failed:\n" + r.describe());
    }
  }
};

const Nights& nights() {
  static const Nights n;
  return n;
}

// The SLI sessions and successes the journal holds for one firmware build (sessions of locks
// that reported it in their run), counted with SQL, independently of the report's aggregates.
std::pair<long, long> sli_of(const std::string& build) {
  const Db db(nights().db);
  const std::string where =
      "FROM sessions s JOIN run_locks l ON l.run_id = s.run_id AND l.lock_id = s.lock_id "
      "WHERE s.sli_eligible = 1 AND s.result != 'rig_fault' AND l.firmware = '" + build + "'";
  return {db.integer("SELECT count(*) " + where),
          db.integer("SELECT count(*) " + where + " AND s.sli_success = 1")};
}

std::string with_commas(long n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

TEST(LockrigReportHistory, NamesTheRegressedBuildInRunOrder) {
  const Result r = lockrig({"report", "--db", nights().db, "--history", "firmware"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("firmware fw-d is the first build whose SLI is significantly below its "
                       "predecessors'"),
            std::string::npos)
      << r.out;
  // The builds table lists them in the order they were run, not by name.
  std::size_t at = r.out.find("Builds in order of first appearance");
  ASSERT_NE(at, std::string::npos) << r.out;
  for (std::size_t i = 0; i < kBuilds.size(); ++i) {
    const std::size_t next = r.out.find(" " + kBuilds[i] + " ", at);
    ASSERT_NE(next, std::string::npos) << kBuilds[i] << "\n" << r.out;
    at = next;
  }
  // Counts as the journal has them.
  for (const auto& b : kBuilds) {
    const auto [n, ok] = sli_of(b);
    ASSERT_GT(n, 100) << b;
    EXPECT_NE(r.out.find(with_commas(ok) + "/" + with_commas(n)), std::string::npos)
        << b << " " << ok << "/" << n << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("CHANGE POINT"), std::string::npos);
}

TEST(LockrigReportHistory, JsonAndAppLabelsGiveTheSameHistory) {
  const Result fw = lockrig({"report", "--db", nights().db, "--history", "firmware", "--format",
                             "json"});
  ASSERT_EQ(fw.exit_code, 0) << fw.describe();
  EXPECT_NE(fw.out.find("\"schema\": \"lockrig.history/1\""), std::string::npos) << fw.out;
  EXPECT_NE(fw.out.find("\"first\": \"fw-d\""), std::string::npos) << fw.out;
  const Result app = lockrig({"report", "--db", nights().db, "--history", "app", "--format",
                              "json"});
  ASSERT_EQ(app.exit_code, 0) << app.describe();
  EXPECT_NE(app.out.find("\"first\": \"fw-d-app\""), std::string::npos) << app.out;
  const auto [n, ok] = sli_of("fw-d");
  const std::string counts = "\"successes\": " + std::to_string(ok) + ", \"trials\": " +
                             std::to_string(n);
  EXPECT_NE(app.out.find(counts), std::string::npos) << counts << "\n" << app.out;
}

TEST(LockrigReportHistory, HtmlHasTheChartAndMarkdownTheTable) {
  TempDir tmp;
  const std::string html = tmp.file("h.html");
  const Result r = lockrig({"report", "--db", nights().db, "--history", "firmware", "--format",
                            "html", "-o", html});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const std::string page = read_file(html);
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_NE(page.find("class=\"build change-point\""), std::string::npos);
  EXPECT_NE(page.find("<tr class=\"change-point\">"), std::string::npos);
  const Result md = lockrig({"report", "--db", nights().db, "--history", "firmware", "--format",
                             "markdown"});
  ASSERT_EQ(md.exit_code, 0) << md.describe();
  EXPECT_NE(md.out.find("| **4** | **fw-d** |"), std::string::npos) << md.out;
}

TEST(LockrigReportHistory, ASelectionWithoutTheBadBuildNamesNone) {
  // --scenario narrows the sessions; --where the runs: only the healthy builds' nights.
  const Result r = lockrig({"report", "--db", nights().db, "--history", "firmware", "--where",
                            "app=fw-c-app"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("Only one firmware (fw-c"), std::string::npos) << r.out;
  const Result last = lockrig({"report", "--db", nights().db, "--history", "firmware", "--last",
                               "3", "--format", "json"});
  ASSERT_EQ(last.exit_code, 0) << last.describe();
  EXPECT_NE(last.out.find("\"first\": \"fw-d\""), std::string::npos) << last.out;
}

TEST(LockrigReportHistory, BadInputExitsTwoWithTheValueQuoted) {
  const Result unknown = lockrig({"report", "--db", nights().db, "--history", "firmwear"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.describe();
  EXPECT_NE(unknown.err.find("\"firmwear\""), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("firmware"), std::string::npos) << unknown.err;  // did you mean
  const Result format = lockrig({"report", "--db", nights().db, "--history", "firmware",
                                 "--format", "junit"});
  EXPECT_EQ(format.exit_code, 2) << format.describe();
  EXPECT_NE(format.err.find("\"junit\""), std::string::npos) << format.err;
  const Result both = lockrig({"report", "--db", nights().db, "--history", "firmware",
                               "--baseline", "firmware=fw-a", "--candidate", "firmware=fw-b"});
  EXPECT_EQ(both.exit_code, 2) << both.describe();
  const Result self = lockrig({"report", "--db", nights().db, "--history", "material"});
  EXPECT_EQ(self.exit_code, 2) << self.describe();
  EXPECT_NE(self.err.find("\"material\""), std::string::npos) << self.err;
}

}  // namespace
}  // namespace lockrig::cli_test
