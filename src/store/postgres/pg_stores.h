// PostgreSQL implementations of storage interfaces, for several burnrate
// nodes sharing one database (docs/scale-out.md, "Storage"). Each opens its
// own connection through PgDb::Open (pg_db.h: refuses synchronous_commit=
// off), creates its tables when missing (under an advisory lock, so nodes
// starting together do not race), and is thread-safe (one mutex around its
// connection). Each passes the same conformance suite as the SQLite one
// (src/store/conformance/, run by pg_stores_test.cc against a server the
// test starts itself).
//
//   OpenPgStore          store::Store: events (event_blocks, partitioned by
//                        day; event_ids for idempotency across nodes;
//                        rollups), keys, meta (pg_event_store.cc says how)
//   OpenPgKeyStore       store::KeyStore (api_keys)
//   PgGovernStore        govern::AuditStore, PolicyStore, AlertStore
//                        (govern_audit, append-only by trigger;
//                        govern_policies; govern_deliveries;
//                        govern_alerts_fired)
//   OpenPgFlagStore      detect::FlagStore (detect_flags; Put, Review and
//                        Retract lock the row, so the review rules hold
//                        across nodes)
//   OpenPgOtlpStateStore otlp::StateStore (otlp_series, otlp_sessions)
//   OpenPgBadgeStore     badges::BadgeStore (badge_awards, rank_history)
//
// IsPostgresUrl says whether a --db / [store] url names PostgreSQL.
// `conninfo`: a libpq connection string or postgresql:// URL.
// Errors: IOError naming the owner and PostgreSQL's message.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "badges/badges.h"
#include "detect/detect.h"
#include "govern/govern.h"
#include "otlp/otlp.h"
#include "store/store.h"

namespace burnrate::store {

class PgDb;

Result<std::unique_ptr<Store>> OpenPgStore(const std::string& conninfo);
Result<std::unique_ptr<otlp::StateStore>> OpenPgOtlpStateStore(const std::string& conninfo);
Result<std::unique_ptr<badges::BadgeStore>> OpenPgBadgeStore(const std::string& conninfo);

// "postgresql://..." or "postgres://...".
inline bool IsPostgresUrl(const std::string& s) {
  return s.starts_with("postgresql://") || s.starts_with("postgres://");
}

Result<std::unique_ptr<KeyStore>> OpenPgKeyStore(const std::string& conninfo);
Result<std::unique_ptr<detect::FlagStore>> OpenPgFlagStore(const std::string& conninfo);

class PgGovernStore final : public govern::AuditStore,
                            public govern::PolicyStore,
                            public govern::AlertStore {
 public:
  static Result<std::unique_ptr<PgGovernStore>> Open(const std::string& conninfo);
  ~PgGovernStore() override;

  Status AppendAudit(std::vector<govern::AuditEntry>& entries) override;
  Result<std::vector<govern::AuditEntry>> QueryAudit(const govern::AuditFilter& f) override;
  Status SavePolicyVersion(const govern::PolicyVersion& v) override;
  Result<std::vector<govern::PolicyVersion>> LatestPolicies() override;
  Result<std::vector<govern::PolicyVersion>> PolicyHistory(const std::string& id) override;
  Status InsertDelivery(govern::DeliveryRecord& d) override;
  Status UpdateDelivery(const govern::DeliveryRecord& d) override;
  Result<std::vector<govern::DeliveryRecord>> QueryDeliveries(
      const govern::DeliveryFilter& f) override;
  Status PruneDeliveries(TimeMs before) override;
  Status SaveFiredAlert(const std::string& key, TimeMs until) override;
  Result<std::vector<std::pair<std::string, TimeMs>>> FiredAlerts() override;
  Status PruneFiredAlerts(TimeMs before) override;

 private:
  explicit PgGovernStore(std::unique_ptr<PgDb> db);

  std::mutex mu_;
  std::unique_ptr<PgDb> db_;  // guarded by mu_
};

}  // namespace burnrate::store
