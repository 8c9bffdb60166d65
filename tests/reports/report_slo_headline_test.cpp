// Issue 16 item 3: the SLO headline names the worst stratum. The issue's own observation on the
// simulated lab: "59% of the error budget remains" on top while steel is `exhausted` and steel-2
// is at -133%. The pooled figure is a weighted mean over strata, so it can stay green while one
// stratum has spent its budget (the same arithmetic that makes Simpson's paradox possible); the
// page must say which stratum first.
#include <gtest/gtest.h>

#include <string>

#include "reports/layout.hpp"
#include "reports/slo_compute.hpp"

using namespace lockrig::reports;

namespace {

SloFigures figures(std::string dimension, std::string value, long long sessions, long long ok,
                   double target, std::string status) {
  SloFigures f;
  f.dimension = std::move(dimension);
  f.value = std::move(value);
  f.window = {sessions, ok};
  f.allowed_failures = (1 - target) * static_cast<double>(sessions);
  f.budget_remaining = f.allowed_failures - static_cast<double>(sessions - ok);
  f.budget_remaining_share = f.budget_remaining / f.allowed_failures;
  f.status = std::move(status);
  return f;
}

SloReport lab() {
  SloReport r;
  r.journal = "lab.db";
  r.options.target = 0.995;
  r.as_of = 20400;
  r.window_from = 20373;
  r.overall = figures("all", "all", 40000, 39918, 0.995, "ok");  // 59% remaining
  r.groups = {{"material",
               {figures("material", "wood", 10000, 9990, 0.995, "ok"),
                figures("material", "steel", 10000, 9940, 0.995, "exhausted")}},
              {"lock",
               {figures("lock", "steel-1", 5000, 4972, 0.995, "exhausted"),
                figures("lock", "steel-2", 5000, 4942, 0.995, "exhausted"),
                figures("lock", "wood-1", 5000, 4995, 0.995, "ok")}}};
  return r;
}

}  // namespace

TEST(SloHeadline, AnExhaustedStratumIsTheFirstLineInRedWorstFirst) {
  const Document doc = slo_document(lab());
  ASSERT_FALSE(doc.sections.empty());
  ASSERT_FALSE(doc.sections[0].blocks.empty());
  const Block& first = doc.sections[0].blocks[0];
  EXPECT_EQ(first.kind, Block::Kind::verdict);
  EXPECT_EQ(first.verdict_class, "fail") << first.text;
  // steel-2 (-132%) before steel (-20%) before steel-1 (-12%): the least budget left first.
  const auto s2 = first.text.find("lock steel-2"), st = first.text.find("material steel ");
  const auto s1 = first.text.find("lock steel-1");
  ASSERT_NE(s2, std::string::npos) << first.text;
  ASSERT_NE(st, std::string::npos) << first.text;
  ASSERT_NE(s1, std::string::npos) << first.text;
  EXPECT_LT(s2, st);
  EXPECT_LT(st, s1);
  EXPECT_NE(first.text.find("-132%"), std::string::npos) << first.text;
  EXPECT_EQ(first.text.find("wood"), std::string::npos) << "an ok stratum is not named";
  // In the terminal, the exhausted strata come before the overall "59% ... remains".
  const std::string text = render_text(doc);
  EXPECT_LT(text.find("steel-2"), text.find("of the error budget remains")) << text;
}

TEST(SloHeadline, BurningStrataAreNamedWhenNoneIsExhausted) {
  SloReport r = lab();
  for (auto& [dimension, groups] : r.groups)
    for (auto& g : groups)
      if (g.status == "exhausted") g.status = g.value == "steel-2" ? "burning" : "ok";
  const Document doc = slo_document(r);
  const Block& first = doc.sections[0].blocks[0];
  EXPECT_EQ(first.verdict_class, "inconclusive") << first.text;
  EXPECT_NE(first.text.find("lock steel-2"), std::string::npos) << first.text;
}

TEST(SloHeadline, AllStrataOkKeepsTheOverallVerdictFirst) {
  SloReport r = lab();
  for (auto& [dimension, groups] : r.groups)
    for (auto& g : groups) g.status = "ok";
  const Document doc = slo_document(r);
  const Block& first = doc.sections[0].blocks[0];
  EXPECT_EQ(first.verdict_class, "pass") << first.text;
  EXPECT_NE(first.text.find("of the error budget remains"), std::string::npos) << first.text;
}
