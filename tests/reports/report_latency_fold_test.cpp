// Issue 18 item 3: load_dataset's latency fold. `report` and `gate` ask load_dataset to sum the
// latency histograms of lock entries that agree on the lock id and on the keys of --baseline and
// --candidate (latency_keys_of), instead of keeping one histogram per run: every latency figure
// must be the one computed from the histograms as journaled, bucket for bucket.
#include <gtest/gtest.h>

#include "reports/comparison.hpp"
#include "reports/dataset.hpp"
#include "tests/reports/report_test_support.hpp"

using namespace lockrig;
using namespace lockrig::reports;
using lockrig::reports::testing::LockSpec;
using lockrig::reports::testing::TestJournal;

namespace {

// Lock "a" runs firmware 2.4.0, then 2.4.1, then 2.4.0 again under another app; "b" stays on
// 2.4.1. Each run's durations differ, so a histogram put in the wrong arm changes the figures.
void write_runs(TestJournal& tj) {
  const std::vector<std::pair<std::string, std::string>> runs = {
      {"2.4.0", "5.3.0"}, {"2.4.1", "5.3.0"}, {"2.4.0", "5.4.0"}};
  double ms = 700.0;
  for (const auto& [firmware_a, app] : runs) {
    const auto run = tj.run({LockSpec{"a", "steel", firmware_a}, LockSpec{"b", "steel", "2.4.1"}},
                            {{"app", app}});
    tj.sli(run, "a", 60, 1, "daily-unlock", ms);
    tj.sli(run, "a", 30, 0, "stay-connected", ms + 55.0);
    tj.sli(run, "b", 60, 2, "daily-unlock", ms + 130.0);
    tj.finish(run);
    ms += 170.0;
  }
}

void expect_same_latency(const Report& want, const Report& got) {
  ASSERT_EQ(want.arms.size(), got.arms.size());
  for (std::size_t a = 0; a < want.arms.size(); ++a) {
    const LatencySummary &w = want.arms[a].latency, &g = got.arms[a].latency;
    EXPECT_EQ(w.n, g.n) << a;
    EXPECT_EQ(w.mean, g.mean) << a;
    EXPECT_EQ(w.min, g.min) << a;
    EXPECT_EQ(w.max, g.max) << a;
    EXPECT_EQ(w.cdf, g.cdf) << a;
    ASSERT_EQ(w.percentiles.size(), g.percentiles.size()) << a;
    for (std::size_t i = 0; i < w.percentiles.size(); ++i) {
      EXPECT_EQ(w.percentiles[i].estimate, g.percentiles[i].estimate) << a << " " << i;
      EXPECT_EQ(w.percentiles[i].lower, g.percentiles[i].lower) << a << " " << i;
      EXPECT_EQ(w.percentiles[i].upper, g.percentiles[i].upper) << a << " " << i;
    }
    ASSERT_EQ(w.within_slo.has_value(), g.within_slo.has_value());
    if (w.within_slo) {
      EXPECT_EQ(w.within_slo->counts.successes, g.within_slo->counts.successes);
    }
  }
  ASSERT_EQ(want.latency_shift.has_value(), got.latency_shift.has_value());
  if (want.latency_shift) {
    EXPECT_EQ(want.latency_shift->p_value, got.latency_shift->p_value);
    EXPECT_EQ(want.latency_shift->probability_x_greater, got.latency_shift->probability_x_greater);
  }
}

}  // namespace

TEST(LatencyFold, SameFiguresAsThePerRunHistograms) {
  TestJournal tj;
  write_runs(tj);
  Journal j = Journal::open_readonly(tj.path());
  ReportOptions none, firmware, app_and_firmware;
  firmware.baseline = {{"firmware", "2.4.0"}};
  firmware.candidate = {{"firmware", "2.4.1"}};
  app_and_firmware.baseline = {{"firmware", "2.4.1"}, {"app", "5.3.0"}};
  app_and_firmware.candidate = {{"app", "5.4.0"}};
  for (const ReportOptions* o : {&none, &firmware, &app_and_firmware}) {
    const Dataset per_run = load_dataset(j, {});
    const Dataset folded = load_dataset(j, {}, latency_keys_of(o->baseline, o->candidate));
    // Folded: lock a's three runs are one histogram per scenario when no key tells them apart.
    EXPECT_LT(folded.latency.size(), per_run.latency.size());
    long long n_per_run = 0, n_folded = 0;
    for (const auto& b : per_run.latency) n_per_run += b.n;
    for (const auto& b : folded.latency) n_folded += b.n;
    EXPECT_EQ(n_per_run, n_folded);
    expect_same_latency(compute_report(per_run, *o), compute_report(folded, *o));
  }
}

// The control: folded without the comparison's key, lock a's 2.4.0 and 2.4.1 runs are summed
// together and the arms' latency figures change (the test above would catch a fold that forgot
// a key).
TEST(LatencyFold, AFoldWithoutTheComparedKeyMixesTheArms) {
  TestJournal tj;
  write_runs(tj);
  Journal j = Journal::open_readonly(tj.path());
  ReportOptions firmware;
  firmware.baseline = {{"firmware", "2.4.0"}};
  firmware.candidate = {{"firmware", "2.4.1"}};
  const Report want = compute_report(load_dataset(j, {}), firmware);
  const Report wrong = compute_report(load_dataset(j, {}, std::vector<std::string>{}), firmware);
  ASSERT_EQ(want.arms.size(), 2u);
  EXPECT_NE(want.arms[0].latency.n, wrong.arms[0].latency.n);
}

TEST(LatencyFold, KeysAreTheComparedAttributesOnceEach) {
  EXPECT_EQ(latency_keys_of({{"firmware", "2.4.0"}, {"app", "5.3.0"}}, {{"firmware", "2.4.1"}}),
            (std::vector<std::string>{"app", "firmware"}));
  EXPECT_TRUE(latency_keys_of({}, {}).empty());
}
