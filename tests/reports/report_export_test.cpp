// The escaping of the export formats and the SLO's night arithmetic, checked value by value.
// (tests/cli/ops_test.cpp parses whole exports with Python's json/csv and prometheus_client.)
#include <gtest/gtest.h>

#include "reports/export.hpp"
#include "reports/slo.hpp"

using namespace lockrig::reports;

TEST(ExportEscaping, JsonStringsEscapeQuotesBackslashesAndControls) {
  EXPECT_EQ(json_string("plain"), "\"plain\"");
  EXPECT_EQ(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_string("line\nnext\ttab\rcr"), "\"line\\nnext\\ttab\\rcr\"");
  EXPECT_EQ(json_string("caf\xC3\xA9"), "\"caf\xC3\xA9\"") << "valid UTF-8 is kept";
  EXPECT_EQ(json_string("bad\xFF"), "\"bad\xEF\xBF\xBD\"") << "invalid UTF-8 becomes U+FFFD";
}

TEST(ExportEscaping, CsvQuotesOnlyWhatRfc4180Requires) {
  EXPECT_EQ(csv_field("plain text"), "plain text");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\r"), "\"cr\r\"");
}

// OWASP "CSV Injection": a text cell starting with = + - @, tab or CR is prefixed with a single
// quote and quoted, so no spreadsheet evaluates it (issue 17 item 7).
TEST(ExportEscaping, CsvCellsThatWouldRunAsFormulasAreNeutralised) {
  EXPECT_EQ(csv_field("=2+5|cmd"), "\"'=2+5|cmd\"");
  EXPECT_EQ(csv_field("+1"), "\"'+1\"");
  EXPECT_EQ(csv_field("-2"), "\"'-2\"");
  EXPECT_EQ(csv_field("@SUM(A1)"), "\"'@SUM(A1)\"");
  EXPECT_EQ(csv_field("\t=1"), "\"'\t=1\"");
  EXPECT_EQ(csv_field("\r=1"), "\"'\r=1\"");
  EXPECT_EQ(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  // Not at the start: ordinary text.
  EXPECT_EQ(csv_field("a=b"), "a=b");
  EXPECT_EQ(csv_field("2.4.0-rc1"), "2.4.0-rc1");
}

TEST(ExportEscaping, OpenMetricsLabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(openmetrics_label_value("steel"), "steel");
  EXPECT_EQ(openmetrics_label_value("we\"ird\\mat\nx"), "we\\\"ird\\\\mat\\nx");
  EXPECT_EQ(openmetrics_label_value("bad\xC3"), "bad\xEF\xBF\xBD");
}

TEST(SloNights, DatesRoundTripThroughDaysSinceTheEpoch) {
  EXPECT_EQ(parse_night("1970-01-01"), 0);
  EXPECT_EQ(parse_night("1970-01-02"), 1);
  EXPECT_EQ(parse_night("1969-12-31"), -1);
  EXPECT_EQ(*parse_night("2026-03-01") - *parse_night("2026-02-28"), 1);
  EXPECT_EQ(*parse_night("2024-03-01") - *parse_night("2024-02-28"), 2) << "2024 is a leap year";
  EXPECT_EQ(*parse_night("2000-03-01") - *parse_night("2000-02-28"), 2) << "so is 2000";
  EXPECT_EQ(*parse_night("2100-03-01") - *parse_night("2100-02-28"), 1) << "2100 is not";
  for (int d = -800; d < 30000; d += 37) EXPECT_EQ(parse_night(night_text(d)), d) << d;
  for (const char* bad : {"2026-02-29", "2026-13-01", "2026-00-10", "2026-1-01", "20261101",
                          "2026-11-01T00:00", "", "yesterday"})
    EXPECT_FALSE(parse_night(bad)) << bad;
}
