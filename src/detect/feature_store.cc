#include "detect/feature_store.h"

#include <algorithm>
#include <cstdlib>

#include "common/hash.h"

namespace burnrate::detect {

int64_t FeatureStore::DayOf(TimeMs t) const {
  if (cfg_.tz.name() == "UTC") return FloorDiv(t, kDayMs);
  return cfg_.tz.LocalDay(t);
}

namespace {
// The time an event counts at: its own, unless a client clock ahead of the
// server puts it more than an hour after its arrival.
TimeMs TrustedTime(const model::Event& e) {
  if (e.received > 0 && (e.ts <= 0 || e.ts > e.received + kHourMs)) return e.received;
  return e.ts;
}
}  // namespace

int64_t FeatureStore::EventDay(const model::Event& e) const { return DayOf(TrustedTime(e)); }

void FeatureStore::Observe(const model::Event& e, const model::PriceSnapshot* prices) {
  if (e.user.empty()) return;
  // Live aggregates keep the last retain_days days: an event from an older
  // day (late, imported or replayed) is left to a rescore of its day from
  // the store (DetectionEngine::Rescore), not filed under today.
  TimeMs ts = TrustedTime(e);
  if (e.received > 0 && ts < e.received - 2 * kDayMs) return;
  int64_t day = DayOf(ts);
  UserKey user = KeyOf(e.user);
  Shard& sh = shards_[ShardOf(user)];
  std::lock_guard<std::mutex> lock(sh.mu);
  auto dit = sh.days.find(day);
  if (dit == sh.days.end()) {
    if (!sh.days.empty() && day <= sh.days.rbegin()->first - cfg_.retain_days) return;  // too late
    dit = sh.days.emplace(day, DayMap{}).first;
    while (!sh.days.empty() && sh.days.begin()->first <= sh.days.rbegin()->first - cfg_.retain_days)
      sh.days.erase(sh.days.begin());
    dit = sh.days.find(day);
    if (dit == sh.days.end()) return;
  }
  Fold(e, user, ts, day, dit->second, prices);
}

void FeatureStore::ObserveHistorical(const model::Event& e, int64_t from_day, int64_t to_day,
                                     const model::PriceSnapshot* prices) {
  if (e.user.empty()) return;
  TimeMs ts = TrustedTime(e);
  int64_t day = DayOf(ts);
  if (day < from_day || day > to_day) return;
  UserKey user = KeyOf(e.user);
  Shard& sh = shards_[ShardOf(user)];
  std::lock_guard<std::mutex> lock(sh.mu);
  Fold(e, user, ts, day, sh.days[day], prices);
}

UserDayStats& FeatureStore::DayMap::Get(UserKey user) {
  uint32_t id = index.Find(user.name, user.hash);
  if (id != NameIndex::kNotFound) return users[id].stats;
  UserDay& d = users.emplace_back();
  d.user = std::string(user.name);
  index.Insert(d.user, user.hash, uint32_t(users.size() - 1));  // the name never moves
  return d.stats;
}

const UserDayStats* FeatureStore::DayMap::Find(UserKey user) const {
  uint32_t id = index.Find(user.name, user.hash);
  return id == NameIndex::kNotFound ? nullptr : &users[id].stats;
}

void FeatureStore::Fold(const model::Event& e, UserKey user, TimeMs ts, int64_t day, DayMap& users,
                        const model::PriceSnapshot* prices) {
  UserDayStats& st = users.Get(user);
  if (e.type == model::EventType::kUsage) {
    TimeMs start = cfg_.tz.name() == "UTC" ? day * kDayMs : cfg_.tz.DayStart(ts);
    st.AddUsage(e, ts, start, cfg_, prices);
  } else {
    st.AddOutcome(e);
  }
}

std::vector<UserDayFeatures> FeatureStore::Collect(int64_t day) const {
  std::vector<UserDayFeatures> out;
  for (const Shard& sh : shards_) {
    std::lock_guard<std::mutex> lock(sh.mu);
    auto it = sh.days.find(day);
    if (it == sh.days.end()) continue;
    out.reserve(out.size() + it->second.users.size());
    for (const UserDay& ud : it->second.users) {
      out.push_back(ud.stats.Finish(cfg_));
      out.back().user = ud.user;
      out.back().day = day;
    }
  }
  return out;
}

FeatureStore::HourWindow FeatureStore::RollingHour(const std::string& user, TimeMs now) const {
  HourWindow w;
  const UserKey key = KeyOf(user);
  const Shard& sh = shards_[ShardOf(key)];
  std::lock_guard<std::mutex> lock(sh.mu);
  auto add = [&](TimeMs t, double weight) {
    int64_t day = DayOf(t);
    auto dit = sh.days.find(day);
    if (dit == sh.days.end()) return;
    const UserDayStats* st = dit->second.Find(key);
    if (st == nullptr) return;
    TimeMs start = cfg_.tz.name() == "UTC" ? day * kDayMs : cfg_.tz.DayStart(t);
    int h = static_cast<int>(std::clamp<TimeMs>((t - start) / kHourMs, 0, 23));
    w.requests += weight * st->hour_requests(h);
    w.tokens += weight * double(st->hour_tokens(h));
  };
  double into = double(now - FloorDiv(now, kHourMs) * kHourMs) / double(kHourMs);
  add(now, 1.0);
  add(now - kHourMs, 1.0 - into);
  return w;
}

size_t FeatureStore::ApproxBytes() const {
  size_t n = 0;
  for (const Shard& sh : shards_) {
    std::lock_guard<std::mutex> lock(sh.mu);
    for (const auto& [d, m] : sh.days)
      for (const UserDay& ud : m.users) n += ud.user.capacity() + 48 + ud.stats.ApproxBytes();
  }
  return n;
}

}  // namespace burnrate::detect
