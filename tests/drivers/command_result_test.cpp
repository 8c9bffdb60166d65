// The `command` link's result contract: the strict JSON parser and how a result line is read.
#include <gtest/gtest.h>

#include "drivers/command/result_json.hpp"

namespace lockrig::drivers::command {
namespace {

std::string syntax_error(const std::string& text) {
  std::string why;
  if (parse_json_object(text, &why)) return "parsed";
  return why;
}

TEST(JsonObject, ParsesStringsNumbersBooleansAndNull) {
  std::string why;
  auto o = parse_json_object(R"( {"a": "x", "b": -12.5e1, "c": true, "d": null, "e": 0} )", &why);
  ASSERT_TRUE(o) << why;
  EXPECT_EQ(o->at("a").text, "x");
  EXPECT_DOUBLE_EQ(o->at("b").number, -125);
  EXPECT_FALSE(o->at("b").integral);
  EXPECT_TRUE(o->at("c").boolean);
  EXPECT_EQ(o->at("d").type, JsonValue::Type::null);
  EXPECT_TRUE(o->at("e").integral);
}

TEST(JsonObject, DecodesEscapesAndSurrogatePairsToUtf8) {
  auto o = parse_json_object(R"({"s": "a\"b\\c\/d\n\u00e9\ud83d\udd12"})", nullptr);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->at("s").text, "a\"b\\c/d\n\xc3\xa9\xf0\x9f\x94\x92");
}

TEST(JsonObject, ChecksNestedValuesWithoutKeepingThem) {
  auto o =
      parse_json_object(R"({"extra": {"k": [1, 2, {"x": []}]}, "outcome": "success"})", nullptr);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->at("extra").type, JsonValue::Type::object);
  EXPECT_NE(syntax_error(R"({"extra": [1, 2,]})"), "parsed");
}

TEST(JsonObject, RejectsWhatRfc8259Rejects) {
  EXPECT_NE(syntax_error(R"({"a": 1,})"), "parsed");
  EXPECT_NE(syntax_error(R"({'a': 1})"), "parsed");
  EXPECT_NE(syntax_error(R"({"a": 01})"), "parsed");
  EXPECT_NE(syntax_error(R"({"a": 1.})"), "parsed");
  EXPECT_NE(syntax_error(R"({"a": .5})"), "parsed");
  EXPECT_NE(syntax_error(R"({"a": +1})"), "parsed");
  EXPECT_NE(syntax_error(R"({"a": NaN})"), "parsed");
  EXPECT_NE(syntax_error(R"({"a": tru})"), "parsed");
  EXPECT_NE(syntax_error("{\"a\": \"tab\there\"}"), "parsed");
  EXPECT_NE(syntax_error(R"({"a": "\x41"})"), "parsed");
  EXPECT_NE(syntax_error(R"({"a": "\ud83d"})"), "parsed");
  EXPECT_NE(syntax_error(R"({"a": "unterminated)"), "parsed");
  EXPECT_NE(syntax_error(R"([{"a": 1}])"), "parsed");
  EXPECT_NE(syntax_error(R"({"a": 1} {"b": 2})"), "parsed");
  EXPECT_NE(syntax_error(""), "parsed");
}

TEST(JsonObject, RejectsDuplicateMembersAndDeepNesting) {
  EXPECT_NE(syntax_error(R"({"outcome": "success", "outcome": "rejected"})").find("duplicate"),
            std::string::npos);
  std::string deep = "{\"a\": " + std::string(40, '[') + std::string(40, ']') + "}";
  EXPECT_NE(syntax_error(deep).find("nesting"), std::string::npos);
}

TEST(JsonObject, SaysWhereTheSyntaxBreaks) {
  EXPECT_NE(syntax_error(R"({"a" 1})").find("column 6"), std::string::npos)
      << syntax_error(R"({"a" 1})");
}

TEST(ResultLine, ReadsOutcomeLatencyDetailAndRssi) {
  auto in = interpret_result_output(
      "{\"outcome\": \"success\", \"latency_ms\": 812, \"detail\": \"unlocked\", \"rssi_dbm\": "
      "-67}\n");
  ASSERT_TRUE(in.report) << in.problem;
  EXPECT_EQ(in.report->outcome, LockOutcome::success);
  EXPECT_EQ(in.report->latency, from_ms(812));
  EXPECT_EQ(in.report->detail, "unlocked");
  EXPECT_EQ(in.report->rssi_dbm, -67);
}

TEST(ResultLine, IgnoresBlankLinesAndUnknownMembers) {
  auto in = interpret_result_output("\n  \n{\"outcome\": \"rejected\", \"app_build\": 881}\r\n\n");
  ASSERT_TRUE(in.report) << in.problem;
  EXPECT_EQ(in.report->outcome, LockOutcome::rejected);
  EXPECT_FALSE(in.report->latency.has_value());
}

TEST(ResultLine, CallsAnythingButOneJsonObjectLineMalformed) {
  for (const char* text :
       {"", "unlocked!\n", "{\"outcome\": \"success\"}\n{\"outcome\": \"success\"}\n",
        "[\"success\"]", "{\"outcome\": \"success\""}) {
    auto in = interpret_result_output(text);
    EXPECT_TRUE(in.malformed) << text;
    EXPECT_FALSE(in.report) << text;
  }
}

TEST(ResultLine, CallsAWellFormedButUninterpretableObjectUnusableNotMalformed) {
  for (const char* text :
       {R"({"outcome": "jammed"})", R"({"detail": "no outcome"})", R"({"outcome": 1})",
        R"({"outcome": "success", "latency_ms": -5})",
        R"({"outcome": "success", "latency_ms": "812"})",
        R"({"outcome": "success", "rssi_dbm": -67.5})", R"({"outcome": "success", "detail": 3})"}) {
    auto in = interpret_result_output(text);
    EXPECT_FALSE(in.malformed) << text;
    EXPECT_FALSE(in.report) << text;
    EXPECT_FALSE(in.problem.empty()) << text;
  }
  EXPECT_NE(interpret_result_output(R"({"outcome": "jammed"})").problem.find("known: success"),
            std::string::npos);
}

TEST(ResultLine, SanitizesTheDetail) {
  auto in = interpret_result_output(R"({"outcome": "success", "detail": "line1\nline2\u0007"})");
  ASSERT_TRUE(in.report);
  EXPECT_EQ(in.report->detail, "line1 line2 ");
  EXPECT_EQ(sanitize_detail(std::string(10, 'x'), 4), "xxxx…");
  EXPECT_EQ(sanitize_detail("ab\xc3\xa9", 3), "ab…");  // never cuts inside a character
}

}  // namespace
}  // namespace lockrig::drivers::command
