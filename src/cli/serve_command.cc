// `burnrate serve`: the server's main, as a list of steps.
#include <sys/resource.h>

#include <csignal>
#include <iostream>

#include "app/app.h"
#include "cli/cli.h"

namespace burnrate::cli {

int& ExitCode() {
  static int code = 0;
  return code;
}

static int Fail(const Status& st) {
  std::cerr << "burnrate: " << st.message() << "\n";
  return ExitCode() = 1;
}

// Raises the soft limit on open files to the hard limit.
static void RaiseOpenFileLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);  // if refused, the server sizes its cap to the old limit
  }
}

// A database URL without its password (postgresql://user:secret@host/db).
static int Serve(const std::string& config_file, app::Config flags,
                 const std::vector<std::string>& set, bool gateway_only) {
  // 1. Load config; flags given on the command line override the file.
  app::Config cfg;
  if (!config_file.empty()) {
    auto loaded = app::LoadConfig(config_file);
    if (!loaded.ok()) return Fail(loaded.status());
    cfg = std::move(*loaded);
  }
  for (const auto& f : set) {
    if (f == "db") cfg.db_path = flags.db_path;
    if (f == "listen") cfg.listen = flags.listen;
    if (f == "web-dir") cfg.web_dir = flags.web_dir;
    if (f == "prices") cfg.prices_file = flags.prices_file;
    if (f == "identity") cfg.identity_file = flags.identity_file;
    if (f == "tz") cfg.timezone = flags.timezone;
    if (f == "threads") cfg.http_threads = flags.http_threads;
    if (f == "pseudonymous") cfg.pseudonymous = flags.pseudonymous;
    if (f == "max-connections") cfg.max_connections = flags.max_connections;
    if (f == "header-timeout-ms") cfg.header_timeout_ms = flags.header_timeout_ms;
    if (f == "idle-timeout-ms") cfg.idle_timeout_ms = flags.idle_timeout_ms;
    if (f == "body-timeout-ms") cfg.body_timeout_ms = flags.body_timeout_ms;
    if (f == "access-log") cfg.access_log = flags.access_log;
    if (f == "io-priority") cfg.io_priority = flags.io_priority;
    if (f == "busy-poll-us") cfg.busy_poll_us = flags.busy_poll_us;
  }
  cfg.gateway_only = gateway_only;
  // 2. Block the stop signals (and SIGHUP, reload prices) before any thread
  // starts, to wait for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // 3. Allow as many open files as the system lets us: each connection is one.
  RaiseOpenFileLimit();
  // 4. Open the store, prices and identity; 5. recover; 6. serve.
  auto app = app::App::Open(cfg, SystemClock::Get());
  if (!app.ok()) return Fail(app.status());
  Status st = (*app)->Start();
  if (!st.ok()) return Fail(st);
  std::cout << "burnrate listening on http://" << cfg.listen.substr(0, cfg.listen.rfind(':')) << ":"
            << (*app)->port() << " (db " << app::RedactedDb(cfg.db_path) << ")" << std::endl;
  if ((*app)->max_connections() < cfg.max_connections) {
    std::cerr << "burnrate: max_connections lowered from " << cfg.max_connections << " to "
              << (*app)->max_connections() << " to fit the open-file limit (ulimit -n)"
              << std::endl;
  }
  // 7. Wait for SIGINT/SIGTERM, reloading prices on SIGHUP; 8. drain and close.
  int sig = 0;
  while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) {
    Status reloaded = (*app)->ReloadPrices();
    if (reloaded.ok())
      std::cout << "burnrate: prices reloaded from " << cfg.prices_file << std::endl;
    else
      std::cerr << "burnrate: price reload failed, keeping the current prices: "
                << reloaded.message() << std::endl;
  }
  std::cout << "burnrate: stopping (signal " << sig << "), draining" << std::endl;
  (*app)->Stop();
  return 0;
}

// `serve` and `gateway` take the same flags and config; `gateway` serves
// the provider endpoints only.
static void AddServerCommand(CLI::App& app, const char* name, const char* help, bool gateway_only) {
  auto* cmd = app.add_subcommand(name, help);
  struct Args {
    std::string config;
    app::Config flags;
    std::string io_priority;  // checked by CLI11, parsed in the callback
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--config", args->config, "TOML config file (docs/config.md)");
  cmd->add_option("--db", args->flags.db_path, "SQLite database file or postgresql:// URL")
      ->default_val("burnrate.db");
  cmd->add_option("--listen", args->flags.listen, "HOST:PORT to listen on")
      ->default_val("127.0.0.1:8080");
  cmd->add_option(
      "--web-dir", args->flags.web_dir,
      "Development only: serve the dashboard from this directory (e.g. web/dist) instead of "
      "the one compiled into the binary");
  cmd->add_option("--prices", args->flags.prices_file,
                  "Price file to overlay (LiteLLM or models.dev format; reloaded on SIGHUP)");
  cmd->add_option("--identity", args->flags.identity_file, "User/team/org directory (CSV or JSON)");
  cmd->add_option("--tz", args->flags.timezone, "Time zone for calendar windows")
      ->default_val("UTC");
  cmd->add_option("--threads", args->flags.http_threads, "HTTP threads")->default_val(2);
  cmd->add_flag("--pseudonymous", args->flags.pseudonymous,
                "Show stable aliases instead of user ids on boards");
  cmd->add_option("--max-connections", args->flags.max_connections,
                  "Open HTTP connections; one more is answered 503 (lowered to fit ulimit -n)")
      ->default_val(4096)
      ->check(CLI::Range(1, app::kMaxConnectionsLimit));
  cmd->add_option("--header-timeout-ms", args->flags.header_timeout_ms,
                  "A request head must be complete within this (from connect, or its first byte)")
      ->default_val(10000)
      ->check(CLI::Range(1, app::kMaxTimeoutMs));
  cmd->add_option("--idle-timeout-ms", args->flags.idle_timeout_ms,
                  "Close a kept-alive connection idle this long")
      ->default_val(60000)
      ->check(CLI::Range(1, app::kMaxTimeoutMs));
  cmd->add_option("--body-timeout-ms", args->flags.body_timeout_ms,
                  "Cut off an upload that stalls this long")
      ->default_val(30000)
      ->check(CLI::Range(1, app::kMaxTimeoutMs));
  cmd->add_flag("--access-log", args->flags.access_log,
                "Log one line per HTTP answer to stderr (method, path without query, status, "
                "bytes, ms, key id)");
  cmd->add_option("--io-priority", args->io_priority,
                  "HTTP I/O threads' scheduling: auto (real-time when permitted), realtime "
                  "(required), normal")
      ->default_val("auto")
      ->check(CLI::IsMember({"auto", "realtime", "normal"}));
  cmd->add_option("--busy-poll-us", args->flags.busy_poll_us,
                  "HTTP I/O threads poll this many microseconds before sleeping (0: off); less "
                  "latency per request at the price of CPU while idle")
      ->default_val(0)
      ->check(CLI::Range(0, app::kMaxBusyPollUs));
  cmd->callback([cmd, args, gateway_only] {
    std::vector<std::string> set;
    for (const char* name :
         {"db", "listen", "web-dir", "prices", "identity", "tz", "threads", "pseudonymous",
          "max-connections", "header-timeout-ms", "idle-timeout-ms", "body-timeout-ms",
          "access-log", "io-priority", "busy-poll-us"}) {
      // A flag overrides the config file when given, or when there is no file.
      if (cmd->count(std::string("--") + name) > 0 || args->config.empty()) set.emplace_back(name);
    }
    ParseIoPriority(args->io_priority, &args->flags.io_priority);
    ExitCode() = Serve(args->config, args->flags, set, gateway_only);
  });
}

void AddServeCommand(CLI::App& app) {
  AddServerCommand(app, "serve", "Run the burnrate server (HTTP API, dashboard, ingest)", false);
  AddServerCommand(app, "gateway",
                   "Run the metering gateway only: the provider endpoints of [gateway] (and "
                   "/healthz, /readyz, /metrics), with the same config and database as serve",
                   true);
}

}  // namespace burnrate::cli
