// Which runs and sessions a report reads: --last, --since, --run, --where, --scenario, and the
// attributes versions are told apart by (firmware as read from the lock, labels, ...).
#include <gtest/gtest.h>

#include "reports/comparison.hpp"
#include "reports/dataset.hpp"
#include "rig/base/errors.hpp"
#include "tests/reports/report_test_support.hpp"

using namespace lockrig;
using namespace lockrig::reports;
using lockrig::reports::testing::TestJournal;

namespace {

// Four runs on consecutive days; labels build=nightly except run 3 (build=release).
struct History {
  TestJournal tj;
  History() {
    for (int i = 1; i <= 4; ++i) {
      const auto r = tj.run({{"wood-1", "wood", i <= 2 ? "2.4.0" : "2.4.1"}},
                            {{"build", i == 3 ? "release" : "nightly"}, {"app", "5.3.0"}},
                            "2026-11-0" + std::to_string(i) + "T08:00:00.000Z");
      tj.sli(r, "wood-1", 10 * i, 0, "daily-unlock");
      tj.sli(r, "wood-1", 1, 0, "stay-connected");
      tj.finish(r);
    }
  }
  Dataset load(RunSelection sel = {}) {
    Journal j = Journal::open_readonly(tj.path());
    return load_dataset(j, sel);
  }
  std::string error(RunSelection sel) {
    try {
      load(sel);
    } catch (const UsageError& e) {
      return e.what();
    }
    return "(no error)";
  }
};

std::vector<std::int64_t> run_ids(const Dataset& d) {
  std::vector<std::int64_t> ids;
  for (const auto& r : d.runs) ids.push_back(r.id);
  return ids;
}

}  // namespace

TEST(ReportSelection, ReadsEveryRunAndSessionByDefault) {
  History h;
  const Dataset d = h.load();
  EXPECT_EQ(run_ids(d), (std::vector<std::int64_t>{1, 2, 3, 4}));
  long long sessions = 0;
  for (const auto& s : d.sessions) sessions += s.n;
  EXPECT_EQ(sessions, 10 + 20 + 30 + 40 + 4);
  EXPECT_LT(d.sessions.size(), 104u) << "sessions are read as counted groups";
  EXPECT_TRUE(d.from_aggregates);
  EXPECT_EQ(d.runs[2].sessions, 31);
  EXPECT_EQ(d.label_keys, (std::vector<std::string>{"app", "build"}));
}

TEST(ReportSelection, LastKeepsTheMostRecentRunsLeftByTheOtherFilters) {
  History h;
  RunSelection sel;
  sel.last = 2;
  EXPECT_EQ(run_ids(h.load(sel)), (std::vector<std::int64_t>{3, 4}));
  sel.where = {{"build", "nightly"}};
  EXPECT_EQ(run_ids(h.load(sel)), (std::vector<std::int64_t>{2, 4}));
}

TEST(ReportSelection, SinceKeepsRunsStartedOnOrAfterTheDate) {
  History h;
  RunSelection sel;
  sel.since = parse_since("2026-11-03");
  EXPECT_EQ(run_ids(h.load(sel)), (std::vector<std::int64_t>{3, 4}));
  sel.since = parse_since("2026-11-03T08:00:01Z");
  EXPECT_EQ(run_ids(h.load(sel)), (std::vector<std::int64_t>{4}));
  sel.since = parse_since("2026-12-01");
  EXPECT_NE(h.error(sel).find("matches no run; the latest run is"), std::string::npos)
      << h.error(sel);
}

TEST(ReportSelection, SinceAcceptsAnAgeAndRefusesAnythingElse) {
  EXPECT_EQ(parse_since("2026-11-20T08:00").size(), 16u);
  EXPECT_EQ(parse_since("7d").size(), 19u);  // an absolute time 7 days ago
  EXPECT_LT(parse_since("7d"), parse_since("1d"));
  for (const char* bad : {"yesterday", "2026-13-01", "2026-11-20T25:00", "7x", "2026/11/20", ""})
    EXPECT_THROW(parse_since(bad), UsageError) << bad;
}

TEST(ReportSelection, RunAcceptsAUuidPrefixAndNamesTheOneThatMatchesNothing) {
  History h;
  RunSelection sel;
  sel.runs = {"00000000-0000-4000-8000-000000000002"};
  EXPECT_EQ(run_ids(h.load(sel)), (std::vector<std::int64_t>{2}));
  sel.runs = {"00000000-0000-4000-8000-000000000003", "00000000-0000-4000-8000-000000000001"};
  EXPECT_EQ(run_ids(h.load(sel)), (std::vector<std::int64_t>{1, 3}));
  sel.runs = {"0000"};  // a prefix of every run
  EXPECT_NE(h.error(sel).find("matches 4 runs"), std::string::npos) << h.error(sel);
  sel.runs = {"ffffffff"};
  EXPECT_NE(h.error(sel).find("--run \"ffffffff\" matches no run"), std::string::npos)
      << h.error(sel);
}

TEST(ReportSelection, WhereFiltersOnRunLabelsAndListsTheValuesWhenNothingMatches) {
  History h;
  RunSelection sel;
  sel.where = {{"build", "release"}};
  EXPECT_EQ(run_ids(h.load(sel)), (std::vector<std::int64_t>{3}));
  sel.where = {{"build", "beta"}};
  const std::string e = h.error(sel);
  EXPECT_NE(e.find("--where \"build=beta\" matches no run"), std::string::npos) << e;
  EXPECT_NE(e.find("\"nightly\", \"release\""), std::string::npos) << e;
  sel.where = {{"biuld", "nightly"}};
  EXPECT_NE(h.error(sel).find("did you mean \"build\""), std::string::npos) << h.error(sel);
}

TEST(ReportSelection, ScenarioKeepsOnlyThoseSessionsAndNamesAMissingScenario) {
  History h;
  RunSelection sel;
  sel.scenarios = {"stay-connected"};
  const Dataset d = h.load(sel);
  EXPECT_EQ(d.sessions.size(), 4u);
  sel.scenarios = {"stay-conected"};
  const std::string e = h.error(sel);
  EXPECT_NE(e.find("did you mean \"stay-connected\""), std::string::npos) << e;
  EXPECT_NE(e.find("\"daily-unlock\""), std::string::npos) << e;
}

TEST(ReportSelection, FirmwareComesFromTheLockNotFromARunLabelOfTheSameName) {
  TestJournal tj;
  const auto r1 =
      tj.run({{"wood-1", "wood", "2.4.0"}, {"wood-2", "wood", ""}}, {{"firmware", "9.9.9"}});
  tj.sli(r1, "wood-1", 5, 0);
  tj.sli(r1, "wood-2", 7, 0);  // firmware unreadable
  tj.finish(r1);
  Journal j = Journal::open_readonly(tj.path());
  const Dataset d = load_dataset(j, {});
  const FilterSet read(d, {{"firmware", "2.4.0"}}, "--baseline");
  const FilterSet label(d, {{"firmware", "9.9.9"}}, "--baseline");
  long read_n = 0, label_n = 0;
  for (const auto& s : d.sessions) {
    read_n += read.matches(s) ? s.n : 0;
    label_n += label.matches(s) ? s.n : 0;
  }
  EXPECT_EQ(read_n, 5);
  EXPECT_EQ(label_n, 0);
  const Report r = compute_report(d, {});
  EXPECT_EQ(r.unread_firmware_sessions, 7);
  bool warned = false;
  for (const auto& w : r.warnings)
    warned |= w.find("firmware could not be read") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(ReportSelection, VersionsCanBeToldApartByAnyRunLabel) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"}}, {{"app", "5.3.0"}});
  tj.sli(r1, "wood-1", 100, 1);
  tj.finish(r1);
  const auto r2 = tj.run({{"wood-1", "wood", "2.4.0"}}, {{"app", "5.4.0"}});
  tj.sli(r2, "wood-1", 100, 2);
  tj.finish(r2);
  Journal j = Journal::open_readonly(tj.path());
  const Dataset d = load_dataset(j, {});
  ReportOptions o;
  o.baseline = {{"app", "5.3.0"}};
  o.candidate = {{"app", "5.4.0"}};
  const Report r = compute_report(d, o);
  EXPECT_EQ(r.arms[0].sli_counts.trials, 101);
  EXPECT_EQ(r.arms[1].sli_counts.trials, 102);
}

TEST(ReportSelection, AnUnknownAttributeIsRefusedWithASuggestionAndTheChoices) {
  History h;
  const Dataset d = h.load();
  try {
    FilterSet f(d, {{"firmwre", "2.4.0"}}, "--candidate");
    FAIL() << "no error";
  } catch (const UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("did you mean \"firmware\""), std::string::npos) << m;
    EXPECT_NE(m.find("labels of the selected runs: app, build"), std::string::npos) << m;
  }
}

TEST(ReportSelection, AJournalWithoutRunsIsAUsageErrorNotAnEmptyReport) {
  TestJournal tj;
  Journal j = Journal::open_readonly(tj.path());
  EXPECT_THROW(load_dataset(j, {}), UsageError);
}

TEST(ReportSelection, FiltersAreParsedAsKeyEqualsValue) {
  EXPECT_EQ(parse_filter("firmware=2.4.1", "--candidate").value, "2.4.1");
  EXPECT_EQ(parse_filter("build=a=b", "--where").value, "a=b");
  for (const char* bad : {"firmware", "=2.4.1", "firmware=", "fw version=1"})
    EXPECT_THROW(parse_filter(bad, "--candidate"), UsageError) << bad;
}
