// Progress of a long run: a redrawn bar on a terminal, plain lines every few seconds otherwise
// (journald, CI logs).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "rig/engine/runner.hpp"

namespace lockrig {

enum class ProgressMode { automatic, bar, lines, off };

class ProgressPrinter final : public RunObserver {
 public:
  ProgressPrinter(std::FILE* out, ProgressMode mode);
  void started(const Plan& plan, const std::string& uuid, bool virtual_clock) override;
  void progress(const RunCounters& c, long long planned) override;
  void message(const std::string& text) override;
  void finish();

  // "[=====>    ]  1234/5000 sessions  SLI 99.20%  rig faults 0  ETA 0:12", for a given width.
  static std::string format_bar(const RunCounters& c, long long planned, double elapsed_s, int width);

 private:
  std::FILE* out_;
  bool bar_;
  bool journal_ = false;
  bool enabled_;
  bool bar_drawn_ = false;
  std::string last_printed_;  // the last bar or line, not repeated when nothing changed
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_line_;
};

}  // namespace lockrig
