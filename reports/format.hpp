// Number and text formatting shared by the report renderers. Every renderer prints the same
// figures the same way, so a rate read in the terminal matches the one in the HTML or Markdown.
#pragma once

#include <string>
#include <string_view>

#include "reports/stats/types.hpp"

namespace lockrig::reports {

// 4673 -> "4,673".
std::string with_commas(long long n);
// 0.99523 -> "99.52%".
std::string pct(double rate, int decimals = 2);
// "99.31-99.67%" for an interval of rates.
std::string pct_interval(const stats::Interval& i, int decimals = 2);
// A difference of rates in percentage points with its sign: -0.0012 -> "-0.12 pts".
std::string pts(double difference, int decimals = 2);
// "[-0.40, +0.16] pts".
std::string pts_interval(const stats::Interval& i, int decimals = 2);
// "-0.85 pts [-1.32, -0.39]": a difference with its interval, the unit said once.
std::string pts_with_interval(double difference, const stats::Interval& i, int decimals = 2);
// A probability that may sit at the edge: "0.637", ">0.999", "<0.001".
std::string probability(double p);
// "4,976/5,000".
std::string counts(const stats::Counts& c);
// A p-value: "0.0387", "0.5", "3.2e-06" below 1e-4.
std::string pval(double p);
// Milliseconds: "812 ms", "1.25 s" from 1000 ms on.
std::string ms(double value);
// A plain number with up to `significant` significant digits, no exponent for ordinary values.
std::string num(double v, int significant = 4);

// Replaces invalid UTF-8 and the control characters XML 1.0 forbids with U+FFFD, so labels taken
// from the journal can never break an XML or JSON document.
std::string sanitize_utf8(std::string_view s);
std::string escape_html(std::string_view s);  // also valid for XML text and attributes
std::string escape_markdown(std::string_view s);

// Current UTC time as ISO 8601 ("2026-11-22T08:00:00Z").
std::string utc_now_iso();

}  // namespace lockrig::reports
