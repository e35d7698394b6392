// Private types shared by the governor_*.cc files. Not part of the layer's
// interface: include govern/govern.h instead.
#pragma once

#include <mutex>
#include <unordered_map>

#include "govern/governor.h"

namespace burnrate::govern {

// An immutable view of all policies and settings; replaced, never mutated.
struct Governor::PolicySet {
  std::vector<Policy> policies;
  GovernorSettings settings;
  // Per scope kind: subject -> policy indices; and "*" policies.
  std::array<std::unordered_map<std::string, std::vector<int>>, kScopeKinds> by_subject;
  std::array<std::vector<int>, kScopeKinds> wildcard;

  void Index();
  const Policy* Find(const std::string& id) const;
};

// Quota charges carry these pseudo policy indices.
inline constexpr int kQuotaProject = -1;
inline constexpr int kQuotaOrg = -2;

// One budget a request is charged against.
struct Governor::Charge {
  int policy = 0;             // index into PolicySet::policies, or kQuota*
  Unit unit = Unit::kTokens;
  int64_t limit = 0;          // the policy's limit (also for soft budgets)
  std::string subject;        // "team:payments"
  TimeMs period_id = 0;       // alert de-duplication: one set of alerts per period
  TimeMs period_end = 0;
  BudgetOp op;
  const std::vector<int>* alert_pct = nullptr;
};

struct Governor::Reservation {
  std::shared_ptr<const PolicySet> set;  // keeps Charge::alert_pct valid
  TimeMs expires = 0;                    // 0: usage without a reservation
  std::string model, org, project, team;
  int64_t est_tokens = 0, est_cost = 0;
  std::vector<Charge> charges;
  std::vector<BucketOp> token_buckets;  // adjusted by actual - estimate
  std::vector<std::string> slots;
};

struct Governor::QuotaState {
  QuotaView view;
  std::unordered_map<std::string, int64_t> allowance;  // project -> allowance
};

std::string SubjectLabel(ScopeKind k, const std::string& v);
std::string QuotaProjectKey(const std::string& org, const std::string& project);
std::string QuotaOrgKey(const std::string& org);
std::string QuotaDemandKey(const std::string& org, const std::string& project);

}  // namespace burnrate::govern
