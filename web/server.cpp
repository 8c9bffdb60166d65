#include "web/server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <poll.h>

#include <chrono>
#include <memory>
#include <thread>

#include "rig/base/errors.hpp"
#include "rig/base/text.hpp"

namespace lockrig::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// Constant-time comparison, so the token cannot be guessed byte by byte from response times.
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string cookie_value(std::string_view cookies, std::string_view name) {
  while (!cookies.empty()) {
    const auto semi = cookies.find(';');
    std::string_view part = cookies.substr(0, semi);
    cookies = semi == std::string_view::npos ? std::string_view() : cookies.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name &&
        part[name.size()] == '=')
      return std::string(part.substr(name.size() + 1));
  }
  return {};
}

// The token in the query (?token=...), and the target without it.
std::pair<std::string, std::string> split_token(const std::string& target) {
  const auto q = target.find('?');
  if (q == std::string::npos) return {target, ""};
  std::string rest, token;
  std::string_view query(target);
  query.remove_prefix(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.substr(0, 6) == "token=") {
      token = url_decode(part.substr(6)).value_or("");
      continue;
    }
    rest += (rest.empty() ? "" : "&") + std::string(part);
  }
  return {target.substr(0, q) + (rest.empty() ? "" : "?" + rest), token};
}

using Body = http::string_body;

// True when `fd` has something to read (or was closed) within `ms` milliseconds.
bool readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) > 0;
}

http::response<Body> to_http(const Response& r, unsigned version, bool keep_alive, bool head) {
  http::response<Body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "lockrig-serve");
  res.set(http::field::content_type, r.content_type);
  // No external assets, no inline scripts, no framing: a label that slipped through escaping
  // still could not run (defence in depth; every label is escaped).
  res.set("Content-Security-Policy",
          "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; "
          "img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  for (const auto& [k, v] : r.headers) res.set(k, v);
  res.keep_alive(keep_alive);
  if (head) {
    res.content_length(r.body.size());
  } else {
    res.body() = r.body;
    res.prepare_payload();
  }
  return res;
}

void session(tcp::socket socket, const Journals& journals, const ServerOptions& options) {
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    // A keep-alive connection idle for 30 s is closed, so idle clients hold no thread. (Asio's
    // blocking reads poll without a timeout, hence the explicit poll before each request.)
    if (buffer.size() == 0 && !readable(socket.native_handle(), 30000)) break;
    http::request_parser<http::empty_body> parser;
    parser.header_limit(16 * 1024);
    http::read(socket, buffer, parser, ec);
    if (ec) break;  // closed, timed out or malformed: nothing more to answer
    const auto& req = parser.get();
    const bool head = req.method() == http::verb::head;
    Response r;
    auto [target, query_token] = split_token(std::string(req.target()));
    bool set_cookie = false;
    if (!options.token.empty()) {
      std::string given;
      const auto auth = req[http::field::authorization];
      if (auth.size() > 7 && auth.substr(0, 7) == "Bearer ") given = std::string(auth.substr(7));
      if (given.empty()) {
        const auto c = req[http::field::cookie];
        given = cookie_value(std::string_view(c.data(), c.size()), "lockrig_token");
      }
      if (given.empty() && !query_token.empty()) {
        given = query_token;
        set_cookie = true;
      }
      if (!same_secret(given, options.token)) {
        r = {401,
             "text/plain; charset=utf-8",
             "lockrig serve: this server wants its token (Authorization: Bearer TOKEN, or open "
             "any page once with ?token=TOKEN)\n",
             {{"WWW-Authenticate", "Bearer"}}};
        set_cookie = false;
      }
    }
    if (r.status != 401) r = handle(journals, {std::string(req.method_string()), target});
    if (set_cookie)
      r.headers["Set-Cookie"] =
          "lockrig_token=" + options.token + "; HttpOnly; SameSite=Strict; Path=/";
    auto res = to_http(r, req.version(), req.keep_alive(), head);
    if (head) {
      http::response_serializer<Body> sr{res};
      http::write_header(socket, sr, ec);
    } else {
      http::write(socket, res, ec);
    }
    if (ec || !res.keep_alive()) break;
  }
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace

ServerOptions parse_listen(const std::string& listen, const std::string& token) {
  ServerOptions o;
  o.token = token;
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw UsageError("--listen wants HOST:PORT such as 127.0.0.1:8080, got " + quote(listen));
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string port = listen.substr(colon + 1);
  int p = -1;
  try {
    std::size_t used = 0;
    p = std::stoi(port, &used);
    if (used != port.size()) p = -1;
  } catch (const std::exception&) {
  }
  if (p < 0 || p > 65535)
    throw UsageError("--listen " + quote(listen) + ": the port must be 0 to 65535, got " +
                     quote(port));
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec)
    throw UsageError("--listen " + quote(listen) + ": " + quote(host) +
                     " is not an IP address (give 127.0.0.1, ::1 or an address of this host)");
  if (!address.is_loopback() && token.empty())
    throw UsageError("--listen " + quote(listen) +
                     " is reachable from other hosts: give --token (or LOCKRIG_SERVE_TOKEN), or "
                     "keep the default 127.0.0.1 behind a reverse proxy (docs/serve.md)");
  o.address = address.to_string();
  o.port = static_cast<std::uint16_t>(p);
  return o;
}

void serve(const Journals& journals, const ServerOptions& options, const std::atomic<bool>& stop,
           const std::function<void(const std::string& bound)>& on_listening) {
  asio::io_context io;
  tcp::acceptor acceptor(io);
  const tcp::endpoint endpoint(asio::ip::make_address(options.address), options.port);
  beast::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw UsageError("cannot listen on " + options.address + ":" + std::to_string(options.port) +
                     ": " + ec.message());
  const auto bound = acceptor.local_endpoint();
  const std::string host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                                   : bound.address().to_string();
  on_listening(host + ":" + std::to_string(bound.port()));
  auto active = std::make_shared<std::atomic<int>>(0);
  while (!stop.load()) {
    // Wake up every 200 ms to look at `stop`.
    if (!readable(acceptor.native_handle(), 200)) continue;
    tcp::socket socket(io);
    acceptor.accept(socket, ec);
    if (ec) continue;  // a connection that went away before it was accepted
    if (active->load() >= options.max_connections) {
      static const char busy[] =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      asio::write(socket, asio::buffer(busy, sizeof busy - 1), ec);
      continue;
    }
    ++*active;
    std::thread([s = std::move(socket), &journals, options, active]() mutable {
      session(std::move(s), journals, options);
      --*active;
    }).detach();
  }
  // Let the connections in flight finish (at most a few seconds) before the journals go away.
  for (int i = 0; i < 100 && active->load() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

}  // namespace lockrig::web
