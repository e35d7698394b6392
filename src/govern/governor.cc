// The check path: policies -> counter operations -> one atomic Admit().
//
// Why reservations: a request's real cost is known only after it ran. If
// the check merely compared spent-so-far with the limit, a burst of
// concurrent requests would all see room and all spend it (the classic
// check-then-spend race). Instead each admitted request reserves its
// estimate; later checks see used + reserved, so the sum of admitted
// estimates never exceeds the limit. Settle() swaps the estimate for the
// actual, and an unsettled reservation is released after its TTL.
//
// Hot-path cost: one atomic shared_ptr load for the policy snapshot, one
// reader lock for throttle levels, hash lookups for matching policies, one
// Admit() (a few shard mutexes) and one reservation-shard mutex. Audit and
// alert work happens only on deny, throttle, or a threshold crossing.
#include "govern/governor.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bitset>

#include "common/hash.h"
#include "common/json_writer.h"
#include "common/log.h"
#include "govern/limit_keys.h"
#include "model/identity.h"
#include "model/price_book.h"

namespace burnrate::govern {

// An admitted check's hold on the limit store, until settled or expired;
// also used, with no expiry, to charge ingested usage.
struct Governor::Reservation {
  std::shared_ptr<const PolicySet> set;  // keeps Charge::alert_pct valid
  TimeMs expires = 0;                    // 0: usage without a reservation
  std::string model, org, project, team;
  int64_t est_tokens = 0, est_cost = 0;
  std::vector<Charge> charges;
  std::vector<BucketOp> token_buckets;  // adjusted by actual - estimate
  std::vector<std::string> slots;
};

namespace {

const char* const kUnsettledPolicy = "reservations:unsettled";

Status FieldErr(const char* name, std::string msg) {
  return Status::InvalidArgument(std::string(name) + ": " + msg).WithField(name);
}

std::string SubjectLabel(ScopeKind k, const std::string& v) {
  return std::string(ScopeName(k)) + ":" + v;
}

std::array<const std::string*, kScopeKinds> Subjects(const CheckRequest& r) {
  return {&r.user, &r.team, &r.org, &r.project, &r.key};  // in ScopeKind order
}

// Why a check is exempt from every limit, or null.
const char* ExemptReason(const GovernorSettings& st, const CheckRequest& r) {
  if (!r.batch_job.empty() && st.batch_jobs.count(r.batch_job)) return "declared batch job";
  if ((!r.user.empty() && st.exempt_users.count(r.user)) ||
      (!r.key.empty() && st.exempt_keys.count(r.key)))
    return "service account";
  return nullptr;
}

}  // namespace

const char* DecisionName(Decision d) {
  switch (d) {
    case Decision::kAllow:
      return "allow";
    case Decision::kThrottle:
      return "throttle";
    case Decision::kDeny:
      return "deny";
  }
  return "deny";
}

Governor::Governor(const Clock& clock, AuditLog& audit, Alerter* alerter,
                   std::unique_ptr<LimitStore> store)
    : clock_(clock),
      audit_(audit),
      alerter_(alerter),
      store_(store ? std::move(store) : NewInMemoryLimitStore()),
      policies_(clock, audit),
      quotas_(*store_),
      res_(std::make_unique<ReservationTable<Reservation>>(Hash64(RandomHex(8)))) {}

Governor::~Governor() = default;

void Governor::Resolve(CheckRequest& r) const {
  if (identity_ && !r.user.empty() && (r.team.empty() || r.org.empty())) {
    model::Event e;
    e.user = r.user, e.team = r.team, e.org = r.org;
    identity_->Resolve(e);
    r.team = e.team, r.org = e.org;
  }
}

int64_t Governor::CostOf(const std::string& model, const model::TokenCounts& t) const {
  return prices_ ? prices_->Price(model, t).cost_nanos : 0;
}

std::vector<Charge> Governor::Charges(const PolicySet& s, const CheckRequest& r, TimeMs now,
                                      int64_t tokens, int64_t cost) const {
  std::vector<Charge> out;
  s.ForEachMatch(PolicyKind::kBudget, Subjects(r), r.model,
                 [&](const Policy& p, ScopeKind k, const std::string& v) {
                   Charge c;
                   c.policy = &p, c.unit = p.unit, c.limit = p.limit,
                   c.subject = SubjectLabel(k, v);
                   WindowSpec w = WindowFor(p.period, p.window_ms, s.settings.tz, now);
                   c.period_id = w.rolling() ? FloorDiv(now, p.window_ms) : w.start;
                   c.period_end = w.end;
                   c.op.key = limit_key::Budget(p.id, v);
                   c.op.window = w;
                   c.op.limit = p.enforce == Enforcement::kHard ? p.limit : -1;
                   c.op.amount = p.unit == Unit::kTokens ? tokens : cost;
                   c.alert_pct = &p.alert_pct;
                   out.push_back(std::move(c));
                 });
  quotas_.AddCharges(s.settings.quota, s.settings.tz, r.org, r.project, now, tokens, cost, out);
  return out;
}

void Governor::Admissions(const PolicySet& s, const CheckRequest& r, const std::string& caller,
                          int level, Reservation& rv, Admission& a) const {
  const GovernorSettings& st = s.settings;
  AdmitRequest& ar = a.request;
  for (const Charge& c : rv.charges) ar.budgets.push_back(c.op);
  s.ForEachMatch(
      PolicyKind::kRateLimit, Subjects(r), r.model,
      [&](const Policy& p, ScopeKind, const std::string& v) {
        if (p.requests_per_min > 0) {
          ar.buckets.push_back({limit_key::Requests(p.id, v), double(p.requests_per_min), 1});
          a.bucket_policy.push_back(p.id);
        }
        if (p.tokens_per_min > 0) {
          ar.buckets.push_back(
              {limit_key::Tokens(p.id, v), double(p.tokens_per_min), double(r.estimated_tokens)});
          rv.token_buckets.push_back(ar.buckets.back());
          a.bucket_policy.push_back(p.id);
        }
        if (p.max_concurrent > 0) {
          ar.slots.push_back({limit_key::Concurrent(p.id, v), p.max_concurrent});
          rv.slots.push_back(ar.slots.back().key);
          a.slot_policy.push_back(p.id);
        }
      });
  if (st.max_unsettled > 0) {
    ar.slots.push_back({limit_key::Unsettled(caller), st.max_unsettled});
    rv.slots.push_back(ar.slots.back().key);
    a.slot_policy.push_back(kUnsettledPolicy);
  }
  if (level > 0) {
    ar.buckets.push_back({limit_key::Throttle(r.user), double(st.throttle_rpm[level - 1]), 1});
    a.bucket_policy.push_back("throttle:level-" + std::to_string(level));
  }
}

CheckResult Governor::Refusal(const PolicySet& s, const AdmitResult& a, const Admission& ad,
                              const Reservation& rv, const std::string& caller, TimeMs now,
                              TimeMs* period_id, std::string* limited) const {
  CheckResult res;
  if (a.failure == AdmitResult::Failure::kBudget) {
    const Charge& c = rv.charges[a.index];
    res.decision = Decision::kDeny;
    res.policy = c.policy_id();
    res.unit = c.unit;
    res.remaining = std::max<int64_t>(0, c.limit - a.committed[a.index]);
    res.retry_after_ms = std::max<TimeMs>(0, c.period_end - now);
    res.reason = fmt::format("budget {} for {} exhausted: {} used or reserved of {} {}", res.policy,
                             c.subject, a.committed[a.index], c.limit, UnitName(c.unit));
    *period_id = c.period_id;
    *limited = c.subject;
    return res;
  }
  const bool bucket = a.failure == AdmitResult::Failure::kBucket;
  res.decision = Decision::kThrottle;
  res.policy = bucket ? ad.bucket_policy[a.index] : ad.slot_policy[a.index];
  res.retry_after_ms = a.retry_after_ms;
  if (bucket)
    res.reason = "rate limit " + res.policy + " reached";
  else if (res.policy == kUnsettledPolicy)
    res.reason = fmt::format(
        "{} holds {} unsettled reservations (the maximum): settle them or let them expire", caller,
        s.settings.max_unsettled);
  else
    res.reason = "too many concurrent requests (" + res.policy + ")";
  *period_id = 0;
  *limited = caller;
  return res;
}

Result<CheckResult> Governor::Check(const CheckRequest& in) {
  if (in.user.empty() && in.key.empty()) return FieldErr("user", "user or key is required");
  if (in.estimated_tokens < 0) return FieldErr("estimated_tokens", "must not be negative");
  const TimeMs now = clock_.NowMs();
  checks_.fetch_add(1, std::memory_order_relaxed);
  CheckRequest r = in;
  Resolve(r);
  std::shared_ptr<const PolicySet> s = Snapshot();
  const GovernorSettings& st = s->settings;
  CheckResult res;
  if (const char* why = ExemptReason(st, r)) {
    res.policy = "exempt";
    res.reason = why;
    allowed_.fetch_add(1, std::memory_order_relaxed);
    return res;
  }
  const std::string caller = r.user.empty() ? SubjectLabel(ScopeKind::kKey, r.key)
                                            : SubjectLabel(ScopeKind::kUser, r.user);
  const int level = r.user.empty() ? 0 : ThrottleLevel(r.user);
  if (level >= 3 || (level > 0 && st.throttle_rpm[level - 1] <= 0)) {
    res.decision = Decision::kDeny;
    res.policy = "throttle:flagged";
    res.reason = "user is flagged by detection (throttle level " + std::to_string(level) + ")";
    Refused(r, res, caller, caller, 0);
    return res;
  }
  if (st.max_unsettled_total > 0 && res_->size() >= static_cast<size_t>(st.max_unsettled_total)) {
    // Memory bound for the whole node (approximate by the concurrent checks).
    res.decision = Decision::kThrottle;
    res.policy = kUnsettledPolicy;
    res.retry_after_ms = kSecondMs;
    res.reason = fmt::format(
        "this server holds {} unsettled reservations (the maximum): settle them or let them expire",
        st.max_unsettled_total);
    Refused(r, res, caller, caller, 0);
    return res;
  }
  int64_t cost = r.estimated_cost_nanos;
  if (cost < 0) {
    model::TokenCounts t;
    t.output = r.estimated_tokens;  // priced as output: an upper bound for every model we know
    cost = CostOf(r.model, t);
  }
  Reservation rv;
  rv.charges = Charges(*s, r, now, r.estimated_tokens, cost);
  Admission ad;
  Admissions(*s, r, caller, level, rv, ad);
  ad.request.now = now;
  ad.request.expires = now + st.reservation_ttl_ms;
  AdmitResult a = store_->Admit(ad.request);
  if (a.failure == AdmitResult::Failure::kUnavailable) return StoreUnavailable(r, caller, a.error);
  if (!a.admitted()) {
    TimeMs period_id = 0;
    std::string limited;
    res = Refusal(*s, a, ad, rv, caller, now, &period_id, &limited);
    Refused(r, res, caller, limited, period_id);
    return res;
  }
  allowed_.fetch_add(1, std::memory_order_relaxed);
  double tightest = 2;  // the answer names the budget with the smallest fraction left
  for (size_t i = 0; i < rv.charges.size(); ++i) {
    const Charge& c = rv.charges[i];
    if (c.limit <= 0) continue;  // counted only
    int64_t rem = c.limit - (a.committed[i] + c.op.amount);
    double frac = double(rem) / double(c.limit);
    if (frac < tightest) {
      tightest = frac;
      res.policy = c.policy_id(), res.remaining = std::max<int64_t>(0, rem), res.unit = c.unit;
    }
  }
  res.expires_at = rv.expires = ad.request.expires;
  rv.set = std::move(s);
  rv.model = r.model, rv.org = r.org, rv.project = r.project, rv.team = r.team;
  rv.est_tokens = r.estimated_tokens, rv.est_cost = cost;
  res.reservation_id = res_->Insert(std::move(rv), res.expires_at);
  return res;
}

CheckResult Governor::StoreUnavailable(const CheckRequest& r, const std::string& subject,
                                       const std::string& error) {
  store_errors_.fetch_add(1, std::memory_order_relaxed);
  CheckResult res;
  res.policy = "limit-store:unavailable";
  if (Snapshot()->settings.allow_when_store_unavailable) {
    // Fail open: allowed without a reservation, like an exempt check.
    res.reason = "limit store unavailable (" + error +
                 "); allowed unenforced by limit_store_unavailable = \"allow\"";
    allowed_.fetch_add(1, std::memory_order_relaxed);
    return res;
  }
  res.decision = Decision::kDeny;
  res.retry_after_ms = kSecondMs;
  res.reason =
      "limit store unavailable (" + error + "); denied by limit_store_unavailable = \"deny\"";
  Refused(r, res, subject, subject, 0);
  return res;
}

void Governor::Refused(const CheckRequest& r, const CheckResult& res, const std::string& subject,
                       const std::string& limited, TimeMs period_id) {
  (res.decision == Decision::kDeny ? denied_ : throttled_).fetch_add(1, std::memory_order_relaxed);
  JsonWriter w;
  w.BeginObject();
  w.Key("policy").String(res.policy).Key("model").String(r.model);
  w.Key("team").String(r.team).Key("project").String(r.project);
  w.Key("estimated_tokens").Int(r.estimated_tokens).Key("retry_after_ms").Int(res.retry_after_ms);
  w.Key("caller").String(r.actor);
  w.EndObject();
  audit_.Append({0, 0, "governor", DecisionName(res.decision), subject, res.reason, w.Take()});
  {
    std::lock_guard<std::mutex> l(misc_mu_);
    std::string team = r.team.empty() ? "unassigned" : r.team;
    if (denials_.size() >= 10000 && !denials_.count(res.policy + "|" + team)) team = "other";
    ++denials_[res.policy + "|" + team];
  }
  bool first_deny = res.decision == Decision::kDeny && period_id != 0 &&
                    FireOnce(fmt::format("deny|{}|{}|{}", res.policy, limited, period_id),
                             clock_.NowMs() + res.retry_after_ms);
  if (first_deny && alerter_) {
    alerter_->Enqueue(
        {"deny", res.policy, limited, 100, 0,
         fmt::format("burnrate: hard limit {} is now denying requests for {} (first: {}; {})",
                     res.policy, limited, subject, res.reason)});
  }
}

bool Governor::FireOnce(const std::string& key, TimeMs until) {
  {
    std::lock_guard<std::mutex> l(misc_mu_);
    if (!alerted_.emplace(key, until).second) return false;
  }
  // Rare (once per threshold, subject and period), so a synchronous write
  // is fine; it lands before the alert is even queued.
  if (AlertStore* db = alert_db_.load())
    log::IfError(db->SaveFiredAlert(key, until), "govern.alert_save_failed");
  return true;
}

void Governor::MaybeAlert(const Charge& c, int64_t before, int64_t after, TimeMs now) {
  if (c.limit <= 0 || !c.alert_pct || after <= before) return;
  for (int pct : *c.alert_pct) {
    __int128 thr100 = static_cast<__int128>(c.limit) * pct;  // threshold * 100
    if (!(static_cast<__int128>(before) * 100 < thr100 &&
          static_cast<__int128>(after) * 100 >= thr100))
      continue;
    const std::string& id = c.policy_id();
    if (!FireOnce(fmt::format("{}|{}|{}|{}", id, c.subject, c.period_id, pct), c.period_end))
      continue;
    std::string amount = c.unit == Unit::kTokens
                             ? fmt::format("{} of {} tokens", after, c.limit)
                             : fmt::format("${:.2f} of ${:.2f}", after / 1e9, c.limit / 1e9);
    if (alerter_)
      alerter_->Enqueue(
          {"threshold", id, c.subject, pct, now,
           fmt::format("burnrate: {} reached {}% of budget {} ({})", c.subject, pct, id, amount)});
  }
}

Status Governor::Release(Reservation& rv, int64_t tokens, int64_t cost, TimeMs now,
                         bool count_usage) {
  const int64_t used_tokens = count_usage ? tokens : 0, used_cost = count_usage ? cost : 0;
  std::vector<SettleOp> ops;
  ops.reserve(rv.charges.size() + 1);
  for (const Charge& c : rv.charges)
    ops.push_back(
        {c.op.key, c.op.window, c.op.amount, c.unit == Unit::kTokens ? used_tokens : used_cost});
  const GovernorSettings& gs = rv.set->settings;
  if (auto demand =
          quotas_.DemandOp(gs.quota, gs.tz, rv.org, rv.project, now, used_tokens, used_cost))
    ops.push_back(std::move(*demand));
  std::vector<BucketOp> adj = rv.token_buckets;
  for (BucketOp& b : adj) b.amount = double(tokens - rv.est_tokens);
  std::vector<int64_t> used_after;
  Status st = store_->Settle(now, rv.expires, ops, adj, rv.slots, &used_after);
  if (!st.ok()) {
    store_errors_.fetch_add(1, std::memory_order_relaxed);
    return st;
  }
  for (size_t i = 0; i < rv.charges.size(); ++i)
    MaybeAlert(rv.charges[i], used_after[i] - ops[i].actual, used_after[i], now);
  if (tokens > 0 || cost > 0) NoteSeen(rv.team, rv.project);
  return Status::OK();
}

Status Governor::Settle(const SettleRequest& req) {
  if (req.reservation_id.empty()) return FieldErr("reservation_id", "required");
  std::optional<Reservation> taken = res_->Take(req.reservation_id);
  if (!taken) {
    return Status::NotFound("reservation_id: unknown, already settled, or expired")
        .WithField("reservation_id");
  }
  Reservation& rv = *taken;
  int64_t tokens = req.tokens.Total();
  int64_t cost =
      req.cost_nanos >= 0 ? req.cost_nanos : (prices_ ? CostOf(rv.model, req.tokens) : rv.est_cost);
  // One count per event_id (the header's contract). The decision and the
  // mark are taken together under misc_mu_, so that a settle and its event
  // racing on two threads cannot both count or both skip.
  const TimeMs now = clock_.NowMs();
  bool counted_elsewhere = false;
  if (!req.event_id.empty()) {
    std::lock_guard<std::mutex> l(misc_mu_);
    counted_elsewhere =
        ingested_ids_.Contains(req.event_id, now) || settled_ids_.Contains(req.event_id, now);
    if (!counted_elsewhere) settled_ids_.Add(req.event_id, now);
  }
  // When the store is down the usage is lost to the limits (the shared
  // store forgets the reservation by itself); say so rather than pretend,
  // and let the event count when it is ingested.
  Status st = Release(rv, tokens, cost, now, !counted_elsewhere);
  if (!st.ok() && !req.event_id.empty() && !counted_elsewhere) {
    std::lock_guard<std::mutex> l(misc_mu_);
    settled_ids_.Erase(req.event_id);
  }
  return st;
}

void Governor::OnUsage(const model::Event& e) { UsageAt(e, clock_.NowMs()); }

void Governor::ReplayUsage(const model::Event& e) {
  UsageAt(e, e.received > 0 ? e.received : clock_.NowMs());
}

TimeMs Governor::ReplayHorizon(TimeMs now) const {
  if (store_->Durable()) return now;  // the shared store already holds that usage
  auto s = Snapshot();
  TimeMs from = now;
  for (const Policy& p : s->policies)
    if (p.kind == PolicyKind::kBudget)
      from = std::min(from, WindowFor(p.period, p.window_ms, s->settings.tz, now).start);
  const QuotaConfig& qc = s->settings.quota;
  if (!qc.org.empty()) {
    from = std::min(from, WindowFor(qc.period, 0, s->settings.tz, now).start);
    from = std::min(
        from, WindowFor(PeriodKind::kRolling, qc.demand_window_ms, s->settings.tz, now).start);
  }
  return from;
}

void Governor::UsageAt(const model::Event& e, TimeMs now) {
  if (e.type != model::EventType::kUsage) return;
  if (!e.id.empty()) {
    std::lock_guard<std::mutex> l(misc_mu_);
    if (settled_ids_.Contains(e.id, now)) return;  // counted by Settle()
    ingested_ids_.Add(e.id, now);
  }
  ChargeUsage(e, now, Snapshot());
}

void Governor::OnUsageBatch(std::span<const model::Event> events) {
  // A chunk bounds how long misc_mu_ is held (a settle waits for it).
  static constexpr size_t kChunk = 64, kAhead = 8;
  TimeMs now = clock_.NowMs();
  std::array<uint64_t, kChunk> keys;  // 0: no id to record
  std::bitset<kChunk> settled;
  for (size_t from = 0; from < events.size(); from += kChunk) {
    std::span<const model::Event> chunk =
        events.subspan(from, std::min(kChunk, events.size() - from));
    for (size_t i = 0; i < chunk.size(); ++i) {
      const model::Event& e = chunk[i];
      keys[i] = e.type == model::EventType::kUsage && !e.id.empty() ? RecentIds::KeyOf(e.id) : 0;
    }
    {
      std::lock_guard<std::mutex> l(misc_mu_);
      for (size_t i = 0; i < chunk.size(); ++i) {
        if (i + kAhead < chunk.size() && keys[i + kAhead] != 0)
          ingested_ids_.Prefetch(keys[i + kAhead], kAhead);
        settled[i] = keys[i] != 0 && settled_ids_.ContainsKey(keys[i], now);
        if (keys[i] != 0 && !settled[i]) ingested_ids_.AddKey(keys[i], now);
      }
    }
    std::shared_ptr<const PolicySet> set = Snapshot();
    for (size_t i = 0; i < chunk.size(); ++i)
      if (chunk[i].type == model::EventType::kUsage && !settled[i]) ChargeUsage(chunk[i], now, set);
  }
}

void Governor::ChargeUsage(const model::Event& e, TimeMs now,
                           const std::shared_ptr<const PolicySet>& set) {
  int64_t tokens = e.tokens.Total();
  int64_t cost = e.cost_nanos >= 0 ? e.cost_nanos : CostOf(e.model, e.tokens);
  Reservation rv;
  rv.set = set;
  // No budget and no quota: nothing to charge, so nothing for the limit
  // store to settle (Release would send it empty lists); only what Release
  // notes. Saves the request's string copies and vectors on every event.
  if (!rv.set->has_budgets && rv.set->settings.quota.org.empty()) {
    if (tokens > 0 || cost > 0) NoteSeen(e.team, e.project);
    return;
  }
  CheckRequest r;
  r.user = e.user, r.team = e.team, r.org = e.org, r.project = e.project, r.model = e.model;
  rv.org = e.org, rv.project = e.project, rv.team = e.team;
  rv.charges = Charges(*rv.set, r, now, 0, 0);
  (void)Release(rv, tokens, cost, now);  // counted in store_errors_ when it fails
}

int Governor::SwapThrottle(const std::string& user, int level) {
  std::unique_lock<std::shared_mutex> l(throttle_mu_);
  auto it = throttle_.find(user);
  int old = it == throttle_.end() ? 0 : it->second;
  if (level == 0)
    throttle_.erase(user);
  else
    throttle_[user] = level;
  return old;
}

void Governor::RestoreThrottle(const std::string& user, int level) {
  SwapThrottle(user, std::clamp(level, 0, 3));
}

void Governor::SetThrottle(const std::string& user, int level, const std::string& reason,
                           const std::string& actor) {
  level = std::clamp(level, 0, 3);
  int old = SwapThrottle(user, level);
  // Rare, and often answered to an admin: written before returning.
  Status logged =
      audit_.AppendDurable({0, 0, actor, level > 0 ? "flag" : "unflag", "user:" + user, reason,
                            fmt::format(R"({{"level":{},"previous":{}}})", level, old)});
  if (!logged.ok())
    log::Error("audit.write_failed", {{"action", "throttle"}, {"error", logged.message()}});
  if (level > old && alerter_)
    alerter_->Enqueue(
        {"flag", "", "user:" + user, 0, 0,
         fmt::format("burnrate: user {} flagged, throttle level {} ({})", user, level, reason)});
}

int Governor::ThrottleLevel(const std::string& user) const {
  std::shared_lock<std::shared_mutex> l(throttle_mu_);
  if (throttle_.empty()) return 0;
  auto it = throttle_.find(user);
  return it == throttle_.end() ? 0 : it->second;
}

void Governor::Tick() {
  const TimeMs now = clock_.NowMs();
  size_t n = res_->Expire(now, [&](Reservation&& rv) { (void)Release(rv, 0, 0, now); });
  expired_.fetch_add(n, std::memory_order_relaxed);
  if (quotas_.Due(now)) RecomputeQuotas();
  {
    std::lock_guard<std::mutex> l(misc_mu_);
    for (auto it = alerted_.begin(); it != alerted_.end();)
      it = it->second + kDayMs < now ? alerted_.erase(it) : std::next(it);
  }
  if (AlertStore* db = alert_db_.load(); db && now >= next_prune_ms_.load()) {
    next_prune_ms_.store(now + kHourMs);
    log::IfError(db->PruneFiredAlerts(now - kDayMs), "govern.alert_prune_failed");
  }
}

size_t Governor::outstanding_reservations() const { return res_->size(); }

void Governor::NoteSeen(const std::string& team, const std::string& project) {
  // Every usage event names its team and project, an organisation has a
  // few thousand pairs, and the sets only grow: a pair noted lately needs
  // neither lock. (A 64-bit hash collision would skip one noting.)
  uint64_t h = Hash64(project, Hash64(team)) | 1;
  std::atomic<uint64_t>& memo = seen_memo_[h % kSeenMemo];
  if (memo.load(std::memory_order_relaxed) == h) return;
  quotas_.NoteProject(project);
  if (!team.empty()) {
    std::lock_guard<std::mutex> l(misc_mu_);
    if (seen_teams_.size() < 10000) seen_teams_.insert(team);
  }
  memo.store(h, std::memory_order_relaxed);
}

void Governor::RecomputeQuotas() {
  auto s = Snapshot();
  quotas_.Recompute(s->settings.quota, s->settings.tz, clock_.NowMs());
}

}  // namespace burnrate::govern
