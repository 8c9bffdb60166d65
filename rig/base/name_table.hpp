// An enum's stored words as one table: {value, "word"} pairs, looked up both ways. Used where an
// enum is written to the journal or a file and read back (event kinds, run statuses, attempt
// classes, session results, lock outcomes), so each list of words exists once.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace lockrig {

template <typename Enum, std::size_t N>
using NameTable = std::array<std::pair<Enum, std::string_view>, N>;

// The word of `value`; `missing` when the table lacks it (a value added without its word).
template <typename Enum, std::size_t N>
constexpr std::string_view name_of(const NameTable<Enum, N>& table, Enum value,
                                   std::string_view missing = "?") {
  for (const auto& [v, word] : table)
    if (v == value) return word;
  return missing;
}

// The value whose word is `word`; nullopt for a word the table does not have.
template <typename Enum, std::size_t N>
constexpr std::optional<Enum> value_of(const NameTable<Enum, N>& table, std::string_view word) {
  for (const auto& [v, w] : table)
    if (w == word) return v;
  return std::nullopt;
}

// The words of the table as a message lists them: "a, b or c".
template <typename Enum, std::size_t N>
std::string words_of(const NameTable<Enum, N>& table) {
  std::string words;
  for (std::size_t i = 0; i < N; ++i)
    words += (i == 0 ? "" : i + 1 == N ? " or " : ", ") + std::string(table[i].second);
  return words;
}

}  // namespace lockrig
