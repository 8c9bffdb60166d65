// Log lines fit for where stderr goes. Under systemd, stderr is usually a stream to the journal:
// then each line carries its syslog priority as a "<N>" prefix (sd-daemon(3)), which journald
// strips and stores as PRIORITY, and nothing is redrawn (no progress bar, no ANSI escapes).
#pragma once

namespace lockrig {

enum class LogFormat { plain, journal };

// True when JOURNAL_STREAM (set by systemd) names the device:inode of stderr, i.e. stderr is
// connected to the journal (systemd.exec(5)).
bool stderr_is_journal();

void set_log_format(LogFormat format);
LogFormat log_format();

// syslog levels used by lockrig.
namespace log_level {
inline constexpr int err = 3, warning = 4, notice = 5, info = 6;
}

// "<N>" in journal format, "" in plain format.
const char* log_prefix(int level);

}  // namespace lockrig
