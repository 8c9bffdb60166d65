// Issue 16 items 3 and 4: terminal text that fits the width it has (optional columns left out in
// their documented order and named, or a row at a time; a flag or verdict never cut), colour
// for verdicts and flagged rows only when asked for, the HTML report's print rules, and a
// headline that names the worst group right under the verdict.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "reports/layout.hpp"
#include "rig/base/terminal.hpp"
#include "tests/reports/report_test_support.hpp"

using namespace lockrig::reports;
using lockrig::reports::testing::RegressedSteel;
using lockrig::reports::testing::TestJournal;
namespace rt = lockrig::reports::testing;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// Every line at most `width` display columns (escape sequences not counted).
void expect_fits(const std::string& text, int width) {
  for (const auto& l : lines_of(text))
    EXPECT_LE(lockrig::visible_width(l), static_cast<std::size_t>(width)) << "[" << l << "]";
}

// A document with a locks-like table of 9 columns, two of them optional.
Document wide_document() {
  Document doc;
  doc.title = "lockrig report";
  doc.subtitle = "candidate firmware=2.4.1 vs baseline firmware=2.4.0";
  Section s{"locks", "Locks", {}};
  Block v;
  v.kind = Block::Kind::verdict;
  v.verdict_class = "fail";
  v.text = "FAIL: the candidate is worse than the baseline by more than the margin.";
  s.blocks.push_back(v);
  Block t;
  t.kind = Block::Kind::table;
  t.table.header = {"lock", "version", "material", "SLI [CI]", "peers",
                    "p",    "BH p",    "family p", "flag"};
  t.table.numeric = {false, false, false, true, false, true, true, true, false};
  t.table.drop_order = {0, 0, 3, 0, 1, 2, 4, 5, 0};
  t.table.rows = {{"steel-2", "candidate", "steel", "97.20% [96.10-98.00%]",
                   "steel-4, steel-6, steel-8", "0.00012", "0.00048", "0.0019", "WORSE"},
                  {"wood-2", "candidate", "wood", "99.60% [99.10-99.80%]", "wood-4, wood-6, wood-8",
                   "0.41", "0.82", "1", ""}};
  t.table.highlight = {true, false};
  s.blocks.push_back(t);
  doc.sections.push_back(s);
  return doc;
}

}  // namespace

TEST(TerminalText, FitsSixtyEightyAndTwoHundredColumnsAndNamesTheColumnsLeftOut) {
  const Document doc = wide_document();
  const std::string unbounded = render_text(doc);
  // Without a width nothing is left out (a pipe or a file keeps every column, as before).
  EXPECT_NE(unbounded.find("family p"), std::string::npos) << unbounded;
  EXPECT_EQ(unbounded.find("left out"), std::string::npos) << unbounded;

  const std::string wide = render_text(doc, TextStyle{200, false});
  expect_fits(wide, 200);
  EXPECT_EQ(wide.find("left out"), std::string::npos) << wide;

  const std::string at80 = render_text(doc, TextStyle{80, false});
  expect_fits(at80, 80);
  EXPECT_NE(at80.find("(left out to fit 80 columns: peers"), std::string::npos) << at80;
  EXPECT_NE(at80.find("WORSE"), std::string::npos) << at80;
  EXPECT_NE(at80.find("97.20% [96.10-98.00%]"), std::string::npos) << at80;

  const std::string at60 = render_text(doc, TextStyle{60, false});
  expect_fits(at60, 60);
  // In their order: peers, p, material, BH p ... and the flag is never among them.
  const auto line = at60.find("(left out to fit 60 columns: peers, p, material");
  EXPECT_NE(line, std::string::npos) << at60;
  EXPECT_NE(at60.find("WORSE"), std::string::npos) << at60;
  EXPECT_NE(at60.find("FAIL: the candidate is worse"), std::string::npos) << at60;
}

TEST(TerminalText, ATableWhoseNeededColumnsDoNotFitIsPrintedARowAtATimeWithNothingCut) {
  Document doc = wide_document();
  doc.sections[0].blocks[1].table.drop_order.clear();  // no optional column
  const std::string text = render_text(doc, TextStyle{40, false});
  expect_fits(text, 40);
  EXPECT_EQ(text.find("left out"), std::string::npos) << text;
  for (const char* cell :
       {"steel-4, steel-6, steel-8", "family p: 0.0019", "flag: WORSE", "SLI [CI]: 97.20%"})
    EXPECT_NE(text.find(cell), std::string::npos) << cell << "\n" << text;
}

TEST(TerminalText, AWordLongerThanTheLineIsSplitNotCut) {
  Document doc;
  doc.title = "t";
  doc.subtitle = "s";
  Section s{"x", "X", {}};
  Block p;
  p.text = "journal /var/lib/lockrig/a-very-long-directory-name/with-more/lab-journal.db";
  s.blocks.push_back(p);
  doc.sections.push_back(s);
  const std::string text = render_text(doc, TextStyle{30, false});
  expect_fits(text, 30);
  std::string joined;
  for (const auto& l : lines_of(text)) joined += l.size() > 2 ? l.substr(2) : "";
  EXPECT_NE(joined.find("/var/lib/lockrig/a-very-long-directory-name/with-more/lab-journal.db"),
            std::string::npos)
      << text;
}

TEST(TerminalText, ColoursVerdictsAndFlaggedRowsOnlyWhenAsked) {
  Document doc = wide_document();
  Block pass;
  pass.kind = Block::Kind::verdict;
  pass.verdict_class = "pass";
  pass.text = "PASS: fine.";
  Block inconclusive = pass;
  inconclusive.verdict_class = "inconclusive";
  inconclusive.text = "INCONCLUSIVE: more sessions.";
  doc.sections[0].blocks.push_back(pass);
  doc.sections[0].blocks.push_back(inconclusive);
  const std::string plain = render_text(doc, TextStyle{std::nullopt, false});
  EXPECT_EQ(plain.find('\033'), std::string::npos);
  const std::string colour = render_text(doc, TextStyle{std::nullopt, true});
  EXPECT_NE(colour.find("\033[31m  FAIL: the candidate"), std::string::npos) << colour;
  EXPECT_NE(colour.find("\033[32m  PASS: fine.\033[0m"), std::string::npos) << colour;
  EXPECT_NE(colour.find("\033[33m  INCONCLUSIVE: more sessions.\033[0m"), std::string::npos);
  EXPECT_NE(colour.find("\033[31m  steel-2"), std::string::npos) << colour;  // the WORSE row
  EXPECT_EQ(colour.find("\033[31m  wood-2"), std::string::npos) << colour;
  // The escape sequences do not count toward the width.
  expect_fits(render_text(doc, TextStyle{60, true}), 60);
}

TEST(TerminalText, APooledRowIsEmphasisNotBadNews) {
  Document doc = wide_document();
  doc.sections[0].blocks[1].table.highlight_is_bad = false;
  const std::string colour = render_text(doc, TextStyle{std::nullopt, true});
  EXPECT_EQ(colour.find("\033[31m  steel-2"), std::string::npos) << colour;
}

TEST(TerminalRules, WidthIsTheOptionThenColumnsThenTheTerminalElseUnbounded) {
  ::setenv("COLUMNS", "97", 1);
  EXPECT_EQ(lockrig::output_width(60, 1, true), 60);
  EXPECT_EQ(lockrig::output_width(60, 1, false), 60);
  EXPECT_EQ(lockrig::output_width(std::nullopt, 1, true), 97);
  // A pipe or a file has no width, whatever an exported COLUMNS says.
  EXPECT_EQ(lockrig::output_width(std::nullopt, 1, false), std::nullopt);
  ::setenv("COLUMNS", "", 1);
  // Not a terminal (fd of /dev/null-like test harness output): 80 when asked as a terminal.
  const int fd = ::open("/dev/null", O_WRONLY);
  EXPECT_EQ(lockrig::terminal_width(fd), 80);
  ::close(fd);
  ::unsetenv("COLUMNS");
  EXPECT_THROW(lockrig::parse_width("abc"), lockrig::UsageError);
  EXPECT_THROW(lockrig::parse_width("10"), lockrig::UsageError);
  EXPECT_THROW(lockrig::parse_width("80x"), lockrig::UsageError);
  EXPECT_EQ(lockrig::parse_width("80"), 80);
}

TEST(TerminalRules, ColourFollowsNoColorOnATerminalOnly) {
  using lockrig::ColorMode;
  ::unsetenv("NO_COLOR");
  ::setenv("TERM", "xterm", 1);
  EXPECT_TRUE(lockrig::use_color(ColorMode::automatic, true));
  EXPECT_FALSE(lockrig::use_color(ColorMode::automatic, false));
  ::setenv("NO_COLOR", "1", 1);
  EXPECT_FALSE(lockrig::use_color(ColorMode::automatic, true));
  EXPECT_TRUE(lockrig::use_color(ColorMode::always, false));
  ::setenv("NO_COLOR", "", 1);  // no-color.org: present but empty does not disable
  EXPECT_TRUE(lockrig::use_color(ColorMode::automatic, true));
  ::unsetenv("NO_COLOR");
  EXPECT_FALSE(lockrig::use_color(ColorMode::never, true));
  EXPECT_THROW(lockrig::parse_color_mode("sometimes"), lockrig::UsageError);
}

// Sources for the rules: CSS Fragmentation Module Level 3 (break-after/break-inside: avoid), CSS
// Color Adjustment Module Level 1 (print-color-adjust: exact), MDN's pages on both; the browser
// test (report_html_browser_test.py) checks that they work in Chromium.
TEST(HtmlPrint, TheReportCarriesPrintRules) {
  const std::string html = render_html(wide_document(), nullptr);
  const auto at = html.find("@media print{");
  ASSERT_NE(at, std::string::npos);
  const std::string print = html.substr(at);
  for (const char* rule :
       {"print-color-adjust:exact", "-webkit-print-color-adjust:exact", "nav{display:none}",
        "h1,h2,h3{break-after:avoid", "break-inside:avoid", "table{display:table;width:100%",
        "overflow-wrap:anywhere", "thead{display:table-header-group}"})
    EXPECT_NE(print.find(rule), std::string::npos) << rule;
}

TEST(ReportHeadline, AStratumShownWorseIsNamedRightUnderTheVerdictInRed) {
  RegressedSteel lab(1000, 5, 40, 1);
  auto args = lab.args;
  args.insert(args.end(), {"--color", "always"});
  const auto gate = rt::gate(args);
  ASSERT_EQ(gate.code, 1) << gate.error << gate.out;
  const auto lines = lines_of(gate.out);
  // Title, rule, blank, VERDICT, the verdict (maybe wrapped), then the worst group.
  std::size_t verdict = 0;
  while (verdict < lines.size() && lines[verdict] != "VERDICT") ++verdict;
  ASSERT_LT(verdict + 2, lines.size()) << gate.out;
  std::size_t worst = verdict + 1;
  while (worst < lines.size() && lines[worst].find("Worst:") == std::string::npos) ++worst;
  ASSERT_LT(worst, lines.size()) << gate.out;
  // Right after the verdict sentence (however it wraps): no finding, warning or section between.
  for (std::size_t i = verdict + 1; i < worst; ++i) {
    EXPECT_EQ(lines[i].rfind("\033[31m  ", 0), 0u) << "not the verdict: " << lines[i];
    EXPECT_EQ(lines[i].find("WARNING"), std::string::npos) << lines[i];
  }
  EXPECT_EQ(lines[worst].rfind("\033[31m  Worst: material steel -", 0), 0u) << lines[worst];

  auto report_args = lab.args;
  report_args.insert(report_args.end(), {"--format", "markdown"});
  const auto md = rt::report(report_args);
  ASSERT_EQ(md.code, 0) << md.error;
  const auto v = md.out.find("## Verdict");
  const auto w = md.out.find("**Worst: material steel");
  ASSERT_NE(w, std::string::npos) << md.out;
  EXPECT_LT(v, w);
  EXPECT_EQ(md.out.find('\033'), std::string::npos);  // never colour in Markdown
  report_args.back() = "html";
  const auto html = rt::report(report_args);
  EXPECT_NE(html.out.find("<p class=\"verdict fail\">Worst: material steel"), std::string::npos);
}

TEST(ReportHeadline, ALockFlaggedWorseIsNamedAndACleanReportNamesNothing) {
  TestJournal tj;
  const auto r1 = tj.run({{"wood-1", "wood", "2.4.0"},
                          {"wood-2", "wood", "2.4.0"},
                          {"wood-3", "wood", "2.4.0"},
                          {"wood-4", "wood", "2.4.0"}});
  tj.sli(r1, "wood-1", 495, 5);
  tj.sli(r1, "wood-2", 496, 4);
  tj.sli(r1, "wood-3", 450, 50);  // the bad unit
  tj.sli(r1, "wood-4", 494, 6);
  tj.finish(r1);
  const auto text = rt::report({"--db", tj.path()});
  ASSERT_EQ(text.code, 0) << text.error;
  const auto lines = lines_of(text.out);
  std::size_t verdict = 0;
  while (verdict < lines.size() && lines[verdict] != "VERDICT") ++verdict;
  std::size_t worst = verdict;
  while (worst < lines.size() && lines[worst].find("Worst: lock wood-3 WORSE") == std::string::npos)
    ++worst;
  ASSERT_LT(worst, lines.size()) << text.out;
  for (std::size_t i = verdict + 1; i < worst; ++i)  // the verdict sentence, then the worst
    EXPECT_NE(lines[i].rfind("  - ", 0), 0u) << "a finding before the worst group: " << lines[i];
  EXPECT_EQ(text.out.find('\033'), std::string::npos);  // not a terminal, no --color

  TestJournal clean;
  const auto c1 = clean.run({{"wood-1", "wood", "2.4.0"}, {"wood-2", "wood", "2.4.0"}});
  clean.sli(c1, "wood-1", 495, 5);
  clean.sli(c1, "wood-2", 496, 4);
  clean.finish(c1);
  const auto ok = rt::report({"--db", clean.path()});
  ASSERT_EQ(ok.code, 0) << ok.error;
  EXPECT_EQ(ok.out.find("Worst:"), std::string::npos) << ok.out;
}

TEST(ReportOptions, BadWidthAndColourAreUsageErrorsQuotingTheValue) {
  RegressedSteel lab(50, 0, 0, 0);
  auto a = lab.args;
  a.insert(a.end(), {"--width", "wide"});
  auto r = rt::report(a);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(
      r.error.find("--width must be a whole number of columns from 30 to 10000, got \"wide\""),
      std::string::npos)
      << r.error;
  a = lab.args;
  a.insert(a.end(), {"--color", "sometimes"});
  r = rt::gate(a);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.error.find("--color must be never, auto or always, got \"sometimes\""),
            std::string::npos)
      << r.error;
}
