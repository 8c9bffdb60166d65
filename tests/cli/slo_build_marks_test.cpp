// Issue 16 item 2: the SLO charts mark the nights the firmware changed, as report --history's
// night chart does (one code: build_marks/svg_build_mark in reports/render_history_html.cpp).
// Three nights of the simulated lab: every lock on 2.4.0, again 2.4.0, then every lock on 2.4.1
// (run starts moved to three dates with SQL; the SLO's night is the run's UTC start date). Every
// time chart of `lockrig slo --format html` then has exactly one mark, before the third night,
// naming 2.4.1; a change of the runs' app label is marked likewise; with neither changed, none.
#include "tests/cli/cli_support.hpp"

namespace lockrig::cli_test {
namespace {

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

std::string slo_html(const std::vector<std::string>& firmware_per_night,
                     const std::vector<std::string>& app_per_night = {}) {
  TempDir tmp;
  const std::string db = tmp.file("slo.db");
  const std::string lab = read_file(source_path("fixtures/sim-lab.yaml"));
  int night = 0;
  for (const auto& fw : firmware_per_night) {
    std::string text = lab;
    for (const char* from : {"settings: {firmware: 2.4.0}}", "settings: {firmware: 2.4.1}}"})
      for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + 1))
        text.replace(at, std::string(from).size(), "settings: {firmware: " + fw + "}}");
    const std::string fixture = tmp.write("night" + std::to_string(night) + ".yaml", text);
    const Result r = lockrig({"run", "--fixture", fixture, "--scenario",
                              source_path("scenarios/door-materials.yaml"), "--repeat", "3",
                              "--seed", std::to_string(night + 1), "--db", db, "--progress",
                              "off", "-q", "--label",
                              "app=" + (app_per_night.empty() ? std::string("5.3.0")
                                                              : app_per_night[night])},
                             Spawn{"", "", 300s});
    if (!r.exited || (r.exit_code != 0 && r.exit_code != 1))
      throw std::runtime_error("run failed:\n" + r.describe());
    ++night;
    exec_sql(db, "UPDATE runs SET started_at = '2026-11-0" + std::to_string(night) +
                     "T02:00:00.000Z' WHERE id = " + std::to_string(night));
  }
  const Result slo = lockrig({"slo", "--db", db, "--format", "html", "--by", "lock"});
  if (slo.exit_code != 0) throw std::runtime_error("slo failed:\n" + slo.describe());
  return slo.out;
}

TEST(SloBuildMarks, EveryTimeChartMarksTheNightTheFirmwareChanged) {
  const std::string html = slo_html({"2.4.0", "2.4.0", "2.4.1"});
  const std::size_t charts = count_of(html, "<svg");
  ASSERT_GE(charts, 2u) << html;
  EXPECT_EQ(count_of(html, "class=\"build-change\""), charts) << html;
  EXPECT_EQ(count_of(html, ">firmware 2.4.1</text>"), charts) << html;
}

TEST(SloBuildMarks, AnAppBuildChangeIsMarkedToo) {
  const std::string html =
      slo_html({"2.4.0", "2.4.0", "2.4.0"}, {"5.3.0", "5.4.0", "5.4.0"});
  const std::size_t charts = count_of(html, "<svg");
  ASSERT_GE(charts, 2u) << html;
  EXPECT_EQ(count_of(html, "class=\"build-change\""), charts) << html;
  EXPECT_EQ(count_of(html, ">app 5.4.0</text>"), charts) << html;
}

TEST(SloBuildMarks, NoMarkWhileTheFirmwareStaysTheSame) {
  const std::string html = slo_html({"2.4.0", "2.4.0", "2.4.0"});
  EXPECT_GE(count_of(html, "<svg"), 2u);
  EXPECT_EQ(count_of(html, "build-change"), 0u) << html;
}

}  // namespace
}  // namespace lockrig::cli_test
