#include "rig/journal/latency_hist.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "rig/base/text.hpp"
#include "rig/journal/journal.hpp"
#include "rig/journal/open_guard.hpp"
#include "rig/journal/sql.hpp"

namespace lockrig {

namespace {

// The longest `hist` lockrig writes: below kJournalMaxValueBytes, which every journal connection
// enforces on reads. A run with a histogram that would not fit (thousands of buckets, latencies
// spread over many doublings) is left unpacked and read from agg_latency.
constexpr std::size_t kMaxHistBytes = kJournalMaxValueBytes - 1024;

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

// Reads one unsigned LEB128 varint at `at`; false when it runs past the end or past 64 bits.
// Inline, with a path of its own for one-byte numbers (most session counts): every packed
// histogram a reader takes goes through it.
inline bool get_varint(std::string_view s, std::size_t& at, std::uint64_t& v) {
  if (at < s.size() && static_cast<unsigned char>(s[at]) < 0x80) {
    v = static_cast<unsigned char>(s[at++]);
    return true;
  }
  v = 0;
  for (int shift = 0; at < s.size(); shift += 7) {
    const auto byte = static_cast<unsigned char>(s[at++]);
    if (shift == 63) {  // the tenth byte can only hold bit 63
      if (byte > 1) return false;
      v |= static_cast<std::uint64_t>(byte) << 63;
      return true;
    }
    v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if (byte < 0x80) return true;
  }
  return false;
}

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw JournalError("agg_latency_hist row (" + where + ") " + what);
}

std::string row_name(std::int64_t run, std::string_view lock, std::string_view scenario) {
  return "run_id=" + std::to_string(run) + ", lock_id=" + quote(lock.substr(0, 80)) +
         ", scenario=" + quote(scenario.substr(0, 80));
}

std::string in_list(const std::vector<std::string>& scenarios, int first) {
  std::string s;
  for (std::size_t i = 0; i < scenarios.size(); ++i)
    s += (i ? ",?" : "?") + std::to_string(first + static_cast<int>(i));
  return s;
}

}  // namespace

std::string encode_latency_hist(std::span<const LatencyPair> pairs) {
  std::string out;
  out.reserve(pairs.size() * 4);
  std::int64_t previous = 0;
  for (const auto& p : pairs) {
    put_varint(out, static_cast<std::uint64_t>(p.bucket_ns - previous));
    put_varint(out, static_cast<std::uint64_t>(p.sessions));
    previous = p.bucket_ns;
  }
  return out;
}

namespace {

// The checks of decode_checked, on the path every well-formed row takes (issue 18: decoding was
// 27% of `report`'s instructions at 460 runs, callgrind): one pass over the bytes, no message
// built. Returns false at the first thing decode_checked would refuse, leaving `out` as it was;
// the caller then runs decode_checked for the message.
bool decode_fast(std::string_view hist, std::int64_t buckets, std::int64_t sessions,
                 std::vector<LatencyPair>& out) {
  if (buckets < 1 || buckets > static_cast<std::int64_t>(hist.size())) return false;
  const std::size_t first = out.size();
  std::size_t at = 0;
  const auto max_total = static_cast<std::uint64_t>(kJournalMaxTotal);
  std::uint64_t bucket = 0, sum = 0;
  out.reserve(first + static_cast<std::size_t>(buckets));
  while (at < hist.size()) {
    std::uint64_t delta = 0, count = 0;
    const bool read = get_varint(hist, at, delta) && get_varint(hist, at, count);
    const auto b = static_cast<std::int64_t>(bucket + delta);  // used only once delta is in range
    const bool ok = read && (delta > 0 || out.size() == first) && delta <= max_total - bucket &&
                    latency_bucket_ns(b) == b && count >= 1 && count <= max_total - sum;
    if (!ok) {
      out.resize(first);
      return false;
    }
    bucket += delta;
    sum += count;
    out.push_back({b, static_cast<std::int64_t>(count)});
  }
  if (static_cast<std::int64_t>(out.size() - first) != buckets ||
      static_cast<std::int64_t>(sum) != sessions) {
    out.resize(first);
    return false;
  }
  return true;
}

// The whole check, pair by pair, naming what is wrong.
void decode_checked(std::string_view hist, std::int64_t buckets, std::int64_t sessions,
                    const std::string& where, std::vector<LatencyPair>& out) {
  if (buckets < 1 || buckets > static_cast<std::int64_t>(hist.size()))
    bad(where, "has buckets = " + std::to_string(buckets) + " for " +
                   std::to_string(hist.size()) + " bytes of histogram");
  std::size_t at = 0;
  std::uint64_t bucket = 0, sum = 0;
  std::int64_t n = 0;
  const auto max_total = static_cast<std::uint64_t>(kJournalMaxTotal);
  while (at < hist.size()) {
    std::uint64_t delta = 0, count = 0;
    if (!get_varint(hist, at, delta) || !get_varint(hist, at, count))
      bad(where, "has a histogram that ends inside a number (byte " + std::to_string(at) + ")");
    if ((n > 0 && delta == 0) || delta > max_total - bucket)
      bad(where, "has buckets out of order or out of range at pair " + std::to_string(n + 1));
    bucket += delta;
    const auto b = static_cast<std::int64_t>(bucket);
    if (latency_bucket_ns(b) != b)
      bad(where, "has " + std::to_string(b) + " ns, which is not a latency bucket, at pair " +
                     std::to_string(n + 1));
    if (count < 1 || count > max_total - sum)
      bad(where, "has " + std::to_string(count) + " sessions at pair " + std::to_string(n + 1));
    sum += count;
    out.push_back({b, static_cast<std::int64_t>(count)});
    ++n;
  }
  if (n != buckets || static_cast<std::int64_t>(sum) != sessions)
    bad(where, "holds " + std::to_string(n) + " buckets of " + std::to_string(sum) +
                   " sessions where its columns say " + std::to_string(buckets) + " and " +
                   std::to_string(sessions));
}

}  // namespace

bool try_decode_latency_hist(std::string_view hist, std::int64_t buckets, std::int64_t sessions,
                             std::vector<LatencyPair>& out) {
  return decode_fast(hist, buckets, sessions, out);
}

void decode_latency_hist(std::string_view hist, std::int64_t buckets, std::int64_t sessions,
                         const std::string& where, std::vector<LatencyPair>& out) {
  if (decode_fast(hist, buckets, sessions, out)) return;
  decode_checked(hist, buckets, sessions, where, out);  // throws, naming `where`
}

bool pack_run_latency(sqlite3* db, std::int64_t run) {
  SqlStatement del(db, "DELETE FROM agg_latency_hist WHERE run_id = ?1", "unpack latency");
  del.bind(1, run);
  del.step();
  SqlStatement q(db,
                 "SELECT lock_id, scenario, bucket_ns, sessions, typeof(bucket_ns), "
                 "typeof(sessions) FROM agg_latency WHERE run_id = ?1 ORDER BY lock_id, scenario, "
                 "bucket_ns",
                 "pack latency");
  q.bind(1, run);
  struct Hist {
    std::string lock, scenario;
    std::vector<LatencyPair> pairs;
    std::int64_t sessions = 0;
  };
  std::vector<Hist> hists;
  while (q.step()) {
    const std::int64_t b = q.integer(2), n = q.integer(3);
    if (q.view(4) != "integer" || q.view(5) != "integer" || latency_bucket_ns(b) != b || n < 1 ||
        n > kJournalMaxTotal)
      return false;
    if (hists.empty() || hists.back().lock != q.view(0) || hists.back().scenario != q.view(1))
      hists.push_back({q.text(0), q.text(1), {}, 0});
    Hist& h = hists.back();
    if (h.sessions > kJournalMaxTotal - n) return false;
    h.pairs.push_back({b, n});
    h.sessions += n;
  }
  std::vector<std::string> blobs;
  blobs.reserve(hists.size());
  for (const auto& h : hists) {
    blobs.push_back(encode_latency_hist(h.pairs));
    if (blobs.back().size() > kMaxHistBytes) return false;
  }
  SqlStatement ins(db,
                   "INSERT INTO agg_latency_hist (run_id, lock_id, scenario, buckets, sessions, "
                   "hist) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                   "pack latency");
  for (std::size_t i = 0; i < hists.size(); ++i) {
    ins.bind(1, run).bind(2, hists[i].lock).bind(3, hists[i].scenario);
    ins.bind(4, static_cast<std::int64_t>(hists[i].pairs.size())).bind(5, hists[i].sessions);
    sqlite3_bind_blob(ins.get(), 6, blobs[i].data(), static_cast<int>(blobs[i].size()),
                      SQLITE_STATIC);
    ins.step();
    ins.reset();
  }
  return true;
}

void pack_finished_runs(sqlite3* db) {
  std::vector<std::int64_t> over;
  {
    SqlStatement s(db, "SELECT id FROM runs WHERE status <> 'running' ORDER BY id",
                   "list the runs that are over");
    while (s.step()) over.push_back(s.integer(0));
  }
  for (const auto run : over) pack_run_latency(db, run);
}

namespace {

[[noreturn]] void refuse_packed_row(const std::string& path, const JournalError& e) {
  throw JournalError("journal " + quote(path) + " has an " + e.what() +
                     "; refusing to read it (lockrig check --journal compares it with "
                     "agg_latency; deleting the table's rows makes readers use agg_latency)");
}

}  // namespace

void read_latency_hists(sqlite3* db, int schema_version,
                        const std::optional<std::vector<std::int64_t>>& runs,
                        const std::vector<std::string>& scenarios,
                        const std::function<void(const LatencyHistRow&)>& row,
                        const std::string& journal_path) {
  std::vector<std::int64_t> ids;
  if (runs) {
    ids = *runs;
    std::sort(ids.begin(), ids.end());
  } else {
    SqlStatement q(db, "SELECT id FROM runs ORDER BY id", "list runs");
    while (q.step()) ids.push_back(q.integer(0));
  }
  const std::string only =
      scenarios.empty() ? std::string() : " AND scenario IN (" + in_list(scenarios, 2) + ")";
  auto bind = [&](SqlStatement& s, std::int64_t run) {
    s.reset();
    s.bind(1, run);
    for (std::size_t i = 0; i < scenarios.size(); ++i)
      s.bind(static_cast<int>(i + 2), scenarios[i]);
  };
  std::optional<SqlStatement> packed;
  if (schema_version >= 4)
    packed.emplace(db,
                   "SELECT lock_id, scenario, buckets, sessions, hist FROM agg_latency_hist "
                   "WHERE run_id = ?1" +
                       only + " ORDER BY lock_id, scenario",
                   "read latency histograms");
  SqlStatement rows(db,
                    "SELECT lock_id, scenario, bucket_ns, sessions FROM agg_latency WHERE "
                    "run_id = ?1" +
                        only + " ORDER BY lock_id, scenario, bucket_ns",
                    "read latency buckets");
  std::vector<LatencyPair> pairs;
  for (const std::int64_t run : ids) {
    bool found = false;
    if (packed) {
      bind(*packed, run);
      while (packed->step()) {
        found = true;
        pairs.clear();
        const std::string_view hist = packed->blob(4);
        // The row's name is spelled out only for a row that is refused (building it for every
        // row was 2% of `report` at 460 runs).
        if (!try_decode_latency_hist(hist, packed->integer(2), packed->integer(3), pairs)) {
          try {
            decode_latency_hist(hist, packed->integer(2), packed->integer(3),
                                row_name(run, packed->view(0), packed->view(1)), pairs);
          } catch (const JournalError& e) {
            // The journal's own name, as the open guard's check names it.
            const char* file = sqlite3_db_filename(db, "main");
            refuse_packed_row(journal_path.empty() && file ? file : journal_path, e);
          }
        }
        row(LatencyHistRow{run, packed->view(0), packed->view(1), pairs});
      }
    }
    if (found) continue;
    // No packed rows: a run still being written, one a merge or a hand edit changed, or one
    // journaled before version 4. The buckets come in (lock, scenario, bucket) order.
    bind(rows, run);
    std::string lock, scenario;
    pairs.clear();
    auto flush = [&] {
      if (!pairs.empty()) row(LatencyHistRow{run, lock, scenario, pairs});
      pairs.clear();
    };
    while (rows.step()) {
      if (rows.view(0) != lock || rows.view(1) != scenario) {
        flush();
        lock = rows.text(0);
        scenario = rows.text(1);
      }
      pairs.push_back({rows.integer(2), rows.integer(3)});
    }
    flush();
  }
}

void check_latency_hists(sqlite3* db, const std::string& path) {
  SqlStatement q(db,
                 "SELECT run_id, lock_id, scenario, buckets, sessions, hist, typeof(run_id), "
                 "typeof(buckets), typeof(sessions), typeof(hist) FROM agg_latency_hist",
                 "check latency histograms");
  std::vector<LatencyPair> pairs;
  while (q.step()) {
    const std::string where = row_name(q.integer(0), q.view(1), q.view(2));
    if (q.view(6) != "integer" || q.view(7) != "integer" || q.view(8) != "integer" ||
        q.view(9) != "blob")
      throw JournalError("journal " + quote(path) + " has an agg_latency_hist row (" + where +
                         ") whose columns are not of lockrig's types; refusing to read it");
    pairs.clear();
    try {
      decode_latency_hist(q.blob(5), q.integer(3), q.integer(4), where, pairs);
    } catch (const JournalError& e) {
      refuse_packed_row(path, e);
    }
  }
}

std::vector<std::string> latency_hist_mismatches(sqlite3* db, std::size_t max_listed) {
  std::vector<std::string> out;
  // Packed rows per (run, lock, scenario) against agg_latency's rows of the same runs.
  using Key = std::tuple<std::int64_t, std::string, std::string>;
  std::map<Key, std::vector<LatencyPair>> kept;
  {
    SqlStatement q(db,
                   "SELECT run_id, lock_id, scenario, buckets, sessions, hist FROM "
                   "agg_latency_hist ORDER BY run_id, lock_id, scenario",
                   "check latency histograms");
    while (q.step()) {
      const Key k{q.integer(0), q.text(1), q.text(2)};
      std::vector<LatencyPair> pairs;
      try {
        decode_latency_hist(q.blob(5), q.integer(3), q.integer(4),
                            row_name(q.integer(0), q.view(1), q.view(2)), pairs);
      } catch (const JournalError& e) {
        if (out.size() < max_listed) out.push_back(e.what());
      }
      kept[k] = std::move(pairs);
    }
  }
  std::map<Key, std::vector<LatencyPair>> again;
  {
    SqlStatement q(db,
                   "SELECT a.run_id, a.lock_id, a.scenario, a.bucket_ns, a.sessions FROM "
                   "agg_latency a WHERE a.run_id IN (SELECT DISTINCT run_id FROM "
                   "agg_latency_hist) ORDER BY 1, 2, 3, 4",
                   "check latency histograms");
    while (q.step())
      again[Key{q.integer(0), q.text(1), q.text(2)}].push_back({q.integer(3), q.integer(4)});
  }
  auto describe = [](const Key& k) {
    return row_name(std::get<0>(k), std::get<1>(k), std::get<2>(k));
  };
  for (const auto& [k, pairs] : kept) {
    if (out.size() >= max_listed) break;
    const auto it = again.find(k);
    if (it == again.end())
      out.push_back(describe(k) + ": packed, but agg_latency has no buckets for it");
    else if (it->second != pairs)
      out.push_back(describe(k) + ": the packed buckets differ from agg_latency's");
  }
  for (const auto& [k, pairs] : again) {
    if (out.size() >= max_listed) break;
    if (!kept.count(k))
      out.push_back(describe(k) + ": in agg_latency, missing from the run's packed rows");
  }
  return out;
}

}  // namespace lockrig
