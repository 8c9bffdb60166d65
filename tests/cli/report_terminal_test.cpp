// Issue 16 item 4, black box: `lockrig report`, `gate` and `slo` in text fit the width they are
// given (--width, or $COLUMNS / the terminal's width on a terminal), leave out optional columns
// and say which, never cut a verdict or a flag; colour on a terminal (honouring NO_COLOR and
// --color never|auto|always, https://no-color.org), never in a file, Markdown or JSON. The
// terminal cases run lockrig under util-linux `script`, which gives it a pseudo-terminal.
#include "tests/cli/cli_support.hpp"

namespace lockrig::cli_test {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (!l.empty() && l.back() == '\r') l.pop_back();  // a pty writes \r\n
    lines.push_back(l);
  }
  return lines;
}

// Display columns of a line: UTF-8 code points, SGR escape sequences not counted.
std::size_t columns_of(const std::string& line) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\033' && i + 1 < line.size() && line[i + 1] == '[') {
      i += 2;
      while (i < line.size() && !(line[i] >= 0x40 && line[i] <= 0x7E)) ++i;
      continue;
    }
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::size_t widest(const std::string& text) {
  std::size_t w = 0;
  for (const auto& l : lines_of(text)) w = std::max(w, columns_of(l));
  return w;
}

class ReportTerminal : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    db_ = tmp_->file("lab.db");
    const Result r = lockrig({"run", "--db", db_, "--progress", "off", "-q", "--seed", "3"},
                             Spawn{"", "", 300s});
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.describe();
  }
  static void TearDownTestSuite() {
    delete tmp_;
    tmp_ = nullptr;
  }
  static std::vector<std::string> compare() {
    return {"--db", db_, "--baseline", "firmware=2.4.0", "--candidate", "firmware=2.4.1"};
  }
  static std::vector<std::string> with(std::vector<std::string> a,
                                       const std::vector<std::string>& more) {
    a.insert(a.end(), more.begin(), more.end());
    return a;
  }
  // `command` run on a pseudo-terminal by `script`, with `env` (NAME=value ...) set.
  static Result on_terminal(const std::string& env, const std::vector<std::string>& args) {
    std::string cmd = "env " + env + " '" + binary() + "'";
    for (const auto& a : args) cmd += " '" + a + "'";
    return lockrig({"-qec", cmd, "/dev/null"}, Spawn{"", "/usr/bin/script", 120s});
  }
  static TempDir* tmp_;
  static std::string db_;
};
TempDir* ReportTerminal::tmp_ = nullptr;
std::string ReportTerminal::db_;

TEST_F(ReportTerminal, ReportGateAndSloFitSixtyEightyAndTwoHundredColumns) {
  for (const int width : {60, 80, 200}) {
    const std::string w = std::to_string(width);
    const Result report = lockrig(with({"report"}, with(compare(), {"--width", w})));
    ASSERT_EQ(report.exit_code, 0) << report.describe();
    EXPECT_LE(widest(report.out), static_cast<std::size_t>(width)) << report.out;
    const Result gate = lockrig(with({"gate"}, with(compare(), {"--width", w})));
    ASSERT_TRUE(gate.exit_code == 0 || gate.exit_code == 1 || gate.exit_code == 4)
        << gate.describe();
    EXPECT_LE(widest(gate.out), static_cast<std::size_t>(width)) << gate.out;
    const Result slo = lockrig({"slo", "--db", db_, "--width", w});
    ASSERT_EQ(slo.exit_code, 0) << slo.describe();
    EXPECT_LE(widest(slo.out), static_cast<std::size_t>(width)) << slo.out;
    // The verdict is whole: the gate's first line under VERDICT starts with its word.
    const auto lines = lines_of(gate.out);
    const auto v = std::find(lines.begin(), lines.end(), "VERDICT");
    ASSERT_NE(v, lines.end()) << gate.out;
    ASSERT_NE(v + 1, lines.end());
    const std::string first = (v + 1)->substr(2);
    EXPECT_TRUE(first.rfind("PASS:", 0) == 0 || first.rfind("FAIL:", 0) == 0 ||
                first.rfind("INCONCLUSIVE:", 0) == 0)
        << first;
    if (width < 200) {
      // The locks table (13 columns) cannot fit: its optional columns go, and it says so.
      const std::string said = "(left out to fit " + w + " columns: peers";
      EXPECT_NE(report.out.find(said), std::string::npos) << report.out;
    } else {
      EXPECT_EQ(report.out.find("(left out to fit"), std::string::npos) << report.out;
    }
    // Every lock is still named, with its SLI.
    for (const char* lock : {"wood-1", "glass-2", "alu-1", "steel-2"})
      EXPECT_NE(report.out.find(lock), std::string::npos) << lock;
  }
}

TEST_F(ReportTerminal, APipeIsUnboundedAndUncolouredUnlessAsked) {
  const Result piped = lockrig(with({"report"}, compare()));
  ASSERT_EQ(piped.exit_code, 0) << piped.describe();
  EXPECT_GT(widest(piped.out), 120u);  // the locks table whole, as before issue 16
  EXPECT_EQ(piped.out.find("(left out"), std::string::npos);
  EXPECT_EQ(piped.out.find('\033'), std::string::npos);
  const Result always = lockrig(with({"gate"}, with(compare(), {"--color", "always"})));
  EXPECT_NE(always.out.find("\033["), std::string::npos) << always.out;
  const Result never = lockrig(with({"gate"}, with(compare(), {"--color", "never"})));
  EXPECT_EQ(never.out.find('\033'), std::string::npos);
  // Never colour in a file, Markdown or JSON, even when asked.
  const std::string file = tmp_->file("r.txt");
  const Result to_file =
      lockrig(with({"report"}, with(compare(), {"--color", "always", "-o", file})));
  ASSERT_EQ(to_file.exit_code, 0) << to_file.describe();
  EXPECT_EQ(read_file(file).find('\033'), std::string::npos);
  for (const char* format : {"markdown", "json", "html"}) {
    const Result r =
        lockrig(with({"report"}, with(compare(), {"--color", "always", "--format", format})));
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out.find('\033'), std::string::npos) << format;
  }
}

TEST_F(ReportTerminal, OnATerminalColumnsSetsTheWidthAndNoColorTurnsColourOff) {
  const Result tty = on_terminal("-u NO_COLOR COLUMNS=70 TERM=xterm", with({"report"}, compare()));
  ASSERT_EQ(tty.exit_code, 0) << tty.describe();
  EXPECT_LE(widest(tty.out), 70u) << tty.out;
  EXPECT_NE(tty.out.find("(left out to fit 70 columns:"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("\033["), std::string::npos) << tty.out;  // auto: a terminal

  const Result no_color =
      on_terminal("COLUMNS=70 TERM=xterm NO_COLOR=1", with({"report"}, compare()));
  ASSERT_EQ(no_color.exit_code, 0) << no_color.describe();
  EXPECT_EQ(no_color.out.find('\033'), std::string::npos) << no_color.out;
  const Result never = on_terminal("-u NO_COLOR COLUMNS=70 TERM=xterm",
                                   with({"slo"}, {"--db", db_, "--color", "never"}));
  ASSERT_EQ(never.exit_code, 0) << never.describe();
  EXPECT_EQ(never.out.find('\033'), std::string::npos) << never.out;
  // --width wins over COLUMNS.
  const Result wide = on_terminal("COLUMNS=70 TERM=xterm NO_COLOR=1",
                                  with({"report"}, with(compare(), {"--width", "200"})));
  EXPECT_GT(widest(wide.out), 70u);
  EXPECT_LE(widest(wide.out), 200u);
}

TEST_F(ReportTerminal, ABadWidthOrColourIsAUsageError) {
  const Result width = lockrig({"slo", "--db", db_, "--width", "0"});
  EXPECT_EQ(width.exit_code, 2) << width.describe();
  EXPECT_NE(width.err.find("\"0\""), std::string::npos) << width.err;
  const Result color = lockrig(with({"report"}, with(compare(), {"--color", "yes"})));
  EXPECT_EQ(color.exit_code, 2) << color.describe();
  EXPECT_NE(color.err.find("--color must be never, auto or always, got \"yes\""), std::string::npos)
      << color.err;
}

}  // namespace
}  // namespace lockrig::cli_test
