// Progress of a long run: a redrawn bar on a terminal, plain lines every few seconds otherwise
// (journald, CI logs).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "rig/base/terminal.hpp"
#include "rig/engine/runner.hpp"

namespace lockrig {

enum class ProgressMode { automatic, bar, lines, off };
// Colour of the bar (rig faults in red): ColorMode and its rule are rig/base/terminal.hpp's,
// shared with report, gate and slo.

class ProgressPrinter final : public RunObserver {
 public:
  ProgressPrinter(std::FILE* out, ProgressMode mode, ColorMode color = ColorMode::automatic);
  void started(const Plan& plan, const std::string& uuid, bool virtual_clock) override;
  void progress(const RunCounters& c, long long planned) override;
  void message(const std::string& text) override;
  void finish();

  // "[=====>    ]  1234/5000 sessions  SLI 99.20%  rig faults 0  ETA 0:12", for a given width.
  static std::string format_bar(const RunCounters& c, long long planned, double elapsed_s, int width);
  // The bar as drawn on a terminal `columns` wide: at most columns - 1 characters, so the cursor
  // never reaches the last column (where terminals wrap, and the next \r would return to the
  // start of the wrapped line, leaving a new line per redraw). The bar shrinks first (to 10),
  // then "rig faults 0", the word "sessions", the SLI and finally the bar itself are dropped.
  // `red` colours a non-zero rig-fault count (escape codes not counted in the width).
  static std::string fit_bar(const RunCounters& c, long long planned, double elapsed_s,
                             int columns, bool red = false);
  // The width of the terminal on `fd`: terminal_width (rig/base/terminal.hpp), the rule report,
  // gate and slo fit their text to.
  static int terminal_columns(int fd);

 private:
  std::FILE* out_;
  bool bar_;
  bool journal_ = false;
  bool enabled_;
  bool bar_drawn_ = false;
  bool color_ = false;
  std::string last_printed_;  // the last bar or line, not repeated when nothing changed
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_line_;
};

}  // namespace lockrig
