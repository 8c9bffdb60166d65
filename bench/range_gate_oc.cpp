// Operating characteristics of `lockrig gate --range-margin` (issue 14), measured through the real
// binary: each replicate writes a journal with lockrig::Journal (the rows `lockrig run` writes for
// a grid sweep: sessions with expect 'range', sli_eligible 0 and their sweep_sessions level),
// runs `lockrig gate --baseline firmware=2.4.0 --candidate firmware=2.4.1 --range-margin 2dB`
// as a child process and reads its RANGE verdict line and exit code.
//
// Simulated truth, per door material: success(x dB) = logistic(b0 - slope * x) (the logit link
// the gate fits by default), slope 0.5 per dB, so success falls from 99% to 50% over 9.2 dB. The
// baseline's 99% range margin is 64 dB on wood and 58 dB on steel; the candidate's is `loss` dB
// lower on both. Grid sweeps: wood 54..78 dB, steel 48..72 dB, step 2 dB (13 levels),
// `per` sessions per level, version and material. Every lock also has 300 SLI sessions, all
// successful, because `lockrig gate` compares SLI first (the range verdict line is read apart).
//
// Usage: range_gate_oc [--replicates 200] [--per 10,20,40] [--loss 0,3,4] [--margin 2dB]
//                      [--lockrig PATH] [--seed 1]
//        range_gate_oc [--loss 3] [--per 20] --write-journal PATH   (one journal, to look at)
// Prints per (loss, per) the share of PASS, FAIL, INCONCLUSIVE with Wilson 95% intervals.
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "reports/stats/proportion.hpp"
#include "rig/journal/journal.hpp"
#include "tests/support/sweep_records.hpp"

using namespace lockrig;
namespace fs = std::filesystem;

namespace {

struct Material {
  const char* name;
  double baseline_margin;  // dB where the baseline's success is 99%
  double first_level;      // the grid's first level
};
const Material kMaterials[] = {{"wood", 64.0, 54.0}, {"steel", 58.0, 48.0}};
constexpr double kSlope = 0.5;  // logit per dB
constexpr int kLevels = 13;
constexpr double kStep = 2.0;

double success_probability(double margin, double level) {
  const double eta = std::log(0.99 / 0.01) - kSlope * (level - margin);
  return 1.0 / (1.0 + std::exp(-eta));
}

// The rows `lockrig run` writes, from the helper the black-box tests share: session i of a lock
// starts at (i + 1) x 20 s and a failure is a timeout.
SessionRecord session(const std::string& lock, const std::string& scenario, long i, bool ok,
                      std::optional<double> level) {
  testing::SweepSessionShape shape;
  shape.fail_outcome = "timeout";
  shape.spacing = Duration(20'000'000'000);
  shape.duration = Duration(800'000'000);
  return testing::sweep_test_session(lock, scenario, static_cast<int>(i + 1), ok, level, shape);
}

void write_journal(const std::string& path, double loss, long per, std::mt19937_64& rng) {
  Journal j = Journal::open(path);
  const std::int64_t run = j.begin_run(testing::sweep_test_run("bench", "bench-rig", "bench"));
  std::vector<LockRow> rows;
  for (const auto& m : kMaterials)
    for (const char* fw : {"2.4.0", "2.4.1"})
      rows.push_back(LockRow{std::string(m.name) + "-" + fw, "Acme Bolt 3", m.name, "A1", "sim",
                             fw, "Acme Bolt 3", "acme"});
  j.record_locks(run, rows);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (const auto& m : kMaterials)
    for (const char* fw : {"2.4.0", "2.4.1"}) {
      const std::string lock = std::string(m.name) + "-" + fw;
      const double margin = m.baseline_margin - (std::string(fw) == "2.4.1" ? loss : 0.0);
      std::vector<JournalBatch> batch;
      long i = 0;
      for (int k = 0; k < kLevels; ++k) {
        const double level = m.first_level + kStep * k;
        const double p = success_probability(margin, level);
        for (long r = 0; r < per; ++r)
          batch.push_back(JournalBatch{{}, session(lock, "range-sweep", i++, u(rng) < p, level)});
      }
      for (long r = 0; r < 300; ++r)
        batch.push_back(JournalBatch{{}, session(lock, "daily-unlock", r, true, std::nullopt)});
      j.commit_group(run, batch);
    }
  j.finish_run(run, "completed", 0, "2026-12-01T09:00:00.000Z", 3600.0);
}

struct Outcome {
  std::string verdict;  // pass, fail, inconclusive, or "error"
  int exit_code = -1;
};

Outcome run_gate(const std::string& lockrig, const std::string& db, const std::string& margin) {
  const std::string cmd = "'" + lockrig + "' gate --db '" + db +
                          "' --baseline firmware=2.4.0 --candidate firmware=2.4.1 --range-margin " +
                          margin + " --color never --width 200 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  Outcome o;
  if (!p) return o;
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int status = pclose(p);
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  o.verdict = out.find("RANGE PASS:") != std::string::npos   ? "pass"
              : out.find("RANGE FAIL:") != std::string::npos ? "fail"
              : out.find("RANGE INCONCLUSIVE:") != std::string::npos
                  ? "inconclusive"
                  : "error";
  if (o.verdict == "error") std::fprintf(stderr, "%s\n", out.c_str());
  return o;
}

std::vector<double> numbers(const std::string& text) {
  std::vector<double> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stod(item));
  return out;
}

std::string share(long k, long n) {
  const stats::Interval w = stats::wilson_interval({k, n});
  char buf[64];
  std::snprintf(buf, sizeof buf, "%5.1f%% [%4.1f, %5.1f]", 100.0 * k / n, 100.0 * w.lower,
                100.0 * w.upper);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  long replicates = 200;
  std::string per_text = "10,20,40", loss_text = "0,3,4", margin = "2dB";
  std::string lockrig = (fs::canonical("/proc/self/exe").parent_path() / "lockrig").string();
  std::uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--replicates") replicates = std::stol(v);
    else if (a == "--per") per_text = v;
    else if (a == "--loss") loss_text = v;
    else if (a == "--margin") margin = v;
    else if (a == "--lockrig") lockrig = v;
    else if (a == "--seed") seed = std::stoull(v);
    else if (a == "--write-journal") {  // one journal (first --loss and --per) to look at
      std::mt19937_64 one(seed);
      write_journal(v, numbers(loss_text).front(), static_cast<long>(numbers(per_text).front()), one);
      return 0;
    }
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  char tmpl[] = "/dev/shm/range-gate-oc-XXXXXX";
  if (!fs::is_directory("/dev/shm")) std::snprintf(tmpl, sizeof tmpl, "/tmp/rgoc-XXXXXX");
  const fs::path dir(mkdtemp(tmpl));
  std::printf("lockrig gate --range-margin %s (alpha 0.05: 90%% interval), %ld replicates per "
              "cell, %s\n",
              margin.c_str(), replicates, lockrig.c_str());
  std::printf("%-8s %-14s %-22s %-22s %-22s %s\n", "loss dB", "per level", "P(PASS)", "P(FAIL)",
              "P(INCONCLUSIVE)", "exit codes seen");
  std::mt19937_64 rng(seed);
  for (double loss : numbers(loss_text))
    for (double per_d : numbers(per_text)) {
      const long per = static_cast<long>(per_d);
      long pass = 0, fail = 0, inconclusive = 0, errors = 0;
      long exits[8] = {};
      for (long r = 0; r < replicates; ++r) {
        const std::string db = (dir / "j.db").string();
        fs::remove(db);
        fs::remove(db + "-wal");
        fs::remove(db + "-shm");
        write_journal(db, loss, per, rng);
        const Outcome o = run_gate(lockrig, db, margin);
        if (o.exit_code >= 0 && o.exit_code < 8) ++exits[o.exit_code];
        if (o.verdict == "pass") ++pass;
        else if (o.verdict == "fail") ++fail;
        else if (o.verdict == "inconclusive") ++inconclusive;
        else ++errors;
      }
      std::string codes;
      for (int c = 0; c < 8; ++c)
        if (exits[c]) codes += (codes.empty() ? "" : " ") + std::to_string(c) + ":" +
                               std::to_string(exits[c]);
      char sessions[32];
      std::snprintf(sessions, sizeof sessions, "%ld (%ld/ver)", per, per * kLevels * 2);
      std::printf("%-8.1f %-14s %-22s %-22s %-22s %s%s\n", loss, sessions,
                  share(pass, replicates).c_str(), share(fail, replicates).c_str(),
                  share(inconclusive, replicates).c_str(), codes.c_str(),
                  errors ? (" errors " + std::to_string(errors)).c_str() : "");
      std::fflush(stdout);
    }
  fs::remove_all(dir);
  return 0;
}
