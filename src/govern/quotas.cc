#include "govern/quotas.h"

#include <algorithm>
#include <set>

#include "govern/fair_share.h"
#include "govern/limit_keys.h"
#include "govern/period.h"

namespace burnrate::govern {

namespace {

const std::vector<int> kQuotaAlertPct = {50, 80, 100};

}  // namespace

Quotas::Quotas(LimitStore& store) : store_(store) { state_.store(std::make_shared<State>()); }

void Quotas::NoteProject(const std::string& project) {
  if (project.empty()) return;
  std::lock_guard<std::mutex> l(seen_mu_);
  if (seen_.size() < 10000) seen_.insert(project);
}

void Quotas::Recompute(const QuotaConfig& qc, const TimeZone& tz, TimeMs now) {
  next_ms_.store(now + qc.recompute_every_ms);
  auto state = std::make_shared<State>();
  if (qc.org.empty()) {
    state_.store(std::move(state));
    return;
  }
  std::set<std::string> names;
  for (const auto& [p, w] : qc.weights) names.insert(p);
  {
    std::lock_guard<std::mutex> l(seen_mu_);
    names.insert(seen_.begin(), seen_.end());
  }
  WindowSpec period = WindowFor(qc.period, 0, tz, now);
  WindowSpec recent = WindowFor(PeriodKind::kRolling, qc.demand_window_ms, tz, now);
  QuotaView& v = state->view;
  v.org = qc.org, v.unit = qc.unit, v.capacity = qc.limit, v.computed_at = now;
  v.period_start = period.start, v.period_end = period.end;
  std::vector<ShareClaim> claims;
  for (const std::string& name : names) {
    BudgetState used = store_.Read(limit_key::QuotaProject(qc.org, name), period, now);
    BudgetState pace = store_.Read(limit_key::QuotaDemand(qc.org, name), recent, now);
    double left = double(std::max<TimeMs>(0, period.end - now));
    int64_t demand =
        used.used + static_cast<int64_t>(double(pace.used) * left / double(qc.demand_window_ms));
    auto w = qc.weights.find(name);
    claims.push_back({name, w == qc.weights.end() ? qc.default_weight : w->second, demand});
    v.projects.push_back({name, claims.back().weight, used.used, demand, 0, 0, ""});
  }
  std::vector<ShareResult> shares = WeightedMaxMin(qc.limit, claims);
  for (size_t i = 0; i < shares.size(); ++i) {
    v.projects[i].fair_share = shares[i].fair_share;
    v.projects[i].allowance = shares[i].allowance;
    v.projects[i].why = shares[i].why;
    state->allowance[shares[i].name] = shares[i].allowance;
  }
  state_.store(std::move(state));
}

void Quotas::AddCharges(const QuotaConfig& qc, const TimeZone& tz, const std::string& org,
                        const std::string& project, TimeMs now, int64_t tokens, int64_t cost,
                        std::vector<Charge>& out) const {
  if (qc.org.empty() || org != qc.org) return;
  WindowSpec w = WindowFor(qc.period, 0, tz, now);
  auto add = [&](std::string policy_id, std::string key, int64_t limit, std::string subject) {
    Charge c;
    c.quota_id = std::move(policy_id), c.unit = qc.unit, c.subject = std::move(subject);
    c.limit = std::max<int64_t>(limit, 0);
    c.period_id = w.start, c.period_end = w.end;
    c.op = BudgetOp{std::move(key), w, limit, qc.unit == Unit::kTokens ? tokens : cost};
    c.alert_pct = &kQuotaAlertPct;
    out.push_back(std::move(c));
  };
  add("quota:" + qc.org, limit_key::QuotaOrg(qc.org), qc.limit, "org:" + qc.org);
  if (project.empty()) return;
  // A project not yet in the allocation is only counted (the org total
  // still holds); the next recomputation gives it an allowance.
  std::shared_ptr<const State> s = state_.load();
  auto it = s->allowance.find(project);
  add("quota:" + qc.org + "/" + project, limit_key::QuotaProject(qc.org, project),
      it == s->allowance.end() ? -1 : it->second, "project:" + project);
}

std::optional<SettleOp> Quotas::DemandOp(const QuotaConfig& qc, const TimeZone& tz,
                                         const std::string& org, const std::string& project,
                                         TimeMs now, int64_t tokens, int64_t cost) const {
  if (qc.org.empty() || org != qc.org || project.empty()) return std::nullopt;
  return SettleOp{limit_key::QuotaDemand(qc.org, project),
                  WindowFor(PeriodKind::kRolling, qc.demand_window_ms, tz, now), 0,
                  qc.unit == Unit::kTokens ? tokens : cost};
}

}  // namespace burnrate::govern
