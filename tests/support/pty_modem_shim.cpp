// Test-only LD_PRELOAD shim. A pty has no modem lines, so the kernel answers TIOCMGET, TIOCMSET,
// TIOCMBIS and TIOCMBIC with ENOTTY, and libserialport refuses to open or configure the port.
// This ioctl() lets exactly those requests succeed when the real call fails with ENOTTY
// (reporting DTR, RTS, CTS and DSR up), so the real libserialport path runs against emulators.
// Every other request, and every modem request a real serial port supports, is untouched.
// Likewise USBTMC_IOCTL_SET_TIMEOUT succeeds on a pty, so a pty bind-mounted over /dev/usbtmc0
// stands in for a USBTMC instrument whose answers come in time (a pty has no read timeout, so it
// cannot stand in for a silent one).
#include <dlfcn.h>
#include <linux/usb/tmc.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>

namespace {

using IoctlFn = int (*)(int, unsigned long, ...);

IoctlFn real_ioctl() {
  static IoctlFn fn = reinterpret_cast<IoctlFn>(dlsym(RTLD_NEXT, "ioctl"));
  return fn;
}

bool is_modem_request(unsigned long request) {
  return request == TIOCMGET || request == TIOCMSET || request == TIOCMBIS || request == TIOCMBIC;
}

}  // namespace

extern "C" int ioctl(int fd, unsigned long request, ...) noexcept {
  va_list ap;
  va_start(ap, request);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  const int rc = real_ioctl()(fd, request, arg);
  if (rc == -1 && errno == ENOTTY && request == USBTMC_IOCTL_SET_TIMEOUT && isatty(fd)) {
    errno = 0;
    return 0;
  }
  if (rc != -1 || errno != ENOTTY || !is_modem_request(request)) return rc;
  if (request == TIOCMGET && arg != nullptr)
    *static_cast<int*>(arg) = TIOCM_DTR | TIOCM_RTS | TIOCM_CTS | TIOCM_DSR;
  errno = 0;
  return 0;
}
