// `lockrig serve` on HTTP/1.1 with Boost.Beast (docs/serve.md says why Beast): a blocking accept
// loop, one thread per connection up to a cap, keep-alive, a read timeout, and the optional
// bearer token. The application itself is web/routes.hpp.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "web/routes.hpp"

namespace lockrig::web {

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: an ephemeral port (printed by `on_listening`)
  // When not empty, every request must carry "Authorization: Bearer TOKEN" or the cookie
  // lockrig_token=TOKEN (set by visiting any page once with ?token=TOKEN); otherwise 401.
  std::string token;
  int max_connections = 64;  // more at once are answered 503 and closed
};

// Parses "HOST:PORT" ("127.0.0.1:8080", "[::1]:8080", "0.0.0.0:0"); throws UsageError naming the
// text. Refuses a non-loopback address without a token.
ServerOptions parse_listen(const std::string& listen, const std::string& token);

// Serves until `stop` is set (checked at least every 200 ms). Calls on_listening with the bound
// "host:port" once listening. Throws UsageError when the address cannot be bound.
void serve(const Journals& journals, const ServerOptions& options, const std::atomic<bool>& stop,
           const std::function<void(const std::string& bound)>& on_listening);

}  // namespace lockrig::web
