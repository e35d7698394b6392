// The application: owns every subsystem and wires them together (mold's
// Context). It only constructs and connects: the rules live in the
// components (FlagThrottle, KeyAuth, the layers). Open(): open the store,
// load prices and identity, build the engine, governance and detection,
// the ingestor and its listeners. Start(): recover the engine from disk
// (checkpoint, then the events after it), start the committer and
// checkpoints, register routes, start the gateway and HTTP, then the
// ticker. Stop(): stop the ticker, then HTTP and the gateway (no new
// requests), drain the ingestor, write the last checkpoint (it holds the
// last commit); the store closes when the App is destroyed.
//
// Thread-safety: Open/Start/Stop from one thread; accessors are safe to use
// from any thread once started.
#pragma once

#include <memory>
#include <string>

#include "app/config.h"
#include "common/clock.h"
#include "common/status.h"

namespace burnrate::store {
class Store;
struct ApiKey;
}  // namespace burnrate::store
namespace burnrate::engine {
class Engine;
}
namespace burnrate::ingest {
class Ingestor;
}
namespace burnrate::model {
class Identity;
class PriceBook;
}  // namespace burnrate::model
namespace burnrate::http {
class Router;
}
namespace burnrate::detect {
class DetectionEngine;
struct DetectConfig;
}  // namespace burnrate::detect
namespace burnrate::govern {
class Governor;
}

namespace burnrate::app {

class App {
 public:
  static Result<std::unique_ptr<App>> Open(Config cfg, const Clock& clock);
  ~App();

  Status Start();         // recover, then serve
  Status StartOffline();  // recover and start the committer, no HTTP (CLI --db)
  void Stop();            // idempotent
  uint16_t port() const;
  // The HTTP connection cap in force (Config::max_connections, or lower to
  // fit the open-file limit); 0 before Start().
  int max_connections() const;

  store::Store& store();
  engine::Engine& engine();
  ingest::Ingestor& ingestor();
  model::Identity& identity();
  detect::DetectionEngine& detection();
  govern::Governor& governor();
  model::PriceBook& prices();
  const Config& config() const;

  // Reads the price file again and swaps it in for new events, checks and
  // settles (SIGHUP, POST /v1/prices/reload). A bad file keeps the current
  // prices; the error names the file and the problem.
  Status ReloadPrices();

 private:
  App();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The detection settings the server runs with for `cfg`: its time zone and
// [detection] section (docs/detection.md), so offline scoring
// (`burnrate detect --config`) scores as the server does. Errors name the
// file and key.
Result<detect::DetectConfig> DetectionConfig(const Config& cfg);

// Creates an API key in the store; returns the secret (shown once). A key of
// role self needs `user`; a gateway key needs `user` and may name the team
// and project its usage counts for.
// The database `db` names (a --db value, [store] path or url): a
// postgresql:// or postgres:// URL is PostgreSQL (every store there, for
// several nodes; docs/scale-out.md), anything else a SQLite file, opened
// read-only when asked (PostgreSQL ignores it: scans never write). Errors:
// IOError from the database; InvalidArgument for a URL when burnrate was
// built without libpq.
bool IsPostgres(const std::string& db);
// `db` as it may be printed or logged: a URL's password, in its user part
// (user:PASSWORD@) or as a password= parameter, is masked as ***.
std::string RedactedDb(std::string db);
Result<std::unique_ptr<store::Store>> OpenStore(const std::string& db, bool read_only = false);

Result<std::string> CreateApiKey(store::Store& store, const std::string& role,
                                 const std::string& label, const std::string& user, TimeMs now,
                                 const std::string& team = "", const std::string& project = "");

}  // namespace burnrate::app
