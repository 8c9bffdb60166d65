// The journal's stored words (rig/journal/events.hpp) and the resume readers that interpret them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "rig/journal/events.hpp"
#include "rig/journal/journal.hpp"
#include "rig/journal/resume.hpp"
#include "rig/journal/run_records.hpp"
#include "tests/support/journal_fixtures.hpp"

using namespace lockrig;
namespace fs = std::filesystem;

namespace {

using TempDir = lockrig::testing::ScratchDir;

// A run of this machine (issue 17: another host's runs are not resumed here).
RunRecord a_run() {
  RunRecord r = lockrig::testing::sample_run("00000000-0000-4000-8000-0000000000aa");
  r.host = this_host_name();
  return r;
}

}  // namespace

TEST(JournalWords, EveryEventKindAndRunStatusReadsBackAsItself) {
  const EventKind kinds[] = {EventKind::set_switch,
                             EventKind::set_supply,
                             EventKind::wait,
                             EventKind::wait_until,
                             EventKind::disconnect,
                             EventKind::safe_state,
                             EventKind::rig_fault,
                             EventKind::quarantine,
                             EventKind::item_abandoned,
                             EventKind::controller_stall,
                             EventKind::identity,
                             EventKind::client_version,
                             EventKind::plan,
                             EventKind::resumed,
                             EventKind::interrupted,
                             EventKind::reconnect,
                             EventKind::abandoned,
                             EventKind::select_build,
                             EventKind::sequential_design,
                             EventKind::sequential_evidence,
                             EventKind::sequential_verdict,
                             EventKind::set_attenuator};
  for (EventKind k : kinds) {
    EXPECT_NE(name(k), "?");
    EXPECT_EQ(parse_event_kind(name(k)), k) << name(k);
  }
  for (RunStatus s :
       {RunStatus::running, RunStatus::completed, RunStatus::aborted, RunStatus::rig_fault})
    EXPECT_EQ(parse_run_status(name(s)), s) << name(s);
}

TEST(JournalWords, TheStoredTextIsTheDocumentedOne) {
  EXPECT_EQ(name(EventKind::set_switch), "switch");
  EXPECT_EQ(name(EventKind::set_supply), "supply");
  EXPECT_EQ(name(EventKind::item_abandoned), "item_abandoned");
  EXPECT_EQ(name(RunStatus::rig_fault), "rig_fault");
}

TEST(JournalWords, AWordFromAnotherVersionIsUnknownNotAnError) {
  EXPECT_EQ(parse_event_kind("calibration"), std::nullopt);
  EXPECT_EQ(parse_event_kind(""), std::nullopt);
  EXPECT_EQ(parse_event_kind("Plan"), std::nullopt);
  EXPECT_EQ(parse_run_status("paused"), std::nullopt);
}

TEST(JournalRecords, LabelsTextIsKeyValueInKeyOrder) {
  EXPECT_EQ(labels_text({}), "");
  EXPECT_EQ(labels_text({{"build", "nightly"}, {"app", "5.3.0"}}), "app=5.3.0 build=nightly");
}

TEST(ResumeProgress, OnlyCrashesCountTowardTheQuarantine) {
  TempDir d;
  Journal j = Journal::open(d.file("j.db"));
  const auto run = j.begin_run(a_run());
  const std::string interrupted(name(EventKind::interrupted));
  j.commit(run, JournalBatch{{EventRow{"a", TimePoint{1}, interrupted, "s#1", "crash", ""},
                              EventRow{"a", TimePoint{2}, interrupted, "s#1", "stopped", ""},
                              EventRow{"a", TimePoint{3}, interrupted, "s#1", "crash", ""},
                              EventRow{"b", TimePoint{4}, interrupted, "s#2", "stopped", ""},
                              EventRow{"b", TimePoint{5}, "a_kind_from_the_future", "s#2", "", ""}},
                             std::nullopt});
  const JournaledProgress p = read_progress(j, run);
  EXPECT_EQ(p.crashes_of(ItemKey{"a", "s", 1}), 2);
  EXPECT_EQ(p.crashes_of(ItemKey{"b", "s", 2}), 0);
  EXPECT_EQ(p.last_t, TimePoint{5});
}

TEST(ResumeSelection, AskTheCallerWhoHoldsARunsLock) {
  TempDir d;
  Journal j = Journal::open(d.file("j.db"));
  const auto run = j.begin_run(a_run());
  j.commit(run, JournalBatch{plan_events({"s.yaml"}, {"a", "b"}), std::nullopt});
  const RunRecord r = find_run_to_resume(j, "", [](const std::string&) { return std::nullopt; });
  EXPECT_EQ(r.id, run);
  EXPECT_TRUE(r.has_plan);
  EXPECT_EQ(r.locks, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.scenario_files, (std::vector<std::string>{"s.yaml"}));
  try {
    find_run_to_resume(j, std::to_string(run), [](const std::string&) {
      return std::optional<std::string>("pid 1 on host h");
    });
    FAIL() << "a held run is not resumable";
  } catch (const BusyError& e) {
    // issue 17, item 8: held by another lockrig is "busy" (exit 75), not a usage error.
    EXPECT_NE(std::string(e.what()).find("is still running: pid 1 on host h"), std::string::npos)
        << e.what();
  }
}

// `runs` counts each run's rig faults and timed-out waits from one pass over the events (issue
// 18); each run gets its own events' counts, a run without any gets zeros, and other kinds and
// waits that ended in time do not count.
TEST(JournalRunsList, CountsEachRunsRigFaultsAndTimedOutWaits) {
  TempDir d;
  Journal j = Journal::open(d.file("j.db"));
  RunRecord second = a_run();
  second.uuid = "00000000-0000-4000-8000-0000000000bb";
  const auto quiet = j.begin_run(a_run());
  const auto busy = j.begin_run(second);
  j.commit(quiet, JournalBatch{{EventRow{"a", TimePoint{1}, EventKind::wait_until, "x", "met"},
                                EventRow{"a", TimePoint{2}, EventKind::quarantine, "s#1"}},
                               std::nullopt});
  j.commit(busy, JournalBatch{{EventRow{"a", TimePoint{1}, EventKind::rig_fault, "relay"},
                               EventRow{"b", TimePoint{2}, EventKind::rig_fault, "supply"},
                               EventRow{"", TimePoint{3}, EventKind::rig_fault, "bench"},
                               EventRow{"a", TimePoint{4}, EventKind::wait_until, "x", "timeout"},
                               EventRow{"a", TimePoint{5}, EventKind::wait_until, "x", "met"},
                               EventRow{"b", TimePoint{6}, EventKind::wait, "x", "timeout"}},
                              std::nullopt});
  const auto runs = j.list_runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].id, quiet);
  EXPECT_EQ(runs[0].rig_faults, 0);
  EXPECT_EQ(runs[0].failed_assertions, 0);
  EXPECT_EQ(runs[1].id, busy);
  EXPECT_EQ(runs[1].rig_faults, 3);
  EXPECT_EQ(runs[1].failed_assertions, 1);
}
