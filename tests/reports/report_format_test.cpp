// How figures are printed, and how labels from the journal are made safe for each format.
#include <gtest/gtest.h>

#include "reports/format.hpp"

using namespace lockrig::reports;

TEST(ReportFormat, GroupsThousandsWithCommas) {
  EXPECT_EQ(with_commas(0), "0");
  EXPECT_EQ(with_commas(999), "999");
  EXPECT_EQ(with_commas(4673), "4,673");
  EXPECT_EQ(with_commas(10000000), "10,000,000");
  EXPECT_EQ(with_commas(-1234), "-1,234");
}

TEST(ReportFormat, PrintsRatesAndDifferencesInPercentAndPoints) {
  EXPECT_EQ(pct(0.99523), "99.52%");
  EXPECT_EQ(pct(1.0), "100.00%");
  EXPECT_EQ(pts(-0.0012), "-0.12 pts");
  EXPECT_EQ(pts(0.0012), "+0.12 pts");
  EXPECT_EQ(pts(-0.00001), "0.00 pts");  // no "-0.00": it reads as a regression
  EXPECT_EQ(pts_interval({-0.004, 0.0016}), "[-0.40, +0.16] pts");
  EXPECT_EQ(pts_with_interval(-0.0085, {-0.0132, -0.0039}), "-0.85 pts [-1.32, -0.39]");
  EXPECT_EQ(pct_interval({0.9931, 0.9967}), "99.31-99.67%");
  EXPECT_EQ(counts({4976, 5000}), "4,976/5,000");
}

TEST(ReportFormat, PrintsPValuesAndProbabilitiesWithoutFalsePrecision) {
  EXPECT_EQ(pval(0.3862), "0.3862");
  EXPECT_EQ(pval(0.05), "0.05");
  EXPECT_EQ(pval(1.0), "1");
  EXPECT_EQ(pval(3.2e-6), "3.2e-06");
  EXPECT_EQ(probability(0.9999997), ">0.999");
  EXPECT_EQ(probability(0.0000001), "<0.001");
  EXPECT_EQ(probability(0.637), "0.637");
}

TEST(ReportFormat, PrintsMillisecondsAndSeconds) {
  EXPECT_EQ(ms(812.4), "812 ms");
  EXPECT_EQ(ms(1500.0), "1.50 s");
  EXPECT_EQ(ms(4.25), "4.25 ms");
}

TEST(ReportFormat, ReplacesInvalidUtf8AndControlCharactersButKeepsRealText) {
  EXPECT_EQ(sanitize_utf8("Tür 3 – Glas"), "Tür 3 – Glas");
  EXPECT_EQ(sanitize_utf8("a\x01"
                          "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(sanitize_utf8("\x1b[31mred"), "\xEF\xBF\xBD[31mred");  // no terminal escapes
  EXPECT_EQ(sanitize_utf8("bad \xff byte"), "bad \xEF\xBF\xBD byte");
  EXPECT_EQ(sanitize_utf8("overlong \xC0\xAF"), "overlong \xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(sanitize_utf8("cut \xE2\x82"), "cut \xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(sanitize_utf8("tab\tnewline\n"), "tab\tnewline\n");
}

TEST(ReportFormat, EscapesHtmlAndMarkdownSoALabelStaysText) {
  EXPECT_EQ(escape_html("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
  EXPECT_EQ(escape_markdown("a|b *c* <b> [x](y) #1"), "a\\|b \\*c\\* &lt;b&gt; \\[x\\](y) \\#1");
  EXPECT_EQ(escape_markdown("two\nlines"), "two lines");
}
