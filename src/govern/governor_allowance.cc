// AllowanceJson: what a user or project may spend now and why: every
// budget that applies, its state, and the project's quota allowance.
#include <fmt/format.h>

#include "common/json_writer.h"
#include "govern/governor.h"

namespace burnrate::govern {

namespace {

void WriteAmount(JsonWriter& w, const char* key, Unit u, int64_t v) {
  w.Key(key);
  if (u == Unit::kTokens)
    w.Int(v);
  else
    w.NanoUsd(v);
}

}  // namespace

std::string Governor::AllowanceJson(const CheckRequest& who_in) {
  const TimeMs now = clock_.NowMs();
  CheckRequest who = who_in;
  Resolve(who);
  auto s = Snapshot();
  QuotaView v = quotas_.View();
  JsonWriter w;
  w.BeginObject();
  w.Key("user").String(who.user).Key("team").String(who.team).Key("org").String(who.org);
  w.Key("project").String(who.project);
  w.Key("throttle_level").Int(who.user.empty() ? 0 : ThrottleLevel(who.user));
  w.Key("budgets").BeginArray();
  for (const Charge& c : Charges(*s, who, now, 0, 0)) {
    BudgetState b = store_->Read(c.op.key, c.op.window, now);
    w.BeginObject();
    w.Key("policy").String(c.policy_id());
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
