#include "rig/app/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "rig/base/log.hpp"

namespace lockrig {

ProgressPrinter::ProgressPrinter(std::FILE* out, ProgressMode mode, ColorMode color)
    : out_(out), start_(std::chrono::steady_clock::now()), last_line_(start_) {
  const bool tty = isatty(fileno(out)) != 0;
  color_ = use_color(color, tty);
  enabled_ = mode != ProgressMode::off;
  // Logging for journald: plain lines with priorities, never a redrawn bar.
  journal_ = log_format() == LogFormat::journal;
  bar_ = !journal_ && (mode == ProgressMode::bar || (mode == ProgressMode::automatic && tty));
}

void ProgressPrinter::started(const Plan& plan, const std::string& uuid, bool virtual_clock) {
  start_ = last_line_ = std::chrono::steady_clock::now();
  if (!enabled_) return;
  std::fprintf(out_, "%srun %s: %lld sessions planned on %zu locks in %zu parallel group(s), %s clock\n",
               log_prefix(log_level::info), uuid.c_str(), plan.total_sessions, plan.locks.size(), plan.groups.size(),
               virtual_clock ? "virtual" : "real");
  std::fflush(out_);
}

void ProgressPrinter::message(const std::string& text) {
  if (!enabled_) return;
  if (bar_drawn_) std::fputs("\r\033[K", out_);
  std::fprintf(out_, "%snote: %s\n", log_prefix(log_level::notice), text.c_str());
  bar_drawn_ = false;
  last_printed_.clear();  // the bar was wiped: draw it again next time
  std::fflush(out_);
}

std::string ProgressPrinter::format_bar(const RunCounters& c, long long planned, double elapsed_s,
                                        int width) {
  const double frac = planned > 0 ? std::min(1.0, static_cast<double>(c.sessions) / planned) : 1.0;
  const int filled = static_cast<int>(frac * width);
  std::string bar = "[";
  for (int i = 0; i < width; ++i) bar += i < filled ? '=' : (i == filled ? '>' : ' ');
  bar += "]";
  char sli[32] = "SLI   -   ";
  if (c.sli_sessions > 0)
    std::snprintf(sli, sizeof sli, "SLI %6.2f%%", 100.0 * c.sli_successes / c.sli_sessions);
  char eta[32] = "--:--";
  if (c.sessions > 0 && frac < 1.0) {
    const long long left = static_cast<long long>(elapsed_s * (1 - frac) / frac);
    std::snprintf(eta, sizeof eta, "%lld:%02lld", left / 60, left % 60);
  } else if (frac >= 1.0) {
    std::snprintf(eta, sizeof eta, "0:00");
  }
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s %lld/%lld sessions  %s  rig faults %lld  ETA %s", bar.c_str(),
                c.sessions, planned, sli, c.rig_faults, eta);
  return buf;
}

int ProgressPrinter::terminal_columns(int fd) {
  return terminal_width(fd);
}

// Sized after GNU Wget's bar, which "don't use the last column on the screen" (Wget's
// src/ChangeLog, 2001-12-06, progress.c bar_create) and takes the width from TIOCGWINSZ
// (determine_screen_width in Wget's utils.c).
std::string ProgressPrinter::fit_bar(const RunCounters& c, long long planned, double elapsed_s,
                                     int columns, bool red) {
  const int limit = std::max(columns, 2) - 1;
  // The parts beside the bar, as format_bar writes them.
  const std::string full = format_bar(c, planned, elapsed_s, 10);
  const auto part = [&](const char* from, const char* to) {
    const auto at = full.find(from);
    const auto end = to ? full.find(to, at) : std::string::npos;
    return full.substr(at, end == std::string::npos ? end : end - at);
  };
  const auto after_bar = full.find("] ") + 2;
  // "250/1000 sessions"
  std::string counts = full.substr(after_bar, full.find("  SLI") - after_bar);
  std::string sli = part("SLI", "  rig faults");
  std::string rigf = part("rig faults", "  ETA");
  const std::string eta = part("ETA", nullptr);
  const auto text_of = [&] {
    std::string t;
    using Parts = std::initializer_list<const std::string*>;
    for (const std::string* p : Parts{&counts, &sli, &rigf, &eta})
      if (!p->empty()) t += (t.empty() ? "" : "  ") + *p;
    return t;
  };
  // Drop optional parts until the text and a bar of at least 10 fit.
  const auto fits = [&] { return static_cast<int>(text_of().size()) + 1 + 12 <= limit; };
  if (!fits() && c.rig_faults == 0) rigf.clear();
  if (!fits()) counts = counts.substr(0, counts.find(' '));
  if (!fits()) sli.clear();
  const std::string text = text_of();
  std::string line;
  const int bar_width = limit - static_cast<int>(text.size()) - 3;  // "[", "]", " "
  if (bar_width >= 10) {
    const int w = std::min(bar_width, 40);
    line = format_bar(c, planned, elapsed_s, w).substr(0, static_cast<std::size_t>(w) + 2) + " " +
           text;
  } else {
    line = text.substr(0, static_cast<std::size_t>(limit));
  }
  if (red && c.rig_faults > 0 && !rigf.empty()) {
    const auto at = line.find(rigf);
    if (at != std::string::npos)
      line = line.substr(0, at) + paint(rigf, Colour::red) + line.substr(at + rigf.size());
  }
  return line;
}

void ProgressPrinter::progress(const RunCounters& c, long long planned) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (bar_) {
    // Fitted to the terminal's width now (it may have been resized), so \r\033[K redraws in place.
    std::string line = fit_bar(c, planned, elapsed, terminal_columns(fileno(out_)), color_);
    if (line == last_printed_) return;
    std::fprintf(out_, "\r\033[K%s", line.c_str());
    last_printed_ = std::move(line);
    bar_drawn_ = true;
    std::fflush(out_);
    return;
  }
  // Plain lines for logs: one every 10 s, plus the final one.
  if (now - last_line_ < std::chrono::seconds(10) && c.sessions < planned) return;
  std::string line = format_bar(c, planned, elapsed, 20);
  if (line == last_printed_) return;  // the final figures once, however often they are reported
  last_line_ = now;
  std::fprintf(out_, "%sprogress: %s\n", log_prefix(log_level::info), line.c_str());
  last_printed_ = std::move(line);
  std::fflush(out_);
}

void ProgressPrinter::finish() {
  if (enabled_ && bar_drawn_) std::fputc('\n', out_);
  bar_drawn_ = false;
  std::fflush(out_);
}

}  // namespace lockrig
