#include "rig/engine/evidence.hpp"

#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/evidence.hpp"

namespace lockrig {

std::string_view evidence_policy_name(EvidencePolicy p) {
  switch (p) {
    case EvidencePolicy::none:
      return "none";
    case EvidencePolicy::all:
      return "all";
    case EvidencePolicy::failures:
      break;
  }
  return "failures";
}

EvidencePolicy parse_evidence_policy(const std::string& word) {
  for (auto p : {EvidencePolicy::none, EvidencePolicy::failures, EvidencePolicy::all})
    if (word == evidence_policy_name(p)) return p;
  throw UsageError("--keep-evidence: " + quote(word) +
                   " is not one of failures, all, none");
}

bool keeps_evidence(EvidencePolicy p, const SessionRecord& s) {
  switch (p) {
    case EvidencePolicy::none:
      return false;
    case EvidencePolicy::all:
      return true;
    case EvidencePolicy::failures:
      break;
  }
  // Failed and rig-faulted sessions, and sessions of a step that expected a failure (their pass
  // is a failure the lock was meant to show: the bytes say whether it failed the right way).
  return s.result != SessionResult::pass || s.expect != "success";
}

WorkerEvidence::WorkerEvidence(EvidencePolicy policy, const Clock& clock) {
  if (policy == EvidencePolicy::none) return;
  recorder_ = std::make_unique<drivers::TranscriptRecorder>(clock);
  scope_.emplace(recorder_.get());
}

void WorkerEvidence::begin_item() {
  if (recorder_) recorder_->clear();
}

void note_bench_event(const EventRow& e) {
  if (!drivers::current_transcript()) return;
  std::string text = e.kind;
  if (!e.target.empty()) text += " " + e.target;
  if (!e.value.empty()) text += " = " + e.value;
  if (!e.detail.empty()) text += " (" + e.detail + ")";
  drivers::transcript_text(drivers::TranscriptDirection::note, "bench", text);
}

std::optional<EvidenceBlob> take_session_evidence(EvidencePolicy policy,
                                                  const SessionRecord& session) {
  drivers::TranscriptRecorder* r = drivers::current_transcript();
  if (!r) return std::nullopt;
  if (!keeps_evidence(policy, session)) {
    r->clear();
    return std::nullopt;
  }
  std::size_t dropped = 0;
  std::vector<drivers::TranscriptEntry> entries = r->take(&dropped);
  if (entries.empty() && dropped == 0) return std::nullopt;  // nothing was said
  std::vector<TranscriptLine> lines;
  lines.reserve(entries.size());
  for (auto& e : entries)
    lines.push_back(TranscriptLine{e.t.count(), drivers::direction_mark(e.direction),
                                   std::move(e.who), std::move(e.text)});
  return encode_evidence(lines, static_cast<long long>(dropped));
}

}  // namespace lockrig
