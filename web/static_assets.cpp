#include "web/static_assets.hpp"

namespace lockrig::web {

// Polls /api/runs every 2 s and rewrites the live cells of the runs page (ids r<db>-<run>-*)
// with textContent, so a label can never become markup. A run that appeared since the page was
// loaded reloads the page once. Without JavaScript the page is a static snapshot.
const std::string& live_js() {
  static const std::string js = R"JS("use strict";
(function () {
  var updates = 0, progressed = 0;
  function set(id, text) {
    var e = document.getElementById(id);
    if (e && e.textContent !== text) {
      e.textContent = text;
      updates += 1;
      if (/-done$/.test(id)) progressed += 1;
    }
  }
  function tick() {
    fetch("/api/runs", {cache: "no-store", credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (doc) {
        if (!doc) return;
        var missing = false;
        doc.runs.forEach(function (r) {
          var p = "r" + r.db + "-" + r.id;
          if (!document.getElementById(p + "-done")) { missing = true; return; }
          set(p + "-done", r.done_text);
          set(p + "-sli", r.sli_text);
          set(p + "-slif", r.sli_failures.toLocaleString("en-US"));
          set(p + "-failed", r.failed.toLocaleString("en-US"));
          set(p + "-rigf", r.rig_fault_sessions.toLocaleString("en-US"));
          set(p + "-eta", r.eta_text);
          var st = document.getElementById(p + "-status");
          if (st && st.textContent !== r.status) {
            st.textContent = r.status;
            st.className = "st-" + r.status;
          }
          var bar = document.getElementById(p + "-bar");
          if (bar) { bar.max = Math.max(r.planned, 1); bar.value = r.done; }
        });
        // For tests and curious readers: how often the page was refreshed and cells changed.
        document.body.setAttribute("data-refreshed", String(Date.now()));
        document.body.setAttribute("data-updates", String(updates));
        document.body.setAttribute("data-progressed", String(progressed));
        if (missing && !sessionStorage.getItem("lockrig-reloaded")) {
          sessionStorage.setItem("lockrig-reloaded", "1");
          location.reload();
        } else if (!missing) {
          sessionStorage.removeItem("lockrig-reloaded");
        }
      })
      .catch(function () {});
  }
  setInterval(tick, 2000);
  tick();
})();
)JS";
  return js;
}

}  // namespace lockrig::web
