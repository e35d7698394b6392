// Charge: one budget counter a request or a usage event is charged
// against, with what alerts and answers need to describe it.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "govern/limit_store.h"
#include "govern/policy.h"

namespace burnrate::govern {

struct Charge {
  // The budget policy (owned by the PolicySet the charge was made from,
  // which its holder keeps alive), or null for a quota charge.
  const Policy* policy = nullptr;
  std::string quota_id;  // quota charges: "quota:<org>" or "quota:<org>/<project>"
  Unit unit = Unit::kTokens;
  int64_t limit = 0;     // the policy's limit (also for soft budgets)
  std::string subject;   // "team:payments"
  TimeMs period_id = 0;  // alert de-duplication: one set of alerts per period
  TimeMs period_end = 0;
  BudgetOp op;                                  // the store counter, window and amount reserved
  const std::vector<int>* alert_pct = nullptr;  // owned by the PolicySet (or static)

  const std::string& policy_id() const { return policy ? policy->id : quota_id; }
};

}  // namespace burnrate::govern
