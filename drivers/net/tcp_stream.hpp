// A TCP connection to an instrument on the network (SCPI over a raw socket, port 5025): deadlines
// on connect, every write and every read, and one exception type (NetError) for anything the
// connection does wrong. The counterpart of serial::SerialPort for parts reached by address.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "drivers/rig_fault.hpp"
#include "rig/base/clock.hpp"

namespace lockrig::drivers::net {

// Raw SCPI sockets listen here by convention (Keysight, R&S, Rigol, Siglent LAN interfaces).
inline constexpr std::uint16_t kScpiRawPort = 5025;

struct TcpAddress {
  std::string host;
  std::uint16_t port = kScpiRawPort;

  std::string str() const;  // "tcp://10.0.0.5:5025"
};

// "tcp://HOST:PORT" or "tcp://HOST" (port 5025); HOST is a name, an IPv4 address or [IPv6].
// nullopt on anything else.
std::optional<TcpAddress> parse_tcp_address(std::string_view text);

// The connection failed: refused, reset, closed, silent. A rig fault: the rig's own instrument
// or network misbehaved, never the lock under test.
class NetError : public RigFault {
 public:
  NetError(std::string component, std::string address, const std::string& message)
      : RigFault(std::move(component), message), address_(std::move(address)) {}
  const std::string& address() const { return address_; }

 private:
  std::string address_;
};

class TcpStream {
 public:
  // Connects within `timeout`. `component` is the fixture id errors blame; `what` names the
  // instrument in messages ("Siglent SPD3303X").
  TcpStream(const TcpAddress& address, Duration timeout, std::string component, std::string what);
  ~TcpStream();
  TcpStream(const TcpStream&) = delete;
  TcpStream& operator=(const TcpStream&) = delete;

  const std::string& address() const { return address_; }
  const std::string& what() const { return what_; }

  void write(std::string_view text, Duration timeout);
  // Everything up to and including `terminator` (at most `max` bytes).
  std::string read_until(std::string_view terminator, std::size_t max, Duration timeout,
                         std::string_view waiting_for);
  // Everything until the peer closes the connection (at most `max` bytes): an HTTP/1.0 answer,
  // whose end is the close. `complete`, when given, may end the read earlier (an answer that says
  // its own length, from a peer that keeps the connection open).
  std::string read_until_closed(std::size_t max, Duration timeout, std::string_view waiting_for,
                                const std::function<bool(std::string_view)>& complete = {});
  // Drops what arrived unasked (a late answer).
  void discard_input();

  [[noreturn]] void fault(const std::string& message) const;

 private:
  // What fill() saw: input appended to pending_, the deadline passed, or (only with
  // `close_ends_answer`) the peer closed the connection.
  enum class Filled { input, timed_out, closed };
  // Waits for input until `deadline`. Throws if the connection fails, and if the peer closes it
  // unless `close_ends_answer` (an HTTP/1.0 answer ends with the close).
  Filled fill(std::chrono::steady_clock::time_point deadline, std::string_view waiting_for,
              bool close_ends_answer = false);

  std::string component_;
  std::string what_;
  std::string address_;
  int fd_ = -1;
  std::string pending_;
};

}  // namespace lockrig::drivers::net
