// Per-session transcripts (issue 15): what the drivers exchanged with the rig's hardware and
// programs, recorded at their interfaces and kept bounded, so a failed session can be shown with
// the bytes and output behind its verdict (docs/evidence.md).
//
// A worker thread installs a TranscriptRecorder with a TranscriptScope; while it is installed,
// the serial transport (every board's and supply's bytes), the `command` driver (argv, stdout,
// stderr, exit status) and the engine's bench events append to it through the free functions
// below, which do nothing when no recorder is installed on the calling thread. The engine takes
// the entries after each session and keeps them per --keep-evidence.
//
// Secrets: every text and byte string is redacted (register_secret) before it is stored in the
// recorder, so nothing downstream (journal, reports, show) can see a lock key.
//
// Hook for the BLE driver (drivers/bluez, not wired here): call
//   transcript_text(TranscriptDirection::to_device, "<lock id> dbus", "<call and args>")
// for each D-Bus call/reply/signal, and register_secret(key bytes and their hex text) where
// drivers/bluez/secret.cpp loads a key_file secret (key_env secrets are registered already by
// command::withhold_from_children).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rig/base/clock.hpp"

namespace lockrig::drivers {

enum class TranscriptDirection { to_device, from_device, note };

// ">" sent to the device/program, "<" received from it, "-" a note (exit status, bench event).
char direction_mark(TranscriptDirection d);

struct TranscriptEntry {
  TimePoint t{0};  // on the recorder's clock (the worker's run clock)
  TranscriptDirection direction = TranscriptDirection::note;
  std::string who;   // the fixture id and channel: "relay-1", "alu-1 stdout"
  std::string text;  // redacted; bytes are "hex | ascii"
};

struct TranscriptLimits {
  std::size_t max_entries = 512;        // beyond this the oldest entries are dropped
  std::size_t max_text = 4096;          // one entry's text is cut beyond this (and says so)
  std::size_t max_bytes = 256 * 1024;   // total text kept; oldest entries dropped beyond it
};

// A bounded recorder of timestamped entries. Keeps the newest entries when a limit is reached
// and counts what it dropped. Used from one thread (the worker that installed it).
class TranscriptRecorder {
 public:
  explicit TranscriptRecorder(const Clock& clock, TranscriptLimits limits = {});
  void add(TranscriptDirection d, std::string_view who, std::string_view text);
  void add_bytes(TranscriptDirection d, std::string_view who, std::span<const std::uint8_t> bytes);
  // Everything since the last take/clear, oldest first; and how many entries were dropped.
  std::vector<TranscriptEntry> take(std::size_t* dropped = nullptr);
  void clear();
  std::size_t size() const { return entries_.size() - head_; }

 private:
  void trim();
  const Clock& clock_;
  TranscriptLimits limits_;
  std::vector<TranscriptEntry> entries_;
  std::size_t head_ = 0;  // entries_[0, head_) are dropped
  std::size_t bytes_ = 0;
  std::size_t dropped_ = 0;
};

// Installs `recorder` (may be null) as the calling thread's recorder until destroyed.
class TranscriptScope {
 public:
  explicit TranscriptScope(TranscriptRecorder* recorder);
  ~TranscriptScope();
  TranscriptScope(const TranscriptScope&) = delete;
  TranscriptScope& operator=(const TranscriptScope&) = delete;

 private:
  TranscriptRecorder* previous_;
};

// The calling thread's recorder, or null.
TranscriptRecorder* current_transcript();
// Append to the calling thread's recorder; no-ops without one.
void transcript_text(TranscriptDirection d, std::string_view who, std::string_view text);
void transcript_bytes(TranscriptDirection d, std::string_view who,
                      std::span<const std::uint8_t> bytes);

// "01 a0 ff | ..." : the bytes in hex and, after a bar, as ASCII with '.' for the rest.
std::string hex_and_ascii(std::span<const std::uint8_t> bytes);

// Registers a secret (process-wide, thread-safe). Redaction replaces it wherever it appears in
// text or bytes; a secret written in hex is also matched as its decoded bytes and in the
// lower-/upper-case and spaced hex forms a transcript may show it in. Empty or shorter than 4
// characters: ignored (would redact ordinary text).
void register_secret(std::string_view secret);
// `text` with every registered secret replaced by "[redacted]".
std::string redact(std::string_view text);

}  // namespace lockrig::drivers
