// FeatureStore: per-user, per-day aggregates fed from the ingest path.
//
// Observe() folds one usage or outcome event (team resolved, ts set) into the
// UserDayStats of (user, local day of ts). Days older than the newest seen
// minus retain_days are dropped as new days arrive, so memory is bounded by
// users x retain_days x ~1 KB. Collect() snapshots the features of one day.
// A day's user-days sit in chunked storage (they never move, and a new one
// is constructed in place, not allocated alone), indexed by views of their
// own user names.
// Thread-safety: thread-safe; 16 shards by user hash, each with its own mutex,
// so concurrent ingest threads rarely contend.
#pragma once

#include <array>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/chunked_vector.h"
#include "common/name_index.h"
#include "detect/detect_config.h"
#include "detect/user_day_stats.h"
#include "model/event.h"

namespace burnrate::detect {

class FeatureStore {
 public:
  explicit FeatureStore(const DetectConfig& cfg) : cfg_(cfg) {}

  // `prices` (may be null): what the plausibility checks compare with.
  void Observe(const model::Event& e, const model::PriceSnapshot* prices = nullptr);
  // Rescoring from stored events: folds `e` into the local day of its own
  // time when that day is within [from_day, to_day] (the event's time is
  // trusted for the past; a time in the future of its arrival falls back to
  // the arrival, as in Observe). Nothing is pruned.
  void ObserveHistorical(const model::Event& e, int64_t from_day, int64_t to_day,
                         const model::PriceSnapshot* prices = nullptr);
  // The local day an event counts for: its own time, unless that is after
  // its arrival by more than an hour (a client clock ahead).
  int64_t EventDay(const model::Event& e) const;
  // Features of every user with events on local day `day` (unordered).
  std::vector<UserDayFeatures> Collect(int64_t day) const;
  // Usage of one user over the rolling hour ending at `now`: the current
  // clock hour plus the overlapping fraction of the previous one (hourly
  // buckets, so an estimate). Zero for unknown users.
  struct HourWindow {
    double requests = 0, tokens = 0;
  };
  HourWindow RollingHour(const std::string& user, TimeMs now) const;
  // Local day number of an instant in the configured zone.
  int64_t DayOf(TimeMs t) const;
  size_t ApproxBytes() const;

 private:
  static constexpr int kShards = 16;
  struct UserDay {
    std::string user;
    UserDayStats stats;
  };
  // A user name and its NameIndex::HashOf, computed once per event: its
  // top bits pick the shard (the low bits, the day index's slot, stay
  // spread within a shard) and it is the day index's hash.
  struct UserKey {
    std::string_view name;
    uint64_t hash = 0;
  };
  static UserKey KeyOf(std::string_view user) { return {user, NameIndex::HashOf(user)}; }
  static size_t ShardOf(const UserKey& k) { return size_t(k.hash >> 60) % kShards; }
  // One day of one shard: its user-days, by user.
  struct DayMap {
    NameIndex index;  // views of users[i].user
    ChunkedVector<UserDay, 8> users;
    UserDayStats& Get(UserKey user);
    const UserDayStats* Find(UserKey user) const;
  };
  struct Shard {
    mutable std::mutex mu;
    std::map<int64_t, DayMap> days;  // guarded by mu
  };
  void Fold(const model::Event& e, UserKey user, TimeMs ts, int64_t day, DayMap& users,
            const model::PriceSnapshot* prices);
  const DetectConfig& cfg_;
  std::array<Shard, kShards> shards_;
};

}  // namespace burnrate::detect
