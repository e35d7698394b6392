// store::KeyStore on PostgreSQL: table api_keys, as in SQLite ("user" is
// quoted: a reserved word here).
#include <mutex>

#include "store/postgres/pg_db.h"
#include "store/postgres/pg_stores.h"

namespace burnrate::store {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY, hash TEXT UNIQUE NOT NULL, role TEXT NOT NULL, "user" TEXT NOT NULL,
  label TEXT NOT NULL, created BIGINT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0,
  team TEXT NOT NULL, project TEXT NOT NULL);
)sql";

constexpr const char* kSelect =
    R"(SELECT id, hash, role, "user", label, created, revoked, team, project FROM api_keys )";

class PgKeyStore final : public KeyStore {
 public:
  explicit PgKeyStore(std::unique_ptr<PgDb> db) : db_(std::move(db)) {}

  Status PutKey(const ApiKey& k) override {
    std::lock_guard lock(mu_);
    return db_
        ->Query(R"(INSERT INTO api_keys (id, hash, role, "user", label, created, revoked, team,
                   project) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                   ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, role = excluded.role,
                   "user" = excluded."user", label = excluded.label, created = excluded.created,
                   revoked = excluded.revoked, team = excluded.team, project = excluded.project)",
                {k.id, k.hash, k.role, k.user, k.label, PgInt(k.created), PgInt(k.revoked ? 1 : 0),
                 k.team, k.project})
        .status();
  }

  Result<ApiKey> FindKeyByHash(const std::string& hash) override {
    std::lock_guard lock(mu_);
    BR_ASSIGN_OR_RETURN(std::vector<ApiKey> keys, Read("WHERE hash = $1", {hash}));
    if (keys.empty()) return Status::NotFound("no such key");
    return keys.front();
  }

  Result<std::vector<ApiKey>> ListKeys() override {
    std::lock_guard lock(mu_);
    return Read("", {});
  }

  Status RevokeKey(const std::string& id) override {
    std::lock_guard lock(mu_);
    BR_ASSIGN_OR_RETURN(PgResult r,
                        db_->Query("UPDATE api_keys SET revoked = 1 WHERE id = $1", {id}));
    return r.Affected() ? Status::OK() : Status::NotFound("no key with id " + id);
  }

 private:
  Result<std::vector<ApiKey>> Read(const std::string& where, const std::vector<std::string>& p) {
    BR_ASSIGN_OR_RETURN(PgResult r, db_->Query(kSelect + where + " ORDER BY created, id", p));
    std::vector<ApiKey> out;
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back({r.Str(i, 0), r.Str(i, 1), r.Str(i, 2), r.Str(i, 3), r.Str(i, 4), r.Int64(i, 5),
                     r.Bool(i, 6), r.Str(i, 7), r.Str(i, 8)});
    }
    return out;
  }

  std::mutex mu_;
  std::unique_ptr<PgDb> db_;  // guarded by mu_
};

}  // namespace

Result<std::unique_ptr<KeyStore>> OpenPgKeyStore(const std::string& conninfo) {
  BR_ASSIGN_OR_RETURN(auto db, PgDb::Open(conninfo, "postgres keys"));
  BR_RETURN_IF_ERROR(db->EnsureSchema(kSchema));
  return std::unique_ptr<KeyStore>(new PgKeyStore(std::move(db)));
}

}  // namespace burnrate::store
