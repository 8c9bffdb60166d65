// Session evidence plumbing (issue 15): the worker's transcript recorder (drivers/transcript.hpp)
// is emptied after each session, and what it holds is kept with the session when the
// --keep-evidence policy says so (encoded and compressed here, on the worker thread, so the
// journal's writer only stores a blob in the session's transaction).
#pragma once

#include <memory>
#include <optional>

#include "drivers/transcript.hpp"
#include "rig/engine/runner.hpp"
#include "rig/journal/records.hpp"

namespace lockrig {

// Installs a bounded recorder on the calling (worker) thread for the scope's life, stamped by
// `clock`; installs nothing under EvidencePolicy::none, so no driver records anything.
class WorkerEvidence {
 public:
  WorkerEvidence(EvidencePolicy policy, const Clock& clock);
  // A new plan item starts: what the recorder holds belongs to nothing kept.
  void begin_item();

 private:
  std::unique_ptr<drivers::TranscriptRecorder> recorder_;
  std::optional<drivers::TranscriptScope> scope_;
};

// A bench event as a transcript note (the journal has the event too; the transcript keeps the
// order of events and bytes in one place).
void note_bench_event(const EventRow& e);

// Empties the calling thread's recorder and returns what it held, encoded, if `policy` keeps
// `session`'s evidence; nullopt otherwise (and always without a recorder).
std::optional<EvidenceBlob> take_session_evidence(EvidencePolicy policy,
                                                  const SessionRecord& session);

}  // namespace lockrig
