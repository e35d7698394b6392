// `burnrate serve`: the server's main, as a list of steps.
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

static int Serve(const std::string& config_file, app::Config flags, const std::vector<std::string>& set) {
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
  }
  // 2. Block the stop signals (and SIGHUP, reload prices) before any thread
  // starts, to wait for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // 3. Open the store, prices and identity; 4. recover; 5. serve.
  auto app = app::App::Open(cfg, SystemClock::Get());
  if (!app.ok()) return Fail(app.status());
  Status st = (*app)->Start();
  if (!st.ok()) return Fail(st);
  std::cout << "burnrate listening on http://" << cfg.listen.substr(0, cfg.listen.rfind(':')) << ":"
            << (*app)->port() << " (db " << cfg.db_path << ")" << std::endl;
  // 6. Wait for SIGINT/SIGTERM, reloading prices on SIGHUP; 7. drain and close.
  int sig = 0;
  while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) {
    Status reloaded = (*app)->ReloadPrices();
    if (reloaded.ok()) std::cout << "burnrate: prices reloaded from " << cfg.prices_file << std::endl;
    else std::cerr << "burnrate: price reload failed, keeping the current prices: " << reloaded.message() << std::endl;
  }
  std::cout << "burnrate: stopping (signal " << sig << "), draining" << std::endl;
  (*app)->Stop();
  return 0;
}

void AddServeCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "Run the burnrate server (HTTP API, dashboard, ingest)");
  struct Args {
    std::string config;
    app::Config flags;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--config", args->config, "TOML config file (docs/config.md)");
  cmd->add_option("--db", args->flags.db_path, "SQLite database file")->default_val("burnrate.db");
  cmd->add_option("--listen", args->flags.listen, "HOST:PORT to listen on")->default_val("127.0.0.1:8080");
  cmd->add_option("--web-dir", args->flags.web_dir, "Directory of the built dashboard (web/dist)");
  cmd->add_option("--prices", args->flags.prices_file, "Price file to overlay (LiteLLM or models.dev format; reloaded on SIGHUP)");
  cmd->add_option("--identity", args->flags.identity_file, "User/team/org directory (CSV or JSON)");
  cmd->add_option("--tz", args->flags.timezone, "Time zone for calendar windows")->default_val("UTC");
  cmd->add_option("--threads", args->flags.http_threads, "HTTP threads")->default_val(2);
  cmd->add_flag("--pseudonymous", args->flags.pseudonymous, "Show stable aliases instead of user ids on boards");
  cmd->callback([cmd, args] {
    std::vector<std::string> set;
    for (const char* name : {"db", "listen", "web-dir", "prices", "identity", "tz", "threads", "pseudonymous"}) {
      // A flag overrides the config file when given, or when there is no file.
      if (cmd->count(std::string("--") + name) > 0 || args->config.empty()) set.emplace_back(name);
    }
    ExitCode() = Serve(args->config, args->flags, set);
  });
}

}  // namespace burnrate::cli
