#include "reports/dataset.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <set>
#include <span>
#include <tuple>
#include <unordered_map>

#include "reports/format.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/report_reader.hpp"
#include "rig/journal/run_records.hpp"

namespace lockrig::reports {

namespace {

std::string list_values(const std::vector<std::string>& values, std::size_t max = 12) {
  if (values.empty()) return "(none)";
  std::vector<std::string> shown;
  for (std::size_t i = 0; i < values.size() && i < max; ++i) shown.push_back(quote(values[i]));
  std::string s = join(shown, ", ");
  if (values.size() > max) s += ", ... (" + std::to_string(values.size() - max) + " more)";
  return s;
}

bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

// Interns strings into a vector, returning stable indices.
class Interner {
 public:
  explicit Interner(std::vector<std::string>& out) : out_(out) {}
  std::uint32_t id(std::string_view s) {
    // Consecutive sessions mostly repeat the previous value; skip the hash lookup then.
    if (last_ != kNone && out_[last_] == s) return last_;
    // A column holds a handful of values (outcomes, expectations): compared one by one, without
    // making a std::string to hash.
    if (out_.size() <= 16) {
      for (std::uint32_t i = 0; i < out_.size(); ++i)
        if (out_[i] == s) return last_ = i;
    }
    last_ = lookup(s);
    return last_;
  }

 private:
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};
  std::uint32_t lookup(std::string_view s) {
    auto it = index_.find(std::string(s));
    if (it != index_.end()) return it->second;
    const auto id = static_cast<std::uint32_t>(out_.size());
    out_.emplace_back(s);
    index_.emplace(out_.back(), id);
    return id;
  }

  std::vector<std::string>& out_;
  std::unordered_map<std::string, std::uint32_t> index_;
  std::uint32_t last_ = kNone;
};

std::string describe_latest(const std::vector<RunRecord>& runs) {
  if (runs.empty()) return "";
  const RunRecord& r = runs.back();
  return "; the latest run is " + r.uuid + " (started " + r.started_at + ")";
}

}  // namespace

Filter parse_filter(const std::string& text, const std::string& option) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    throw UsageError(option + " wants key=value (e.g. firmware=2.4.1), got " + quote(text));
  Filter f{text.substr(0, eq), text.substr(eq + 1)};
  if (!is_identifier(f.key))
    throw UsageError(option + " key " + quote(f.key) +
                     " may only contain letters, digits, '-', '_', '.'");
  return f;
}

std::string filters_text(const std::vector<Filter>& filters) {
  std::vector<std::string> parts;
  for (const auto& f : filters) parts.push_back(f.text());
  return join(parts, ", ");
}

std::string parse_since(const std::string& text) {
  const std::string bad =
      "--since wants a date (2026-11-20, 2026-11-20T08:00, "
      "2026-11-20T08:00:00Z) or an age (7d, 36h, 2w), got " +
      quote(text);
  if (text.size() >= 2 && digits(std::string_view(text).substr(0, text.size() - 1))) {
    const char unit = text.back();
    long long n = 0;
    try {
      n = std::stoll(text.substr(0, text.size() - 1));
    } catch (const std::exception&) {
      throw UsageError(bad);
    }
    long long seconds = 0;
    if (unit == 'h')
      seconds = n * 3600;
    else if (unit == 'd')
      seconds = n * 86400;
    else if (unit == 'w')
      seconds = n * 7 * 86400;
    else
      throw UsageError(bad);
    if (n > 1000000) throw UsageError(bad);
    std::time_t t = std::time(nullptr) - static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return buf;
  }
  std::string s = text;
  if (!s.empty() && (s.back() == 'Z' || s.back() == 'z')) s.pop_back();
  if (s.size() > 10 && s[10] == ' ') s[10] = 'T';
  // Positions of the digits in YYYY-MM-DDTHH:MM:SS(.fff); anything else must match exactly.
  static const std::string shape = "dddd-dd-ddTdd:dd:dd";
  std::size_t end = s.size();
  const auto dot = s.find('.');
  if (dot != std::string::npos) {
    if (dot != 19 || !digits(std::string_view(s).substr(dot + 1))) throw UsageError(bad);
    end = dot;
  }
  if (end != 10 && end != 16 && end != 19) throw UsageError(bad);
  for (std::size_t i = 0; i < end; ++i) {
    const bool want_digit = shape[i] == 'd';
    if (want_digit != static_cast<bool>(std::isdigit(static_cast<unsigned char>(s[i]))) ||
        (!want_digit && s[i] != shape[i]))
      throw UsageError(bad);
  }
  const int month = std::stoi(s.substr(5, 2)), day = std::stoi(s.substr(8, 2));
  if (month < 1 || month > 12 || day < 1 || day > 31) throw UsageError(bad);
  if (end >= 16 && (std::stoi(s.substr(11, 2)) > 23 || std::stoi(s.substr(14, 2)) > 59))
    throw UsageError(bad);
  if (end >= 19 && std::stoi(s.substr(17, 2)) > 60) throw UsageError(bad);
  return s;
}

const std::vector<std::string>& builtin_attributes() {
  static const std::vector<std::string> names = {"firmware", "model", "material", "lock",
                                                 "slot",     "rig",   "run",      "scenario"};
  return names;
}

std::vector<RunRecord> select_runs(Journal& journal, const RunSelection& selection,
                                   std::size_t* runs_in_journal) {
  const std::string& path = journal.path();

  const std::vector<RunRecord> all = read_runs(journal);
  if (all.empty()) throw UsageError("journal " + quote(path) + " has no runs yet");

  // Each filter narrows what the previous ones left, so an error can say which one emptied it.
  std::vector<RunRecord> runs = all;
  if (!selection.runs.empty()) {
    std::vector<RunRecord> picked;
    for (const auto& want : selection.runs) {
      std::vector<const RunRecord*> hits;
      for (const auto& r : runs)
        if (r.uuid == want || (want.size() >= 4 && r.uuid.compare(0, want.size(), want) == 0))
          hits.push_back(&r);
      if (hits.empty())
        throw UsageError("--run " + quote(want) + " matches no run in " + quote(path) +
                         (want.size() < 4 ? " (give the full uuid or at least 4 characters)" : "") +
                         describe_latest(all) + " (see lockrig runs)");
      if (hits.size() > 1)
        throw UsageError("--run " + quote(want) + " matches " + std::to_string(hits.size()) +
                         " runs (" + hits[0]->uuid + ", " + hits[1]->uuid +
                         "...); give more of the uuid");
      if (std::none_of(picked.begin(), picked.end(),
                       [&](const RunRecord& p) { return p.id == hits[0]->id; }))
        picked.push_back(*hits[0]);
    }
    std::sort(picked.begin(), picked.end(),
              [](const RunRecord& a, const RunRecord& b) { return a.id < b.id; });
    runs = std::move(picked);
  }
  for (const auto& f : selection.where) {
    std::vector<RunRecord> kept;
    std::set<std::string> values, keys;
    for (const auto& r : runs) {
      auto it = r.labels.find(f.key);
      if (it != r.labels.end()) values.insert(it->second);
      for (const auto& [k, v] : r.labels) keys.insert(k);
      if (it != r.labels.end() && it->second == f.value) kept.push_back(r);
    }
    if (kept.empty()) {
      if (values.empty())
        throw UsageError(
            "--where " + quote(f.text()) + " matches no run: no selected run has a " +
            quote(f.key) + " label" +
            did_you_mean(f.key, std::vector<std::string>(keys.begin(), keys.end())) +
            "; labels present: " + list_values(std::vector<std::string>(keys.begin(), keys.end())));
      throw UsageError("--where " + quote(f.text()) + " matches no run; values of " + quote(f.key) +
                       " in the selected runs: " +
                       list_values(std::vector<std::string>(values.begin(), values.end())));
    }
    runs = std::move(kept);
  }
  if (selection.since) {
    std::vector<RunRecord> kept;
    for (const auto& r : runs)
      if (r.started_at >= *selection.since) kept.push_back(r);
    if (kept.empty())
      throw UsageError("--since " + quote(*selection.since) + " matches no run" +
                       describe_latest(runs));
    runs = std::move(kept);
  }
  if (selection.last) {
    const auto n = static_cast<std::size_t>(*selection.last);
    if (runs.size() > n) runs.erase(runs.begin(), runs.end() - static_cast<std::ptrdiff_t>(n));
  }
  if (runs_in_journal) *runs_in_journal = all.size();
  return runs;
}

std::vector<std::string> latency_keys_of(const std::vector<Filter>& baseline,
                                         const std::vector<Filter>& candidate) {
  std::set<std::string> keys;
  for (const auto* filters : {&baseline, &candidate})
    for (const auto& f : *filters) keys.insert(f.key);
  return {keys.begin(), keys.end()};
}

namespace {

// The value of attribute `key` for a lock entry, as AttributeView resolves it; nullptr when absent.
const std::string* attribute_of(const Dataset& d, const LockEntry& l, const std::string& key) {
  const RunRecord& r = d.runs[l.run];
  if (key == "firmware") return l.firmware.empty() ? nullptr : &l.firmware;
  if (key == "model") return &l.model;
  if (key == "material") return &l.material;
  if (key == "lock") return &l.lock_id;
  if (key == "slot") return &l.slot;
  if (key == "rig") return &r.rig;
  if (key == "run") return &r.uuid;
  const auto it = r.labels.find(key);
  return it == r.labels.end() ? nullptr : &it->second;
}

// Sums the latency histograms of lock entries that agree on the lock id and `keys` (see
// load_dataset), per scenario; each sum is kept under the first lock entry of its class.
class LatencyFold {
 public:
  LatencyFold(const Dataset& d, const std::vector<std::string>& keys) : d_(d), keys_(keys) {}

  void add(std::uint32_t lock, std::uint32_t scenario, std::span<const LatencyPair> pairs) {
    const std::uint64_t key = (std::uint64_t{class_of(lock)} << 32) | scenario;
    auto [it, fresh] = index_.emplace(key, hists_.size());
    if (fresh) hists_.push_back(Hist{lock, scenario, {}});
    std::vector<LatencyPair>& into = hists_[it->second].pairs;
    // Both sorted by bucket (a journaled histogram's buckets are strictly increasing). Once a
    // class has seen a few runs, a new run's buckets are mostly ones it already has: those are
    // added in place, and only from the first new bucket on are the two merged (issue 18: the
    // merge of every run was 8% of `report`'s instructions at 460 runs, callgrind).
    std::size_t at = 0;
    while (!pairs.empty()) {
      while (at < into.size() && into[at].bucket_ns < pairs.front().bucket_ns) ++at;
      if (at == into.size() || into[at].bucket_ns != pairs.front().bucket_ns) break;
      into[at].sessions += std::max<std::int64_t>(0, pairs.front().sessions);
      pairs = pairs.subspan(1);
    }
    if (pairs.empty()) return;
    merged_.clear();
    merged_.reserve(into.size() + pairs.size());
    std::size_t i = 0, j = 0;
    while (i < into.size() || j < pairs.size()) {
      if (j == pairs.size() || (i < into.size() && into[i].bucket_ns < pairs[j].bucket_ns)) {
        merged_.push_back(into[i++]);
      } else if (i == into.size() || pairs[j].bucket_ns < into[i].bucket_ns) {
        if (pairs[j].sessions > 0) merged_.push_back(pairs[j]);
        ++j;
      } else {
        const std::int64_t more = std::max<std::int64_t>(0, pairs[j].sessions);
        merged_.push_back({into[i].bucket_ns, into[i].sessions + more});
        ++i;
        ++j;
      }
    }
    into.swap(merged_);
  }

  void flush(std::vector<LatencyBin>& out) const {
    for (const auto& h : hists_)
      for (const auto& p : h.pairs) out.push_back({h.lock, h.scenario, p.bucket_ns, p.sessions});
  }

 private:
  struct Hist {
    std::uint32_t lock, scenario;
    std::vector<LatencyPair> pairs;
  };
  std::uint32_t class_of(std::uint32_t lock) {
    if (lock >= class_.size()) class_.resize(d_.locks.size(), kNone);
    if (class_[lock] != kNone) return class_[lock];
    const LockEntry& l = d_.locks[lock];
    // Each value with its length, so that no two different tuples print the same.
    std::string signature = std::to_string(l.lock_id.size()) + ":" + l.lock_id;
    for (const auto& k : keys_) {
      const std::string* v = attribute_of(d_, l, k);
      signature += v ? "=" + std::to_string(v->size()) + ":" + *v : std::string("-");
    }
    const auto id = static_cast<std::uint32_t>(classes_.size());
    class_[lock] = classes_.emplace(signature, id).first->second;
    return class_[lock];
  }

  static constexpr std::uint32_t kNone = ~std::uint32_t{0};
  const Dataset& d_;
  const std::vector<std::string>& keys_;
  std::vector<std::uint32_t> class_;                        // lock entry -> class
  std::unordered_map<std::string, std::uint32_t> classes_;  // signature -> class
  std::unordered_map<std::uint64_t, std::size_t> index_;    // (class, scenario) -> hists_
  std::vector<Hist> hists_;
  std::vector<LatencyPair> merged_;
};

}  // namespace

bool tells_runs_apart(const std::vector<Filter>& baseline, const std::vector<Filter>& candidate,
                      const std::string& strata) {
  if (strata == "run") return true;
  for (const auto* filters : {&baseline, &candidate})
    for (const auto& f : *filters)
      if (f.key == "run") return true;
  return false;
}

Dataset load_dataset(Journal& journal, const RunSelection& selection,
                     const std::optional<std::vector<std::string>>& latency_keys,
                     bool runs_told_apart) {
  Dataset d;
  d.journal = journal.path();
  d.selection = selection;
  std::size_t runs_in_journal = 0;
  d.runs = select_runs(journal, selection, &runs_in_journal);
  const bool every_run = d.runs.size() == runs_in_journal;
  // The selected runs (all of them: no run filter) and scenarios the readers cover.
  ReportScope scope;
  if (!every_run) {
    scope.runs.emplace();
    for (const auto& r : d.runs) scope.runs->push_back(r.id);
  }
  ReportScope runs_only = scope;  // the selected runs, whatever their scenarios
  scope.scenarios = selection.scenarios;

  std::set<std::string> keys;
  for (const auto& r : d.runs)
    for (const auto& [k, v] : r.labels) keys.insert(k);
  d.label_keys.assign(keys.begin(), keys.end());

  std::unordered_map<std::int64_t, std::size_t> run_index;
  for (std::size_t i = 0; i < d.runs.size(); ++i) run_index[d.runs[i].id] = i;
  // Per run: lock id -> index into d.locks.
  std::vector<std::unordered_map<std::string, std::uint32_t>> lock_index(d.runs.size());
  read_run_locks(journal, runs_only, [&](const RunLockRow& row) {
    auto it = run_index.find(row.run_id);
    if (it == run_index.end()) return;
    LockEntry e{it->second, row.lock_id, row.model, row.material, row.slot, row.firmware};
    lock_index[it->second].emplace(e.lock_id, static_cast<std::uint32_t>(d.locks.size()));
    d.locks.push_back(std::move(e));
  });

  // The groups (or, from a version-1 journal, the sessions as groups of one) and the latency
  // histograms, restricted to the selected runs and scenarios.
  d.from_aggregates = journal.has_aggregates();
  Interner scenarios(d.scenarios), expects(d.expects), outcomes(d.outcomes);
  // Rows come ordered by run and lock, so the lock lookup is mostly "same as the last row".
  std::int64_t last_run = -1;
  std::size_t run = 0;
  constexpr std::uint32_t kNoLock = ~std::uint32_t{0};
  std::uint32_t last_lock = kNoLock;
  // Resolves (run_id, lock_id) to a lock entry; false when the run is not selected.
  auto lock_of = [&](std::int64_t run_id, std::string_view lock_id) {
    if (run_id != last_run) {
      auto it = run_index.find(run_id);
      if (it == run_index.end()) return false;
      run = it->second;
      last_run = run_id;
    }
    if (last_lock == kNoLock || d.locks[last_lock].run != run ||
        d.locks[last_lock].lock_id != lock_id) {
      auto li = lock_index[run].find(std::string(lock_id));
      if (li == lock_index[run].end()) {
        // A session of a lock the run never recorded: keep it, with what is known.
        LockEntry e{run, std::string(lock_id), "(unknown)", "(unknown)", "", ""};
        li = lock_index[run].emplace(e.lock_id, static_cast<std::uint32_t>(d.locks.size())).first;
        d.locks.push_back(std::move(e));
      }
      last_lock = li->second;
    }
    return true;
  };
  auto read_group = [&](const SessionGroupRow& g, SessionRow& s) {
    s.lock = last_lock;
    s.scenario = scenarios.id(g.scenario);
    s.expect = expects.id(g.expect);
    s.result = g.result == result_name(SessionResult::pass)        ? Result::pass
               : g.result == result_name(SessionResult::rig_fault) ? Result::rig_fault
                                                                   : Result::fail;
    s.outcome = outcomes.id(g.outcome);
    s.attempts = static_cast<std::int32_t>(g.attempts);
    s.sli_eligible = g.sli_eligible;
    s.sli_success = g.sli_success;
    s.first_attempt_success = g.first_attempt_success;
    s.n = g.sessions;
    s.duration_ns = g.duration_ns;
  };
  // Issue 18 item 3: every run, read from the cross-run rollup when the journal has a valid one.
  // One read transaction, so a writer cannot mark it stale between the check and the reads.
  std::optional<Transaction> rollup_read;
  if (d.from_aggregates && every_run && !runs_told_apart && latency_keys) {
    rollup_read.emplace(journal, "BEGIN");
    if (!rollup_usable(journal)) rollup_read.reset();
  }
  if (rollup_read) {
    d.sessions.reserve(d.locks.size() * 4);
    read_rollup_session_groups(journal, scope.scenarios, [&](const SessionGroupRow& g) {
      if (!lock_of(g.run_id, g.lock_id)) return;
      SessionRow s;
      read_group(g, s);
      d.sessions.push_back(s);
    });
    read_rollup_run_sessions(journal, scope.scenarios, [&](std::int64_t id, std::int64_t n) {
      if (auto it = run_index.find(id); it != run_index.end()) d.runs[it->second].sessions = n;
    });
    LatencyFold fold(d, *latency_keys);
    read_rollup_latency_groups(journal, scope.scenarios, [&](const LatencyHistRow& h) {
      if (!lock_of(h.run_id, h.lock_id)) return;
      fold.add(last_lock, scenarios.id(h.scenario), h.pairs);
    });
    fold.flush(d.latency);
    rollup_read->commit();
  } else if (d.from_aggregates) {
    // Sized once (issue 18): growing it row by row was 8% of `report`'s perf samples at 460
    // runs. Reserved, not touched: only the pages the rows fill are ever faulted in, so a
    // generous bound per lock entry (12 groups each in the 460-run benchmark journal) costs
    // nothing, where counting the rows first read all of agg_sessions once more.
    d.sessions.reserve(d.locks.size() * 64);
    read_session_groups(journal, scope, true, [&](const SessionGroupRow& g) {
      if (!lock_of(g.run_id, g.lock_id)) return;
      SessionRow s;
      read_group(g, s);
      if (s.n <= 0) return;
      d.runs[run].sessions += s.n;
      d.sessions.push_back(s);
    });
    if (latency_keys) {
      // Issue 18 item 3: summed per lock id and the caller's keys as they are read (a few
      // thousand bins at 10 M attempts in 460 runs, instead of 923,680).
      LatencyFold fold(d, *latency_keys);
      read_latency_groups(journal, scope, [&](const LatencyHistRow& h) {
        if (!lock_of(h.run_id, h.lock_id)) return;
        fold.add(last_lock, scenarios.id(h.scenario), h.pairs);
      });
      fold.flush(d.latency);
    } else {
      // Sized once: at 10 M attempts in 40 runs these are 530,870 bins, and growing the vector
      // bin by bin (with a lookup per bin) was most of the report's time (issue 18).
      d.latency.reserve(static_cast<std::size_t>(latency_pair_hint(journal, scope)));
      read_latency_groups(journal, scope, [&](const LatencyHistRow& h) {
        if (!lock_of(h.run_id, h.lock_id)) return;
        const std::uint32_t scenario = scenarios.id(h.scenario);
        for (const LatencyPair& p : h.pairs)
          if (p.sessions > 0) d.latency.push_back({last_lock, scenario, p.bucket_ns, p.sessions});
      });
    }
  } else {
    // Version 1: every session, bucketed here exactly as the schema-2 triggers would.
    {
      // Growing the vector row by row copies it over and over; the id range bounds the count.
      const long long n = session_id_span(journal);
      const double share = every_run ? 1.0 : static_cast<double>(d.runs.size()) / runs_in_journal;
      d.sessions.reserve(static_cast<std::size_t>(static_cast<double>(n) * share * 1.05) + 16);
    }
    std::map<std::tuple<std::uint32_t, std::uint32_t, std::int64_t>, std::int64_t> bins;
    read_session_groups(journal, scope, false, [&](const SessionGroupRow& g) {
      if (!lock_of(g.run_id, g.lock_id)) return;
      SessionRow s;
      read_group(g, s);
      ++d.runs[run].sessions;
      d.sessions.push_back(s);
      if (s.in_sli() && s.sli_success)
        ++bins[{s.lock, s.scenario, latency_bucket_ns(s.duration_ns)}];
    });
    for (const auto& [key, n] : bins)
      d.latency.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), n});
  }
  // Issue 14: the sweep sessions (the Range section), which the groups above leave out.
  read_sweep_groups(journal, scope, [&](const SweepGroupRow& g) {
    if (g.sessions <= 0 || !lock_of(g.run_id, g.lock_id)) return;
    SweepRow w;
    w.lock = last_lock;
    w.scenario = scenarios.id(g.scenario);
    w.level_db = g.level_db;
    w.result = g.result == result_name(SessionResult::pass)        ? Result::pass
               : g.result == result_name(SessionResult::rig_fault) ? Result::rig_fault
                                                                   : Result::fail;
    w.n = g.sessions;
    d.sweeps.push_back(w);
  });
  if (!selection.scenarios.empty()) {
    std::vector<std::string> missing;
    for (const auto& name : selection.scenarios)
      if (std::find(d.scenarios.begin(), d.scenarios.end(), name) == d.scenarios.end())
        missing.push_back(name);
    if (!missing.empty()) {
      const std::vector<std::string> present =
          scenarios_present(journal, runs_only, d.from_aggregates);
      throw UsageError("--scenario " + quote(missing.front()) +
                       " has no sessions in the selected runs" +
                       did_you_mean(missing.front(), present) +
                       "; scenarios there: " + list_values(present, 30));
    }
  }

  read_run_events(journal, runs_only, {EventKind::rig_fault, EventKind::quarantine},
                  [&](const RunEventRow& row) {
                    auto it = run_index.find(row.run_id);
                    if (it == run_index.end()) return;
                    const EventRow& e = row.event;
                    d.rig_fault_events.push_back(FaultEvent{it->second, e.lock_id, e.t.count(),
                                                            e.kind, e.target, e.value, e.detail});
                  });
  return d;
}

AttributeView::AttributeView(const Dataset& d, const std::string& key, const std::string& option)
    : d_(&d), key_(key) {
  if (key == "scenario") {
    by_scenario_ = true;
    return;
  }
  const auto& builtin = builtin_attributes();
  const bool is_builtin = std::find(builtin.begin(), builtin.end(), key) != builtin.end();
  if (!is_builtin &&
      std::find(d.label_keys.begin(), d.label_keys.end(), key) == d.label_keys.end()) {
    std::vector<std::string> known = builtin;
    known.insert(known.end(), d.label_keys.begin(), d.label_keys.end());
    throw UsageError(option + ": unknown attribute " + quote(key) + did_you_mean(key, known) +
                     "; attributes: " + join(builtin, ", ") +
                     (d.label_keys.empty()
                          ? std::string(" (the selected runs have no labels)")
                          : "; labels of the selected runs: " + join(d.label_keys, ", ")));
  }
  per_lock_.resize(d.locks.size(), nullptr);
  for (std::size_t i = 0; i < d.locks.size(); ++i) {
    const LockEntry& l = d.locks[i];
    const RunRecord& r = d.runs[l.run];
    const std::string* v = nullptr;
    if (key == "firmware")
      v = l.firmware.empty() ? nullptr : &l.firmware;
    else if (key == "model")
      v = &l.model;
    else if (key == "material")
      v = &l.material;
    else if (key == "lock")
      v = &l.lock_id;
    else if (key == "slot")
      v = &l.slot;
    else if (key == "rig")
      v = &r.rig;
    else if (key == "run")
      v = &r.uuid;
    else {
      auto it = r.labels.find(key);
      if (it != r.labels.end()) v = &it->second;
    }
    per_lock_[i] = v;
  }
}

FilterSet::FilterSet(const Dataset& d, const std::vector<Filter>& filters,
                     const std::string& option) {
  for (const auto& f : filters) {
    views_.emplace_back(d, f.key, option + " " + quote(f.text()));
    values_.push_back(f.value);
  }
}

bool FilterSet::matches(const SessionRow& s) const {
  for (std::size_t i = 0; i < views_.size(); ++i) {
    const std::string* v = views_[i].value(s);
    if (!v || *v != values_[i]) return false;
  }
  return true;
}

}  // namespace lockrig::reports
