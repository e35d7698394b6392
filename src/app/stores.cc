// Which storage implementation a `--db` / `[store] path` or `url` names: a
// postgresql:// (or postgres://) URL opens every store on PostgreSQL
// (store/postgres, where burnrate was built with libpq), anything else is
// the SQLite file (store/sqlite). Declared in app.h (OpenStore, IsPostgres)
// and app_impl.h (the domain stores).
#include <algorithm>

#include "app/app.h"
#include "app/app_impl.h"
#include "store/sqlite/sqlite_stores.h"
#ifdef BURNRATE_HAVE_POSTGRES
#include "store/postgres/pg_stores.h"
#endif

namespace burnrate::app {
namespace {

#ifndef BURNRATE_HAVE_POSTGRES
Status NoPostgres(const std::string&) {
  return Status::InvalidArgument(
      "this burnrate was built without PostgreSQL support (install libpq-dev: "
      "scripts/install-deps.sh, and rebuild)");
}
#endif

}  // namespace

// The database as it may be printed: a URL's password, in its user part or
// as a password= parameter, is masked.
std::string RedactedDb(std::string db) {
  size_t scheme = db.find("://");
  if (scheme == std::string::npos) return db;
  size_t at = db.find('@', scheme + 3), colon = db.find(':', scheme + 3);
  if (at != std::string::npos && colon < at) db.replace(colon + 1, at - colon - 1, "***");
  for (size_t p = db.find("password="); p != std::string::npos; p = db.find("password=", p + 1)) {
    size_t v = p + 9, end = std::min(db.find('&', v), db.size());
    db.replace(v, end - v, "***");
  }
  return db;
}

bool IsPostgres(const std::string& db) {
  return db.starts_with("postgresql://") || db.starts_with("postgres://");
}

Result<std::unique_ptr<store::Store>> OpenStore(const std::string& db, bool read_only) {
#ifdef BURNRATE_HAVE_POSTGRES
  if (IsPostgres(db)) return store::OpenPgStore(db);
#else
  if (IsPostgres(db)) return NoPostgres(db);
#endif
  store::SqliteOptions opts;
  opts.read_only = read_only;
  return store::OpenSqliteStore(db, opts);
}

Result<GovernDb> OpenGovernDb(const std::string& db) {
  GovernDb g;
#ifdef BURNRATE_HAVE_POSTGRES
  if (IsPostgres(db)) {
    BR_ASSIGN_OR_RETURN(auto pg, store::PgGovernStore::Open(db));
    g.policies = pg.get(), g.alerts = pg.get(), g.audit = std::move(pg);
    return g;
  }
#else
  if (IsPostgres(db)) return NoPostgres(db);
#endif
  BR_ASSIGN_OR_RETURN(auto lite, store::SqliteGovernStore::Open(db));
  g.policies = lite.get(), g.alerts = lite.get(), g.audit = std::move(lite);
  return g;
}

Result<std::unique_ptr<detect::FlagStore>> OpenFlagStore(const std::string& db) {
#ifdef BURNRATE_HAVE_POSTGRES
  if (IsPostgres(db)) return store::OpenPgFlagStore(db);
#else
  if (IsPostgres(db)) return NoPostgres(db);
#endif
  return store::OpenSqliteFlagStore(db);
}

Result<std::unique_ptr<otlp::StateStore>> OpenOtlpStateStore(const std::string& db) {
#ifdef BURNRATE_HAVE_POSTGRES
  if (IsPostgres(db)) return store::OpenPgOtlpStateStore(db);
#else
  if (IsPostgres(db)) return NoPostgres(db);
#endif
  return store::OpenSqliteOtlpStateStore(db);
}

Result<std::unique_ptr<badges::BadgeStore>> OpenBadgeStore(const std::string& db) {
#ifdef BURNRATE_HAVE_POSTGRES
  if (IsPostgres(db)) return store::OpenPgBadgeStore(db);
#else
  if (IsPostgres(db)) return NoPostgres(db);
#endif
  return store::OpenSqliteBadgeStore(db);
}

}  // namespace burnrate::app
