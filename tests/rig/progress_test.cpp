#include "rig/app/progress.hpp"

#include <gtest/gtest.h>

using namespace lockrig;

TEST(ProgressBar, ShowsSessionsSliRigFaultsAndEta) {
  RunCounters c;
  c.sessions = 250;
  c.sli_sessions = 200;
  c.sli_successes = 199;
  c.rig_faults = 2;
  const std::string bar = ProgressPrinter::format_bar(c, 1000, 10.0, 20);
  EXPECT_EQ(bar.substr(0, 22), "[=====>              ]");
  EXPECT_NE(bar.find("250/1000 sessions"), std::string::npos) << bar;
  EXPECT_NE(bar.find("SLI  99.50%"), std::string::npos) << bar;
  EXPECT_NE(bar.find("rig faults 2"), std::string::npos) << bar;
  EXPECT_NE(bar.find("ETA 0:30"), std::string::npos) << bar;  // a quarter done in 10 s
}

TEST(ProgressBar, HasNoSliBeforeTheFirstSliSessionAndNoEtaBeforeTheFirstSession) {
  const std::string bar = ProgressPrinter::format_bar(RunCounters{}, 10, 0.0, 10);
  EXPECT_NE(bar.find("SLI   -"), std::string::npos) << bar;
  EXPECT_NE(bar.find("ETA --:--"), std::string::npos) << bar;
}
