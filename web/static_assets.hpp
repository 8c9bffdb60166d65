// The one script of `lockrig serve`: live refresh of the runs page. Served as /static/live.js
// (the Content-Security-Policy allows scripts from the server itself only, never inline ones).
#pragma once

#include <string>

namespace lockrig::web {

const std::string& live_js();

}  // namespace lockrig::web
