// Quotas: one organisation's budget divided across its projects by weight
// and demand (priority-weighted quotas, docs/governance.md).
//
// Demand: a project's expected need for the whole period is what it has
// spent so far plus its recent pace (spend over the last demand_window)
// continued until the period ends. Known projects are those with a weight
// in the config and those seen spending. Allowances are the output of
// WeightedMaxMin (fair_share.h) and become hard budgets on the project's
// counter, which all of the project's users share; the organisation's total
// is enforced as well. The Governor recomputes them every recompute_every.
//
// Ownership: borrows the LimitStore, which must outlive it.
// Thread-safety: every method is safe; readers take an immutable snapshot.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "govern/charge.h"
#include "govern/limit_store.h"
#include "govern/settings.h"

namespace burnrate::govern {

struct QuotaView {
  std::string org;
  Unit unit = Unit::kNanoUsd;
  int64_t capacity = 0;
  TimeMs computed_at = 0, period_start = 0, period_end = 0;
  struct Project {
    std::string name;
    double weight = 1;
    int64_t used = 0, demand = 0, fair_share = 0, allowance = 0;
    std::string why;
  };
  std::vector<Project> projects;
};

class Quotas {
 public:
  explicit Quotas(LimitStore& store);

  // A project seen spending joins the next recomputation (at most 10,000).
  void NoteProject(const std::string& project);
  bool Due(TimeMs now) const { return now >= next_ms_.load(); }
  // Recomputes every project's allowance from the store's counters.
  void Recompute(const QuotaConfig& qc, const TimeZone& tz, TimeMs now);
  QuotaView View() const { return state_.load()->view; }

  // Appends the quota charges of a request by `org`/`project` (none when
  // the quota is off or for another org): the org's total and, with a
  // project, the project's allowance. `tokens`/`cost` are reserved.
  void AddCharges(const QuotaConfig& qc, const TimeZone& tz, const std::string& org,
                  const std::string& project, TimeMs now, int64_t tokens, int64_t cost,
                  std::vector<Charge>& out) const;
  // The demand counter that usage of `project` feeds, if the quota counts it.
  std::optional<SettleOp> DemandOp(const QuotaConfig& qc, const TimeZone& tz,
                                   const std::string& org, const std::string& project, TimeMs now,
                                   int64_t tokens, int64_t cost) const;

 private:
  struct State {
    QuotaView view;
    std::unordered_map<std::string, int64_t> allowance;  // project -> allowance
  };

  LimitStore& store_;
  std::atomic<std::shared_ptr<const State>> state_;
  std::atomic<TimeMs> next_ms_{0};
  mutable std::mutex seen_mu_;
  std::unordered_set<std::string> seen_;  // guarded by seen_mu_
};

}  // namespace burnrate::govern
