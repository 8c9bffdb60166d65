// TCP connection to a network instrument (see tcp_stream.hpp).
#include "drivers/net/tcp_stream.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <utility>

#include "rig/base/text.hpp"

namespace lockrig::drivers::net {

namespace {

using SteadyClock = std::chrono::steady_clock;

int poll_ms(SteadyClock::time_point deadline) {
  const double ms = std::ceil(to_ms(deadline - SteadyClock::now()));
  return ms < 0 ? 0 : static_cast<int>(std::min(ms, 3.6e6));
}

// What an operator can do about a failed connection.
std::string hint_for(int err) {
  switch (err) {
    case ECONNREFUSED:
      return " (is the instrument on, and is its LAN interface listening on this port?)";
    case EHOSTUNREACH:
    case ENETUNREACH:
      return " (is the instrument on this network? check its IP address)";
    case ECONNRESET:
    case EPIPE:
      return " (did the instrument reboot, or did another client take the connection?)";
    default:
      return "";
  }
}

struct AddrInfoDeleter {
  void operator()(addrinfo* ai) const { freeaddrinfo(ai); }
};

}  // namespace

std::string TcpAddress::str() const {
  const bool v6 = host.find(':') != std::string::npos;
  return "tcp://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<TcpAddress> parse_tcp_address(std::string_view text) {
  constexpr std::string_view kScheme = "tcp://";
  if (text.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  std::string_view rest = text.substr(kScheme.size());
  TcpAddress out;
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port_text = rest.substr(1);
      if (port_text.empty()) return std::nullopt;
    }
  } else {
    const std::size_t colon = rest.find(':');
    out.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = rest.substr(colon + 1);
      if (port_text.empty()) return std::nullopt;
    }
  }
  if (out.host.empty()) return std::nullopt;
  for (char c : out.host)
    if (c == '/' || c == ' ' || c == '@' || c == '[' || c == ']') return std::nullopt;
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535)
      return std::nullopt;
    out.port = static_cast<std::uint16_t>(port);
  }
  return out;
}

TcpStream::TcpStream(const TcpAddress& address, Duration timeout, std::string component,
                     std::string what)
    : component_(std::move(component)), what_(std::move(what)), address_(address.str()) {
  const std::string cannot = "cannot connect to " + what_ + " at " + address_ + ": ";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  const std::string service = std::to_string(address.port);
  if (int rc = ::getaddrinfo(address.host.c_str(), service.c_str(), &hints, &raw); rc != 0)
    throw NetError(component_, address_,
                   cannot + "cannot resolve " + quote(address.host) + ": " + gai_strerror(rc));
  std::unique_ptr<addrinfo, AddrInfoDeleter> list(raw);

  const auto deadline = SteadyClock::now() + timeout;
  int last_error = ETIMEDOUT;
  for (addrinfo* ai = list.get(); ai; ai = ai->ai_next) {
    const int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    int err = 0;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        int ready;
        do ready = ::poll(&p, 1, poll_ms(deadline));
        while (ready < 0 && errno == EINTR);
        if (ready == 0) {
          err = ETIMEDOUT;
        } else {
          socklen_t len = sizeof err;
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        }
      }
    }
    if (err == 0) {
      fd_ = fd;
      // SCPI exchanges are short request/answer pairs: send each at once.
      const int one = 1;
      ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return;
    }
    ::close(fd);
    last_error = err;
    if (SteadyClock::now() >= deadline) break;
  }
  if (last_error == ETIMEDOUT)
    throw NetError(component_, address_,
                   cannot + "no connection within " + format_duration(timeout) +
                       " (is the instrument on this network? check its IP address)");
  throw NetError(component_, address_, cannot + std::strerror(last_error) + hint_for(last_error));
}

TcpStream::~TcpStream() {
  if (fd_ >= 0) ::close(fd_);
}

void TcpStream::fault(const std::string& message) const {
  throw NetError(component_, address_, what_ + " at " + address_ + ": " + message);
}

void TcpStream::write(std::string_view text, Duration timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (!text.empty()) {
    const ssize_t n = ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL);
    if (n > 0) {
      text.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, poll_ms(deadline)) == 0 && SteadyClock::now() >= deadline)
        fault("write timed out after " + format_duration(timeout) +
              " (the instrument stopped reading?)");
      continue;
    }
    const int err = errno;
    fault(std::string("cannot send: ") + std::strerror(err) + hint_for(err));
  }
}

TcpStream::Filled TcpStream::fill(SteadyClock::time_point deadline, std::string_view waiting_for,
                                   bool close_ends_answer) {
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, poll_ms(deadline));
    if (ready < 0) {
      if (errno == EINTR) continue;
      fault(std::string("cannot wait for input: ") + std::strerror(errno));
    }
    if (ready == 0) {
      if (SteadyClock::now() >= deadline) return Filled::timed_out;
      continue;
    }
    char buf[512];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      pending_.append(buf, static_cast<std::size_t>(n));
      return Filled::input;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n == 0) {
      if (close_ends_answer) return Filled::closed;
      fault("the instrument closed the connection (waiting for " + std::string(waiting_for) +
            "; did it reboot, or did another client take over?)");
    }
    const int err = errno;
    fault("the connection failed (waiting for " + std::string(waiting_for) +
          "): " + std::strerror(err) + hint_for(err));
  }
}

std::string TcpStream::read_until(std::string_view terminator, std::size_t max, Duration timeout,
                                  std::string_view waiting_for) {
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    const std::size_t at = pending_.find(terminator);
    if (at != std::string::npos) {
      std::string out = pending_.substr(0, at + terminator.size());
      pending_.erase(0, at + terminator.size());
      return out;
    }
    if (pending_.size() >= max)
      fault("answer longer than " + std::to_string(max) + " bytes without " + quote(terminator) +
            " (waiting for " + std::string(waiting_for) + "): " + quote(pending_));
    if (fill(deadline, waiting_for) == Filled::timed_out) {
      if (pending_.empty())
        fault("no answer within " + format_duration(timeout) + " (waiting for " +
              std::string(waiting_for) + ")");
      fault("incomplete answer within " + format_duration(timeout) + " (waiting for " +
            std::string(waiting_for) + ", got " + quote(pending_) + ")");
    }
  }
}

std::string TcpStream::read_until_closed(std::size_t max, Duration timeout,
                                         std::string_view waiting_for,
                                         const std::function<bool(std::string_view)>& complete) {
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    if (pending_.size() > max)
      fault("answer longer than " + std::to_string(max) + " bytes (waiting for " +
            std::string(waiting_for) + ")");
    switch (fill(deadline, waiting_for, true)) {
      case Filled::input:
        if (complete && complete(pending_)) return std::exchange(pending_, {});
        continue;
      case Filled::closed:
        return std::exchange(pending_, {});
      case Filled::timed_out:
        if (pending_.empty())
          fault("no answer within " + format_duration(timeout) + " (waiting for " +
                std::string(waiting_for) + ")");
        fault("the answer did not end within " + format_duration(timeout) + " (waiting for " +
              std::string(waiting_for) + ", got " + quote(pending_.substr(0, 200)) + ")");
    }
  }
}

void TcpStream::discard_input() {
  pending_.clear();
  char buf[512];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) continue;
    // A closed or reset connection is reported by the next read or write, with its context.
    return;
  }
}

}  // namespace lockrig::drivers::net
