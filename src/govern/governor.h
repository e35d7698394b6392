// Governor: budgets, rate limits, priority-weighted quotas and the check API.
//
// Life of a check: Check() takes an immutable snapshot of the policies,
// finds those that match the request (user, key, team, org, project,
// model), turns them into counter operations (budget reservations, token
// bucket takes, concurrency slots) and hands them to the LimitStore in one
// atomic Admit(). Admitted requests get a reservation that Settle() turns
// into actual use (or that expires after reservation_ttl). Usage arriving by
// ingestion is added with OnUsage(). Budgets are never overspent by more
// than the reservations outstanding, and never when estimates are honest
// upper bounds, because admission checks used + reserved + estimate.
//
// Parts: PolicyRegistry (policies, settings and their administration),
// Quotas (project allowances), the LimitStore (counters, keyed by
// limit_keys.h) and a ReservationTable. The Governor joins them into
// check, settle and usage, and raises audits and alerts.
//
// Ownership: the Governor owns its LimitStore, policies, reservations and
// quota state; it borrows the Clock, the AuditLog, the Alerter, and the
// optional Identity and PriceTable, which must outlive it.
// Thread-safety: every public method is thread-safe. The check path takes
// no global lock: a policy snapshot (atomic shared_ptr), the throttle map
// (reader lock), the store's shard locks and one reservation shard lock.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "common/time_util.h"
#include "common/toml_fwd.h"
#include "govern/alerter.h"
#include "govern/audit_log.h"
#include "govern/charge.h"
#include "govern/limit_store.h"
#include "govern/policy.h"
#include "govern/policy_registry.h"
#include "govern/quotas.h"
#include "govern/recent_ids.h"
#include "govern/reservation_table.h"
#include "govern/settings.h"
#include "model/event.h"

namespace burnrate::http {
class Router;
}
namespace burnrate::model {
class Identity;
class PriceBook;
}  // namespace burnrate::model

namespace burnrate::govern {

enum class Decision : uint8_t { kAllow = 0, kThrottle, kDeny };
const char* DecisionName(Decision d);

struct CheckRequest {
  std::string user, key, team, org, project, model;
  std::string batch_job;              // declared batch job (exempt when configured)
  int64_t estimated_tokens = 0;       // honest upper bound, all kinds
  int64_t estimated_cost_nanos = -1;  // -1: from the price table
  std::string actor;                  // caller's principal, for the audit log
};

struct CheckResult {
  Decision decision = Decision::kAllow;
  TimeMs retry_after_ms = 0;
  std::string policy;      // the limiting policy, or the tightest budget on allow
  std::string reason;      // human explanation on throttle/deny
  int64_t remaining = -1;  // of `policy` after this request; -1 = no budget applies
  Unit unit = Unit::kTokens;
  std::string reservation_id;  // allow only ("" when exempt)
  TimeMs expires_at = 0;
};

struct SettleRequest {
  std::string reservation_id;
  model::TokenCounts tokens;
  int64_t cost_nanos = -1;  // -1: from the price table (or the estimate)
  // The id of the event that carries this request's usage, when it is also
  // ingested (POST /v1/events, OTLP). The settle and the event then count
  // once, whichever arrives first: see Governor::Settle.
  std::string event_id;
};

class Governor {
 public:
  // `alerter` may be null (no alerts). Identity and prices may be null.
  Governor(const Clock& clock, AuditLog& audit, Alerter* alerter,
           std::unique_ptr<LimitStore> store = nullptr);
  ~Governor();

  void SetIdentity(const model::Identity* id) { identity_ = id; }
  // Checks and settles price tokens with the same book (and so the same
  // family estimates) as ingestion; it must outlive the governor.
  void SetPrices(const model::PriceBook* p) { prices_ = p; }
  // Optional persistence of API-made policies and of the alerts already
  // raised this period (so a restart does not raise them again); loads both
  // now. Both must outlive the governor. Call before the first check and
  // before usage is replayed.
  Status AttachDb(PolicyStore* policies, AlertStore* alerts);

  // Reads [governance] from the config (see docs/governance.md); replaces
  // config-made policies and settings; API-made policies are kept.
  Status Configure(const toml::table& root);

  Result<CheckResult> Check(const CheckRequest& req);
  // Swaps the reservation's estimate for the actual. With an event_id the
  // pair (settle, ingested event with that id) counts once against budgets
  // and quotas: the first to arrive counts, the second only releases its
  // reservation (and still corrects rate-limit buckets, which ingestion
  // does not feed). Ids are remembered per node, in memory, for
  // kRecentIdsTtl and at most kRecentIdsMax of each kind (RecentIds).
  Status Settle(const SettleRequest& req);
  static constexpr TimeMs kRecentIdsTtl = kDayMs;
  static constexpr size_t kRecentIdsMax = 1'000'000;
  // Ingested usage (team/org resolved, cost_nanos set). Outcomes are ignored.
  // Skipped when a settle already counted its id (see Settle).
  void OnUsage(const model::Event& e);
  // OnUsage of each event in order (the ingest listener's batch): the ids
  // are recorded a chunk of events at a time under one lock, with the id
  // table's loads started some events ahead, and the policy set is read
  // once per chunk.
  void OnUsageBatch(std::span<const model::Event> events);
  // Recovery (ingest::Listener): the earliest arrival time whose usage still
  // counts in a budget or quota window that contains `now`; usage that
  // arrived before it has left every window and need not be replayed.
  // `now` when nothing is counted (no budget, no quota) or the limit store
  // is durable (Redis: the counters survived the restart).
  TimeMs ReplayHorizon(TimeMs now) const;
  // Recovery: OnUsage() as of the event's arrival (e.received), so replayed
  // usage lands in the windows it was counted in when it arrived. Call in
  // arrival order.
  void ReplayUsage(const model::Event& e);
  // Detection's hook: level 0 (none) .. 3 (blocked). Audited and alerted.
  void SetThrottle(const std::string& user, int level, const std::string& reason,
                   const std::string& actor = "detect");
  // After a restart: puts back a level that was audited and alerted when
  // it was first set, without auditing or alerting again.
  void RestoreThrottle(const std::string& user, int level);
  int ThrottleLevel(const std::string& user) const;

  // Admin API on policies; every change is versioned and audited.
  PolicyRegistry& policies() { return policies_; }
  const PolicyRegistry& policies() const { return policies_; }

  // Expires reservations, recomputes quotas when due. Call every second or so.
  void Tick();
  void RecomputeQuotas();
  QuotaView Quota() const { return quotas_.View(); }
  // JSON: the budgets that apply to user/project now, their state, and the
  // project's quota allowance with the reason.
  std::string AllowanceJson(const CheckRequest& who);

  void RegisterRoutes(http::Router& r);
  // Prometheus text: remaining budget per policy and team/org/project
  // subject (never per user or key) and denials per policy and team.
  void AppendMetrics(std::string& out);

  size_t outstanding_reservations() const;
  const Clock& clock() const { return clock_; }

 private:
  struct Reservation;  // defined in governor.cc

  // What a check asks of the limit store, and which policy each bucket and
  // slot belongs to (to name the one that refused).
  struct Admission {
    AdmitRequest request;
    std::vector<std::string> bucket_policy, slot_policy;
  };

  std::shared_ptr<const PolicySet> Snapshot() const { return policies_.Snapshot(); }
  void Resolve(CheckRequest& r) const;
  // The budget counters (policies and quota) a request by `r` is charged.
  std::vector<Charge> Charges(const PolicySet& s, const CheckRequest& r, TimeMs now, int64_t tokens,
                              int64_t cost) const;
  // Fills `a` with the counters a check of `r` takes: budgets from `rv`'s
  // charges, rate limits, unsettled reservations, the throttle bucket.
  void Admissions(const PolicySet& s, const CheckRequest& r, const std::string& caller, int level,
                  Reservation& rv, Admission& a) const;
  // The answer to a check the store refused.
  CheckResult Refusal(const PolicySet& s, const AdmitResult& a, const Admission& ad,
                      const Reservation& rv, const std::string& caller, TimeMs now,
                      TimeMs* period_id, std::string* limited) const;
  // Audits a deny/throttle of `subject` (the caller); `limited` is the
  // subject of the exhausted budget (deny alerts: once per it and period).
  void Refused(const CheckRequest& r, const CheckResult& res, const std::string& subject,
               const std::string& limited, TimeMs period_id);
  // The answer to a check the limit store could not serve (fail open or
  // closed per GovernorSettings::allow_when_store_unavailable).
  CheckResult StoreUnavailable(const CheckRequest& r, const std::string& subject,
                               const std::string& error);
  // True the first time `key` is seen (until `until`); persisted with a db.
  bool FireOnce(const std::string& key, TimeMs until);
  void MaybeAlert(const Charge& c, int64_t before, int64_t after, TimeMs now);
  // Settles `r` with the actual; count_usage = false releases the
  // reservation without adding usage (it was counted by ingestion).
  Status Release(Reservation& r, int64_t tokens, int64_t cost, TimeMs now, bool count_usage = true);
  void UsageAt(const model::Event& e, TimeMs now);
  // UsageAt's charge, once the event's id is recorded (not settled before).
  void ChargeUsage(const model::Event& e, TimeMs now, const std::shared_ptr<const PolicySet>& set);
  int SwapThrottle(const std::string& user, int level);  // returns the previous level
  void NoteSeen(const std::string& team, const std::string& project);
  int64_t CostOf(const std::string& model, const model::TokenCounts& t) const;

  const Clock& clock_;
  AuditLog& audit_;
  Alerter* alerter_;
  std::unique_ptr<LimitStore> store_;
  const model::Identity* identity_ = nullptr;
  const model::PriceBook* prices_ = nullptr;
  PolicyRegistry policies_;
  Quotas quotas_;

  mutable std::shared_mutex throttle_mu_;
  std::unordered_map<std::string, int> throttle_;  // guarded by throttle_mu_

  std::unique_ptr<ReservationTable<Reservation>> res_;

  mutable std::mutex misc_mu_;                       // guards the members below (off the hot path)
  std::unordered_map<std::string, TimeMs> alerted_;  // "policy|subject|period|pct" -> period end
  std::atomic<AlertStore*> alert_db_{nullptr};       // persists alerted_ keys (set by AttachDb)
  std::atomic<TimeMs> next_prune_ms_{0};
  std::unordered_map<std::string, uint64_t> denials_;  // "policy|team" -> count
  std::unordered_set<std::string> seen_teams_;
  // Hashes of the (team, project) pairs NoteSeen has noted lately, by the
  // hash's low bits: most usage events skip its two locks and set lookups.
  static constexpr size_t kSeenMemo = 8192;
  std::array<std::atomic<uint64_t>, kSeenMemo> seen_memo_{};
  RecentIds settled_ids_{kRecentIdsTtl, kRecentIdsMax};   // event_ids counted by a settle
  RecentIds ingested_ids_{kRecentIdsTtl, kRecentIdsMax};  // usage event ids counted by ingestion
  std::atomic<uint64_t> checks_{0}, allowed_{0}, throttled_{0}, denied_{0}, expired_{0};
  std::atomic<uint64_t> store_errors_{0};  // checks and settles the limit store could not serve
};

}  // namespace burnrate::govern
