// Governance's durable state, as three storage interfaces: the audit log,
// policy versions, and alert deliveries (with the alerts already raised).
// Governance never opens a database: App constructs an implementation
// (SQLite: store/sqlite/sqlite_stores.h; tables govern_audit,
// govern_policies, govern_deliveries, govern_alerts_fired, see
// docs/ARCHITECTURE.md) and attaches it. Every implementation passes the
// conformance suites of src/store/conformance/.
//
// Contracts common to the three: every write is durable when it returns
// (it is what a client is answered about); reads see every write that
// returned before them. Audit entries are append-only: no update, no
// delete. Thread-safety: implementations are thread-safe. Errors: IOError
// with the database's message.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

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

class AuditStore {
 public:
  virtual ~AuditStore() = default;
  // Appends entries in one transaction (all or none); ids are filled in,
  // ascending in append order.
  virtual Status AppendAudit(std::vector<AuditEntry>& entries) = 0;
  // Entries matching every set field of `f`, newest (highest id) first, at
  // most f.limit.
  virtual Result<std::vector<AuditEntry>> QueryAudit(const AuditFilter& f) = 0;
};

class PolicyStore {
 public:
  virtual ~PolicyStore() = default;
  // An error (IOError) when (id, version) is already stored: versions
  // are never overwritten.
  virtual Status SavePolicyVersion(const PolicyVersion& v) = 0;
  // The newest version of each policy, by id; deleted ones are included
  // (deleted = true) so the caller can carry version numbers on.
  virtual Result<std::vector<PolicyVersion>> LatestPolicies() = 0;
  // Every version of one policy, oldest first; empty when unknown.
  virtual Result<std::vector<PolicyVersion>> PolicyHistory(const std::string& id) = 0;
};

class AlertStore {
 public:
  virtual ~AlertStore() = default;
  // Webhook deliveries. Insert fills d.id (ascending); Update writes
  // attempts, status, last_error, state and updated of row d.id.
  virtual Status InsertDelivery(DeliveryRecord& d) = 0;
  virtual Status UpdateDelivery(const DeliveryRecord& d) = 0;
  // Matching every set field of `f`, newest (highest id) first.
  virtual Result<std::vector<DeliveryRecord>> QueryDeliveries(const DeliveryFilter& f) = 0;
  // Drops finished (delivered or failed) deliveries last updated before
  // `before`; pending ones stay until they finish.
  virtual Status PruneDeliveries(TimeMs before) = 0;

  // Alerts raised this period: `until` is when the key may be forgotten.
  // Saving a key again replaces its `until`.
  virtual Status SaveFiredAlert(const std::string& key, TimeMs until) = 0;
  virtual Result<std::vector<std::pair<std::string, TimeMs>>> FiredAlerts() = 0;
  virtual Status PruneFiredAlerts(TimeMs before) = 0;  // drops keys with until < before
};

}  // namespace burnrate::govern
