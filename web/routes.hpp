// `lockrig serve` (docs/serve.md): the web application as a pure function from a request to a
// response, so every route can be exercised without a socket; web/server.* puts it on HTTP
// (Boost.Beast). Read-only: journals are opened with Journal::open_readonly for each request and
// read inside one read transaction (a WAL snapshot), so a run writing the journal is never
// blocked and a page never mixes two moments of it.
//
// Pages: / (runs, live progress), /run?db=&id= (a night), /lock?db=&id= (a lock), /session?db=&id=
// (one session's attempts and events), /report?db=&... (the comparison report: the same document
// model and HTML renderer as `lockrig report`), /slo?db=&... (as `lockrig slo`), /api/runs (the
// runs page's figures as JSON, polled by /static/live.js). An unknown route is 404, a malformed
// or unknown parameter 400 with a message, any '..' or path separator in the target or a
// parameter is refused (400), and every method but GET and HEAD is 405.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lockrig::web {

struct Journals {
  std::vector<std::string> paths;  // --db, in order; pages name them by index (db=0, db=1, ...)
  // Whether a lockrig process still writes run `uuid` of journal `path` (its run lock is held);
  // a `running` run nobody holds is shown as interrupted, as `lockrig runs` does. Null: trust
  // the journal's status.
  std::function<bool(const std::string& path, const std::string& uuid)> run_alive;
};

struct Request {
  std::string method;  // "GET", ...
  std::string target;  // "/run?db=0&id=3"
};

struct Response {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::map<std::string, std::string> headers;  // extra headers (Allow, Cache-Control, ...)
};

// The application. Never throws: a journal that cannot be read is a 500 page naming the journal
// and the reason, bad input a 400 naming the parameter and the value.
Response handle(const Journals& journals, const Request& request);

// Percent-decoding of a query component ('+' is a space); nullopt for a malformed escape.
std::optional<std::string> url_decode(std::string_view s);

}  // namespace lockrig::web
