// SHA-256 of a byte string, for the journal's fixture and scenario content hashes.
#pragma once

#include <string>
#include <string_view>

namespace lockrig {
std::string sha256_hex(std::string_view data);
}
