// Parsing of the UUID spellings accepted in fixtures.
#include "drivers/bluez/gatt_uuid.hpp"

#include <cctype>

namespace lockrig::drivers::bluez {

namespace {

constexpr std::string_view kBaseSuffix = "-0000-1000-8000-00805f9b34fb";

bool all_hex(std::string_view s) {
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return !s.empty();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<std::string> normalize_uuid(std::string_view text) {
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    text.remove_prefix(2);
  if ((text.size() == 4 || text.size() == 8) && all_hex(text)) {
    std::string head = lower(text);
    if (head.size() == 4) head = "0000" + head;
    return head + std::string(kBaseSuffix);
  }
  if (text.size() != 36) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i])))
      return std::nullopt;
  }
  return lower(text);
}

std::string display_uuid(const std::string& uuid) {
  if (uuid.size() == 36 && uuid.compare(8, std::string::npos, kBaseSuffix) == 0 &&
      uuid.compare(0, 4, "0000") == 0)
    return uuid.substr(4, 4);
  return uuid;
}

}  // namespace lockrig::drivers::bluez
