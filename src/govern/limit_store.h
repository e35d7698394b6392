// LimitStore: where governance counters live (budgets, token buckets,
// concurrency slots), behind a small interface.
//
// The Governor decides *what* to check (which keys, limits and windows) as a
// pure function of policies, request and time; the store does the
// arithmetic atomically. One Admit() call checks every counter a request
// touches and reserves on all of them or on none, so concurrent checks can
// never both pass on the last unit of a budget (no check-then-spend race).
// Today's implementation is in-process (InMemoryLimitStore); a Redis
// implementation shared by several burnrate nodes would do the same
// all-or-nothing step in one Lua script, keyed by the same strings.
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "govern/period.h"

namespace burnrate::govern {

struct BudgetOp {
  std::string key;
  WindowSpec window;
  int64_t limit = -1;  // hard limit; < 0 = count only (soft budget)
  int64_t amount = 0;  // reserved on admission
};

// A token bucket holding up to `per_min` units, refilled at per_min/minute.
// A request needs min(amount, per_min) units present and then takes
// `amount` (the bucket may go into debt, so big requests still pass once).
struct BucketOp {
  std::string key;
  double per_min = 0;
  double amount = 0;
};

struct SlotOp {
  std::string key;
  int64_t max = 0;  // concurrent holders allowed
};

struct AdmitRequest {
  TimeMs now = 0;
  std::vector<BudgetOp> budgets;
  std::vector<BucketOp> buckets;
  std::vector<SlotOp> slots;
};

struct AdmitResult {
  enum class Failure { kNone, kBudget, kBucket, kSlot };
  Failure failure = Failure::kNone;
  size_t index = 0;            // the failing op, in its vector
  TimeMs retry_after_ms = 0;   // buckets: time until enough refill
  // Per budget op, used + reserved in the window *before* this request.
  std::vector<int64_t> committed;
  bool admitted() const { return failure == Failure::kNone; }
};

struct SettleOp {
  std::string key;
  WindowSpec window;
  int64_t reserved = 0;  // released from the reservation
  int64_t actual = 0;    // added to used in the window at `now`
};

struct BudgetState {
  int64_t used = 0;
  int64_t reserved = 0;
};

class LimitStore {
 public:
  virtual ~LimitStore() = default;
  // Checks all ops; if every one passes, applies all of them.
  virtual AdmitResult Admit(const AdmitRequest& r) = 0;
  // Releases reservations and records actual use; bucket ops adjust the
  // buckets by `amount` (negative refunds); slots are released by key.
  // `used_after` (optional) receives each budget's used after the update.
  virtual void Settle(TimeMs now, const std::vector<SettleOp>& budgets,
                      const std::vector<BucketOp>& bucket_adjust,
                      const std::vector<std::string>& slot_release,
                      std::vector<int64_t>* used_after) = 0;
  virtual BudgetState Read(const std::string& key, const WindowSpec& w, TimeMs now) = 0;
};

// In-process store: 64 mutex-guarded shards by key hash; a request locks the
// shards of its keys in index order (no global lock, no deadlock). Memory:
// one small entry per (policy, subject) ever touched, kept for the process
// lifetime (a budget's counter must outlive idle spells within its period).
std::unique_ptr<LimitStore> NewInMemoryLimitStore();

}  // namespace burnrate::govern
