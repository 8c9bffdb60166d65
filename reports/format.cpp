#include "reports/format.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>

namespace lockrig::reports {

std::string with_commas(long long n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  // "-0.00" reads as a regression that is not there.
  if (s.find_first_not_of("-0.") == std::string::npos && s[0] == '-') s.erase(0, 1);
  return s;
}

std::string signed_fixed(double v, int decimals) {
  std::string s = fixed(v, decimals);
  if (s[0] != '-' && s.find_first_not_of("0.") != std::string::npos) s = "+" + s;
  return s;
}

}  // namespace

std::string pct(double rate, int decimals) {
  if (!std::isfinite(rate)) return "-";
  return fixed(100.0 * rate, decimals) + "%";
}

std::string pct_interval(const stats::Interval& i, int decimals) {
  return fixed(100.0 * i.lower, decimals) + "-" + fixed(100.0 * i.upper, decimals) + "%";
}

std::string pts(double difference, int decimals) {
  if (!std::isfinite(difference)) return "-";
  return signed_fixed(100.0 * difference, decimals) + " pts";
}

std::string pts_interval(const stats::Interval& i, int decimals) {
  return "[" + signed_fixed(100.0 * i.lower, decimals) + ", " +
         signed_fixed(100.0 * i.upper, decimals) + "] pts";
}

std::string pts_with_interval(double difference, const stats::Interval& i, int decimals) {
  return pts(difference, decimals) + " [" + signed_fixed(100.0 * i.lower, decimals) + ", " +
         signed_fixed(100.0 * i.upper, decimals) + "]";
}

std::string probability(double p) {
  if (!std::isfinite(p)) return "-";
  if (p > 0.999) return ">0.999";
  if (p < 0.001) return "<0.001";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", p);
  return buf;
}

std::string counts(const stats::Counts& c) {
  return with_commas(c.successes) + "/" + with_commas(c.trials);
}

std::string pval(double p) {
  if (!std::isfinite(p)) return "-";
  char buf[32];
  if (p < 1e-4)
    std::snprintf(buf, sizeof buf, "%.1e", p);
  else if (p >= 0.9995)
    std::snprintf(buf, sizeof buf, "1");
  else
    std::snprintf(buf, sizeof buf, "%.4f", p);
  std::string s = buf;
  if (s.find('.') != std::string::npos && s.find('e') == std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

std::string ms(double value) {
  if (!std::isfinite(value)) return "-";
  char buf[32];
  if (std::fabs(value) >= 1000.0)
    std::snprintf(buf, sizeof buf, "%.2f s", value / 1000.0);
  else if (std::fabs(value) >= 10.0)
    std::snprintf(buf, sizeof buf, "%.0f ms", value);
  else
    std::snprintf(buf, sizeof buf, "%.2f ms", value);
  return buf;
}

std::string num(double v, int significant) {
  if (std::isnan(v)) return "-";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", significant, v);
  return buf;
}

std::string sanitize_utf8(std::string_view s) {
  static const char* kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
        out += kReplacement;
      else if (c == 0x7F)
        out += kReplacement;
      else
        out += static_cast<char>(c);
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0)
      len = 2, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0)
      len = 3, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0)
      len = 4, cp = c & 0x07;
    bool ok = len > 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80)
        ok = false;
      else
        cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values beyond Unicode are as invalid as stray bytes.
    if (ok && ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
               (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF || cp == 0xFFFE || cp == 0xFFFF))
      ok = false;
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += kReplacement;
      ++i;
    }
  }
  return out;
}

std::string escape_html(std::string_view s) {
  std::string out;
  for (char c : sanitize_utf8(s)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string escape_markdown(std::string_view s) {
  std::string out;
  for (char c : sanitize_utf8(s)) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\n':
      case '\r':
        out += ' ';
        break;
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '|':
      case '#':
        out += '\\';
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string utc_now_iso() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace lockrig::reports
