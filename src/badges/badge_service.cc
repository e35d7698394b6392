// Persisting badge awards and rank history through a BadgeStore.
//
// Evaluate() runs every rule and upserts the awards; a stored award keeps
// the time it was first awarded, and value and evidence follow the latest
// evaluation. Awards whose value did not change since the last write are
// skipped (an in-memory map of what was written), so a 30-second cadence
// at 100,000 users writes only what moved.
#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "badges/badges.h"
#include "common/time_util.h"

namespace burnrate::badges {
namespace {

std::string AwardKey(const Award& a) {
  return a.badge + '\x1f' + a.entity + '\x1f' + a.subject + '\x1f' + a.period;
}

}  // namespace

using HeldMap = std::unordered_map<std::string, std::vector<const BadgeRule*>>;

struct BadgeService::Impl {
  std::unique_ptr<BadgeStore> store;
  std::vector<BadgeRule> rules;
  engine::Engine* engine = nullptr;
  const Clock* clock = nullptr;
  mutable std::mutex mu;                            // guards store writes and written
  std::unordered_map<std::string, double> written;  // award key -> value last written
  // What the last evaluation found, published whole. Every board answer
  // asks Holding() for each row, so readers take only `published_mu`, for
  // a pointer copy: they never wait for `mu`, which spans the store writes
  // (400-500 ms at 85,000 users, when a board read waited for them).
  mutable std::mutex published_mu;
  // entity + '\x1f' + subject -> rules held at the last evaluation
  std::shared_ptr<const HeldMap> held = std::make_shared<HeldMap>();  // guarded by published_mu
  EvalStats stats;                                                    // guarded by published_mu
};

BadgeService::BadgeService() : impl_(std::make_unique<Impl>()) {}
BadgeService::~BadgeService() = default;

Result<std::unique_ptr<BadgeService>> BadgeService::Open(std::unique_ptr<BadgeStore> store,
                                                         std::vector<BadgeRule> rules,
                                                         engine::Engine& engine,
                                                         const Clock& clock) {
  std::unique_ptr<BadgeService> s(new BadgeService());
  Impl& m = *s->impl_;
  for (const auto& r : rules) BR_RETURN_IF_ERROR(ValidateRule(r));
  m.rules = std::move(rules);
  m.engine = &engine;
  m.clock = &clock;
  // Remember what is stored, so unchanged awards are not rewritten.
  BR_RETURN_IF_ERROR(
      store->ForEachAward([&](const Award& a) { m.written[AwardKey(a)] = a.value; }));
  m.store = std::move(store);
  return s;
}

Status BadgeService::Evaluate() {
  auto t0 = std::chrono::steady_clock::now();
  TimeMs now = impl_->clock->NowMs();
  std::vector<Award> all;
  BoardCache boards;
  for (const auto& r : impl_->rules) {
    auto a = EvaluateRule(r, *impl_->engine, now, &boards);
    all.insert(all.end(), std::make_move_iterator(a.begin()), std::make_move_iterator(a.end()));
  }
  Impl& m = *impl_;
  auto held = std::make_shared<HeldMap>();
  for (const Award& a : all) {
    for (const auto& r : m.rules) {
      if (r.id != a.badge) continue;
      auto& v = (*held)[a.entity + '\x1f' + a.subject];
      if (std::find(v.begin(), v.end(), &r) == v.end()) v.push_back(&r);
    }
  }
  // Evaluations one at a time from here: each counts on from the last
  // one's published stats.
  std::lock_guard lock(m.mu);
  EvalStats st = stats();
  st.rules = int64_t(m.rules.size());
  st.candidates = int64_t(all.size());
  std::vector<Award> changed;
  std::vector<std::pair<std::string, bool>> keys;  // key, is new
  for (const Award& a : all) {
    std::string key = AwardKey(a);
    auto it = m.written.find(key);
    if (it != m.written.end() && it->second == a.value) continue;
    keys.emplace_back(std::move(key), it == m.written.end());
    changed.push_back(a);
  }
  BR_RETURN_IF_ERROR(m.store->UpsertAwards(changed));
  for (size_t i = 0; i < changed.size(); ++i) {
    (keys[i].second ? st.awarded_new : st.updated)++;
    m.written[keys[i].first] = changed[i].value;
  }
  st.last_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::lock_guard published(m.published_mu);
  m.held = std::move(held);
  m.stats = st;
  return Status::OK();
}

Status BadgeService::SnapshotRanks() {
  TimeMs now = impl_->clock->NowMs();
  std::string day = impl_->engine->options().tz.FormatLocalDate(now);
  std::vector<RankRecord> rows;
  for (engine::Entity e : {engine::Entity::kUser, engine::Entity::kTeam}) {
    for (engine::Metric metric : {engine::Metric::kTokens, engine::Metric::kValue}) {
      engine::BoardQuery q;
      q.entity = e, q.window = engine::Window::kDay, q.metric = metric, q.limit = SIZE_MAX;
      q.background = true;
      auto b = impl_->engine->Leaderboard(q);
      if (!b.ok()) continue;
      for (const auto& en : b->entries) {
        double v = metric == engine::Metric::kTokens ? double(en.c.Total()) : en.c.value;
        rows.push_back({day, engine::EntityName(e), en.id, engine::MetricName(metric), en.rank,
                        b->total_entries, v});
      }
    }
  }
  std::lock_guard lock(impl_->mu);
  return impl_->store->PutRanks(rows);
}

Result<std::vector<Award>> BadgeService::Awards(const AwardQuery& q) const {
  return impl_->store->Awards(q);
}

Result<std::vector<RankPoint>> BadgeService::RankHistory(engine::Entity e,
                                                         const std::string& subject,
                                                         int days) const {
  const TimeZone& tz = impl_->engine->options().tz;
  std::string from =
      tz.FormatLocalDate(tz.AddDays(tz.DayStart(impl_->clock->NowMs()), -(days - 1)));
  return impl_->store->RankHistory(engine::EntityName(e), subject, from);
}

const std::vector<BadgeRule>& BadgeService::rules() const { return impl_->rules; }

std::vector<const BadgeRule*> BadgeService::Holding(engine::Entity e,
                                                    const std::string& subject) const {
  std::shared_ptr<const HeldMap> held;
  {
    std::lock_guard lock(impl_->published_mu);
    held = impl_->held;
  }
  auto it = held->find(std::string(engine::EntityName(e)) + '\x1f' + subject);
  return it == held->end() ? std::vector<const BadgeRule*>{} : it->second;
}

EvalStats BadgeService::stats() const {
  std::lock_guard lock(impl_->published_mu);
  return impl_->stats;
}

}  // namespace burnrate::badges
