#include "reports/json_writer.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "reports/format.hpp"

namespace lockrig::reports {

namespace {

// Printable ASCII without a character JSON escapes: the common case, copied as is.
bool needs_no_escape(std::string_view s, bool script_safe) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\' || (c == '<' && script_safe)) return false;
  }
  return true;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s, bool script_safe) {
  if (needs_no_escape(s, script_safe)) {
    out += '"';
    out += s;
    out += '"';
    return;
  }
  out += '"';
  for (char ch : sanitize_utf8(s)) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else if (ch == '<' && script_safe) {
          out += "\\u003c";
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

JsonWriter& JsonWriter::key(std::string_view k) {
  separate();
  append_json_string(out_, k, script_safe_);
  out_ += layouts_.empty() || layouts_.back() != Layout::compact ? ": " : ":";
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
  separate();
  append_json_string(out_, s, script_safe_);
  return *this;
}

JsonWriter& JsonWriter::value(bool b) {
  separate();
  out_ += b ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::value(long long n) {
  separate();
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, n);
  out_.append(buf, res.ptr);
  return *this;
}

JsonWriter& JsonWriter::value(double v) {
  separate();
  if (std::isfinite(v))
    out_ += shortest_number(v);
  else
    out_ += non_finite_ == NonFinite::null ? "null" : "NaN";
  return *this;
}

JsonWriter& JsonWriter::null() {
  separate();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::strings(std::string_view k, const std::vector<std::string>& items) {
  key(k).begin_array();
  for (const auto& s : items) value(s);
  return end_array();
}

JsonWriter& JsonWriter::open(char c, Layout layout) {
  separate();
  out_ += c;
  first_.push_back(true);
  layouts_.push_back(layout);
  return *this;
}

JsonWriter& JsonWriter::close(char c) {
  const bool empty = first_.back();
  const Layout layout = layouts_.back();
  first_.pop_back();
  layouts_.pop_back();
  if (!empty && layout == Layout::block) newline();
  out_ += c;
  return *this;
}

void JsonWriter::newline() {
  out_ += '\n';
  out_.append(2 * first_.size(), ' ');
}

void JsonWriter::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (first_.empty()) return;
  const bool first = first_.back();
  first_.back() = false;
  switch (layouts_.back()) {
    case Layout::block:
      if (!first) out_ += ',';
      newline();
      break;
    case Layout::inline_:
      if (!first) out_ += ", ";
      break;
    case Layout::compact:
      if (!first) out_ += ',';
      break;
  }
}

}  // namespace lockrig::reports
