// The SQLite implementations of the domain storage interfaces, in the
// burnrate database file beside the event store (store.h's
// OpenSqliteStore). Each opens its own connection through SqliteDb::Open
// (store/sqlite_db.h: WAL, synchronous=FULL, one busy timeout), creates its
// tables when missing, and is thread-safe. App constructs them and passes
// each component its interface; the domain layers never see SQLite.
//
//   OpenSqliteGovernStore     govern::AuditStore, PolicyStore, AlertStore
//                             (govern_audit, govern_policies,
//                             govern_deliveries, govern_alerts_fired)
//   OpenSqliteFlagStore       detect::FlagStore (detect_flags)
//   OpenSqliteOtlpStateStore  otlp::StateStore (otlp_series, otlp_sessions)
//   OpenSqliteBadgeStore      badges::BadgeStore (badge_awards, rank_history)
//
// ":memory:" gives a private in-memory database (tests). Errors: IOError
// naming the owner and SQLite's message; opening fails on a file that is
// not SQLite.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "badges/badges.h"
#include "detect/detect.h"
#include "govern/govern.h"
#include "otlp/otlp.h"
#include "store/store.h"

struct sqlite3;

namespace burnrate::store {

class SqliteDb;

// Governance's three stores on one connection (one mutex around it).
class SqliteGovernStore final : public govern::AuditStore,
                                public govern::PolicyStore,
                                public govern::AlertStore {
 public:
  static Result<std::unique_ptr<SqliteGovernStore>> Open(const std::string& path,
                                                         const SqliteOptions& opts = {});
  ~SqliteGovernStore() override;

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
  explicit SqliteGovernStore(std::unique_ptr<SqliteDb> db);
  Status Exec(const char* sql);  // mu_ held

  std::mutex mu_;
  std::unique_ptr<SqliteDb> conn_;
  sqlite3* db_;  // conn_'s handle; guarded by mu_
};

Result<std::unique_ptr<detect::FlagStore>> OpenSqliteFlagStore(const std::string& path,
                                                               const SqliteOptions& opts = {});
Result<std::unique_ptr<otlp::StateStore>> OpenSqliteOtlpStateStore(const std::string& path,
                                                                   const SqliteOptions& opts = {});
Result<std::unique_ptr<badges::BadgeStore>> OpenSqliteBadgeStore(const std::string& path,
                                                                 const SqliteOptions& opts = {});

}  // namespace burnrate::store
