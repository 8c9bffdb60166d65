// `lockrig gate --looks N` (issue 11, item 3 of the issue / phase B item 5): each gate run is one
// look of a group-sequential design, journaled in gate_looks, and spends alpha knowing the looks
// before it; a look plan that disagrees with the journaled looks is a usage error that records
// nothing. The boundary of a first look has a closed form (independent of the recursion): with
// O'Brien-Fleming-type spending alpha*(t) = 2 - 2 Phi(z_{1-alpha/2} / sqrt(t)) (Lan and DeMets
// 1983), c_1 = Phi^{-1}(1 - alpha*(1/K)).
#include <gtest/gtest.h>

#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <sstream>

#include "reports/commands.hpp"
#include "reports/stats/group_sequential.hpp"
#include "rig/base/errors.hpp"
#include "rig/journal/gate_looks.hpp"
#include "tests/reports/report_test_support.hpp"

using namespace lockrig;
using namespace lockrig::reports;
using CliResult = lockrig::reports::testing::Result;
using lockrig::reports::testing::gate;
using lockrig::reports::testing::run_python;
using lockrig::reports::testing::TempDir;
using lockrig::reports::testing::TestJournal;
using lockrig::reports::testing::write_temp;

namespace {

// One night: both versions on a wood and a steel door, `per` SLI sessions each, 1 failure in 200.
void night(TestJournal& tj, long per) {
  const auto r = tj.run({{"wood-1", "wood", "2.4.0"},
                         {"steel-1", "steel", "2.4.0"},
                         {"wood-2", "wood", "2.4.1"},
                         {"steel-2", "steel", "2.4.1"}});
  for (const char* l : {"wood-1", "steel-1", "wood-2", "steel-2"})
    tj.sli(r, l, per - per / 200, per / 200);
  tj.finish(r);
}

std::vector<GateLookRecord> journaled(const TestJournal& tj) {
  Journal j = Journal::open_readonly(tj.path());
  return gate_looks(j, "baseline=firmware=2.4.0; candidate=firmware=2.4.1; strata=material");
}

double normal_quantile(double p) {
  return boost::math::quantile(boost::math::normal(), p);
}
double normal_cdf(double z) {
  return boost::math::cdf(boost::math::normal(), z);
}

}  // namespace

TEST(GateLooks, EachLookIsJournaledAndSpendsAlphaKnowingTheLooksBefore) {
  TestJournal tj;
  night(tj, 400);
  const std::vector<std::string> base = {"--db", tj.path(), "--baseline", "firmware=2.4.0",
                                         "--candidate", "firmware=2.4.1", "--looks", "3"};
  EXPECT_TRUE(journaled(tj).empty());  // a journal without the table reads as no looks
  TempDir d;
  std::vector<std::string> a = base;
  a.insert(a.end(), {"--format", "json", "--output", d.file("look1.json")});
  const CliResult first = gate(a);
  ASSERT_NE(first.code, 2) << first.error;
  EXPECT_NE(first.out.find("Look 1 of 3 declared"), std::string::npos) << first.out;
  auto looks = journaled(tj);
  ASSERT_EQ(looks.size(), 1u);
  EXPECT_EQ(looks[0].look, 1);
  EXPECT_EQ(looks[0].max_looks, 3);
  EXPECT_EQ(looks[0].candidate_sessions, 800);
  // c_1 in closed form, at t = 1/3, alpha = 0.05 one-sided.
  const double spent = 2.0 - 2.0 * normal_cdf(normal_quantile(0.975) / std::sqrt(1.0 / 3.0));
  EXPECT_NEAR(looks[0].critical, normal_quantile(1.0 - spent), 1e-6);
  const auto [status, out] = run_python(
      "import json, sys\n"
      "g = json.load(open(sys.argv[1]))['gate']\n"
      "assert g['method'] == 'group-sequential-stratified-score', g['method']\n"
      "assert g['look']['look'] == 1 and g['look']['max_looks'] == 3, g['look']\n",
      d.file("look1.json"));
  EXPECT_EQ(status, 0) << out;

  // The same data again is not a new look: refused, nothing recorded.
  const CliResult again = gate(base);
  EXPECT_EQ(again.code, 2);
  EXPECT_EQ(journaled(tj).size(), 1u);

  // A second night: look 2, its boundary from the recursion over both looks' information.
  night(tj, 400);
  const CliResult second = gate(base);
  ASSERT_NE(second.code, 2) << second.error;
  looks = journaled(tj);
  ASSERT_EQ(looks.size(), 2u);
  EXPECT_EQ(looks[1].look, 2);
  EXPECT_NEAR(looks[1].information, 2.0 * looks[0].information, 1e-9);
  const auto b = stats::look_boundaries({looks[0].information, looks[1].information}, 3, 0.05);
  EXPECT_NEAR(looks[1].critical, b.critical[1], 1e-9);
  EXPECT_LT(looks[1].critical, looks[0].critical);

  // A look plan that disagrees with the journaled looks (issue 11 "Bad input"): usage error (exit
  // 2) naming the value given and the one journaled, nothing recorded. Each of the three design
  // values in turn: --looks, --margin, --alpha.
  night(tj, 400);
  struct Bad {
    std::vector<std::string> extra;
    std::string given, journaled;
  };
  for (const Bad& b : std::vector<Bad>{{{"--looks", "5"}, "--looks 5", "was --looks 3"},
                                       {{"--looks", "3", "--margin", "1pp"}, "--margin 1.00",
                                        "--margin 0.50"},
                                       {{"--looks", "3", "--alpha", "0.025"}, "--alpha 0.025",
                                        "--alpha 0.05"}}) {
    std::vector<std::string> bad = {"--db", tj.path(), "--baseline", "firmware=2.4.0",
                                    "--candidate", "firmware=2.4.1"};
    bad.insert(bad.end(), b.extra.begin(), b.extra.end());
    const CliResult r = gate(bad);
    EXPECT_EQ(r.code, 2) << b.given;
    EXPECT_NE(r.error.find("disagrees with the look plan already journaled"), std::string::npos)
        << r.error;
    EXPECT_NE(r.error.find(b.given), std::string::npos) << r.error;
    EXPECT_NE(r.error.find(b.journaled), std::string::npos) << r.error;
    EXPECT_EQ(journaled(tj).size(), 2u) << b.given;
  }
}

TEST(GateLooks, WithoutLooksTheGateRecordsNothingAndSaysItIsASingleLook) {
  TestJournal tj;
  night(tj, 400);
  TempDir d;
  const CliResult r = gate({"--db", tj.path(), "--baseline", "firmware=2.4.0", "--candidate",
                            "firmware=2.4.1", "--output", d.file("g.txt")});
  ASSERT_NE(r.code, 2) << r.error;
  EXPECT_NE(r.out.find("A single look"), std::string::npos) << r.out;
  EXPECT_TRUE(journaled(tj).empty());
}
