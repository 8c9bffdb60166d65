#include "drivers/transcript.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <shared_mutex>

namespace lockrig::drivers {

namespace {

thread_local TranscriptRecorder* t_recorder = nullptr;

constexpr std::string_view kRedacted = "[redacted]";

struct Secrets {
  std::shared_mutex mu;
  std::vector<std::string> text;   // matched in text, longest first
  std::vector<std::string> bytes;  // matched in raw bytes
};

Secrets& secrets() {
  static Secrets s;
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The bytes a hex secret stands for ("00 11 aa" or "0011AA"), or empty if it is not hex.
std::string decode_hex(std::string_view s) {
  std::string digits;
  for (char c : s) {
    if (c == ' ' || c == ':' || c == '-') continue;
    if (hex_value(c) < 0) return {};
    digits += c;
  }
  if (digits.empty() || digits.size() % 2 != 0) return {};
  std::string out;
  for (std::size_t i = 0; i < digits.size(); i += 2)
    out += static_cast<char>(hex_value(digits[i]) * 16 + hex_value(digits[i + 1]));
  return out;
}

std::string to_hex(std::string_view bytes, bool upper, bool spaced) {
  static constexpr char lo[] = "0123456789abcdef";
  static constexpr char up[] = "0123456789ABCDEF";
  const char* d = upper ? up : lo;
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (spaced && i) out += ' ';
    const auto b = static_cast<unsigned char>(bytes[i]);
    out += d[b >> 4];
    out += d[b & 15];
  }
  return out;
}

void replace_all(std::string& s, std::string_view what) {
  if (what.empty()) return;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at)) {
    s.replace(at, what.size(), kRedacted);
    at += kRedacted.size();
  }
}

}  // namespace

char direction_mark(TranscriptDirection d) {
  switch (d) {
    case TranscriptDirection::to_device:
      return '>';
    case TranscriptDirection::from_device:
      return '<';
    case TranscriptDirection::note:
      break;
  }
  return '-';
}

void register_secret(std::string_view secret) {
  if (secret.size() < 4) return;
  Secrets& s = secrets();
  std::unique_lock lk(s.mu);
  auto add = [](std::vector<std::string>& v, std::string x) {
    if (x.size() < 2 || std::find(v.begin(), v.end(), x) != v.end()) return;
    v.push_back(std::move(x));
  };
  add(s.text, std::string(secret));
  add(s.bytes, std::string(secret));
  const std::string raw = decode_hex(secret);
  if (!raw.empty()) {
    add(s.bytes, raw);
    add(s.text, raw);
    for (bool upper : {false, true})
      for (bool spaced : {false, true}) add(s.text, to_hex(raw, upper, spaced));
  }
  // Longest first, so a form that contains another is replaced whole.
  auto longest = [](const std::string& a, const std::string& b) { return a.size() > b.size(); };
  std::sort(s.text.begin(), s.text.end(), longest);
  std::sort(s.bytes.begin(), s.bytes.end(), longest);
}

std::string redact(std::string_view text) {
  std::string out(text);
  Secrets& s = secrets();
  std::shared_lock lk(s.mu);
  for (const auto& secret : s.text) replace_all(out, secret);
  return out;
}

std::string hex_and_ascii(std::span<const std::uint8_t> bytes) {
  std::string hex, ascii;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i) hex += ' ';
    hex += to_hex(std::string_view(reinterpret_cast<const char*>(&bytes[i]), 1), false, false);
    ascii += std::isprint(bytes[i]) ? static_cast<char>(bytes[i]) : '.';
  }
  return hex + " | " + ascii;
}

TranscriptRecorder::TranscriptRecorder(const Clock& clock, TranscriptLimits limits)
    : clock_(clock), limits_(limits) {}

void TranscriptRecorder::add(TranscriptDirection d, std::string_view who, std::string_view text) {
  std::string kept = redact(text);
  if (kept.size() > limits_.max_text) {
    const std::size_t cut = kept.size() - limits_.max_text;
    kept.resize(limits_.max_text);
    kept += " [" + std::to_string(cut) + " more bytes not kept]";
  }
  bytes_ += kept.size() + who.size();
  entries_.push_back(TranscriptEntry{clock_.now(), d, std::string(who), std::move(kept)});
  trim();
}

void TranscriptRecorder::add_bytes(TranscriptDirection d, std::string_view who,
                                   std::span<const std::uint8_t> bytes) {
  // Raw secrets are cut out of the bytes before they are formatted, so neither the hex nor the
  // ASCII column can show them; the formatted text is then redacted like any other.
  std::vector<bool> secret(bytes.size(), false);
  {
    Secrets& s = secrets();
    std::shared_lock lk(s.mu);
    const std::string_view hay(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    for (const auto& needle : s.bytes)
      for (std::size_t at = hay.find(needle); at != std::string_view::npos;
           at = hay.find(needle, at + 1))
        std::fill(secret.begin() + static_cast<std::ptrdiff_t>(at),
                  secret.begin() + static_cast<std::ptrdiff_t>(at + needle.size()), true);
  }
  std::string text;
  std::size_t i = 0;
  while (i < bytes.size()) {
    std::size_t j = i;
    while (j < bytes.size() && secret[j] == secret[i]) ++j;
    if (!text.empty()) text += " ";
    text += secret[i] ? std::string(kRedacted) : hex_and_ascii(bytes.subspan(i, j - i));
    i = j;
  }
  add(d, who, text);
}

void TranscriptRecorder::trim() {
  while (size() > 0 && (size() > limits_.max_entries || bytes_ > limits_.max_bytes)) {
    bytes_ -= entries_[head_].text.size() + entries_[head_].who.size();
    entries_[head_] = {};
    ++head_;
    ++dropped_;
  }
  // Compact once the dropped prefix is as long as what is kept.
  if (head_ > 0 && head_ >= size()) {
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

std::vector<TranscriptEntry> TranscriptRecorder::take(std::size_t* dropped) {
  std::vector<TranscriptEntry> out(std::make_move_iterator(entries_.begin() +
                                                           static_cast<std::ptrdiff_t>(head_)),
                                   std::make_move_iterator(entries_.end()));
  if (dropped) *dropped = dropped_;
  clear();
  return out;
}

void TranscriptRecorder::clear() {
  entries_.clear();
  head_ = 0;
  bytes_ = 0;
  dropped_ = 0;
}

TranscriptScope::TranscriptScope(TranscriptRecorder* recorder) : previous_(t_recorder) {
  t_recorder = recorder;
}
TranscriptScope::~TranscriptScope() {
  t_recorder = previous_;
}

TranscriptRecorder* current_transcript() {
  return t_recorder;
}

void transcript_text(TranscriptDirection d, std::string_view who, std::string_view text) {
  if (t_recorder) t_recorder->add(d, who, text);
}

void transcript_bytes(TranscriptDirection d, std::string_view who,
                      std::span<const std::uint8_t> bytes) {
  if (t_recorder) t_recorder->add_bytes(d, who, bytes);
}

}  // namespace lockrig::drivers
