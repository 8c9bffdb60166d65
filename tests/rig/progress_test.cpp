#include "rig/app/progress.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

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

// ---- the bar fits the terminal (issue 16 item 4) -------------------------------------------
// A line as wide as the terminal wraps, and the next "\r" returns to the start of the wrapped
// line, so every redraw leaves a line behind. GNU Wget's bar therefore never uses the last
// column (Wget src/ChangeLog, 2001-12-06: "progress.c (bar_create): Don't use the last column on
// the screen") and reads the width with TIOCGWINSZ (determine_screen_width, Wget src/utils.c).

namespace {

RunCounters busy_counters() {
  RunCounters c;
  c.sessions = 123456;
  c.sli_sessions = 120000;
  c.sli_successes = 119000;
  c.rig_faults = 4321;
  return c;
}

// What the printer wrote, split at each "\r" (the redraws), with escape sequences removed.
std::vector<std::string> redraws(const std::string& out) {
  std::vector<std::string> lines;
  std::string cur;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\r') {
      lines.push_back(cur);
      cur.clear();
    } else if (out[i] == '\033') {
      while (i < out.size() && !std::isalpha(static_cast<unsigned char>(out[i]))) ++i;
    } else {
      cur += out[i];
    }
  }
  lines.push_back(cur);
  return lines;
}

std::string drive_bar(ColorMode color) {
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  {
    ProgressPrinter p(f, ProgressMode::bar, color);
    RunCounters c = busy_counters();
    for (int i = 0; i < 5; ++i) {
      c.sessions += 1000;
      p.progress(c, 1000000);
    }
  }
  std::fclose(f);
  std::string out(buf, len);
  std::free(buf);
  return out;
}

}  // namespace

TEST(ProgressBar, FitsTheTerminalWidthFromColumnsAndRedrawsInPlace) {
  for (int columns : {80, 60, 40, 24}) {
    ::setenv("COLUMNS", std::to_string(columns).c_str(), 1);
    const std::string out = drive_bar(ColorMode::never);
    EXPECT_EQ(out.find('\n'), std::string::npos) << "a redraw began a new line: " << out;
    const auto lines = redraws(out);
    EXPECT_GE(lines.size(), 5u);
    for (const auto& l : lines)
      EXPECT_LE(static_cast<int>(l.size()), columns - 1) << columns << " columns: " << l;
    EXPECT_NE(lines.back().find("128456/1000000"), std::string::npos)
        << "the session count is always shown: " << lines.back();
  }
  ::unsetenv("COLUMNS");
}

TEST(ProgressBar, DropsOptionalPartsBeforeTheCountsAndEta) {
  RunCounters c = busy_counters();
  c.rig_faults = 0;
  const std::string wide = ProgressPrinter::fit_bar(c, 1000000, 10.0, 120);
  EXPECT_NE(wide.find("rig faults 0"), std::string::npos) << wide;
  EXPECT_NE(wide.find("sessions"), std::string::npos) << wide;
  const std::string narrow = ProgressPrinter::fit_bar(c, 1000000, 10.0, 40);
  EXPECT_LE(narrow.size(), 39u) << narrow;
  EXPECT_EQ(narrow.find("rig faults"), std::string::npos) << narrow;
  EXPECT_NE(narrow.find("123456/1000000"), std::string::npos) << narrow;
  EXPECT_NE(narrow.find("ETA"), std::string::npos) << narrow;
  // Rig faults that happened are never dropped before the SLI.
  const std::string faults = ProgressPrinter::fit_bar(busy_counters(), 1000000, 10.0, 60);
  EXPECT_NE(faults.find("rig faults 4321"), std::string::npos) << faults;
  EXPECT_LE(faults.size(), 59u) << faults;
}

TEST(ProgressBar, ColoursRigFaultsOnlyWhenAskedAndNeverUnderNoColor) {
  ::setenv("COLUMNS", "80", 1);
  EXPECT_NE(drive_bar(ColorMode::always).find("\033[31mrig faults"), std::string::npos);
  EXPECT_EQ(drive_bar(ColorMode::never).find("\033[31m"), std::string::npos);
  ::setenv("NO_COLOR", "1", 1);
  EXPECT_EQ(drive_bar(ColorMode::automatic).find("\033[31m"), std::string::npos);
  ::unsetenv("NO_COLOR");
  ::unsetenv("COLUMNS");
}
