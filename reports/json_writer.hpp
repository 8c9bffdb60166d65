// The one JSON writer of the reports: `lockrig report` / `gate` (schema lockrig.report/1), `slo`
// (lockrig.slo/1), `plan` (lockrig.plan/1), `export --format ndjson` and the BigQuery schemas.
// One string escaper, one number format; a container is laid out one element per line (block),
// on one line with ", " (inline) or without spaces (compact, NDJSON rows).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lockrig::reports {

// A JSON string literal: quotes, backslashes, \n, \r and \t escaped, other control characters as
// \u00XX, invalid UTF-8 as U+FFFD (see sanitize_utf8), so a label from the journal can never break
// the document. `script_safe` also writes '<' as \u003c, so the JSON can sit in an HTML <script>.
void append_json_string(std::string& out, std::string_view s, bool script_safe = false);
std::string json_string(std::string_view s);

// Numbers: integers as such, doubles in the shortest form that reads back the same
// (shortest_number in reports/format.hpp). How a writer spells a double that is not finite: null
// (valid JSON; the report and the SLO) or NaN (what `lockrig export --format ndjson` has always
// written; SQLite cannot store a NaN, so only a journal written by hand with an infinity reaches
// it).
enum class NonFinite { null, nan };

class JsonWriter {
 public:
  enum class Layout {
    block,    // each element on its own line, indented two spaces per level; "key": value
    inline_,  // on one line: {"a": 1, "b": 2}
    compact,  // on one line, no spaces: {"a":1,"b":2}
  };

  explicit JsonWriter(bool script_safe = false, NonFinite non_finite = NonFinite::null)
      : script_safe_(script_safe), non_finite_(non_finite) {}

  // The text so far; str() adds the final newline every lockrig JSON document and row ends with.
  std::string str() const { return out_ + "\n"; }
  const std::string& text() const { return out_; }
  void clear() {
    out_.clear();
    first_.clear();
    layouts_.clear();
    after_key_ = false;
  }

  JsonWriter& begin_object(Layout layout = Layout::block) { return open('{', layout); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array(Layout layout = Layout::block) { return open('[', layout); }
  JsonWriter& end_array() { return close(']'); }

  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b);
  JsonWriter& value(long long n);
  JsonWriter& value(long n) { return value(static_cast<long long>(n)); }
  JsonWriter& value(int n) { return value(static_cast<long long>(n)); }
  JsonWriter& value(unsigned long n) { return value(static_cast<long long>(n)); }
  JsonWriter& value(double v);
  JsonWriter& null();

  template <class T>
  JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }
  template <class T>
  JsonWriter& field(std::string_view k, const std::optional<T>& v) {
    key(k);
    return v ? value(*v) : null();
  }
  JsonWriter& strings(std::string_view k, const std::vector<std::string>& items);

 private:
  JsonWriter& open(char c, Layout layout);
  JsonWriter& close(char c);
  void newline();
  void separate();

  bool script_safe_;
  NonFinite non_finite_;
  std::string out_;
  std::vector<bool> first_;      // per open container: nothing written in it yet
  std::vector<Layout> layouts_;  // per open container
  bool after_key_ = false;
};

}  // namespace lockrig::reports
