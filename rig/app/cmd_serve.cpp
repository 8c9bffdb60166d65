// lockrig serve: the read-only web view of one or more journals (web/, docs/serve.md).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "rig/app/commands.hpp"
#include "rig/app/run_lock.hpp"
#include "rig/base/errors.hpp"
#include "rig/base/options.hpp"
#include "rig/base/text.hpp"
#include "rig/journal/journal.hpp"
#include "web/server.hpp"

namespace po = boost::program_options;

namespace lockrig {

int serve_command(const CommandLine& cl) {
  std::vector<std::string> dbs;
  std::string listen = "127.0.0.1:8080", token;
  int max_connections = 64;
  po::options_description desc("Options");
  desc.add_options()("help,h", "explain the options")(
      "db", po::value(&dbs)->composing(),
      "journal to show (read-only); repeatable, pages name them db=0, db=1, ... "
      "(default lockrig.db)")("listen", po::value(&listen)->default_value(listen),
                              "HOST:PORT to listen on; port 0 picks a free one (printed). An "
                              "address other hosts can reach needs --token")(
      "token", po::value(&token),
      "require this secret (Authorization: Bearer TOKEN, or ?token=TOKEN once, kept in a "
      "cookie); default $LOCKRIG_SERVE_TOKEN")(
      "max-connections", po::value(&max_connections)->default_value(max_connections),
      "connections served at once; more are answered 503");
  po::variables_map vm = parse_options("serve", cl.args, desc);
  if (vm.count("help")) {
    print_help(
        "Usage: lockrig serve [--db FILE]... [--listen 127.0.0.1:8080] [--token TOKEN]\n\n"
        "A read-only web view of journals: runs with the live progress of running nights, a\n"
        "night, a lock, a session's attempts and events, the comparison report and the SLO\n"
        "(the same figures as lockrig report and lockrig slo). Journals are opened read-only\n"
        "and read in snapshots, so a run writing them is never blocked. See docs/serve.md.\n",
        desc,
        "\nExamples:\n"
        "  lockrig serve --db lab.db\n"
        "  lockrig serve --db rig1.db --db rig2.db --listen 127.0.0.1:0\n"
        "  LOCKRIG_SERVE_TOKEN=$(cat /etc/lockrig/token) lockrig serve --listen 0.0.0.0:8080\n");
    return exit_code::ok;
  }
  if (dbs.empty()) dbs.push_back("lockrig.db");
  if (!vm.count("token"))
    if (const char* env = std::getenv("LOCKRIG_SERVE_TOKEN")) token = env;
  if (vm.count("token") && token.empty()) throw UsageError("--token must not be empty");
  if (max_connections < 1 || max_connections > 4096)
    throw UsageError("--max-connections must be 1 to 4096, got " + std::to_string(max_connections));
  // Every journal must open now (read-only), so a typo is an error at start, not a 500 later.
  std::set<std::string> seen;
  for (const auto& db : dbs) {
    std::error_code ec;
    const auto canonical = std::filesystem::weakly_canonical(db, ec);
    if (!seen.insert(ec ? db : canonical.string()).second)
      throw UsageError("--db " + quote(db) + " is given twice");
    Journal::open_readonly(db);
  }
  web::ServerOptions options = web::parse_listen(listen, token);
  options.max_connections = max_connections;
  // Lives as long as the process: connection threads may outlast serve() by a moment at exit.
  static web::Journals journals;
  journals.paths = dbs;
  journals.run_alive = [](const std::string& path, const std::string& uuid) {
    return FileLock::holder_of(run_lock_path(path, uuid)).has_value();
  };
  const StopSignals signals = install_stop_signals();
  web::serve(journals, options, signals.stop, [&](const std::string& bound) {
    std::printf("lockrig serve: listening on http://%s/ (%zu journal(s), read-only%s)\n",
                bound.c_str(), dbs.size(), token.empty() ? "" : ", token required");
    std::fflush(stdout);
  });
  std::printf("lockrig serve: stopped\n");
  return exit_code::ok;
}

}  // namespace lockrig
