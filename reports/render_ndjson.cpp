// `lockrig export --format ndjson`: one JSON object per session or attempt, keys in column order,
// written by the one JSON writer (compact layout).
#include "reports/export.hpp"
#include "reports/json_writer.hpp"

namespace lockrig::reports {

namespace {

class NdjsonRows : public RowWriter {
 public:
  void begin(std::string&, const std::vector<std::string_view>& names) override {
    names_.assign(names.begin(), names.end());
  }

  void row(std::string& out, const std::vector<RowValue>& values) override {
    json_.clear();
    json_.begin_object(JsonWriter::Layout::compact);
    for (std::size_t i = 0; i < values.size(); ++i) {
      const RowValue& v = values[i];
      json_.key(names_[i]);
      switch (v.kind) {
        case RowValue::Kind::null:
          json_.null();
          break;
        case RowValue::Kind::integer:
          json_.value(v.integer);
          break;
        case RowValue::Kind::real:
          json_.value(v.real);
          break;
        case RowValue::Kind::boolean:
          json_.value(v.integer != 0);
          break;
        case RowValue::Kind::text:
          json_.value(v.text);
          break;
      }
    }
    json_.end_object();
    out += json_.text();
    out += '\n';
  }

 private:
  std::vector<std::string> names_;
  JsonWriter json_{/*script_safe=*/false, NonFinite::nan};
};

}  // namespace

std::unique_ptr<RowWriter> ndjson_rows() {
  return std::make_unique<NdjsonRows>();
}

}  // namespace lockrig::reports
