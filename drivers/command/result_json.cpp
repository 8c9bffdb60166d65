// Strict parsing of the one-line result object.
#include "drivers/command/result_json.hpp"

#include <charconv>
#include <cmath>
#include <vector>

#include "rig/base/text.hpp"

namespace lockrig::drivers::command {

namespace {

class Parser {
 public:
  Parser(std::string_view s, std::string* error) : s_(s), error_(error) {}

  std::optional<std::map<std::string, JsonValue>> top() {
    skip_ws();
    if (!peek('{')) return fail("expected a JSON object starting with \"{\"");
    std::map<std::string, JsonValue> members;
    if (!object(0, &members)) return std::nullopt;
    skip_ws();
    if (pos_ != s_.size()) return fail("unexpected text after the object");
    return members;
  }

 private:
  std::nullopt_t fail(const std::string& why) {
    if (error_ && error_->empty()) *error_ = why + " at column " + std::to_string(pos_ + 1);
    return std::nullopt;
  }
  bool failed(const std::string& why) {
    fail(why);
    return false;
  }
  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return failed("invalid literal");
    pos_ += word.size();
    return true;
  }

  // members == nullptr: nested object, syntax only.
  bool object(int depth, std::map<std::string, JsonValue>* members) {
    if (depth > 32) return failed("nesting deeper than 32 levels");
    ++pos_;  // '{'
    skip_ws();
    if (peek('}')) {
      ++pos_;
      return true;
    }
    for (;;) {
      skip_ws();
      if (!peek('"')) return failed("expected a member name in double quotes");
      std::string key;
      if (!string(&key)) return false;
      skip_ws();
      if (!peek(':')) return failed("expected \":\" after a member name");
      ++pos_;
      JsonValue v;
      if (!value(depth, &v)) return false;
      if (members && !members->emplace(key, std::move(v)).second)
        return failed("duplicate member " + quote(key));
      skip_ws();
      if (peek(',')) {
        ++pos_;
        continue;
      }
      if (peek('}')) {
        ++pos_;
        return true;
      }
      return failed("expected \",\" or \"}\"");
    }
  }

  bool array(int depth) {
    if (depth > 32) return failed("nesting deeper than 32 levels");
    ++pos_;  // '['
    skip_ws();
    if (peek(']')) {
      ++pos_;
      return true;
    }
    for (;;) {
      JsonValue v;
      if (!value(depth, &v)) return false;
      skip_ws();
      if (peek(',')) {
        ++pos_;
        continue;
      }
      if (peek(']')) {
        ++pos_;
        return true;
      }
      return failed("expected \",\" or \"]\"");
    }
  }

  bool value(int depth, JsonValue* out) {
    skip_ws();
    if (pos_ >= s_.size()) return failed("unexpected end of input");
    const char c = s_[pos_];
    if (c == '{') {
      out->type = JsonValue::Type::object;
      return object(depth + 1, nullptr);
    }
    if (c == '[') {
      out->type = JsonValue::Type::array;
      return array(depth + 1);
    }
    if (c == '"') {
      out->type = JsonValue::Type::string;
      return string(&out->text);
    }
    if (c == 't' || c == 'f') {
      out->type = JsonValue::Type::boolean;
      out->boolean = c == 't';
      return literal(c == 't' ? "true" : "false");
    }
    if (c == 'n') {
      out->type = JsonValue::Type::null;
      return literal("null");
    }
    if (c == '-' || (c >= '0' && c <= '9')) return number(out);
    return failed("unexpected character " + quote(std::string(1, c)));
  }

  bool number(JsonValue* out) {
    const std::size_t start = pos_;
    auto digits = [&] {
      const std::size_t from = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    if (peek('-')) ++pos_;
    if (peek('0')) {
      ++pos_;
    } else if (digits() == 0) {
      return failed("invalid number");
    }
    bool integral = true;
    if (peek('.')) {
      ++pos_;
      integral = false;
      if (digits() == 0) return failed("invalid number: digits must follow \".\"");
    }
    if (peek('e') || peek('E')) {
      ++pos_;
      integral = false;
      if (peek('+') || peek('-')) ++pos_;
      if (digits() == 0) return failed("invalid number: digits must follow the exponent");
    }
    double v = 0;
    auto [p, ec] = std::from_chars(s_.data() + start, s_.data() + pos_, v);
    if (ec != std::errc() || p != s_.data() + pos_ || !std::isfinite(v))
      return failed("number out of range");
    out->type = JsonValue::Type::number;
    out->number = v;
    out->integral = integral;
    return true;
  }

  static void append_utf8(std::string& s, std::uint32_t cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool hex4(std::uint32_t* out) {
    if (pos_ + 4 > s_.size()) return failed("truncated \\u escape");
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else
        return failed("invalid \\u escape");
    }
    *out = v;
    return true;
  }

  bool string(std::string* out) {
    ++pos_;  // opening quote
    for (;;) {
      if (pos_ >= s_.size()) return failed("unterminated string");
      const char c = s_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return failed("control character inside a string");
      if (c != '\\') {
        *out += c;
        continue;
      }
      if (pos_ >= s_.size()) return failed("unterminated escape");
      const char e = s_[pos_++];
      switch (e) {
        case '"':
          *out += '"';
          break;
        case '\\':
          *out += '\\';
          break;
        case '/':
          *out += '/';
          break;
        case 'b':
          *out += '\b';
          break;
        case 'f':
          *out += '\f';
          break;
        case 'n':
          *out += '\n';
          break;
        case 'r':
          *out += '\r';
          break;
        case 't':
          *out += '\t';
          break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            std::uint32_t low = 0;
            if (s_.substr(pos_, 2) != "\\u") return failed("unpaired surrogate in \\u escape");
            pos_ += 2;
            if (!hex4(&low)) return false;
            if (low < 0xDC00 || low > 0xDFFF) return failed("unpaired surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return failed("unpaired surrogate in \\u escape");
          }
          append_utf8(*out, cp);
          break;
        }
        default:
          return failed("invalid escape \\" + std::string(1, e));
      }
    }
  }

  std::string_view s_;
  std::string* error_;
  std::size_t pos_ = 0;
};

}  // namespace

std::optional<std::map<std::string, JsonValue>> parse_json_object(std::string_view text,
                                                                  std::string* error) {
  if (error) error->clear();
  return Parser(text, error).top();
}

std::string sanitize_detail(std::string_view text, std::size_t max_bytes) {
  std::string out;
  for (char c : text) out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
  if (out.size() > max_bytes) {
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    out += "…";
  }
  return out;
}

Interpretation interpret_result_output(std::string_view stdout_text) {
  Interpretation r;
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= stdout_text.size()) {
    std::size_t end = stdout_text.find('\n', start);
    if (end == std::string_view::npos) end = stdout_text.size();
    std::string_view line = stdout_text.substr(start, end - start);
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) lines.push_back(line);
    start = end + 1;
  }
  if (lines.size() != 1) {
    r.malformed = true;
    r.problem = lines.empty() ? "printed nothing on stdout"
                              : "printed " + std::to_string(lines.size()) +
                                    " lines on stdout; the contract is exactly one JSON line";
    return r;
  }
  std::string why;
  auto obj = parse_json_object(lines[0], &why);
  if (!obj) {
    r.malformed = true;
    r.problem = "printed a line that is not a JSON object (" + why +
                "): " + quote(sanitize_detail(lines[0], 80));
    return r;
  }

  auto unusable = [&](const std::string& why) {
    r.problem = why;
    return r;
  };
  auto it = obj->find("outcome");
  if (it == obj->end()) return unusable("the result has no \"outcome\"");
  if (it->second.type != JsonValue::Type::string) return unusable("\"outcome\" must be a string");
  auto outcome = parse_outcome(it->second.text);
  if (!outcome)
    return unusable("unknown outcome " + quote(sanitize_detail(it->second.text, 40)) +
                    "; known: " + join(outcome_names(), ", "));
  CommandReport report;
  report.outcome = *outcome;

  if (auto l = obj->find("latency_ms");
      l != obj->end() && l->second.type != JsonValue::Type::null) {
    if (l->second.type != JsonValue::Type::number || l->second.number < 0 || l->second.number > 1e9)
      return unusable("\"latency_ms\" must be a number of milliseconds between 0 and 1e9");
    report.latency = from_ms(l->second.number);
  }
  if (auto d = obj->find("detail"); d != obj->end() && d->second.type != JsonValue::Type::null) {
    if (d->second.type != JsonValue::Type::string) return unusable("\"detail\" must be a string");
    report.detail = sanitize_detail(d->second.text);
  }
  if (auto s = obj->find("rssi_dbm"); s != obj->end() && s->second.type != JsonValue::Type::null) {
    if (s->second.type != JsonValue::Type::number || !s->second.integral ||
        s->second.number < -127 || s->second.number > 20)
      return unusable("\"rssi_dbm\" must be a whole number of dBm between -127 and 20");
    report.rssi_dbm = static_cast<int>(s->second.number);
  }
  r.report = std::move(report);
  return r;
}

}  // namespace lockrig::drivers::command
