// Priority-weighted quotas: recomputing project allowances, and explaining
// to a user or project what they may spend and why.
//
// Demand: a project's expected need for the whole period is what it has
// spent so far plus its recent pace (spend over the last demand_window)
// continued until the period ends. Known projects are those with a weight
// in the config and those seen spending. Allowances are the output of
// WeightedMaxMin (fair_share.h) and become hard budgets on the project's
// counter, which all of the project's users share; the organisation's total
// is enforced as well. Recomputed every recompute_every, from Tick().
#include <fmt/format.h>

#include <set>

#include "common/json_writer.h"
#include "govern/governor.h"
#include "govern/governor_internal.h"

namespace burnrate::govern {

void Governor::RecomputeQuotas() {
  const TimeMs now = clock_.NowMs();
  auto s = Snapshot();
  const QuotaConfig& qc = s->settings.quota;
  next_quota_ms_.store(now + qc.recompute_every_ms);
  auto state = std::make_shared<QuotaState>();
  if (qc.org.empty()) {
    quota_.store(state);
    return;
  }
  std::set<std::string> names;
  for (const auto& [p, w] : qc.weights) names.insert(p);
  {
    std::lock_guard<std::mutex> l(misc_mu_);
    names.insert(seen_projects_.begin(), seen_projects_.end());
  }
  WindowSpec period = WindowFor(qc.period, 0, s->settings.tz, now);
  WindowSpec recent = WindowFor(PeriodKind::kRolling, qc.demand_window_ms, s->settings.tz, now);
  QuotaView& v = state->view;
  v.org = qc.org, v.unit = qc.unit, v.capacity = qc.limit, v.computed_at = now;
  v.period_start = period.start, v.period_end = period.end;
  std::vector<ShareClaim> claims;
  for (const std::string& name : names) {
    BudgetState used = store_->Read(QuotaProjectKey(qc.org, name), period, now);
    BudgetState pace = store_->Read(QuotaDemandKey(qc.org, name), recent, now);
    double left = double(std::max<TimeMs>(0, period.end - now));
    int64_t demand = used.used + static_cast<int64_t>(double(pace.used) * left / double(qc.demand_window_ms));
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
  quota_.store(state);
}

QuotaView Governor::Quota() const { return quota_.load()->view; }

namespace {

void WriteAmount(JsonWriter& w, const char* key, Unit u, int64_t v) {
  w.Key(key);
  if (u == Unit::kTokens) w.Int(v);
  else w.NanoUsd(v);
}

}  // namespace

std::string Governor::AllowanceJson(const CheckRequest& who_in) {
  const TimeMs now = clock_.NowMs();
  CheckRequest who = who_in;
  Resolve(who);
  auto s = Snapshot();
  auto q = quota_.load();
  JsonWriter w;
  w.BeginObject();
  w.Key("user").String(who.user).Key("team").String(who.team).Key("org").String(who.org);
  w.Key("project").String(who.project);
  w.Key("throttle_level").Int(who.user.empty() ? 0 : ThrottleLevel(who.user));
  w.Key("budgets").BeginArray();
  for (const Charge& c : Charges(*s, who, now, 0, 0, q.get())) {
    BudgetState b = store_->Read(c.op.key, c.op.window, now);
    w.BeginObject();
    w.Key("policy").String(c.policy >= 0 ? s->policies[c.policy].id : (c.policy == kQuotaOrg ? "quota:" + s->settings.quota.org : "quota:" + s->settings.quota.org + "/" + who.project));
    w.Key("subject").String(c.subject).Key("unit").String(UnitName(c.unit));
    w.Key("enforce").String(c.op.limit >= 0 ? "hard" : "soft");
    WriteAmount(w, "limit", c.unit, c.limit);
    WriteAmount(w, "used", c.unit, b.used);
    WriteAmount(w, "reserved", c.unit, b.reserved);
    WriteAmount(w, "remaining", c.unit, std::max<int64_t>(0, c.limit - b.used - b.reserved));
    w.Key("resets_at").String(c.op.window.rolling() ? "rolling" : FormatRfc3339(c.period_end));
    w.EndObject();
  }
  w.EndArray();
  const QuotaView& v = q->view;
  if (!v.org.empty() && who.org == v.org) {
    w.Key("quota").BeginObject();
    w.Key("org").String(v.org).Key("unit").String(UnitName(v.unit));
    WriteAmount(w, "org_capacity", v.unit, v.capacity);
    w.Key("computed_at").String(FormatRfc3339(v.computed_at));
    for (const auto& p : v.projects) {
      if (p.name != who.project) continue;
      w.Key("weight").Double(p.weight);
      WriteAmount(w, "demand", v.unit, p.demand);
      WriteAmount(w, "fair_share", v.unit, p.fair_share);
      WriteAmount(w, "allowance", v.unit, p.allowance);
      WriteAmount(w, "used", v.unit, p.used);
      w.Key("why").String(p.why + "; shared by all users of project " + p.name);
    }
    w.EndObject();
  }
  w.EndObject();
  return w.Take();
}

}  // namespace burnrate::govern
