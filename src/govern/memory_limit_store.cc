// The in-process LimitStore.
//
// Locking: keys hash to one of kShards shards, each a mutex and a hash map.
// Admit() collects the shards of all its keys, sorts and de-duplicates them
// and locks them in ascending order, so two requests can never wait on each
// other in a cycle. With one budget, one bucket and one slot per request a
// check holds at most three short-lived locks; requests for different users
// and teams mostly touch different shards and do not contend.
//
// Counters roll lazily: a budget remembers its period start (calendar) or
// its newest slot (rolling) and is brought up to `now` when touched.
// Reservations survive a period change: they are settled into the period in
// which the actual usage is reported.
#include <algorithm>
#include <array>
#include <cmath>
#include <mutex>
#include <unordered_map>

#include "common/hash.h"
#include "govern/limit_store.h"

namespace burnrate::govern {

namespace {

constexpr size_t kShards = 64;

struct Entry {
  // Budget.
  TimeMs period_start = 0;
  int64_t used = 0;
  int64_t reserved = 0;
  std::vector<int64_t> slot_used;  // rolling: ring of kRollingSlots
  int64_t head = 0;                // rolling: index of the newest slot
  // Bucket.
  double tokens = -1;  // < 0: not yet initialised (full)
  TimeMs last = 0;
  // Concurrency.
  int64_t in_flight = 0;

  void Roll(const WindowSpec& w, TimeMs now) {
    if (!w.rolling()) {
      if (w.start > period_start) period_start = w.start, used = 0;
      return;
    }
    int64_t cur = FloorDiv(now, w.slot_ms);
    if (slot_used.size() != static_cast<size_t>(w.slots)) {
      slot_used.assign(w.slots, 0), used = 0, head = cur;
      return;
    }
    if (cur <= head) return;
    int64_t steps = std::min<int64_t>(cur - head, w.slots);
    for (int64_t i = 1; i <= steps; ++i) {
      int64_t& s = slot_used[static_cast<size_t>((head + i) % w.slots)];
      used -= s;
      s = 0;
    }
    head = cur;
  }
  void AddUsed(const WindowSpec& w, int64_t amount) {
    used += amount;
    if (w.rolling()) slot_used[static_cast<size_t>(head % w.slots)] += amount;
  }
  void Refill(double per_min, TimeMs now) {
    if (tokens < 0) tokens = per_min, last = now;
    if (now > last) tokens = std::min(per_min, tokens + (now - last) * per_min / kMinuteMs);
    last = std::max(last, now);
  }
};

struct Shard {
  std::mutex mu;
  std::unordered_map<std::string, Entry> map;  // guarded by mu
};

class InMemoryLimitStore final : public LimitStore {
 public:
  AdmitResult Admit(const AdmitRequest& r) override;
  Status Settle(TimeMs now, TimeMs expires, const std::vector<SettleOp>& budgets,
                const std::vector<BucketOp>& adj, const std::vector<std::string>& slots,
                std::vector<int64_t>* used_after) override;
  BudgetState Read(const std::string& key, const WindowSpec& w, TimeMs now) override;

 private:
  size_t ShardOf(const std::string& key) const { return Hash64(key) % kShards; }

  // Locks the shards of `keys` in ascending order; unlocks on destruction.
  class MultiLock {
   public:
    MultiLock(InMemoryLimitStore& s, std::vector<size_t> idx) : s_(s), idx_(std::move(idx)) {
      std::sort(idx_.begin(), idx_.end());
      idx_.erase(std::unique(idx_.begin(), idx_.end()), idx_.end());
      for (size_t i : idx_) s_.shards_[i].mu.lock();
    }
    ~MultiLock() {
      for (auto it = idx_.rbegin(); it != idx_.rend(); ++it) s_.shards_[*it].mu.unlock();
    }

   private:
    InMemoryLimitStore& s_;
    std::vector<size_t> idx_;
  };

  Entry& At(const std::string& key) { return shards_[ShardOf(key)].map[key]; }

  std::array<Shard, kShards> shards_;
};

AdmitResult InMemoryLimitStore::Admit(const AdmitRequest& r) {
  std::vector<size_t> idx;
  idx.reserve(r.budgets.size() + r.buckets.size() + r.slots.size());
  for (const auto& b : r.budgets) idx.push_back(ShardOf(b.key));
  for (const auto& b : r.buckets) idx.push_back(ShardOf(b.key));
  for (const auto& s : r.slots) idx.push_back(ShardOf(s.key));
  MultiLock lock(*this, std::move(idx));

  AdmitResult res;
  res.committed.resize(r.budgets.size());
  std::vector<Entry*> be(r.budgets.size()), ke(r.buckets.size()), se(r.slots.size());
  for (size_t i = 0; i < r.budgets.size(); ++i) {
    const BudgetOp& op = r.budgets[i];
    Entry& e = *(be[i] = &At(op.key));
    e.Roll(op.window, r.now);
    res.committed[i] = e.used + e.reserved;
    if (op.limit >= 0 && res.committed[i] + op.amount > op.limit && res.admitted()) {
      res.failure = AdmitResult::Failure::kBudget, res.index = i;
    }
  }
  if (!res.admitted()) return res;
  for (size_t i = 0; i < r.buckets.size(); ++i) {
    const BucketOp& op = r.buckets[i];
    Entry& e = *(ke[i] = &At(op.key));
    e.Refill(op.per_min, r.now);
    double need = std::min(op.amount, op.per_min);
    if (e.tokens < need) {
      res.failure = AdmitResult::Failure::kBucket, res.index = i;
      res.retry_after_ms =
          static_cast<TimeMs>(std::ceil((need - e.tokens) * kMinuteMs / op.per_min));
      return res;
    }
  }
  for (size_t i = 0; i < r.slots.size(); ++i) {
    Entry& e = *(se[i] = &At(r.slots[i].key));
    if (e.in_flight >= r.slots[i].max) {
      res.failure = AdmitResult::Failure::kSlot, res.index = i, res.retry_after_ms = kSecondMs;
      return res;
    }
  }
  for (size_t i = 0; i < be.size(); ++i) be[i]->reserved += r.budgets[i].amount;
  for (size_t i = 0; i < ke.size(); ++i) ke[i]->tokens -= r.buckets[i].amount;
  for (Entry* e : se) ++e->in_flight;
  return res;
}

Status InMemoryLimitStore::Settle(TimeMs now, TimeMs /*expires*/,
                                  const std::vector<SettleOp>& budgets,
                                  const std::vector<BucketOp>& adj,
                                  const std::vector<std::string>& slots,
                                  std::vector<int64_t>* used_after) {
  if (used_after) used_after->resize(budgets.size());
  for (size_t i = 0; i < budgets.size(); ++i) {
    const SettleOp& op = budgets[i];
    std::lock_guard<std::mutex> l(shards_[ShardOf(op.key)].mu);
    Entry& e = At(op.key);
    e.Roll(op.window, now);
    e.reserved = std::max<int64_t>(0, e.reserved - op.reserved);
    e.AddUsed(op.window, op.actual);
    if (used_after) (*used_after)[i] = e.used;
  }
  for (const BucketOp& op : adj) {
    std::lock_guard<std::mutex> l(shards_[ShardOf(op.key)].mu);
    Entry& e = At(op.key);
    e.Refill(op.per_min, now);
    e.tokens = std::min(op.per_min, e.tokens - op.amount);
  }
  for (const std::string& k : slots) {
    std::lock_guard<std::mutex> l(shards_[ShardOf(k)].mu);
    Entry& e = At(k);
    if (e.in_flight > 0) --e.in_flight;
  }
  return Status::OK();
}

BudgetState InMemoryLimitStore::Read(const std::string& key, const WindowSpec& w, TimeMs now) {
  std::lock_guard<std::mutex> l(shards_[ShardOf(key)].mu);
  Entry& e = At(key);
  e.Roll(w, now);
  return {e.used, e.reserved};
}

}  // namespace

std::unique_ptr<LimitStore> NewInMemoryLimitStore() {
  return std::make_unique<InMemoryLimitStore>();
}

}  // namespace burnrate::govern
