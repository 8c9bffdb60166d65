// One syntax for differences of rates (--margin of gate and plan, plan's --drop: 0.5pp, 0.5pts or
// the fraction 0.005; a bare number >= 0.1 refused with the pp form) and for rates
// (--baseline-rate: 0.995 or 99.5%), issue 11 item 5. The old parser read "--margin 0.3" as 30
// points, and a regressed build then passed.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "reports/commands.hpp"
#include "reports/comparison.hpp"
#include "reports/slo.hpp"
#include "reports/stats/noninferiority.hpp"
#include "reports/stats/stats.hpp"
#include "rig/base/errors.hpp"
#include "tests/reports/report_test_support.hpp"

namespace st = lockrig::stats;
using namespace lockrig;
using namespace lockrig::reports;
using CliResult = lockrig::reports::testing::Result;
using lockrig::reports::testing::gate;
using lockrig::reports::testing::plan;
using lockrig::reports::testing::RegressedSteel;
using lockrig::reports::testing::run_python;
using lockrig::reports::testing::TempDir;
using lockrig::reports::testing::TestJournal;
using lockrig::reports::testing::write_temp;

// Item 3: one margin syntax. A bare 0.3 would be 30 points; it is refused with the pp form.
TEST(GateCommandUnits, ABareMarginOfPointThreeIsRefusedWithThePpHint) {
  RegressedSteel lab(50, 0, 0, 0);
  TempDir d;
  const auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = lab.args;
    a.insert(a.end(), {"--output", d.file("gate.txt")});  // the log gets the verdict alone
    a.insert(a.end(), extra.begin(), extra.end());
    return gate(a);
  };
  const CliResult bare = with({"--margin", "0.3"});
  EXPECT_EQ(bare.code, 2);
  EXPECT_NE(bare.error.find("did you mean 0.3pp?"), std::string::npos) << bare.error;
  EXPECT_EQ(bare.out, "");
  const auto verdict = [](const CliResult& r) { return r.out.substr(0, r.out.find('\n')); };
  const CliResult pp = with({"--margin", "0.5pp"});
  EXPECT_EQ(pp.code, 4) << pp.out << pp.error;
  EXPECT_NE(verdict(pp).find("within 0.50 pts"), std::string::npos) << pp.out;
  EXPECT_EQ(verdict(with({"--margin", "0.5pts"})), verdict(pp));
  EXPECT_EQ(verdict(with({"--margin", "0.005"})), verdict(pp));
  for (const std::vector<std::string>& bad :
       std::vector<std::vector<std::string>>{{"--margin", "0"},
                                             {"--margin", "-0.01"},
                                             {"--margin", "100pp"},
                                             {"--margin", "1"},
                                             {"--margin", "0.5furlongs"},
                                             {"--alpha", "0.5"},
                                             {"--alpha", "0"}}) {
    const CliResult r = with(bad);
    EXPECT_EQ(r.code, 2) << bad[0] << " " << bad[1];
    EXPECT_NE(r.error.find(bad[0]), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("\"" + bad[1] + "\""), std::string::npos) << r.error;
  }
}

TEST(PlanCommandUnits, DifferencesTakeThePpFormAndRatesTakeAPercentage) {
  const CliResult m = plan({"--baseline-rate", "99.5%", "--drop", "0.5pp", "--margin", "0.3"});
  EXPECT_EQ(m.code, 2);
  EXPECT_NE(m.error.find("did you mean 0.3pp?"), std::string::npos) << m.error;
  const CliResult d = plan({"--baseline-rate", "99.5%", "--drop", "0.5"});
  EXPECT_EQ(d.code, 2);
  EXPECT_NE(d.error.find("did you mean 0.5pp?"), std::string::npos) << d.error;
  const CliResult rate = plan({"--baseline-rate", "99.5", "--drop", "0.5pp"});
  EXPECT_EQ(rate.code, 2);
  EXPECT_NE(rate.error.find("did you mean 99.5%?"), std::string::npos) << rate.error;
  EXPECT_EQ(plan({"--baseline-rate", "0.995", "--drop", "0.005", "--margin", "0.005"}).out,
            plan({"--baseline-rate", "99.5%", "--drop", "0.5pp", "--margin", "0.5pts"}).out);
}

TEST(ParseUnits, DifferenceAndRate) {
  EXPECT_DOUBLE_EQ(parse_difference("0.5pp", "--margin"), 0.005);
  EXPECT_DOUBLE_EQ(parse_difference("0.5pts", "--margin"), 0.005);
  EXPECT_DOUBLE_EQ(parse_difference("0.005", "--margin"), 0.005);
  EXPECT_DOUBLE_EQ(parse_difference("0.09", "--margin"), 0.09);
  EXPECT_THROW(parse_difference("0.1", "--margin"), UsageError);
  EXPECT_DOUBLE_EQ(parse_rate("0.995", "--baseline-rate"), 0.995);
  EXPECT_DOUBLE_EQ(parse_rate("99.5%", "--baseline-rate"), 0.995);
  EXPECT_THROW(parse_rate("99.5", "--baseline-rate"), UsageError);
  EXPECT_THROW(parse_rate("0", "--baseline-rate"), UsageError);
}


TEST(SloCommandUnits, ATargetWithoutItsPercentSignGetsTheHint) {
  RegressedSteel lab(10, 0, 0, 0);
  std::ostringstream out;
  try {
    cmd_slo({"--db", lab.tj.path(), "--target", "99.5"}, out);
    ADD_FAILURE() << "accepted --target 99.5";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 99.5%?"), std::string::npos) << e.what();
  }
}
