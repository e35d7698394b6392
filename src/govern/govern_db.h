// GovernDb: governance's own tables in the burnrate SQLite file.
//
// Opens its own connection (WAL mode, busy timeout) on the same database
// file the store uses; the tables are prefixed `govern_` so they never
// collide with the store's. Tables:
//   govern_audit       append-only (UPDATE and DELETE are refused by
//                      triggers): who did what to whom, when and why.
//   govern_policies    every version of every policy created over the API,
//                      so policies survive restarts and their history shows.
//   govern_deliveries  one row per webhook delivery (an alert to one
//                      target): attempts, last status and error, state.
//   govern_alerts_fired  the alerts already raised this period ("policy|
//                      subject|period|pct" keys), so a restart does not
//                      raise them again; pruned after their period.
// Thread-safety: all methods are thread-safe (one mutex around the
// connection). Errors are IOError with SQLite's message.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

struct sqlite3;

namespace burnrate::govern {

struct AuditEntry {
  int64_t id = 0;  // assigned on write
  TimeMs ts = 0;
  std::string actor;    // principal who acted ("system" for automatic)
  std::string action;   // "deny", "throttle", "policy.create", "key.revoke", "flag", ...
  std::string subject;  // who or what it was done to ("user:alice", "policy:p1")
  std::string reason;   // why, for humans
  std::string detail;   // JSON object with specifics, or ""
};

struct AuditFilter {
  std::string actor{}, action{}, subject{};  // exact match when non-empty
  TimeMs from = 0;                           // inclusive
  TimeMs to = 0;                             // exclusive; 0 = no bound
  int64_t before_id = 0;                     // paging: only ids below; 0 = none
  int limit = 100;
};

struct PolicyVersion {
  std::string id;
  int64_t version = 0;
  TimeMs ts = 0;
  std::string actor;
  bool deleted = false;
  std::string body;  // the policy's JSON
};

// One alert delivered (or being delivered) to one webhook.
struct DeliveryRecord {
  int64_t id = 0;                           // assigned on insert
  std::string kind, policy, subject, text;  // the alert
  int pct = 0;
  TimeMs alert_ts = 0;
  std::string url;  // the target
  bool slack = true;
  int attempts = 0;
  int status = 0;  // last HTTP status; 0 = none yet or a transport error
  std::string last_error;
  std::string state = "pending";    // pending | delivered | failed (no more attempts)
  TimeMs created = 0, updated = 0;  // enqueued; last attempt
};

struct DeliveryFilter {
  std::string state{}, kind{}, subject{};  // exact match when non-empty
  TimeMs from = 0, to = 0;                 // on created; to exclusive, 0 = none
  int64_t before_id = 0;                   // paging
  int limit = 100;
};

class GovernDb {
 public:
  // Creates the tables when missing. ":memory:" works for tests.
  static Result<std::unique_ptr<GovernDb>> Open(const std::string& path);
  ~GovernDb();

  // Appends entries in one transaction; ids are filled in.
  Status AppendAudit(std::vector<AuditEntry>& entries);
  // Newest first.
  Result<std::vector<AuditEntry>> QueryAudit(const AuditFilter& f);

  Status SavePolicyVersion(const PolicyVersion& v);
  // The newest version of each policy; deleted ones are included (deleted =
  // true) so the caller can carry version numbers on.
  Result<std::vector<PolicyVersion>> LatestPolicies();
  Result<std::vector<PolicyVersion>> PolicyHistory(const std::string& id);

  // Webhook deliveries. Insert fills d.id; Update writes attempts, status,
  // last_error, state and updated of row d.id.
  Status InsertDelivery(DeliveryRecord& d);
  Status UpdateDelivery(const DeliveryRecord& d);
  // Newest first.
  Result<std::vector<DeliveryRecord>> QueryDeliveries(const DeliveryFilter& f);
  // Drops finished (delivered or failed) deliveries last updated before
  // `before`; pending ones stay until they finish.
  Status PruneDeliveries(TimeMs before);

  // Alerts raised this period: `until` is when the key may be forgotten.
  Status SaveFiredAlert(const std::string& key, TimeMs until);
  Result<std::vector<std::pair<std::string, TimeMs>>> FiredAlerts();
  Status PruneFiredAlerts(TimeMs before);  // drops keys with until < before

 private:
  explicit GovernDb(sqlite3* db) : db_(db) {}
  Status Exec(const char* sql);

  std::mutex mu_;
  sqlite3* db_;  // guarded by mu_
};

}  // namespace burnrate::govern
