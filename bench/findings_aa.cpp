// How often `lockrig report` shows a "significant" headline finding on an A/A night (issue 11
// item 7): both "versions" are the same build, so every such finding is a false alarm. Each night
// is written to a real journal through lockrig::Journal (the writes `lockrig run` makes) and
// reported through cmd_report, the function `lockrig report` runs, in text; the bench counts the
// findings the report prints, by their sentence:
//
//   sli         "Within strata the candidate is significantly ..."   (stratified SLI difference)
//   latency     "Unlock latency shifted"                              (Mann-Whitney)
//   homogeneity "The strata disagree"                                 (Breslow-Day)
//   locks       "Significantly worse than their peers"               (per-lock flags)
//   simpson     "The pooled and the stratified comparisons disagree" (not a test: the mixes are
//               identical here, so it must never fire)
//
// The same source measures the code before and after a change (it only reads printed text).
// A night: 4 door materials x 3 locks per version x --per SLI sessions per lock, every session
// failing with probability 1 - --rate and, when it succeeds, taking a log-normal unlock time
// (median 800 ms, sigma 0.35), identical for both versions.
//
// Usage: findings_aa [--nights 300] [--per 50] [--rate 0.995] [--seed 1]
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "reports/stats/proportion.hpp"
#include "reports/commands.hpp"
#include "rig/base/errors.hpp"
#include "rig/journal/journal.hpp"

using namespace lockrig;
namespace fs = std::filesystem;

namespace {

const char* kMaterials[] = {"wood", "glass", "aluminium", "steel"};
const char* kFirmware[] = {"2.4.0", "2.4.1"};
constexpr int kLocksPerMaterial = 3;

void write_night(Journal& j, long per, double fail, std::mt19937_64& rng) {
  RunRecord info;
  info.uuid = "00000000-0000-4000-8000-000000000001";
  info.host = "bench";
  info.rig = "bench-rig";
  info.started_at = "2026-11-01T08:00:00.000Z";
  info.clock = "virtual";
  info.fixture_source = "fixture.yaml";
  info.fixture_sha256 = info.scenarios_sha256 = "0";
  info.controller_version = "bench";
  info.command_line = "lockrig run";
  const std::int64_t run = j.begin_run(info);
  std::vector<LockRow> rows;
  auto lock_id = [](const char* m, const char* fw, int k) {
    return std::string(m) + "-" + fw + "-" + std::to_string(k);
  };
  for (const char* m : kMaterials)
    for (const char* fw : kFirmware)
      for (int k = 0; k < kLocksPerMaterial; ++k)
        rows.push_back(
            LockRow{lock_id(m, fw, k), "Acme Bolt 3", m, "A1", "sim", fw, "Acme Bolt 3", "acme"});
  j.record_locks(run, rows);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::lognormal_distribution<double> wait(std::log(800.0), 0.35);
  for (const char* m : kMaterials)
    for (const char* fw : kFirmware)
      for (int k = 0; k < kLocksPerMaterial; ++k)
        for (long i = 0; i < per; ++i) {
          SessionRecord s;
          s.lock_id = lock_id(m, fw, k);
          s.scenario = "daily-unlock";
          s.repetition = static_cast<int>(i + 1);
          s.expect = "success";
          s.within = Duration(10'000'000'000);
          s.started = Duration(static_cast<std::int64_t>(i + 1) * 20'000'000'000);
          const bool ok = u(rng) >= fail;
          s.sli_eligible = true;
          s.sli_success = ok;
          s.first_attempt_success = ok;
          s.result = ok ? SessionResult::pass : SessionResult::fail;
          s.outcome = ok ? "success" : "timeout";
          const double ms = ok ? wait(rng) : 10'000.0;
          s.ended = s.started + Duration(static_cast<std::int64_t>(ms * 1e6));
          AttemptRecord at;
          at.number = 1;
          at.outcome = s.outcome;
          at.phase = "unlock";
          s.attempts.push_back(at);
          j.commit(run, JournalBatch{{}, s});
        }
  j.finish_run(run, "completed", 0, "2026-11-01T09:00:00.000Z", 60.0);
}


void line(const char* what, long k, long n) {
  const lockrig::stats::Interval w = lockrig::stats::wilson_interval({k, n});
  std::printf("  %-44s %6.2f%%  [%5.2f, %5.2f]  (%ld / %ld)\n", what, 100.0 * k / n, 100.0 * w.lower,
              100.0 * w.upper, k, n);
}

fs::path temp_dir() {
  char tmpl[] = "/dev/shm/findings-aa-XXXXXX";
  if (!fs::is_directory("/dev/shm")) std::snprintf(tmpl, sizeof tmpl, "/tmp/fiaa-XXXXXX");
  return fs::path(mkdtemp(tmpl));
}

}  // namespace

int main(int argc, char** argv) {
  long nights = 300, per = 50;
  double rate = 0.995;
  std::uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", a.c_str());
      return 2;
    }
    const std::string v = argv[++i];
    if (a == "--nights") nights = std::stol(v);
    else if (a == "--per") per = std::stol(v);
    else if (a == "--rate") rate = std::stod(v);
    else if (a == "--seed") seed = std::stoull(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  struct Kind {
    const char* name;
    const char* sentence;
    long nights = 0;
  };
  std::vector<Kind> kinds = {
      {"sli: stratified SLI difference (CMH)", "Within strata the candidate is significantly"},
      {"latency: latency shift (Mann-Whitney)", "Unlock latency shifted"},
      {"homogeneity: strata disagree (Breslow-Day)", "The strata disagree"},
      {"locks: a lock worse than its peers", "Significantly worse than their peers"},
  };
  Kind simpson{"simpson warning (identical mixes)",
               "The pooled and the stratified comparisons disagree"};
  long any = 0, usage = 0;
  const fs::path dir = temp_dir();
  std::mt19937_64 rng(seed);
  const auto t0 = std::chrono::steady_clock::now();
  for (long n = 0; n < nights; ++n) {
    const fs::path db = dir / "night.db";
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db.string() + suffix);
    {
      Journal j = Journal::open(db.string());
      write_night(j, per, 1.0 - rate, rng);
    }
    std::ostringstream out;
    try {
      reports::cmd_report({"--db", db.string(), "--baseline", "firmware=2.4.0", "--candidate",
                           "firmware=2.4.1"},
                          out);
    } catch (const UsageError& e) {
      std::fprintf(stderr, "report: %s\n", e.what());
      ++usage;
      continue;
    }
    const std::string text = out.str();
    bool found = false;
    for (auto& k : kinds)
      if (text.find(k.sentence) != std::string::npos) {
        ++k.nights;
        found = true;
      }
    if (text.find(simpson.sentence) != std::string::npos) ++simpson.nights;
    any += found ? 1 : 0;
  }
  fs::remove_all(dir);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("lockrig report (cmd_report) on %ld simulated A/A nights: 4 materials x %d locks x "
              "%ld SLI sessions per version (%ld per version), SLI %.2f%%, seed %llu; share of "
              "nights with the finding, 95%% Wilson interval:\n",
              nights, kLocksPerMaterial, per, 4 * kLocksPerMaterial * per, 100.0 * rate,
              static_cast<unsigned long long>(seed));
  for (const auto& k : kinds) line(k.name, k.nights, nights);
  line("ANY significant headline finding", any, nights);
  line(simpson.name, simpson.nights, nights);
  if (usage) std::printf("  (%ld reports ended in a usage error)\n", usage);
  std::printf("(%.0f s)\n", secs);
  return 0;
}
