#include "reports/notes.hpp"

#include <map>

#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/annotations.hpp"

namespace lockrig::reports {

Dataset without_locks(const Dataset& d, const std::set<std::string>& lock_ids) {
  Dataset out = d;
  auto muted = [&](std::uint32_t lock) { return lock_ids.count(d.locks[lock].lock_id) > 0; };
  out.sessions.clear();
  for (const auto& s : d.sessions)
    if (!muted(s.lock)) out.sessions.push_back(s);
  out.latency.clear();
  for (const auto& b : d.latency)
    if (!muted(b.lock)) out.latency.push_back(b);
  return out;
}

Report compute_report_with_notes(Journal& journal, const Dataset& d, const ReportOptions& options) {
  if (!journal.has_annotations()) return compute_report(d, options);
  AnnotationQuery q;
  for (const auto& run : d.runs) q.run_uuids.push_back(run.uuid);
  std::set<std::string> locks;
  std::map<std::string, std::string> newest_date;  // lock -> date of its newest selected run
  for (const auto& l : d.locks) {
    locks.insert(l.lock_id);
    const std::string date = d.runs[l.run].started_at.substr(0, 10);
    auto& best = newest_date[l.lock_id];
    if (date > best) best = date;
  }
  std::vector<AnnotationRecord> notes;
  for (auto& n : read_annotations(journal, q))
    if (n.lock_id.empty() || locks.count(n.lock_id)) notes.push_back(std::move(n));

  std::set<std::string> muted_ids;
  std::vector<MutedLock> muted;
  for (const auto& lock : locks)
    if (const auto m = latest_mute(notes, lock); m && m->mute_until >= newest_date[lock]) {
      muted_ids.insert(lock);
      muted.push_back({lock, m->mute_until, m->author, m->text, {}});
    }

  Report r;
  if (muted_ids.empty()) {
    r = compute_report(d, options);
  } else {
    try {
      r = compute_report(without_locks(d, muted_ids), options);
    } catch (const UsageError& e) {
      throw UsageError(std::string(e.what()) + " (with the muted lock(s) " +
                       join(std::vector<std::string>(muted_ids.begin(), muted_ids.end()), ", ") +
                       " left out; see lockrig annotate --list)");
    }
    const Report full = compute_report(d, options);
    for (auto& m : muted)
      for (const auto& l : full.locks)
        if (l.lock_id == m.lock_id) m.figures.push_back(l);
    r.notes.verdict_with_muted = full.verdict;
  }
  for (const auto& n : notes)
    r.notes.notes.push_back({n.created_at, n.author, n.subject(), n.mute_until, n.text});
  r.notes.muted = std::move(muted);
  return r;
}

}  // namespace lockrig::reports
